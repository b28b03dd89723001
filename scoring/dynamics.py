"""Dynamics across periods: D1-D4 and P1 (seeds 003 and 004), and whether each school's results rose.

A period's exam year is the last year named in it ("2020-2021" -> 2021, "2021" -> 2021).
A school has positive dynamics when its result rose strictly from the previous year to this
one in every series it has (a series with both years); a school with no such series has
none. Each period's dynamics use that period's statuses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from scoring.identification import Exam, Status

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
    denominator: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None


def period_dynamics(
    period: str,
    statuses: dict[int, Status],
    exams: dict[int, list[Exam]],
    productive_schools: set[int],
) -> tuple[dict[str, Share], list[SchoolDynamics]]:
    year = period_year(period)
    schools = []
    for sid, status in statuses.items():
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
    shares = {
        "D1": Share(sum(bool(d.exams_rose) for d in low), len(low)),
        "D2": Share(sum(bool(d.exams_rose) for d in risk), len(risk)),
        "D3": Share(sum(bool(d.kdr_rose) for d in low), len(low)),
        "D4": Share(sum(bool(d.kdr_rose) for d in risk), len(risk)),
        "P1": Share(sum(d.productive for d in low), len(low)),
    }
    return shares, schools
