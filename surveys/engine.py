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
import math
import re
from dataclasses import dataclass
from typing import Any, Mapping

from surveys.expressions import compile_expression
from surveys.model import Question, QuestionType, Survey

Answers = Mapping[str, Any]
Facts = Mapping[str, Any]
NO_FACTS: Facts = {}


class AnswerError(ValueError):
    """The respondent's input does not fit the question; the message is shown to them in Russian."""


def is_relevant(question: Question, answers: Answers, facts: Facts = NO_FACTS) -> bool:
    if not question.relevant:
        return True
    return compile_expression(question.relevant).evaluate(answers, facts=facts)


def visible_questions(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> list[Question]:
    return [q for q in survey.questions if is_relevant(q, answers, facts)]


def next_question(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> Question | None:
    """The first question that applies and has neither an answer nor a skip."""
    for question in survey.questions:
        if question.name not in answers and is_relevant(question, answers, facts):
            return question
    return None


def previous_question(survey: Survey, answers: Answers, current: str | None, facts: Facts = NO_FACTS,
                      visible: list[Question] | None = None) -> Question | None:
    """The question that applies just before `current` (before the end when current is None)."""
    if visible is None:
        visible = visible_questions(survey, answers, facts)
    if current is None:
        return visible[-1] if visible else None
    names = [q.name for q in visible]
    if current not in names:
        return None
    pos = names.index(current)
    return visible[pos - 1] if pos > 0 else None


def progress(survey: Survey, answers: Answers, question: Question, facts: Facts = NO_FACTS,
             visible: list[Question] | None = None) -> tuple[int, int]:
    """(position, total) among the questions that apply now, for "Вопрос 3 из 12"."""
    if visible is None:
        visible = visible_questions(survey, answers, facts)
    names = [q.name for q in visible]
    position = names.index(question.name) + 1 if question.name in names else len(names)
    return position, len(names)


def missing_required(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> list[Question]:
    return [
        q for q in visible_questions(survey, answers, facts) if q.required and answers.get(q.name) is None
    ]


def unanswered(survey: Survey, answers: Answers, facts: Facts = NO_FACTS) -> list[Question]:
    return [q for q in visible_questions(survey, answers, facts) if q.name not in answers]


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


# --- input parsing -------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")
_YES = {"да", "yes", "д", "+"}
_NO = {"нет", "no", "н", "-"}


def _fmt_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def parse_text(question: Question, raw: str, today: dt.date | None = None) -> Any:
    """Turn what the respondent typed into a value of the question's type, or raise AnswerError."""
    text = (raw or "").strip()
    qtype = question.type
    if not text:
        raise AnswerError("Пустой ответ. Напишите ответ сообщением.")
    if qtype == QuestionType.YESNO:
        low = text.lower()
        if low in _YES:
            return "yes"
        if low in _NO:
            return "no"
        raise AnswerError("Ответьте «Да» или «Нет» кнопкой под вопросом.")
    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        raise AnswerError("Выберите вариант кнопкой под вопросом.")
    if qtype == QuestionType.FILE:
        raise AnswerError("Пришлите файл документом (скрепка → Файл).")
    if qtype == QuestionType.INTEGER:
        compact = text.replace(" ", "").replace("\u00a0", "")
        if not _INT_RE.match(compact):
            raise AnswerError("Нужно целое число цифрами, например 12.")
        return int(compact)
    if qtype in (QuestionType.DECIMAL, QuestionType.PERCENT):
        compact = text.replace(" ", "").replace("\u00a0", "")
        if qtype == QuestionType.PERCENT and compact.endswith("%"):
            compact = compact[:-1]
        if not _NUMBER_RE.match(compact):
            if qtype == QuestionType.PERCENT:
                raise AnswerError("Нужен процент числом, например 45 или 45,5 (без других слов).")
            raise AnswerError("Нужно число, например 3,5.")
        value = float(compact.replace(",", "."))
        if not math.isfinite(value):
            raise AnswerError("Нужно обычное число.")
        return value
    if qtype == QuestionType.DATE:
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
        raise AnswerError("Нужна дата в виде ДД.ММ.ГГГГ, например 15.03.2026.")
    # text
    if len(text) > question.max_length:
        raise AnswerError(f"Слишком длинный ответ: не больше {question.max_length} символов.")
    return text


def check_value(question: Question, value: Any, answers: Answers, facts: Facts = NO_FACTS) -> None:
    """Bounds, choices and the author's constraint; raises AnswerError with the message to show."""
    qtype = question.type
    if qtype in (QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.PERCENT):
        low = question.min
        high = question.max
        if qtype == QuestionType.PERCENT:
            low = 0.0 if low is None else low
            high = 100.0 if high is None else high
        if qtype == QuestionType.INTEGER and low is None and value < 0:
            raise AnswerError("Число не может быть отрицательным.")
        if low is not None and value < low or high is not None and value > high:
            if low is not None and high is not None:
                unit = " %" if qtype == QuestionType.PERCENT else ""
                raise AnswerError(f"Нужно число от {_fmt_number(low)} до {_fmt_number(high)}{unit}.")
            if low is not None:
                raise AnswerError(f"Нужно число не меньше {_fmt_number(low)}.")
            raise AnswerError(f"Нужно число не больше {_fmt_number(high)}.")
    elif qtype == QuestionType.YESNO:
        if value not in ("yes", "no"):
            raise AnswerError("Ответьте «Да» или «Нет».")
    elif qtype == QuestionType.SINGLE:
        if question.choice(str(value)) is None:
            raise AnswerError("Такого варианта нет.")
    elif qtype == QuestionType.MULTIPLE:
        if not isinstance(value, list) or any(question.choice(v) is None for v in value):
            raise AnswerError("Такого варианта нет.")
        if question.required and not value:
            raise AnswerError("Отметьте хотя бы один вариант.")
    if question.constraint and not compile_expression(question.constraint).evaluate(answers, value, facts=facts):
        raise AnswerError(question.constraint_message or "Ответ не проходит проверку, проверьте его.")


def order_selection(question: Question, selected: set[str] | list[str]) -> list[str]:
    chosen = set(selected)
    return [c.name for c in question.choices if c.name in chosen]


def format_value(question: Question, value: Any) -> str:
    """A short human rendering of an answer, for the review screen and exports."""
    if value is None:
        return "— пропущено"
    qtype = question.type
    if qtype == QuestionType.YESNO:
        return "Да" if value == "yes" else "Нет"
    if qtype == QuestionType.SINGLE:
        return question.choice_label(value)
    if qtype == QuestionType.MULTIPLE:
        return "; ".join(question.choice_label(v) for v in value) or "ничего не выбрано"
    if qtype == QuestionType.PERCENT:
        return f"{_fmt_number(value)} %"
    if qtype in (QuestionType.DECIMAL,):
        return _fmt_number(value)
    if qtype == QuestionType.DATE:
        return dt.date.fromisoformat(value).strftime("%d.%m.%Y")
    if qtype == QuestionType.FILE:
        return f"файл «{value.get('file_name') or 'документ'}»"
    return str(value)
