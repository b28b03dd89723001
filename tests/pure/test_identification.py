"""The three identification methods at their edges, and dynamics over three periods."""

from __future__ import annotations

import pytest

from scoring.dynamics import EXAM_SERIES, KDR_SERIES, period_dynamics, period_year, rose
from scoring.identification import Exam, Status, sverdlovsk, twelve_criteria


def _stagnant_below(procedure: str, subject: str, grade: int, year: int = 2026) -> list[Exam]:
    """Below the region in `year`, and not higher than two years before: the criterion is met."""
    return [
        Exam(year - 2, procedure, subject, grade, 60.0, 65.0),
        Exam(year - 1, procedure, subject, grade, 62.0, 65.0),
        Exam(year, procedure, subject, grade, 60.0, 65.0),
    ]


CRITERION_EXAMS = {
    1: lambda: _stagnant_below("ОГЭ", "russian", 9),
    2: lambda: _stagnant_below("ОГЭ", "math", 9),
    3: lambda: _stagnant_below("ЕГЭ", "russian", 11),
    4: lambda: _stagnant_below("ЕГЭ", "math", 11),
    5: lambda: [e for g in (4, 5, 6, 7, 8) for e in _stagnant_below("ВПР", "russian", g)],
    6: lambda: [e for g in (4, 5, 6, 7, 8) for e in _stagnant_below("ВПР", "math", g)],
    7: lambda: _stagnant_below("КДР", "reading", 4),
    8: lambda: _stagnant_below("КДР", "reading", 6),
    9: lambda: _stagnant_below("КДР", "science", 8),
}


def _exams(*criteria: int) -> list[Exam]:
    return [e for c in criteria for e in CRITERION_EXAMS[c]()]


@pytest.mark.parametrize("criterion", range(1, 10))
def test_each_exam_criterion_alone_means_risk_zone(criterion):
    status = twelve_criteria(_exams(criterion), (False, False, False), 2026)
    assert status.details["criteria"] == [criterion]
    assert status.risk_zone and not status.shnro


def test_exactly_six_criteria_is_shnro_and_five_is_risk_zone():
    six = twelve_criteria(_exams(1, 2, 3), (True, True, True), 2026)
    assert six.details["count"] == 6 and six.shnro and not six.risk_zone
    five = twelve_criteria(_exams(1, 2), (True, True, True), 2026)
    assert five.details["count"] == 5 and five.risk_zone and not five.shnro
    none = twelve_criteria([], (False, None, False), 2026)
    assert none.details["count"] == 0 and not none.shnro and not none.risk_zone


def test_below_region_is_strict_and_growth_over_three_years_clears_a_criterion():
    equal = [Exam(2024, "ОГЭ", "russian", 9, 60, 60), Exam(2026, "ОГЭ", "russian", 9, 60, 60)]
    assert twelve_criteria(equal, (False,) * 3, 2026).details["criteria"] == []
    grew = [Exam(2024, "ОГЭ", "russian", 9, 55, 65), Exam(2026, "ОГЭ", "russian", 9, 60, 65)]
    assert twelve_criteria(grew, (False,) * 3, 2026).details["criteria"] == []
    same = [Exam(2024, "ОГЭ", "russian", 9, 60, 65), Exam(2026, "ОГЭ", "russian", 9, 60, 65)]
    assert twelve_criteria(same, (False,) * 3, 2026).details["criteria"] == [1]


def test_vpr_compares_the_mean_of_grade_means():
    # grades 4-8: school means 50..58 (mean 54) against regional 54 in every year: not strictly below
    exams = [Exam(y, "ВПР", "math", g, 50 + 2 * (g - 4), 54) for y in (2024, 2026) for g in range(4, 9)]
    assert twelve_criteria(exams, (False,) * 3, 2026).details["criteria"] == []
    exams = [Exam(y, "ВПР", "math", g, 50 + 2 * (g - 4) - 0.5, 54) for y in (2024, 2026) for g in range(4, 9)]
    assert twelve_criteria(exams, (False,) * 3, 2026).details["criteria"] == [6]
    # grade 9 is not part of criterion 6
    exams = [Exam(y, "ВПР", "math", 9, 10, 54) for y in (2024, 2026)]
    assert twelve_criteria(exams, (False,) * 3, 2026).details["criteria"] == []


def test_missing_years_never_meet_a_criterion():
    only_latest = [Exam(2026, "ЕГЭ", "math", 11, 40, 65)]
    status = twelve_criteria(only_latest, (False,) * 3, 2026)
    assert status.details["criteria"] == [] and status.details["notes"]


