"""The methodology's school and municipal indicators for one period (pure: no database, no aiogram).

Shares are exact fractions compared with the threshold before any rounding. Teacher shares
use the school's declared number of pedagogical workers as the denominator (non-respondents
count as "no" once the period's collection is over). Missing is not zero:
- an indicator whose data is missing (the school has not sent its questionnaire, no teacher has
  answered, the staff is not declared) has no value and no points, and says why (`Value.reason`);
- a share of schools counts only the schools that sent their data and says how many did not
  (`Value.missing`): a school that has not answered is not a "no";
- while the period's questionnaire a value comes from is still collecting (`PeriodData.collecting`: the
  teachers' for teacher shares, the schools' for shares of school answers), a point the missing
  answers could still change is not decided (`Value.pending`): a share is shown, its point is not.
  Once the collection is over, the methodology's rules decide (non-respondents count as "no").
Totals count only decided points and say how many indicators have no data or no decided point.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

import pandas as pd

from scoring.identification import Status
from scoring.methodology import Indicator, Kind, Methodology
from surveys.facts import STAFF_QUESTION

DENOMINATOR_QUESTION = STAFF_QUESTION


@dataclass(frozen=True, slots=True)
class SchoolInfo:
    id: int
    name: str
    short_name: str
    status: Status
    municipal_internship_site: bool = False
    regional_internship_site: bool = False


@dataclass(frozen=True)
class TeacherCounts:
    """Submitted teacher questionnaires per school and, per question, how many of them said yes.

    Scoring needs only these counts, so the database aggregates them (`scoring.data`) and a
    country's 19 million answers never travel into Python.
    """

    respondents: pd.Series  # school id -> submitted questionnaires
    yes: pd.DataFrame  # index: school id; one column per question; cells: yes answers

    @classmethod
    def from_counts(cls, respondents: Iterable[tuple[int, int]], yes: Iterable[tuple[int, str, int]]) -> TeacherCounts:
        """From (school id, questionnaires) and (school id, question, yes answers) rows."""
        series = pd.Series(dict(respondents), dtype="int64")
        frame = pd.DataFrame.from_records(list(yes), columns=["school_id", "question", "yes"])
        matrix = frame.pivot_table(index="school_id", columns="question", values="yes", aggfunc="sum", fill_value=0)
        return cls(series, matrix)

    @classmethod
    def from_answers(cls, questionnaires: Iterable[Mapping[str, Any]]) -> TeacherCounts:
        """From one mapping per submitted questionnaire: its school_id and its answers."""
        frame = pd.DataFrame.from_records(list(questionnaires))
        if frame.empty:
            return cls.from_counts([], [])
        answers = frame.drop(columns="school_id").map(lambda v: bool(_yes(v)))
        return cls(frame.groupby("school_id").size(), answers.groupby(frame["school_id"]).sum())

    def schools_with_yes(self, question: str) -> set[int]:
        if question not in self.yes.columns:
            return set()
        column = self.yes[question]
        return {int(sid) for sid in column.index[column > 0]}


def _no_teachers() -> TeacherCounts:
    return TeacherCounts.from_counts([], [])


@dataclass
class PeriodData:
    period: str
    schools: list[SchoolInfo]
    school_answers: dict[int, dict[str, Any]] = field(default_factory=dict)  # submitted school questionnaires
    teachers: TeacherCounts = field(default_factory=_no_teachers)
    municipality_answers: dict[str, Any] | None = None
    collecting: frozenset[str] = frozenset()  # audiences still answering (teacher, school): who has not may yet


EVERYONE = frozenset({"teacher", "school", "municipality"})  # every questionnaire still collecting


class Reason:
    """Why a value is missing or incomplete (scoring.shown says it in words)."""

    NOT_SENT = "not_sent"  # the school's questionnaire is not sent
    NOT_ANSWERED = "not_answered"  # the questionnaire is sent without this answer
    NO_TEACHER_ANSWERS = "no_teacher_answers"  # no teacher of the school (of the group) has answered yet
    STAFF_NOT_DECLARED = "staff_not_declared"  # the school did not declare its pedagogical workers
    NO_SCHOOL_DECLARED = "no_school_declared"  # no school of the group declared its pedagogical workers
    MUNICIPALITY_NOT_SENT = "municipality_not_sent"
    EMPTY_GROUP = "empty_group"  # the group (ШНРО/ШНСУ, risk zone) has no school this period
    NO_SCHOOL_SENT = "no_school_sent"  # no school of the group has sent its questionnaire
    EXAMS_NOT_LOADED = "exams_not_loaded"  # no exam results on record for the period's year and the one before
    NO_SERIES = "no_series"  # results are loaded, but no school of the group has two years of a series


@dataclass(frozen=True, slots=True)
class Value:
    code: str
    school_id: int | None
    applies: bool = True
    value: Fraction | bool | None = None  # a share, a yes/no, or None for "no data"
    points: int | None = None  # None: no rule, does not apply, or no data
    max_points: int = 0  # what it can score when it has data
    numerator: int | None = None
    denominator: int | None = None
    response_rate: Fraction | None = None
    note: str = ""
    missing: int = 0  # units of the group with no data yet: schools not sent, teachers not answered
    group: int | None = None  # units of the group (schools), when the share counts only those with data
    reason: str = ""  # Reason.*: why the value is missing or incomplete
    pending: bool = False  # the share is known, its point is not decided while answers are still coming

    @property
    def no_data(self) -> bool:
        """It applies and has a rule, but its data is missing: grey, no points, not a zero."""
        return self.applies and bool(self.max_points) and self.value is None

    @property
    def scored(self) -> bool:
        """It has a decided point (a share whose point the missing answers could change has none yet)."""
        return self.applies and bool(self.max_points) and self.value is not None and not self.pending

    @property
    def informational(self) -> bool:
        """A value the methodology gives no points («значение»)."""
        return self.applies and not self.max_points



def _total(values: Iterable[Value]) -> int:
    return sum(v.points or 0 for v in values if v.scored)


def _maximum(values: Iterable[Value]) -> int:
    """What the indicators with data could score: one without data is neither won nor lost."""
    return sum(v.max_points for v in values if v.scored)


@dataclass
class SchoolScore:
    school: SchoolInfo
    values: dict[str, Value]

    @property
    def total(self) -> int:
        return _total(self.values.values())

    @property
    def maximum(self) -> int:
        return _maximum(self.values.values())

    @property
    def no_data(self) -> list[Value]:
        return [v for v in self.values.values() if v.no_data]

    @property
    def pending(self) -> list[Value]:
        return [v for v in self.values.values() if v.pending]

    @property
    def zeros(self) -> list[Value]:
        return [v for v in self.values.values() if v.scored and not v.points]

    @property
    def ratio(self) -> float:
        return self.total / self.maximum if self.maximum else 0.0


@dataclass
class PeriodScores:
    period: str
    schools: list[SchoolScore]
    municipal: dict[str, Value]

    @property
    def municipal_total(self) -> int:
        return _total(self.municipal.values())

    @property
    def municipal_maximum(self) -> int:
        return _maximum(self.municipal.values())

    @property
    def municipal_no_data(self) -> list[Value]:
        return [v for v in self.municipal.values() if v.no_data]

    @property
    def municipal_pending(self) -> list[Value]:
        return [v for v in self.municipal.values() if v.pending]


def passes(share: Fraction, threshold: float, comparison: str) -> bool:
    limit = Fraction(str(threshold))
    return share >= limit if comparison == ">=" else share > limit


def _yes(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, list):
        return bool(value)
    return value == "yes"


def _points_for_answer(indicator: Indicator, answer: bool | None) -> int | None:
    if answer is None or indicator.points is None:
        return None
    return indicator.points["yes" if answer else "no"]


def _share_points(indicator: Indicator, share: Fraction | None) -> int | None:
    if indicator.threshold is None or share is None:
        return None
    return int(passes(share, indicator.threshold, indicator.comparison or ">="))


class Scorer:
    """Computes one period's indicators from the answers and the teachers' counts."""

    def __init__(self, methodology: Methodology, data: PeriodData) -> None:
        self.methodology = methodology
        self.data = data
        self.by_id = {s.id: s for s in data.schools}
        self._respondents = {int(k): int(v) for k, v in data.teachers.respondents.items()}
        self._yes: dict[str, dict[int, int]] = {}
        self.denominators = {s.id: self._denominator(s) for s in data.schools}

    def yes_count(self, question: str) -> dict[int, int]:
        """School id -> teachers who said yes (dicts: a country has 40,000 schools to look up)."""
        counts = self._yes.get(question)
        if counts is None:
            yes = self.data.teachers.yes
            counts = {int(k): int(v) for k, v in yes[question].items()} if question in yes.columns else {}
            self._yes[question] = counts
        return counts

    def _denominator(self, school: SchoolInfo) -> int | None:
        """The number of pedagogical workers the school declared in its submitted questionnaire."""
        declared = (self.data.school_answers.get(school.id) or {}).get(DENOMINATOR_QUESTION)
        return declared if isinstance(declared, int) and declared > 0 else None

    def teacher_share(self, indicator: Indicator, school_ids: list[int]) -> Value:
        """Yes-answers over declared staff; a school that has not declared its staff is not guessed at.

        While the period is collecting, a group where no teacher has answered has no value yet, and a
        point the teachers still to answer could change is not decided."""
        question = indicator.source.question or ""
        counts = self.yes_count(question)
        numerator = denominator = respondents = 0
        undeclared = 0
        for sid in school_ids:
            den = self.denominators[sid]
            if den is None:
                undeclared += 1
                continue
            denominator += den
            numerator += min(counts.get(sid, 0), den)
            respondents += min(self._respondents.get(sid, 0), den)
        note = ""
        reason = ""
        if undeclared and len(school_ids) == 1:
            reason = self._undeclared_group(school_ids)
        elif undeclared:
            note = f"не учтены школы, не заявившие число педагогов: {undeclared} из {len(school_ids)}"
        if not denominator:
            if not school_ids:
                reason = Reason.EMPTY_GROUP
            return Value(indicator.code, None, max_points=_max(indicator), note=note,
                         reason=reason or self._undeclared_group(school_ids))
        teachers_open = "teacher" in self.data.collecting
        if not respondents and teachers_open:
            return Value(indicator.code, None, max_points=_max(indicator), note=note, reason=Reason.NO_TEACHER_ANSWERS,
                         denominator=denominator, missing=denominator)
        value = _share_value(indicator, numerator, denominator, response_rate=Fraction(respondents, denominator), note=note)
        still = denominator - respondents
        value = replace(value, missing=still)
        if teachers_open and still and value.points is not None:
            best = _share_points(indicator, Fraction(numerator + still, denominator))
            if best != value.points:
                value = replace(value, points=None, pending=True)
        return value

    # --- schools -----------------------------------------------------------------------

    def _undeclared_group(self, school_ids: list[int]) -> str:
        """Why a teacher share has no denominator: the school (or no school of the group) sent no form, or sent it
        without the number of its pedagogical workers."""
        sent = any(sid in self.data.school_answers for sid in school_ids)
        if len(school_ids) == 1:
            return Reason.STAFF_NOT_DECLARED if sent else Reason.NOT_SENT
        return Reason.NO_SCHOOL_DECLARED if sent else Reason.NO_SCHOOL_SENT

    def school_value(self, indicator: Indicator, school: SchoolInfo) -> Value:
        applies = indicator.applies_to == "all" or school.status.risk_zone
        if not applies:
            return Value(indicator.code, school.id, applies=False)
        src = indicator.source
        kind = indicator.kind
        if kind == Kind.TEACHER_SHARE:
            return replace(self.teacher_share(indicator, [school.id]), school_id=school.id)
        if kind == Kind.ANSWER:
            answers = self.data.school_answers.get(school.id)
            answer = _yes(answers.get(src.question)) if answers else None
            reason = "" if answer is not None else Reason.NOT_ANSWERED if answers else Reason.NOT_SENT
            return Value(indicator.code, school.id, value=answer, points=_points_for_answer(indicator, answer), max_points=1,
                         reason=reason)
        if kind == Kind.STATUS:
            answer = any(getattr(school.status, s) for s in src.statuses)
            return Value(indicator.code, school.id, value=answer, points=_points_for_answer(indicator, answer), max_points=1)
        if kind == Kind.REGISTRY:
            answer = bool(getattr(school, src.flag))
            return Value(indicator.code, school.id, value=answer, points=_points_for_answer(indicator, answer), max_points=1)
        raise ValueError(f"{indicator.code}: kind {kind} is not a school indicator")

    def score_school(self, school: SchoolInfo) -> SchoolScore:
        return SchoolScore(school, {i.code: self.school_value(i, school) for i in self.methodology.school_indicators})

    # --- the municipality --------------------------------------------------------------

    def group(self, name: str) -> list[int]:
        if name == "shnro_shnsu":
            return [s.id for s in self.data.schools if s.status.low_results_or_unfavourable]
        if name == "risk_zone":
            return [s.id for s in self.data.schools if s.status.risk_zone]
        return [s.id for s in self.data.schools]

    def _school_meets(self, indicator: Indicator, sid: int) -> bool:
        src = indicator.source
        school = self.by_id[sid]
        if src.statuses:
            return any(getattr(school.status, s) for s in src.statuses)
        if src.any_teacher:
            return self.yes_count(src.question or "").get(sid, 0) > 0
        answers = self.data.school_answers.get(sid) or {}
        return sum(bool(_yes(answers.get(q))) for q in src.question_names()) >= src.at_least

    def municipal_value(self, indicator: Indicator) -> Value:
        kind = indicator.kind
        src = indicator.source
        if kind == Kind.ANSWER:
            answers = self.data.municipality_answers
            answer = _yes(answers.get(src.question)) if answers else None
            reason = "" if answer is not None else Reason.NOT_ANSWERED if answers else Reason.MUNICIPALITY_NOT_SENT
            return Value(indicator.code, None, value=answer, points=_points_for_answer(indicator, answer),
                         max_points=_max(indicator), reason=reason)
        if kind == Kind.TEACHER_SHARE:
            return self.teacher_share(indicator, self.group(indicator.schools))
        if kind == Kind.ANY_SCHOOL:
            answer = any(getattr(s, src.flag) for s in self.data.schools)
            return Value(indicator.code, None, value=answer, points=_points_for_answer(indicator, answer), max_points=1)
        if kind == Kind.SCHOOL_SHARE:
            return self.school_share(indicator)
        raise ValueError(f"{indicator.code}: kind {kind} is not a municipal indicator")

    def school_share(self, indicator: Indicator) -> Value:
        """A share of the group's schools. Statuses are known for every school; an answer is known only for
        the schools that sent it, so the share counts those and names how many are missing (a school that has
        not answered is not a "no"). Its point is decided when the missing schools cannot change it; once the
        collection is over, a school with no answer does not count (methodology, decision 6)."""
        src = indicator.source
        group = self.group(indicator.schools)
        if not group:
            return Value(indicator.code, None, max_points=_max(indicator), reason=Reason.EMPTY_GROUP)
        if src.statuses:
            meeting = sum(self._school_meets(indicator, sid) for sid in group)
            return _share_value(indicator, meeting, len(group), response_rate=None, note="")
        if src.any_teacher:
            known = [sid for sid in group if self._respondents.get(sid, 0) > 0]
            nobody = Reason.NO_TEACHER_ANSWERS
        else:
            known = [sid for sid in group if sid in self.data.school_answers]
            nobody = Reason.NO_SCHOOL_SENT
        missing = len(group) - len(known)
        if not known:
            return Value(indicator.code, None, max_points=_max(indicator), reason=nobody, missing=missing, group=len(group))
        meeting = sum(self._school_meets(indicator, sid) for sid in known)
        value = _share_value(indicator, meeting, len(known), response_rate=Fraction(len(known), len(group)), note="")
        value = replace(value, missing=missing, group=len(group))
        if indicator.threshold is None or not missing:
            return value
        if ("teacher" if src.any_teacher else "school") not in self.data.collecting:  # over: the whole group decides
            whole = _share_value(indicator, meeting, len(group), response_rate=Fraction(len(known), len(group)), note="")
            return replace(whole, missing=missing, group=len(group))
        worst = _share_points(indicator, Fraction(meeting, len(group)))
        best = _share_points(indicator, Fraction(meeting + missing, len(group)))
        return replace(value, points=worst) if worst == best else replace(value, points=None, pending=True)

    def score(self) -> PeriodScores:
        return PeriodScores(
            self.data.period,
            [self.score_school(s) for s in self.data.schools],
            {i.code: self.municipal_value(i) for i in self.methodology.municipal_indicators},
        )


def _max(indicator: Indicator) -> int:
    return 1 if indicator.has_rule else 0


def _share_value(
    indicator: Indicator, numerator: int, denominator: int, *, response_rate: Fraction | None, note: str
) -> Value:
    share = Fraction(numerator, denominator) if denominator else None
    return Value(
        indicator.code,
        None,
        value=share,
        points=_share_points(indicator, share),
        max_points=_max(indicator),
        numerator=numerator,
        denominator=denominator,
        response_rate=response_rate,
        note=note,
    )


def score_period(methodology: Methodology, data: PeriodData) -> PeriodScores:
    return Scorer(methodology, data).score()
