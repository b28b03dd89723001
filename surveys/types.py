"""Question types, one entry each: how typed input is read, what a value must be, how it is shown,
what the person is asked to do, how it is entered (its widget), its XLSForm name and how the
demonstration answers it. A new type is one entry here.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from surveys import reading
from surveys.errors import AnswerError
from surveys.model import Question, QuestionType

# widgets: how a question is entered in a chat
YESNO, SINGLE, MULTIPLE, TYPED, FILE = "yesno", "single", "multiple", "typed", "file"

MAX_NUMBER_CHARS = 20  # digits (and sign, separators) read from a typed number, checked before converting


_NUMBER_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_INT_RE = re.compile(r"^[+-]?\d+$")
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%d/%m/%Y")


def fmt_number(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _compact_number(text: str) -> str:
    compact = text.replace(" ", "").replace("\u00a0", "")
    if len(compact) > MAX_NUMBER_CHARS:
        raise AnswerError("Слишком длинное число: проверьте его.")
    return compact


# --- reading typed input -------------------------------------------------------------------


def _parse_yesno(question: Question, text: str) -> Any:
    answer = reading.yes_no(text, question.no_label)
    if answer is None:
        raise AnswerError(f"Не понял ответ {reading.quoted(text)}: напишите «да» или «нет» или нажмите кнопку.")
    return "yes" if answer else "no"


def _parse_single(question: Question, text: str) -> Any:
    return question.choices[reading.pick([c.label for c in question.choices], text)].name


def _parse_multiple(question: Question, text: str) -> Any:
    """Numbers («1 3»), or options by their words; «ничего» (or «нет») for none, refused later if one is required."""
    if reading.normal(text) in reading.NONE_WORDS:
        return []
    return [question.choices[n].name for n in reading.picks([c.label for c in question.choices], text)]


def _parse_file(question: Question, text: str) -> Any:
    raise AnswerError("Пришлите файл документом (скрепка → Файл).")


def _parse_integer(question: Question, text: str) -> Any:
    compact = _compact_number(text)
    if not _INT_RE.match(compact):
        raise AnswerError("Нужно целое число цифрами, например 12.")
    return int(compact)


def _parse_decimal(question: Question, text: str) -> Any:
    compact = _compact_number(text)
    if not _NUMBER_RE.match(compact):
        raise AnswerError("Нужно число, например 3,5.")
    value = float(compact.replace(",", "."))
    if not math.isfinite(value):
        raise AnswerError("Нужно обычное число.")
    return value


def _parse_percent(question: Question, text: str) -> Any:
    compact = _compact_number(text)
    compact = compact[:-1] if compact.endswith("%") else compact
    if not _NUMBER_RE.match(compact):
        raise AnswerError("Нужен процент числом, например 45 или 45,5 (без других слов).")
    return _parse_decimal(question, compact)


def _parse_date(question: Question, text: str) -> Any:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise AnswerError("Нужна дата в виде ДД.ММ.ГГГГ, например 15.03.2026.")


def _parse_text(question: Question, text: str) -> Any:
    if len(text) > question.max_length:
        raise AnswerError(f"Слишком длинный ответ: не больше {question.max_length} символов.")
    return text


# --- checking a value ----------------------------------------------------------------------


def _check_number(question: Question, value: Any, *, low: float | None = None, high: float | None = None,
                  unit: str = "") -> None:
    low = question.min if question.min is not None else low
    high = question.max if question.max is not None else high
    if question.type == QuestionType.INTEGER and low is None and value < 0:
        raise AnswerError("Число не может быть отрицательным.")
    if low is not None and value < low or high is not None and value > high:
        if low is not None and high is not None:
            raise AnswerError(f"Нужно число от {fmt_number(low)} до {fmt_number(high)}{unit}.")
        if low is not None:
            raise AnswerError(f"Нужно число не меньше {fmt_number(low)}.")
        raise AnswerError(f"Нужно число не больше {fmt_number(high)}.")


def _check_yesno(question: Question, value: Any) -> None:
    if value not in ("yes", "no"):
        raise AnswerError("Ответьте «Да» или «Нет».")


def _check_single(question: Question, value: Any) -> None:
    if question.choice(str(value)) is None:
        raise AnswerError("Такого варианта нет.")


def _check_multiple(question: Question, value: Any) -> None:
    if not isinstance(value, list) or any(question.choice(v) is None for v in value):
        raise AnswerError("Такого варианта нет.")
    if question.required and not value:
        raise AnswerError("Отметьте хотя бы один вариант.")


def _check_nothing(question: Question, value: Any) -> None:
    return None


# --- the demonstration's answers -----------------------------------------------------------


def _sample_integer(question: Question, rng: random.Random, yes_rate: float) -> Any:
    return rng.randint(int(question.min or 1), int(min(question.max or 100, 120)))


def _sample_multiple(question: Question, rng: random.Random, yes_rate: float) -> Any:
    return [c.name for c in question.choices if rng.random() < 0.4] or [question.choices[0].name]


@dataclass(frozen=True, slots=True)
class TypeSpec:
    widget: str
    prompt: str | None  # what the person is asked to do, under the question
    parse: Callable[[Question, str], Any]  # typed input to a value, or AnswerError
    check: Callable[[Question, Any], None]  # bounds and choices (the author's constraint comes after)
    format: Callable[[Question, Any], str]  # the value for the review screen and exports
    sample: Callable[[Question, random.Random, float], Any]
    xlsform: tuple[str, ...] = ()  # pyxform's names for it


TYPES: dict[QuestionType, TypeSpec] = {
    QuestionType.YESNO: TypeSpec(
        YESNO, None, _parse_yesno, _check_yesno, lambda q, v: "Да" if v == "yes" else "Нет",
        lambda q, rng, rate: "yes" if rng.random() < rate else "no"),  # XLSForm: select_one of yes/no (loader)
    QuestionType.SINGLE: TypeSpec(
        SINGLE, None, _parse_single, _check_single, lambda q, v: q.choice_label(v),
        lambda q, rng, rate: rng.choice(q.choices).name, ("select one",)),
    QuestionType.MULTIPLE: TypeSpec(
        MULTIPLE, "Отметьте подходящие варианты и нажмите «Готово» (или напишите их номера: 1 3).", _parse_multiple,
        _check_multiple,
        lambda q, v: "; ".join(q.choice_label(x) for x in v) or "ничего не выбрано", _sample_multiple,
        ("select all that apply",)),
    QuestionType.INTEGER: TypeSpec(
        TYPED, "Напишите число сообщением.", _parse_integer, _check_number, lambda q, v: str(v), _sample_integer,
        ("integer",)),
    QuestionType.DECIMAL: TypeSpec(
        TYPED, "Напишите число сообщением.", _parse_decimal, _check_number, lambda q, v: fmt_number(v),
        lambda q, rng, rate: round(rng.uniform(float(q.min or 0), float(q.max or 10)), 1), ("decimal",)),
    QuestionType.PERCENT: TypeSpec(
        TYPED, "Напишите процент числом, например 45.", _parse_percent,
        lambda q, v: _check_number(q, v, low=0.0, high=100.0, unit=" %"), lambda q, v: f"{fmt_number(v)} %",
        lambda q, rng, rate: round(rng.uniform(0, 100), 1)),  # XLSForm: decimal with appearance «percent» (loader)
    QuestionType.TEXT: TypeSpec(
        TYPED, "Напишите ответ сообщением.", _parse_text, _check_nothing, lambda q, v: str(v),
        lambda q, rng, rate: "Пример комментария", ("text", "string")),
    QuestionType.DATE: TypeSpec(
        TYPED, "Напишите дату в виде ДД.ММ.ГГГГ.", _parse_date, _check_nothing,
        lambda q, v: dt.date.fromisoformat(v).strftime("%d.%m.%Y"), lambda q, rng, rate: "2026-03-15", ("date",)),
    QuestionType.FILE: TypeSpec(
        FILE, "Пришлите файл документом.", _parse_file, _check_nothing,
        lambda q, v: f"файл «{v.get('file_name') or 'документ'}»",
        lambda q, rng, rate: {"file_id": f"demo-{rng.randrange(10**9)}", "file_name": "документ.pdf"}, ("file",)),
}

XLSFORM_TYPES: dict[str, QuestionType] = {alias: qtype for qtype, spec in TYPES.items() for alias in spec.xlsform}