@pytest.mark.parametrize(
    ("quality", "isbsh", "pilot", "shnro", "shnsu", "group"),
    [
        (5, 5, False, True, False, "mentoring"),
        (6, 5, False, False, False, None),
        (6, 4, False, False, True, "resilient"),
        (5, 4, False, True, True, "accompaniment"),
        (1, 1, False, True, True, "accompaniment"),
        (11, 11, False, False, False, None),
        (11, 11, True, False, False, None),
        (5, 4, True, True, True, "accompaniment"),
        (2, 2, True, True, True, "accompaniment"),
        (6, 4, True, False, True, "resilient"),
    ],
)
def test_sverdlovsk_groups_at_their_edges(quality, isbsh, pilot, shnro, shnsu, group):
    """The pilot site is a flag beside the groups (seed 001): it never replaces the support group."""
    status = sverdlovsk(quality, isbsh, pilot)
    assert (status.shnro, status.shnsu, status.support_group, status.pilot) == (shnro, shnsu, group, pilot)
    if pilot:
        assert "пилотная площадка" in status.title()


def test_sverdlovsk_rejects_groups_out_of_range():
    with pytest.raises(ValueError):
        sverdlovsk(0, 5, False)
    with pytest.raises(ValueError):
        sverdlovsk(5, 12, False)


def test_period_year():
    assert period_year("2020-2021") == 2021
    assert period_year("2021") == 2021
    assert period_year("осень 2025") == 2025
    assert period_year("весна") is None


def test_rose_requires_every_series_it_has():
    exams = [
        Exam(2020, "ОГЭ", "russian", 9, 60, None), Exam(2021, "ОГЭ", "russian", 9, 61, None),
        Exam(2020, "ЕГЭ", "math", 11, 50, None), Exam(2021, "ЕГЭ", "math", 11, 50, None),
    ]
    assert rose(exams, EXAM_SERIES, 2021) is False  # ЕГЭ math did not rise strictly
    assert rose(exams[:2], EXAM_SERIES, 2021) is True
    assert rose(exams, EXAM_SERIES, 2022) is None
    assert rose(exams, KDR_SERIES, 2021) is None


def test_dynamics_over_three_periods_use_each_periods_statuses():
    exams = {
        1: [Exam(2019, "ОГЭ", "math", 9, 50, None), Exam(2020, "ОГЭ", "math", 9, 52, None), Exam(2021, "ОГЭ", "math", 9, 51, None)],
        2: [Exam(2019, "ОГЭ", "math", 9, 40, None), Exam(2020, "ОГЭ", "math", 9, 39, None), Exam(2021, "ОГЭ", "math", 9, 45, None),
            Exam(2020, "КДР", "reading", 4, 30, None), Exam(2021, "КДР", "reading", 4, 35, None)],
        3: [Exam(2020, "ОГЭ", "math", 9, 40, None), Exam(2021, "ОГЭ", "math", 9, 41, None)],
    }
    statuses_2020 = {1: Status(shnro=True), 2: Status(shnsu=True), 3: Status(risk_zone=True)}
    statuses_2021 = {1: Status(shnro=True), 2: Status(risk_zone=True), 3: Status(risk_zone=True)}
    shares_2020, _ = period_dynamics("2019-2020", statuses_2020, exams, set())
    assert (shares_2020["D1"].numerator, shares_2020["D1"].denominator) == (1, 2)  # school 1 rose, school 2 fell
    # school 3 has no 2019: no data, not a "no"
    assert (shares_2020["D2"].numerator, shares_2020["D2"].denominator, shares_2020["D2"].missing) == (0, 0, 1)
    assert shares_2020["D2"].value is None and shares_2020["D2"].reason == "no_series"
    shares_2021, schools = period_dynamics("2020-2021", statuses_2021, exams, {1})
    assert (shares_2021["D1"].numerator, shares_2021["D1"].denominator) == (0, 1)
    assert (shares_2021["D2"].numerator, shares_2021["D2"].denominator) == (2, 2)
    assert (shares_2021["D4"].numerator, shares_2021["D4"].denominator, shares_2021["D4"].missing) == (1, 1, 1)  # 3: no КДР
    assert (shares_2021["P1"].numerator, shares_2021["P1"].denominator) == (1, 1)
    by_school = {d.school_id: d for d in schools}
    assert (by_school[2].exams_rose, by_school[2].kdr_rose) == (True, True)
    assert by_school[1].exams_rose is False and by_school[1].kdr_rose is None
    shares_2019, _ = period_dynamics("2018-2019", statuses_2020, exams, set())
    assert shares_2019["D1"].value is None and shares_2019["D1"].reason == "exams_not_loaded"  # nothing before 2019
    shares_2021, _ = period_dynamics("2020-2021", statuses_2021, exams, {1}, answered_schools=set())
    assert shares_2021["P1"].value is None and shares_2021["P1"].reason == "no_teacher_answers"  # nobody answered yet
