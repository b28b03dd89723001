"""Dynamics across periods: D1-D4 and P1 (seeds 003 and 004), and whether each school's results rose.

A period's exam year is the last year named in it ("2020-2021" -> 2021, "2021" -> 2021).
A school has positive dynamics when its result rose strictly from the previous year to this
one in every series it has (a series with both years). A school with no such series has no
data, not "no": a share counts the schools with data and names how many have none, and with no
results loaded at all it says so. While teachers answer, P1 counts the schools where some teacher has
answered; after the deadline every school (as M2.4.5: a school without answers is a «no»). Each
period's dynamics use that period's statuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from scoring.identification import Exam, Status
from scoring.indicators import Reason

EXAM_SERIES = (("ОГЭ", "russian", None), ("ОГЭ", "math", None), ("ЕГЭ", "russian", None), ("ЕГЭ", "math", None))
KDR_SERIES = (("КДР", "reading", 4), ("КДР", "reading", 6), ("КДР", "science", 8))

DYNAMICS_TITLES = {
    "D1": "Доля ШНРО/ШНСУ с положительной динамикой ОГЭ/ЕГЭ (русский язык, математика)",
    "D2": "Доля школ зоны риска с положительной динамикой ОГЭ/ЕГЭ (русский язык, математика)",
    "D3": "Доля ШНРО/ШНСУ с положительной динамикой КДР4, КДР6 (чтение), КДР8 (естественнонаучная)",
    "D4": "Доля школ зоны риска с положительной динамикой КДР4, КДР6, КДР8",
    "P1": "Доля ШНРО/ШНСУ с продуктивным участием педагогов (выступление, статья)",
}
PRODUCTIVE_QUESTION = "events_productive"


def period_year(period: str) -> int | None:
    years = re.findall(r"(?<!\d)(\d{4})(?!\d)", period)
    return int(years[-1]) if years else None


def period_sort_key(period: str) -> tuple[int, str]:
    return (period_year(period) or 0, period)


def rose(exams: list[Exam], series: tuple[tuple[str, str, int | None], ...], year: int) -> bool | None:
    """True/False: rose in every series it has; None: no series with both years."""
    verdicts = []
    for procedure, subject, grade in series:
        values: dict[int, list[float]] = {}
        for exam in exams:
            if exam.procedure == procedure and exam.subject == subject and (grade is None or exam.grade == grade):
                values.setdefault(exam.year, []).append(exam.school_mean)
        if year in values and year - 1 in values:
            now = sum(values[year]) / len(values[year])
            before = sum(values[year - 1]) / len(values[year - 1])
            verdicts.append(now > before)
    if not verdicts:
        return None
    return all(verdicts)


@dataclass(frozen=True, slots=True)
class SchoolDynamics:
    school_id: int
    period: str
    exams_rose: bool | None
    kdr_rose: bool | None
    productive: bool


@dataclass(frozen=True, slots=True)
class Share:
    numerator: int
    denominator: int  # the group's schools with data
    missing: int = 0  # the group's schools without data
    reason: str = ""  # scoring.indicators.Reason, when there is no value

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def group(self) -> int:
        return self.denominator + self.missing


def _share(verdicts: list[bool | None], no_data: str) -> Share:
    known = [v for v in verdicts if v is not None]
    if not verdicts:
        return Share(0, 0, reason=Reason.EMPTY_GROUP)
    return Share(sum(known), len(known), len(verdicts) - len(known), "" if known else no_data)


def period_dynamics(
    period: str,
    statuses: dict[int, Status],
    exams: dict[int, list[Exam]],
    productive_schools: set[int],
    answered_schools: set[int] | None = None,
) -> tuple[dict[str, Share], list[SchoolDynamics]]:
    """The period's shares and each school's verdicts. `answered_schools`: schools where some teacher answered
    (None: every school, as when the period had no teacher questionnaire to wait for)."""
    year = period_year(period)
    schools = []
    for sid in statuses:
        school_exams = exams.get(sid, [])
        schools.append(
            SchoolDynamics(
                sid,
                period,
                rose(school_exams, EXAM_SERIES, year) if year else None,
                rose(school_exams, KDR_SERIES, year) if year else None,
                sid in productive_schools,
            )
        )
    low = [d for d in schools if statuses[d.school_id].low_results_or_unfavourable]
    risk = [d for d in schools if statuses[d.school_id].risk_zone]
    years = {e.year for results in exams.values() for e in results}
    exams_missing = Reason.EXAMS_NOT_LOADED if not year or not {year, year - 1} <= years else Reason.NO_SERIES

    def productive(d: SchoolDynamics) -> bool | None:
        return d.productive if answered_schools is None or d.school_id in answered_schools else None

    shares = {
        "D1": _share([d.exams_rose for d in low], exams_missing),
        "D2": _share([d.exams_rose for d in risk], exams_missing),
        "D3": _share([d.kdr_rose for d in low], exams_missing),
        "D4": _share([d.kdr_rose for d in risk], exams_missing),
        "P1": _share([productive(d) for d in low], Reason.NO_TEACHER_ANSWERS),
    }
    return shares, schools
