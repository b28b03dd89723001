"""Identifying schools by the three methods of the methodology (pure functions, no database).

1. Regional lists: statuses are given as they are.
2. Twelve criteria (seed 002): exam results and the three resource risks.
3. Sverdlovsk groups (seed 001): the quality-index group and the ИСБШ group give the statuses and
   the support group; a pilot site is a flag beside them, whatever the groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Iterable


class Method(StrEnum):
    REGIONAL_LISTS = "regional_lists"
    CRITERIA = "criteria"
    SVERDLOVSK = "sverdlovsk"


METHOD_TITLES = {
    Method.REGIONAL_LISTS: "региональные списки",
    Method.CRITERIA: "двенадцать критериев",
    Method.SVERDLOVSK: "группы Свердловской области (индекс качества и ИСБШ)",
}

SUPPORT_GROUP_TITLES = {
    "resilient": "школа адресной поддержки (резильентная)",
    "mentoring": "школа адресного наставничества",
    "accompaniment": "школа адресного сопровождения",
}
PILOT_TITLE = "пилотная площадка"


@dataclass(frozen=True, slots=True)
class Status:
    shnro: bool = False
    shnsu: bool = False
    risk_zone: bool = False
    project_500: bool = False
    support_group: str | None = None
    details: dict = field(default_factory=dict)
    pilot: bool = False  # Sverdlovsk: the school asked to be a pilot site (a flag beside its group)

    @property
    def low_results_or_unfavourable(self) -> bool:
        return self.shnro or self.shnsu

    def title(self) -> str:
        parts = [name for flag, name in ((self.shnro, "ШНРО"), (self.shnsu, "ШНСУ"), (self.risk_zone, "зона риска")) if flag]
        if self.project_500:
            parts.append("500+")
        if self.pilot:
            parts.append(PILOT_TITLE)
        return ", ".join(parts) or "нет статуса"


# --- 2. twelve criteria --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exam:
    """One row of exam results: a school's and the region's mean."""

    year: int
    procedure: str  # ОГЭ, ЕГЭ, ВПР, КДР
    subject: str  # russian, math, reading, science
    grade: int
    school_mean: float
    regional_mean: float | None


CRITERIA_TITLES = {
    1: "ОГЭ, русский язык: ниже региона и нет положительной динамики за три года",
    2: "ОГЭ, математика: ниже региона и нет положительной динамики за три года",
    3: "ЕГЭ, русский язык: ниже региона и нет положительной динамики за три года",
    4: "ЕГЭ, математика: ниже региона и нет положительной динамики за три года",
    5: "ВПР 4-8 классов, русский язык: ниже региона и нет положительной динамики",
    6: "ВПР 4-8 классов, математика: ниже региона и нет положительной динамики",
    7: "Читательская грамотность, 4 класс: нет положительной динамики за три года",
    8: "Читательская грамотность, 6 класс: нет положительной динамики за три года",
    9: "Естественнонаучная грамотность, 8 класс: нет положительной динамики за три года",
    10: "Риск: нет стабильного доступа к интернету",
    11: "Риск: недостаточно компьютеров",
    12: "Риск: дефицит педагогических кадров",
}
SHNRO_CRITERIA = 6


def _series(exams: Iterable[Exam], procedure: str, subject: str, grades: set[int] | None = None) -> dict[int, tuple[float, float | None]]:
    """{year: (school value, regional value)}; several grades are averaged (mean of grade means)."""
    by_year: dict[int, list[Exam]] = {}
    for exam in exams:
        if exam.procedure == procedure and exam.subject == subject and (grades is None or exam.grade in grades):
            by_year.setdefault(exam.year, []).append(exam)
    out = {}
    for year, rows in by_year.items():
        school = sum(r.school_mean for r in rows) / len(rows)
        regional_rows = [r.regional_mean for r in rows if r.regional_mean is not None]
        regional = sum(regional_rows) / len(regional_rows) if len(regional_rows) == len(rows) else None
        out[year] = (school, regional)
    return out


def _no_positive_dynamics(series: dict[int, tuple[float, float | None]], year: int) -> bool | None:
    """The latest year's result is not higher than two years before; None without both years."""
    if year not in series or year - 2 not in series:
        return None
    return series[year][0] <= series[year - 2][0]


def _below_region(series: dict[int, tuple[float, float | None]], year: int) -> bool | None:
    if year not in series or series[year][1] is None:
        return None
    return series[year][0] < series[year][1]


def twelve_criteria(exams: list[Exam], risks: tuple[bool | None, bool | None, bool | None], year: int) -> Status:
    """Count the criteria a school meets in `year`; missing data never meets a criterion."""
    met: list[int] = []
    notes: list[str] = []

    def check(number: int, series: dict[int, tuple[float, float | None]], need_below: bool) -> None:
        stagnant = _no_positive_dynamics(series, year)
        below = _below_region(series, year) if need_below else True
        if stagnant is None or below is None:
            if series:
                notes.append(f"{number}: не хватает данных за {year} или {year - 2} год")
            return
        if stagnant and below:
            met.append(number)

    check(1, _series(exams, "ОГЭ", "russian"), True)
    check(2, _series(exams, "ОГЭ", "math"), True)
    check(3, _series(exams, "ЕГЭ", "russian"), True)  # a school without ЕГЭ has no series: not met
    check(4, _series(exams, "ЕГЭ", "math"), True)
    vpr_grades = {4, 5, 6, 7, 8}
    check(5, _series(exams, "ВПР", "russian", vpr_grades), True)
    check(6, _series(exams, "ВПР", "math", vpr_grades), True)
    check(7, _series(exams, "КДР", "reading", {4}), False)
    check(8, _series(exams, "КДР", "reading", {6}), False)
    check(9, _series(exams, "КДР", "science", {8}), False)
    for number, risk in zip((10, 11, 12), risks):
        if risk:
            met.append(number)
    count = len(met)
    return Status(
        shnro=count >= SHNRO_CRITERIA,
        risk_zone=1 <= count < SHNRO_CRITERIA,
        details={"criteria": met, "count": count, "notes": notes},
    )


# --- 3. Sverdlovsk groups ------------------------------------------------------------------

LOW_QUALITY_MAX = 5  # quality-index groups 1-5: low results
UNFAVOURABLE_ISBSH_MAX = 4  # ИСБШ groups 1-4: unfavourable conditions


def sverdlovsk(quality_group: int, isbsh_group: int, pilot: bool) -> Status:
    if not (1 <= quality_group <= 11 and 1 <= isbsh_group <= 11):
        raise ValueError("группы должны быть от 1 до 11")
    low = quality_group <= LOW_QUALITY_MAX
    unfavourable = isbsh_group <= UNFAVOURABLE_ISBSH_MAX
    if unfavourable and not low:
        group = "resilient"
    elif low and not unfavourable:
        group = "mentoring"
    elif low and unfavourable:
        group = "accompaniment"
    else:
        group = None
    return Status(
        shnro=low,
        shnsu=unfavourable,
        support_group=group,
        details={"quality_group": quality_group, "isbsh_group": isbsh_group, "pilot": pilot},
        pilot=pilot,
    )
