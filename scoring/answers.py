"""Answers as people read them: one row per respondent, question texts as headers, answer labels
as values; and the same rows in codes for people who compute. Shared by the summary workbook and
`shnor export` (pure: no database, no workbook library)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from surveys.model import NUMERIC_TYPES, Question, QuestionType, Survey
from surveys.types import TYPES

ROLE_TITLES = {"teacher": "педагог", "school": "школа", "municipality": "муниципалитет"}
SHEET_TITLES = {"teacher": "Ответы педагогов", "school": "Ответы школ", "municipality": "Ответы муниципалитета"}
LABEL_HEADERS = ["Анкета №", "Период", "Школа", "Роль", "Отправлена"]
CODE_HEADERS = ["response_id", "period", "survey", "respondent", "school", "submitted_at"]


@dataclass
class Respondent:
    """One submitted questionnaire and its answers (question name -> stored value)."""

    response_id: int
    survey: str  # the survey's key: teacher, school, municipality or a custom one
    version_id: int
    period: str
    respondent: str  # person:12, school:3, municipality:1
    school: str
    submitted_at: dt.datetime | None
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass
class Questionnaire:
    """A survey's questions in the order of its latest version, every version's questions included."""

    key: str
    title: str
    audience: str
    questions: list[Question]

    @property
    def sheet_title(self) -> str:
        return SHEET_TITLES.get(self.key, f"Ответы {self.title}")[:31]


def questionnaires(surveys: dict[int, Survey], given: dict[int, set[str]] | None = None) -> list[Questionnaire]:
    """Version id -> Survey, merged per survey key (teacher, school, municipality first). `given`: the
    questions answered per version; one its definition does not have is kept, headed by its name."""
    by_key: dict[str, Questionnaire] = {}
    for _, survey in sorted(surveys.items()):  # oldest version first; a newer one's wording wins
        current = by_key.get(survey.id)
        if current is None:
            by_key[survey.id] = Questionnaire(survey.id, survey.title, survey.audience.value, list(survey.questions))
            continue
        current.title = survey.title
        known = {q.name: n for n, q in enumerate(current.questions)}
        for question in survey.questions:
            if question.name in known:
                current.questions[known[question.name]] = question
            else:
                current.questions.append(question)
    for version_id, names in (given or {}).items():
        survey = surveys.get(version_id)
        if survey is None:
            continue
        form = by_key[survey.id]
        known = {q.name for q in form.questions}
        for name in sorted(names - known):
            form.questions.append(Question.model_construct(name=name, type=QuestionType.TEXT, label=name, choices=()))
    order = {key: n for n, key in enumerate(SHEET_TITLES)}
    return sorted(by_key.values(), key=lambda q: (order.get(q.key, len(order)), q.key))


def label(question: Question, value: Any) -> Any:
    """A stored value as the respondent saw it: «Да», a choice's label, choices joined by «; »;
    numbers stay numbers (a sheet can sum them)."""
    if value is None:
        return None
    if question.type in NUMERIC_TYPES and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return TYPES[question.type].format(question, value)
    except (KeyError, TypeError, ValueError, AttributeError):
        return str(value)


def code(value: Any) -> Any:
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return value.get("file_name") or value.get("file_id") or str(value)
    return value


def local(moment: dt.datetime | None, timezone: str) -> dt.datetime | None:
    """A moment as the municipality's wall clock, without a zone (a workbook cell cannot hold one)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None, microsecond=0)


def label_headers(q: Questionnaire) -> list[str]:
    return [*LABEL_HEADERS, *(question.label for question in q.questions)]


def label_row(q: Questionnaire, r: Respondent, timezone: str) -> list[Any]:
    return [r.response_id, r.period, r.school, ROLE_TITLES.get(q.audience, q.audience), local(r.submitted_at, timezone),
            *(label(question, r.answers.get(question.name)) for question in q.questions)]


def code_columns(qs: list[Questionnaire]) -> list[str]:
    """Every question name once, the surveys' order kept."""
    seen: dict[str, None] = {}
    for q in qs:
        for question in q.questions:
            seen.setdefault(question.name, None)
    return list(seen)


def code_row(columns: list[str], r: Respondent, timezone: str) -> list[Any]:
    return [r.response_id, r.period, r.survey, r.respondent, r.school, local(r.submitted_at, timezone),
            *(code(r.answers.get(name)) for name in columns)]


def answered(rows: Iterable[dict[str, Any]]) -> dict[int, set[str]]:
    """Version id -> the questions answered in these rows."""
    out: dict[int, set[str]] = {}
    for row in rows:
        out.setdefault(row["version_id"], set()).add(row["question"])
    return out


def group(rows: Iterable[dict[str, Any]], schools: dict[int, str]) -> Iterator[Respondent]:
    """Answer rows (ordered so that a response's answers are together) as respondents."""
    current: Respondent | None = None
    for row in rows:
        if current is None or current.response_id != row["response_id"]:
            if current is not None:
                yield current
            current = Respondent(
                row["response_id"], row["survey"], row["version_id"], row.get("period", ""), row["respondent"],
                schools.get(row["school_id"], "") if row["school_id"] else "", row["submitted_at"],
            )
        current.answers[row["question"]] = row["value"]
    if current is not None:
        yield current
