"""Typed model of a survey definition, shared by the YAML and XLSForm loaders."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator


class QuestionType(StrEnum):
    YESNO = "yesno"
    SINGLE = "single"
    MULTIPLE = "multiple"
    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"
    TEXT = "text"
    DATE = "date"
    FILE = "file"


CHOICE_TYPES = {QuestionType.SINGLE, QuestionType.MULTIPLE}
NUMERIC_TYPES = {QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.PERCENT}


class Audience(StrEnum):
    TEACHER = "teacher"
    SCHOOL = "school"
    MUNICIPALITY = "municipality"


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_\-]+$")
    label: str = Field(min_length=1, max_length=200)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    type: QuestionType
    label: str = Field(min_length=1, max_length=1000)
    hint: str | None = None
    required: bool = True
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int = Field(default=1000, ge=1, le=4000)
    choices: tuple[Choice, ...] = ()
    # What the previous period's answer of the same person does in a new one: "fact" (rarely changes:
    # offered at the start with the other facts as «как в прошлом году», one tap keeps them all),
    # "suggest" (asked afresh, last period's answer shown and, for a multiple choice, preselected).
    carry_over: Literal["fact", "suggest"] | None = None
    # Why the question is asked when no indicator reads it: "report" (tabulated in the report's section
    # on the pack's other answers), or a sentence saying what an optional answer is for.
    purpose: str | None = None
    # A follow-up (single or multiple choice) asked only after «да» to the yes/no question just before
    # it may be offered on that question's own screen: one tap answers both.
    inline: bool = False

    @field_validator("relevant", "constraint", "constraint_message", "hint", "carry_over", "purpose", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def choice(self, name: str) -> Choice | None:
        return next((c for c in self.choices if c.name == name), None)

    def choice_label(self, name: str) -> str:
        choice = self.choice(name)
        return choice.label if choice else name


class Survey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_\-]+$")
    version: str = "1"
    title: str = Field(min_length=1, max_length=200)
    audience: Audience
    description: str | None = None
    questions: tuple[Question, ...] = Field(min_length=1)

    _by_name: dict[str, Question] = PrivateAttr(default_factory=dict)
    _index: dict[str, int] = PrivateAttr(default_factory=dict)
    _triggers: frozenset[str] = PrivateAttr(default=frozenset())
    _inline: dict[str, Question] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: Any) -> None:
        from surveys.expressions import ExpressionError, compile_expression

        self._by_name = {q.name: q for q in self.questions}
        self._index = {q.name: i for i, q in enumerate(self.questions)}
        triggers: set[str] = set()
        for q in self.questions:
            try:
                triggers |= compile_expression(q.relevant).references if q.relevant else set()
            except ExpressionError:
                pass  # the loader reports it
        self._triggers = frozenset(triggers)
        self._inline = {self.questions[k - 1].name: q for k, q in enumerate(self.questions) if k and q.inline}

    def inline_follow_up(self, name: str) -> Question | None:
        """The follow-up offered on this yes/no question's screen, if any (the loader checks the pair)."""
        return self._inline.get(name)

    @property
    def triggers(self) -> frozenset[str]:
        """The questions some other question's `relevant` reads: answering another changes no one's relevance."""
        return self._triggers

    def question(self, name: str) -> Question:
        return self._by_name[name]

    def index(self, name: str) -> int:
        return self._index[name]

    def has_question(self, name: str) -> bool:
        return name in self._by_name
