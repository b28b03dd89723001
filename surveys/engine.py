"""The questionnaire engine: which question comes next, input parsing, validation, skip logic.

Pure functions over a Survey and an answers mapping {question name: value}, and the facts
of the respondent's school in the period ({fact name: value}, surveys.facts) that skip logic
may read as $name. A value of None means the respondent skipped an optional question. Values by type:
yesno "yes"/"no"; single a choice name; multiple a list of choice names in definition
order; integer int; decimal and percent float; text str; date ISO "YYYY-MM-DD";
file {"file_id": ..., "file_name": ...}.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from surveys.expressions import compile_expression
from surveys.model import Question, QuestionType, Survey
from surveys.types import TYPES, AnswerError

Answers = Mapping[str, Any]
Facts = Mapping[str, Any]
NO_FACTS: Facts = {}


def is_relevant(question: Question, answers: Answers, facts: Facts = NO_FACTS) -> bool:
    if not question.relevant:
        return True
    return compile_expression(question.relevant).evaluate(answers, facts=facts)


def visible_questions(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> list[Question]:
    return [q for q in survey.questions if is_relevant(q, answers, facts)]


def next_question(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> Question | None:
    """The first question that applies and has neither an answer nor a skip (a question answered on the
    review screen is not one the questionnaire stops on)."""
    for question in survey.questions:
        if question.name not in answers and not question.on_review and is_relevant(question, answers, facts):
            return question
    return None


def previous_question(survey: Survey, answers: Answers, current: str | None, facts: Facts = NO_FACTS,
                      visible: list[Question] | None = None) -> Question | None:
    """The question that applies just before `current` (before the end when current is None)."""
    if visible is None:
        visible = visible_questions(survey, answers, facts)
    visible = [q for q in visible if not q.on_review or q.name == current]
    if current is None:
        return visible[-1] if visible else None
    names = [q.name for q in visible]
    if current not in names:
        return None
    pos = names.index(current)
    return visible[pos - 1] if pos > 0 else None


def pending(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> list[Question]:
    """The questions still to be asked given the answers so far: unanswered ones that apply, and those whose
    condition reads an answer still to be given (they may apply). An upper bound that only shrinks as answers
    come in: a counter built on it never grows while the person goes forward."""
    out: list[Question] = []
    waiting: set[str] = set()
    for question in survey.questions:
        if question.name in answers or question.on_review:
            continue
        possible = (bool(question.relevant) and bool(compile_expression(question.relevant).references & waiting)) \
            or is_relevant(question, answers, facts)
        if possible:
            waiting.add(question.name)
            out.append(question)
    return out


def screens_left(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> int:
    """How many question screens are still ahead (the one on screen included): the pending questions, an
    inline follow-up counted with the question whose screen offers it, an untouched checklist as one screen."""
    questions = pending(survey, answers, facts)
    names = {q.name for q in questions}
    screens = 0
    for question in questions:
        parent = survey.inline_parent(question.name)
        if parent is not None and parent in names:
            continue  # on its parent's screen
        if question.checklist:
            members = survey.members(question.checklist)
            if all(m.name in names for m in members) and question.name != members[0].name:
                continue  # the checklist is one screen, counted at its first question
        screens += 1
    return screens


def missing_required(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> list[Question]:
    return [
        q for q in visible_questions(survey, answers, facts) if q.required and answers.get(q.name) is None
    ]


def unanswered(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> list[Question]:
    """The questions that apply and are not answered yet (an optional question of the review screen is not waited for)."""
    return [q for q in visible_questions(survey, answers, facts) if q.name not in answers and not q.on_review]


def is_complete(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> bool:
    return not unanswered(survey, answers, facts) and not missing_required(survey, answers, facts)


@dataclass(frozen=True, slots=True)
class AnswerChange:
    answers: dict[str, Any]
    dropped: tuple[str, ...]


def apply_answer(survey: Survey, answers: Answers, name: str, value: Any, facts: Facts = NO_FACTS) -> AnswerChange:
    """Record an answer (already validated) and drop later answers that no longer apply.

    Dropping walks the questions in order against the answers as they become, so a chain
    of conditions (C depends on B, B on A) is resolved in one pass.
    """
    updated = dict(answers)
    updated[name] = value
    if name not in survey.triggers:  # no question's relevance reads this one: nothing can drop
        return AnswerChange(updated, ())
    dropped: list[str] = []
    for question in survey.questions:
        if question.name in updated and question.name != name and not is_relevant(question, updated, facts):
            del updated[question.name]
            dropped.append(question.name)
    return AnswerChange(updated, tuple(dropped))


def skip(survey: Survey, answers: Answers, question: Question, facts: Facts = NO_FACTS) -> AnswerChange:
    if question.required:
        raise AnswerError("Это обязательный вопрос, его нельзя пропустить.")
    return apply_answer(survey, answers, question.name, None, facts)


# --- input, checks and rendering: per type in surveys.types ----------------------------------


def parse_text(question: Question, raw: str) -> Any:
    """Turn what the respondent typed into a value of the question's type, or raise AnswerError."""
    text = (raw or "").strip()
    if not text:
        raise AnswerError("Пустой ответ. Напишите ответ сообщением.")
    return TYPES[question.type].parse(question, text)


def check_value(question: Question, value: Any, answers: Answers, facts: Facts = NO_FACTS,
                today: dt.date | None = None) -> None:
    """Bounds, choices and the author's constraint; raises AnswerError with the message to show.
    `today`: the respondent's local date, for a constraint that reads `today()`."""
    TYPES[question.type].check(question, value)
    if question.constraint and not compile_expression(question.constraint).evaluate(answers, value, today, facts):
        raise AnswerError(question.constraint_message or "Ответ не проходит проверку, проверьте его.")


def order_selection(question: Question, selected: set[str] | list[str]) -> list[str]:
    chosen = set(selected)
    return [c.name for c in question.choices if c.name in chosen]


SKIPPED = "пропущено"


def format_value(question: Question, value: Any) -> str:
    """A short human rendering of an answer, for exports and one-line notes."""
    if value is None:
        return SKIPPED
    return TYPES[question.type].format(question, value)


def format_lines(question: Question, value: Any) -> list[str]:
    """An answer as the lines a screen lists it in: a multiple choice one chosen item a line (choice labels
    contain commas and semicolons, so no joined list can be read back reliably), anything else one line."""
    if question.type == QuestionType.MULTIPLE and isinstance(value, list) and value:
        return [question.choice_label(v) for v in value]
    return [format_value(question, value)]
