"""Indicators against values worked out by hand for a small municipality of four schools.

A: ШНРО, 10 declared teachers, 7 answered, municipal internship site.
B: ШНСУ, school form not sent (so no declared staff), 4 teachers answered.
C: risk zone only, 33 declared teachers, 23 answered, regional internship site.
D: no status, no school form, nobody answered.

Missing is not zero: what B and D did not send has no value and no points.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from scoring import shown
from scoring.identification import Status
from scoring.indicators import (
    EVERYONE,
    PeriodData,
    Reason,
    SchoolInfo,
    TeacherCounts,
    passes,
    score_period,
)
from scoring.methodology import DEFAULT_FILE, load_methodology

METHODOLOGY = load_methodology()

TEACHER_QUESTIONS = ("diagnostics", "support_received", "network_association", "rma_member", "has_iom", "quality_events", "internship_elsewhere")


def _teachers(school_id: int, n: int, **yes: int) -> list[dict]:
    rows = []
    for i in range(n):
        row = {"school_id": school_id}
        for q in TEACHER_QUESTIONS:
            row[q] = "yes" if i < yes.get(q, 0) else "no"
        rows.append(row)
    return rows


def _data() -> PeriodData:
    schools = [
        SchoolInfo(1, "Школа A", "A", Status(shnro=True), municipal_internship_site=True),
        SchoolInfo(2, "Школа B", "B", Status(shnsu=True)),
        SchoolInfo(3, "Школа C", "C", Status(risk_zone=True), regional_internship_site=True),
        SchoolInfo(4, "Школа D", "D", Status()),
    ]
    teachers = (
        _teachers(1, 7, diagnostics=5, support_received=7, network_association=2, rma_member=3, has_iom=7, quality_events=7, internship_elsewhere=1)
        + _teachers(2, 4, diagnostics=2, support_received=2, network_association=1, rma_member=1, has_iom=3, quality_events=3, internship_elsewhere=1)
        + _teachers(3, 23, has_iom=23)
    )
    school_a = dict(
        ped_workers=10, quality_programme="yes", risk_internet="yes", risk_computers="yes", risk_staff="no",
        analytic_report="yes", leader_support="yes", methodical_landing="no", shppko="yes", wellbeing_monitoring="yes",
        failure_prevention="no", iup="yes", tutor_support="no", practices_events="yes",
    )
    school_c = dict(
        ped_workers=33, quality_programme="no", risk_internet="no", risk_computers="no", risk_staff="yes",
        analytic_report="no", leader_support="no", methodical_landing="no", shppko="no", wellbeing_monitoring="no",
        failure_prevention="no", iup="no", tutor_support="no", practices_events="no",
        deficit_assessment="yes", internet_risk_removed="yes", computers_risk_removed="no",
    )
    municipality = dict(
        programme_identification="yes", programme_shnro_indicators="yes", programme_risk_section="no",
        programme_risk_indicators="yes", practices_system="yes", resource_monitoring="no",
    )
    return PeriodData("2026-2027", schools, {1: school_a, 3: school_c}, TeacherCounts.from_answers(teachers), municipality)


@pytest.fixture(scope="module")
def scores():
    return score_period(load_methodology(), _data())


def _school(scores, sid):
    return next(s for s in scores.schools if s.school.id == sid)


EXPECTED_SCHOOL_POINTS = {
    1: {"S2.1.1": 1, "S2.1.2": 0, "S2.1.3": 0, "S2.1.4": 0, "S2.1.5": 1, "S2.2.1": 1, "S2.3.1": 1, "S2.4.1": 1,
        "S2.4.2": 0, "S2.4.3": 1, "S2.4.4": 1, "S2.4.5": 0, "S2.4.6": 1, "S2.4.7": 0, "S2.4.8": 0, "S2.4.9": 1,
        "S2.4.10": 0, "S2.4.11": 1, "S2.5.1": 1, "S2.5.2": 0, "S2.5.3": 1, "S2.5.4": 0, "S2.5.5": 1},
    2: {"S2.1.1": None, "S2.1.2": 0, "S2.1.3": None, "S2.1.4": None, "S2.1.5": None, "S2.2.1": None, "S2.3.1": None,
        "S2.4.1": None, "S2.4.2": None, "S2.4.3": None, "S2.4.4": None, "S2.4.5": None, "S2.4.6": 0, "S2.4.7": 0,
        "S2.4.8": None, "S2.4.9": None, "S2.4.10": None, "S2.4.11": None, "S2.5.1": None, "S2.5.2": None, "S2.5.3": None,
        "S2.5.4": None, "S2.5.5": None},
    3: {"S2.1.1": 0, "S2.1.2": 1, "S2.1.3": 1, "S2.1.4": 1, "S2.1.5": 0, "S2.2.1": 0, "S2.3.1": 0, "S2.4.1": 0,
        "S2.4.2": 0, "S2.4.3": 0, "S2.4.4": 0, "S2.4.5": 0, "S2.4.6": 0, "S2.4.7": 1, "S2.4.8": 0, "S2.4.9": 0,
        "S2.4.10": 0, "S2.4.11": 0, "S2.5.1": 0, "S2.5.2": 0, "S2.5.3": 0, "S2.5.4": 0, "S2.5.5": 0,
        "S2.6.1": 1, "S2.6.2": 1, "S2.6.3": 0, "S2.6.4": None},  # C did not answer S2.6.4: no data
}


@pytest.mark.parametrize("sid", [1, 2, 3])
def test_school_points_by_hand(scores, sid):
    score = _school(scores, sid)
    got = {code: v.points for code, v in score.values.items() if v.applies}
    assert got == EXPECTED_SCHOOL_POINTS[sid]


def test_school_totals_and_maxima(scores):
    """The maximum counts the indicators with data; the ones without are counted apart, never as zeros."""
    assert [(s.school.short_name, s.total, s.maximum, len(s.no_data)) for s in scores.schools] == [
        ("A", 13, 23, 0), ("B", 0, 3, 20), ("C", 6, 26, 1), ("D", 1, 3, 20)
    ]
    b = _school(scores, 2)
    assert all(v.points is None and shown.value(v) == "нет данных" for v in b.no_data)
    assert not any(v.code == "S2.1.3" for v in b.zeros)  # no data is not a zero to act on


def test_teacher_shares_rest_on_declared_denominator(scores):
    a = _school(scores, 1).values
    assert (a["S2.4.4"].value, a["S2.4.4"].numerator, a["S2.4.4"].denominator) == (Fraction(7, 10), 7, 10)
    assert a["S2.4.4"].response_rate == Fraction(7, 10)
    assert a["S2.3.1"].value == Fraction(1, 2) and a["S2.3.1"].points == 1  # exactly 50 %
    assert a["S2.4.3"].value == Fraction(3, 10) and a["S2.4.3"].points == 1  # exactly 30 %
    assert a["S2.4.8"].value == Fraction(1, 10) and a["S2.4.8"].points == 0  # exactly 10 % is not "more than"
    b = _school(scores, 2).values
    # B sent no school form: its staff is not declared, so its teachers are not guessed at
    assert b["S2.4.4"].value is None and b["S2.4.4"].points is None and b["S2.4.4"].no_data
    assert b["S2.4.4"].reason == Reason.NOT_SENT
    assert shown.with_reason(b["S2.4.4"]) == "нет данных: анкета школы не отправлена"
    c = _school(scores, 3).values
    assert c["S2.4.4"].value == Fraction(23, 33) and c["S2.4.4"].points == 0  # 69.7 % against >= 70 %
    assert shown.value(c["S2.4.4"]) == "69,7 %"
    assert c["S2.4.1"].value == 0 and c["S2.4.1"].points == 0  # declared, answered, nobody said yes: a real zero


def test_risk_zone_indicators_apply_only_to_risk_zone_schools(scores):
    assert not _school(scores, 1).values["S2.6.1"].applies
    assert _school(scores, 3).values["S2.6.1"].applies
    # a missing answer to an inverse indicator gives no point, and is not a zero either
    assert _school(scores, 2).values["S2.1.3"].points is None and _school(scores, 2).values["S2.1.3"].value is None


EXPECTED_MUNICIPAL = {
    "M2.1.1": (True, 1), "M2.1.2": (True, 1), "M2.1.3": (False, 0), "M2.1.4": (True, 1),
    # shares of schools by their answers count the schools that sent them (A and C): B and D are missing, not "no"
    "M2.1.5": (Fraction(2, 4), None), "M2.1.6": (Fraction(1, 2), None), "M2.2.1": (Fraction(1, 2), None),
    # teacher shares over the schools that declared their staff (A: 10, C: 33); B and D are named apart
    "M2.3.1": (Fraction(5, 43), 0), "M2.4.1": (Fraction(7, 10), 1), "M2.4.2": (Fraction(2, 10), 0),
    "M2.4.3": (Fraction(3, 10), 1), "M2.4.4": (Fraction(7, 10), 1), "M2.4.5": (Fraction(2, 2), 1),
    "M2.4.6": (True, 1), "M2.4.7": (True, 1), "M2.4.8": (Fraction(1, 43), 0),
    "M2.4.9": (Fraction(1, 1), None), "M2.4.10": (Fraction(0, 1), None), "M2.4.11": (Fraction(1, 1), None),
    "M2.5.1": (Fraction(1, 2), None), "M2.5.2": (Fraction(0, 2), None), "M2.5.3": (Fraction(1, 2), None),
    "M2.5.4": (Fraction(0, 2), None), "M2.5.5": (True, 1), "M2.6.1": (False, 0), "M2.6.2": (Fraction(0, 1), None),
}


def test_municipal_indicators_by_hand(scores):
    got = {code: (v.value, v.points if v.max_points else None) for code, v in scores.municipal.items()}
    assert got == EXPECTED_MUNICIPAL
    assert (scores.municipal_total, scores.municipal_maximum) == (10, 15)
    assert scores.municipal["M2.3.1"].note == "не учтены школы, не заявившие число педагогов: 2 из 4"
    assert scores.municipal["M2.4.4"].note == "не учтены школы, не заявившие число педагогов: 1 из 2"
    m216 = scores.municipal["M2.1.6"]
    assert (m216.missing, m216.group) == (2, 4)
    assert shown.counted(METHODOLOGY.indicator("M2.1.6"), m216) == "1 из 2 школ, приславших анкету; нет данных по 2 из 4"


@pytest.mark.parametrize(
    ("share", "threshold", "comparison", "expected"),
    [
        (Fraction(1, 2), 0.5, ">=", True),
        (Fraction(49, 100), 0.5, ">=", False),
        (Fraction(7, 10), 0.7, ">=", True),
        (Fraction(23, 33), 0.7, ">=", False),
        (Fraction(1, 4), 0.25, ">=", True),
        (Fraction(59, 200), 0.3, ">=", False),  # 29.5 % against the 30 % of S2.4.3
        (Fraction(3, 10), 0.3, ">=", True),
        (Fraction(3, 4), 0.75, ">", False),
        (Fraction(76, 100), 0.75, ">", True),
        (Fraction(1, 10), 0.1, ">", False),
        (Fraction(101, 1000), 0.1, ">", True),
    ],
)
def test_thresholds_at_their_boundaries(share, threshold, comparison, expected):
    assert passes(share, threshold, comparison) is expected


def test_a_changed_threshold_in_the_data_file_changes_the_points(tmp_path):
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    changed = text.replace(
        "    source: {survey: teacher, question: has_iom}\n    threshold: 0.7\n",
        "    source: {survey: teacher, question: has_iom}\n    threshold: 0.65\n",
        1,
    )
    assert changed != text
    path = tmp_path / "methodology.yaml"
    path.write_text(changed, encoding="utf-8")
    scores = score_period(load_methodology(path), _data())
    assert _school(scores, 3).values["S2.4.4"].points == 1  # 69.7 % now passes
    assert _school(scores, 3).total == 7


def test_nobody_in_a_group_gives_no_data():
    data = PeriodData("p", [SchoolInfo(1, "X", "X", Status())])
    scores = score_period(load_methodology(), data)
    assert scores.municipal["M2.4.4"].value is None and scores.municipal["M2.4.4"].points is None
    assert scores.municipal["M2.4.4"].no_data and len(scores.municipal_no_data) == 13  # the questionnaire too
    assert shown.with_reason(scores.municipal["M2.6.2"]) == "нет данных: в группе нет школ"
    assert shown.with_reason(scores.municipal["M2.1.1"]) == "нет данных: анкета муниципалитета не отправлена"


def test_a_group_whose_schools_declared_no_staff_says_so_of_the_group():
    schools = [SchoolInfo(1, "X", "X", Status(shnro=True)), SchoolInfo(2, "Y", "Y", Status(shnro=True))]
    teachers = TeacherCounts.from_answers(_teachers(1, 3, diagnostics=2))
    none_sent = score_period(METHODOLOGY, PeriodData("p", schools, {}, teachers))
    assert shown.with_reason(none_sent.municipal["M2.3.1"]) == "нет данных: ни одна школа группы не отправила анкету"
    sent_without_staff = score_period(METHODOLOGY, PeriodData("p", schools, {1: {"quality_programme": "yes"}}, teachers))
    assert shown.with_reason(sent_without_staff.municipal["M2.3.1"]) == (
        "нет данных: ни одна школа группы не заявила число педагогических работников")
    assert shown.with_reason(_school(sent_without_staff, 1).values["S2.3.1"]) == (
        "нет данных: школа не заявила число педагогических работников")


def test_while_collecting_a_point_the_missing_answers_could_change_is_not_decided():
    data = _data()
    data.collecting = EVERYONE
    scores = score_period(METHODOLOGY, data)
    a = _school(scores, 1).values
    # A: 7 of 10 declared answered; 2 in a network association, and 3 may still answer: 20-50 % against >= 25 %
    assert a["S2.4.2"].value == Fraction(2, 10) and a["S2.4.2"].pending and a["S2.4.2"].points is None
    assert shown.points(a["S2.4.2"]) == "балл не определён" and not a["S2.4.2"].scored
    assert a["S2.4.4"].points == 1 and not a["S2.4.4"].pending  # 7 of 10 already meets >= 70 %
    assert a["S2.4.8"].points is None and a["S2.4.8"].pending  # 10-40 % against > 10 %
    assert a["S2.4.2"] in _school(scores, 1).pending and a["S2.4.2"] not in _school(scores, 1).no_data
    total = _school(scores, 1)
    assert shown.total(total.total, total.maximum, len(total.no_data), len(total.pending)).endswith(
        "; балл не определён по 3 показателям")


def test_a_group_whose_teachers_have_not_answered_has_no_value_until_they_do():
    schools = [SchoolInfo(i, f"Школа {i}", str(i), Status(shnro=True)) for i in (1, 2, 3, 4)]
    staff = {i: {"ped_workers": 10} for i in (1, 2, 3, 4)}
    teachers = TeacherCounts.from_answers([{"school_id": 1, "quality_events": "yes"}, {"school_id": 2, "quality_events": "yes"}])
    collecting = score_period(METHODOLOGY, PeriodData("p", schools, staff, teachers, collecting=EVERYONE))
    events = collecting.municipal["M2.4.5"]
    # schools 3 and 4 have no teacher answer yet: the share counts 1 and 2, and its point (> 75 % of 4) waits
    assert (events.value, events.missing, events.group, events.points, events.pending) == (Fraction(1), 2, 4, None, True)
    assert shown.counted(METHODOLOGY.indicator("M2.4.5"), events) == (
        "2 из 2 школ, где ответили педагоги; нет данных по 2 из 4")
    school = next(s for s in collecting.schools if s.school.id == 3).values["S2.4.5"]
    assert school.value is None and school.reason == Reason.NO_TEACHER_ANSWERS
    assert shown.with_reason(school) == "нет данных: педагоги не ответили"
    over = score_period(METHODOLOGY, PeriodData("p", schools, staff, teachers)).municipal["M2.4.5"]
    # the collection is over: the methodology counts the group's schools, a school with no answer is not counted
    assert (over.value, over.points, over.missing) == (Fraction(1, 2), 0, 2)
    assert shown.counted(METHODOLOGY.indicator("M2.4.5"), over) == "2 из 4 школ; без данных 2, они засчитаны как «нет»"
    nobody = score_period(METHODOLOGY, PeriodData("p", schools, staff, collecting=EVERYONE)).municipal["M2.4.5"]
    assert nobody.value is None and nobody.reason == Reason.NO_TEACHER_ANSWERS


def test_a_closed_teacher_campaign_decides_teacher_points_while_the_school_form_still_collects():
    data = _data()
    data.collecting = frozenset({"school"})
    a = _school(score_period(METHODOLOGY, data), 1).values
    assert a["S2.4.2"].points == 0 and not a["S2.4.2"].pending  # the teachers' questionnaire is over
