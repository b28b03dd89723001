"""The school card on plain data (scoring.card): which zeros become actions, addressed to whom, in which order,
and the Word page's structure for four periods. A Summary is built by hand; nothing touches a database."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from fractions import Fraction

import docx
import pytest

from monitoring.completion import TeacherCompletion
from scoring import card
from scoring.identification import Status
from scoring.indicators import PeriodData, SchoolInfo, TeacherCounts, Value, score_period
from scoring.methodology import load_methodology
from scoring.summary import Completion, Summary

METHODOLOGY = load_methodology()
AS_OF = dt.datetime(2026, 12, 7, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=5)))
TEACHER_QUESTIONS = ("diagnostics", "support_received", "network_association", "rma_member", "has_iom", "quality_events",
                     "internship_elsewhere")
FORM_QUESTIONS = ("quality_programme", "analytic_report", "leader_support", "methodical_landing", "shppko",
                  "wellbeing_monitoring", "failure_prevention", "iup", "tutor_support", "practices_events",
                  "deficit_assessment", "internet_risk_removed", "computers_risk_removed", "staff_risk_removed")


@dataclass
class Town:
    name: str = "Тестовский городской округ"
    identification_method: str = "regional_lists"
    timezone: str = "Asia/Yekaterinburg"
    complete_at: int = 90


def _form(staff: int = 20, no: tuple[str, ...] = (), risks: tuple[str, ...] = ()) -> dict:
    """A school questionnaire: «да» to every measure but `no`, the risks in `risks` reported."""
    form = {q: "no" if q in no else "yes" for q in FORM_QUESTIONS}
    form.update({q: "yes" if q in risks else "no" for q in ("risk_internet", "risk_computers", "risk_staff")})
    return {"ped_workers": staff, **form}


def _teachers(school_id: int, n: int, **yes: int) -> list[dict]:
    return [{"school_id": school_id, **{q: "yes" if i < yes.get(q, n) else "no" for q in TEACHER_QUESTIONS}}
            for i in range(n)]


def _summary(periods: list[tuple[str, Status, dict | None, list[dict]]], *, collecting: bool = False,
             teachers: TeacherCompletion | None = None) -> tuple[Summary, object]:
    """One school (id 1) over `periods` (period, status, its questionnaire or None, its teachers' answers), oldest
    first; the last is the card's. `collecting`: a campaign of that period still collects answers."""
    history = []
    for n, (period, status, form, answers) in enumerate(periods):
        school = SchoolInfo(1, "МАОУ СОШ № 1", "СОШ 1", status)
        data = PeriodData(period, [school], {1: form} if form else {}, TeacherCounts.from_answers(answers),
                          collecting=collecting and n == len(periods) - 1)
        history.append(score_period(METHODOLOGY, data))
    last_form, last_answers = periods[-1][2], periods[-1][3]
    completion = Completion(
        teachers={1: teachers or TeacherCompletion(last_form["ped_workers"] if last_form else None, len(last_answers),
                                                    len(last_answers))},
        school_form={1: "submitted"} if last_form else {},
        municipality_form="submitted",
        audiences=frozenset({"teacher", "school", "municipality"}),
    )
    summary = Summary(Town(), periods[-1][0], METHODOLOGY, history[-1], completion, {1: periods[-1][1]}, history, [], [],
                      raw=[], raw_truncated=False, periods=[p[0] for p in periods], current_year=periods[-1][0],
                      as_of=AS_OF, open_until=AS_OF + dt.timedelta(days=8) if collecting else None)
    return summary, history[-1].schools[0]


def _codes(plan: card.Plan) -> list[tuple[str, ...]]:
    return [a.codes for a in plan.actions]


def _all_codes(plan: card.Plan) -> set[str]:
    return {code for a in plan.actions for code in a.codes}


# --- addressed to the school, true to its facts ---------------------------------------------


def test_the_status_and_the_registry_are_never_the_schools_action():
    """S2.1.2 (ШНРО/ШНСУ) and the internship sites S2.4.6/S2.4.7 are set by the municipality: never an action; the
    support programme is the municipality's decision, an internship site is not suggested to a ШНРО school."""
    summary, score = _summary([("2026-2027", Status(shnro=True), _form(no=("analytic_report",)), _teachers(1, 20))])
    assert {score.values[c].points for c in ("S2.1.2", "S2.4.6", "S2.4.7")} == {0}
    plan = card.plan(summary, score)
    assert not {"S2.1.2", "S2.4.6", "S2.4.7"} & _all_codes(plan)
    assert plan.municipality_lines(METHODOLOGY) == [
        "S2.1.2 ШНРО/ШНСУ: Включить школу в муниципальную программу поддержки ШНРО/ШНСУ, закрепить за ней куратора и "
        "школу-лидера."]
    assert plan.what_to_do("S2.1.2").startswith("решение муниципалитета: Включить школу")
    assert plan.what_to_do("S2.2.1") == ("п. 1: Провести мониторинг образовательных результатов и оформить аналитическую "
                                         "справку с выводами и мерами.")
    assert plan.what_to_do("S2.4.6") == ""
    assert _codes(plan) == [("S2.2.1",)]


def test_an_internship_site_is_suggested_to_the_municipality_only_for_a_school_without_status():
    summary, score = _summary([("2026-2027", Status(), _form(), _teachers(1, 20))])
    plan = card.plan(summary, score)
    assert plan.actions == [] and [line.split(":")[0] for line in plan.municipality_lines(METHODOLOGY)] == [
        "S2.4.6 Муниц. стажировочная площадка", "S2.4.7 Регион. стажировочная площадка"]


def test_a_risk_zone_school_without_the_internet_risk_gets_no_internet_action():
    """The notes on removed risks (S2.6.2-S2.6.4) score 0 for a school that never had the risks: nothing to remove,
    no action, and one line says why the zero stays."""
    form = _form(no=("internet_risk_removed", "computers_risk_removed", "staff_risk_removed"))
    summary, score = _summary([("2026-2027", Status(risk_zone=True), form, _teachers(1, 20))])
    assert [score.values[c].points for c in ("S2.6.2", "S2.6.3", "S2.6.4")] == [0, 0, 0]
    plan = card.plan(summary, score)
    assert plan.actions == []
    assert not any("интернет" in a.line() for a in plan.actions)
    assert plan.no_action == ["S2.6.2 Устранён риск: интернет, S2.6.3 Устранён риск: компьютеры, S2.6.4 Устранён риск: кадры: "
                              "0 баллов, но этих рисков школа не заявляла — устранять нечего, записка не нужна."]
    lines = [line.plain_text for line in card.lines(summary, score)]
    actions = lines[:lines.index("Показатели")]
    assert not any("Устранить риск" in line or "Оформить аналитическую записку" in line for line in actions)


def test_a_risk_reported_now_is_one_action_with_its_note():
    """The internet risk reported in this period: removing it and writing the note score both S2.1.3 and S2.6.2
    (one action, two points), ranked with the resource risks after what the school does alone."""
    form = _form(no=("internet_risk_removed", "wellbeing_monitoring"), risks=("risk_internet",))
    summary, score = _summary([("2026-2027", Status(risk_zone=True), form, _teachers(1, 20))])
    plan = card.plan(summary, score)
    assert _codes(plan) == [("S2.5.1",), ("S2.1.3", "S2.6.2")]
    risk = plan.actions[1]
    assert risk.tier == card.Tier.RISK and risk.points == 2
    assert risk.text.startswith("Устранить риск: добиться устойчивого подключения к интернету")
    assert risk.text.endswith("Оформить аналитическую записку о ликвидации риска «нет устойчивого доступа к интернету».")
    assert plan.no_action == []  # the notes on the other two risks are there (1 point each)


def test_a_risk_reported_before_and_gone_now_asks_for_the_note():
    before = _form(risks=("risk_internet",))
    now = _form(no=("internet_risk_removed",))
    summary, score = _summary([("2025-2026", Status(risk_zone=True), before, _teachers(1, 20)),
                               ("2026-2027", Status(risk_zone=True), now, _teachers(1, 20))])
    plan = card.plan(summary, score)
    assert _codes(plan) == [("S2.6.2",)]
    (note,) = plan.actions
    assert note.tier == card.Tier.SCHOOL
    assert note.line() == ("Оформить аналитическую записку о ликвидации риска «нет устойчивого доступа к интернету». "
                           "(S2.6.2 Устранён риск: интернет: в 2025-2026 риск был выявлен, в 2026-2027 — нет)")


def test_no_data_and_a_pending_point_are_not_actions():
    """A school that sent nothing has «нет данных», not zeros: while the campaign collects its one action is to send
    the questionnaire; a share whose point the missing answers could still change is not a zero either."""
    summary, score = _summary([("2026-2027", Status(shnsu=True), None, [])], collecting=True)
    plan = card.plan(summary, score)
    assert [a.tier for a in plan.actions] == [card.Tier.DATA]
    assert plan.actions[0].line() == ("Заполнить и отправить анкету школы до 15.12.2026 12:30 "
                                      "(без неё нет данных по 20 показателям)")

    answers = _teachers(1, 10, has_iom=6)  # 6 of 20 declared have an ИОМ; 10 have not answered: 16 of 20 is possible
    summary, score = _summary([("2026-2027", Status(shnro=True), _form(), answers)], collecting=True)
    assert score.values["S2.4.4"].pending
    plan = card.plan(summary, score)
    assert "S2.4.4" not in _all_codes(plan)
    assert plan.actions[0].tier == card.Tier.DATA and plan.actions[0].text.startswith("Добиться, чтобы анкету заполнили все")


def test_after_the_deadline_no_action_asks_for_answers():
    summary, score = _summary([("2026-2027", Status(shnsu=True), None, [])])
    assert card.plan(summary, score).actions == []
    assert "Нет данных по 20 показателям: анкета школы не отправлена; баллы по ним не начислены (это не 0)." in \
        [line.plain_text for line in card.lines(summary, score)]


# --- the order --------------------------------------------------------------------------


@pytest.mark.parametrize(("numerator", "denominator", "threshold", "comparison", "more"), [
    (23, 33, 0.7, ">=", 1),  # 69,7 % against ≥ 70 %: one teacher
    (13, 20, 0.7, ">=", 1),
    (1, 20, 0.7, ">=", 13),
    (15, 20, 0.75, ">", 1),  # exactly 75 % scores 0 for «> 75 %»
    (0, 10, 0.5, ">=", 5),
    (2, 20, 0.1, ">", 1),  # exactly 10 % scores 0 for «> 10 %»
    (14, 20, 0.7, ">=", None),  # at the threshold: nothing lacks
])
def test_teachers_lacking_to_reach_a_threshold(numerator, denominator, threshold, comparison, more):
    indicator = METHODOLOGY.indicator("S2.4.4").model_copy(update={"threshold": threshold, "comparison": comparison})
    value = Value("S2.4.4", 1, value=Fraction(numerator, denominator), points=0, max_points=1, numerator=numerator,
                  denominator=denominator)
    assert card.lacking(indicator, value) == more


def test_nearest_to_the_threshold_first_then_what_others_decide_then_resources():
    """The rule (scoring.card): what the school does alone, fewest steps first (a document is one; a share lacking
    one teacher is one, 13 teachers thirteen), more points first, then the methodology's order; then what it asks
    others for; then a resource risk. The first three are «Главное» and stay the same for the same data."""
    answers = _teachers(1, 20, has_iom=1, support_received=13)  # S2.4.4 5 % (13 lacking), S2.4.1 65 % (1 lacking)
    form = _form(no=("leader_support", "iup", "quality_programme"), risks=("risk_staff",))
    summary, score = _summary([("2026-2027", Status(shnro=True), form, answers)])
    plan = card.plan(summary, score)
    assert _codes(plan) == [("S2.1.1",), ("S2.4.1",), ("S2.5.3",), ("S2.4.4",), ("S2.4.9",), ("S2.1.5",)]
    assert [a.steps for a in plan.actions] == [1, 1, 1, 13, 1, 1]
    assert [a.tier for a in plan.actions] == [card.Tier.SCHOOL] * 4 + [card.Tier.ASKS, card.Tier.RISK]
    assert plan.actions[1].fact == ("S2.4.1 Поддержка педагогов: 65,0 % (13 из 20 заявленных педагогов), порог ≥ 70,0 %, "
                                    "не хватает 1 педагога")
    assert plan.actions[3].short == "S2.4.4 ИОМ педагогов (не хватает 13 педагогов)"
    assert [a.codes for a in plan.main] == [("S2.1.1",), ("S2.4.1",), ("S2.5.3",)]
    again = card.plan(*_summary([("2026-2027", Status(shnro=True), form, answers)]))
    assert again.actions == plan.actions  # the same data, the same order

    lines = [line.plain_text for line in card.lines(summary, score)]
    main = lines.index("Главное")
    assert lines[main + 1].startswith("1. Разработать комплекс мер") and lines[main + 3].startswith("3. Разработать индивидуальные")
    assert lines[lines.index("Также") + 1].startswith("4. Организовать разработку ИОМ")


# --- the page ---------------------------------------------------------------------------


def _worst_four_periods() -> tuple[Summary, object]:
    """A risk-zone school over four periods with every measure at «нет», the three risks reported and few teachers
    saying yes: every indicator applies (27 rows) and 15 actions."""
    form = _form(no=FORM_QUESTIONS, risks=("risk_internet", "risk_computers", "risk_staff"))
    answers = _teachers(1, 20, diagnostics=3, support_received=5, network_association=1, rma_member=2, has_iom=4,
                        quality_events=6, internship_elsewhere=1)
    periods = [(p, Status(risk_zone=True), form, answers) for p in ("2023-2024", "2024-2025", "2025-2026", "2026-2027")]
    return _summary(periods, collecting=True, teachers=TeacherCompletion(20, 20, 17))


def test_the_word_card_of_four_periods_is_one_page_in_structure():
    """The page holds the title, the state, the three main actions in full, the rest in full or named, the
    municipality's decision and a table of 27 rows over four periods: its estimate stays within the page (the
    render test counts the pages LibreOffice makes)."""
    summary, score = _worst_four_periods()
    plan = card.plan(summary, score)
    assert len(plan.actions) >= 15
    context, _ = card.word_context(summary, score)
    document = docx.Document(io.BytesIO(card.docx(summary, score)))
    paragraphs = [p.text for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0] == "Карточка школы: МАОУ СОШ № 1 — данные неполные"
    assert paragraphs[2] == ("По состоянию на 07.12.2026 12:30: педагоги ответили 17 из 20 заявленных; анкета школы "
                             "отправлена; сбор открыт до 15.12.2026 12:30. Данные неполные: ответили менее 90 % педагогов.")
    assert paragraphs[4] == "Главное" and [p[:3] for p in paragraphs[5:8]] == ["1. ", "2. ", "3. "]
    assert "Также" in paragraphs
    (table,) = document.tables
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["Показатель", "2023-2024", "2024-2025", "2025-2026", "2026-2027"] and len(rows) == 28
    assert all(len(row) == 5 for row in rows)
    numbered = {row[0].split(" (п. ")[0]: row[0] for row in rows if "(п. " in row[0]}
    assert numbered["S2.4.4 ИОМ педагогов"] == f"S2.4.4 ИОМ педагогов (п. {plan.number('S2.4.4')})"
    assert "S2.1.2 ШНРО/ШНСУ" in [row[0] for row in rows]  # scored 1: no action number
    widths = [col.w.mm for col in table._tbl.tblGrid.gridCol_lst]
    assert widths[1:] == pytest.approx([card.PERIOD_MM] * 4, abs=0.1) and sum(widths) == pytest.approx(180, abs=0.5)
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert card.estimate(context, len(rows) - 1) <= card.PAGE_LINES
    assert context["named"].endswith(".") and "S2.1.5 Риск: кадры" in context["named"]  # the last named by indicator
    assert context["named"] in paragraphs


def test_the_rest_is_written_in_full_when_the_page_holds_it():
    answers = _teachers(1, 20)
    summary, score = _summary([("2026-2027", Status(shnro=True), _form(no=("iup", "tutor_support", "shppko", "analytic_report")),
                                answers)])
    context, _ = card.word_context(summary, score)
    assert context["rest"] == ["4. Организовать тьюторское сопровождение обучающихся. (S2.5.4 Тьюторство)"]
    assert context["named"] == ""
