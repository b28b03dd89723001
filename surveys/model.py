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
    # A yes/no question's «нет» in words that say what it denies («Нет, не участвовал(а)»): its button
    # beside a follow-up's «Да: …» buttons, where a bare «Нет» could be read as an answer to the follow-up.
    no_label: str | None = Field(default=None, max_length=60)
    # Consecutive yes/no questions of one checklist (Survey.checklists) are offered on one screen: the person
    # ticks what is so, and each question is stored as «да» or «нет»; `item` is the question's line there.
    checklist: str | None = None
    item: str | None = Field(default=None, max_length=120)
    # An optional typed question (a comment) answered on the review screen by typing it there: the
    # questionnaire does not stop on it.
    on_review: bool = False

    @field_validator("relevant", "constraint", "constraint_message", "hint", "carry_over", "purpose", "no_label", "checklist",
                     "item", mode="before")
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


class Checklist(BaseModel):
    """The screen of a checklist: its question, and the buttons for «none of them» and «all of them»."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=1000)
    hint: str | None = None
    none: str = Field(min_length=1, max_length=60)  # «Рисков не выявлено»: every question of it «нет»
    every: str | None = Field(default=None, max_length=60)  # «Выявлены все три»: every question «да»


class Survey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_\-]+$")
    version: str = "1"
    title: str = Field(min_length=1, max_length=200)
    audience: Audience
    description: str | None = None
    questions: tuple[Question, ...] = Field(min_length=1)
    checklists: dict[str, Checklist] = Field(default_factory=dict)

    _by_name: dict[str, Question] = PrivateAttr(default_factory=dict)
    _index: dict[str, int] = PrivateAttr(default_factory=dict)
    _triggers: frozenset[str] = PrivateAttr(default=frozenset())
    _inline: dict[str, Question] = PrivateAttr(default_factory=dict)
    _members: dict[str, tuple[Question, ...]] = PrivateAttr(default_factory=dict)
    _follow_of: dict[str, str] = PrivateAttr(default_factory=dict)

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
        self._follow_of = {q.name: parent for parent, q in self._inline.items()}
        members: dict[str, list[Question]] = {}
        for q in self.questions:
            if q.checklist:
                members.setdefault(q.checklist, []).append(q)
        self._members = {name: tuple(qs) for name, qs in members.items()}

    def inline_follow_up(self, name: str) -> Question | None:
        """The follow-up offered on this yes/no question's screen, if any (the loader checks the pair)."""
        return self._inline.get(name)

    def inline_parent(self, name: str) -> str | None:
        """The yes/no question on whose screen this follow-up is offered, if it is one."""
        return self._follow_of.get(name)

    def members(self, checklist: str) -> tuple[Question, ...]:
        """The questions of a checklist, in order (the loader checks they are consecutive yes/no questions)."""
        return self._members.get(checklist, ())

    def checklist_head(self, name: str) -> str | None:
        """The checklist this question opens (it is its first question), if any."""
        question = self._by_name.get(name)
        if question is None or not question.checklist:
            return None
        members = self._members.get(question.checklist, ())
        return question.checklist if members and members[0].name == name else None

    def checklist_question(self, checklist: str) -> Question:
        """A checklist as the multiple choice shown: one choice a question (its name, its item), nothing required."""
        spec = self.checklists[checklist]
        choices = tuple(Choice.model_construct(name=q.name, label=q.item or q.label) for q in self.members(checklist))
        return Question.model_construct(
            name=checklist, type=QuestionType.MULTIPLE, label=spec.label, hint=spec.hint, required=False, relevant=None,
            constraint=None, constraint_message=None, min=None, max=None, max_length=1000, choices=choices, carry_over=None,
            purpose=None, inline=False, no_label=None, checklist=None, item=None, on_review=False)

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
