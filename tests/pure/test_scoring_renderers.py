"""The renderers on plain data: a Summary and a ReportInput built by hand (no database) rendered as text
lines, the workbook (read back with openpyxl) and the Word card (read back with python-docx); the protocol and its
appendix on the same data: tests/pure/test_protocol.py.

A small municipality over two periods:
- СОШ 1: ШНРО, 10 declared teachers, its questionnaire sent both years;
- Ключевская ООШ: ШНСУ, sent nothing (no school form, no teachers): «нет данных», never a zero;
- Лицей: risk zone, 20 declared teachers, questionnaire sent both years.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitoring.completion import TeacherCompletion
from scoring import card, report, shown, text, word
from scoring.development import Tally
from scoring.dynamics import period_dynamics
from scoring.identification import Status
from scoring.indicators import PeriodData, SchoolInfo, TeacherCounts, score_period
from scoring.methodology import load_methodology
from scoring.summary import (
    Completion,
    Summary,
    completion_by_school,
    default_period,
    schools_by_status,
)
from surveys.model import Question

BEFORE, NOW = "2025-2026", "2026-2027"
AS_OF = dt.datetime(2026, 12, 7, 12, 30, tzinfo=ZoneInfo("Asia/Yekaterinburg"))
TEACHER_QUESTIONS = ("diagnostics", "support_received", "network_association", "rma_member", "has_iom", "quality_events",
                     "internship_elsewhere")


@dataclass
class Town:
    """What the renderers read of a municipality (scoring.summary.Place)."""

    name: str = "Тестовский городской округ"
    identification_method: str = "regional_lists"
    timezone: str = "Asia/Yekaterinburg"


def _teachers(school_id: int, n: int, **yes: int) -> list[dict]:
    return [{"school_id": school_id, **{q: "yes" if i < yes.get(q, 0) else "no" for q in TEACHER_QUESTIONS}} for i in range(n)]


def _form(staff: int, yes: bool) -> dict:
    answer = "yes" if yes else "no"
    return dict(
        ped_workers=staff, quality_programme=answer, risk_internet="no", risk_computers="no", risk_staff="no",
        analytic_report=answer, leader_support=answer, methodical_landing="no", shppko=answer, wellbeing_monitoring=answer,
        failure_prevention="no", iup=answer, tutor_support="no", practices_events=answer,
        deficit_assessment=answer, internet_risk_removed="no", computers_risk_removed="no",
    )


SCHOOLS = [
    SchoolInfo(1, "МАОУ СОШ № 1", "СОШ 1", Status(shnro=True)),
    SchoolInfo(2, "МКОУ Ключевская ООШ", "Ключевская ООШ", Status(shnsu=True)),
    SchoolInfo(3, "МАОУ Лицей", "Лицей", Status(risk_zone=True)),
]


def _period(period: str, better: bool) -> PeriodData:
    teachers = (_teachers(1, 8, diagnostics=8 if better else 2, support_received=8, has_iom=8 if better else 3)
                + _teachers(3, 12, has_iom=12))
    municipality = dict(programme_identification="yes", programme_shnro_indicators="yes", programme_risk_section="no",
                        programme_risk_indicators="yes", practices_system="yes" if better else "no", resource_monitoring="no")
    return PeriodData(period, SCHOOLS, {1: _form(10, better), 3: _form(20, False)}, TeacherCounts.from_answers(teachers),
                      municipality)


def _summary(periods: tuple[str, ...] = (BEFORE, NOW)) -> Summary:
    methodology = load_methodology()
    history = [score_period(methodology, _period(p, better=p == NOW)) for p in periods]
    statuses = {s.id: s.status for s in SCHOOLS}
    dynamics, school_dynamics = [], []
    for p in periods:
        shares, per_school = period_dynamics(p, statuses, {}, {1})
        dynamics.append((p, shares))
        school_dynamics += per_school
    completion = Completion(
        teachers={1: TeacherCompletion(10, 8, 8), 2: TeacherCompletion(None, 0, 0), 3: TeacherCompletion(20, 12, 12, started=1)},
        school_form={1: "submitted", 3: "submitted"},
        municipality_form="submitted",
        audiences=frozenset({"teacher", "school", "municipality"}),
    )
    question = Question(name="iom_state", type="single", label="Состояние ИОМ", purpose="report",
                        choices=({"name": "done", "label": "разработан"}, {"name": "none", "label": "нет"}))
    tally = Tally(question)
    tally.answered.update({1: 8, 3: 12})
    tally.chosen["done"].update({1: 6, 3: 2})
    tally.chosen["none"].update({1: 2, 3: 10})
    return Summary(Town(), periods[-1], methodology, history[-1], completion, statuses, history, dynamics, school_dynamics,
                   raw=[], raw_truncated=False, periods=list(periods), current_year=NOW, development=[tally],
                   as_of=AS_OF, open_until=AS_OF + dt.timedelta(days=8))


@pytest.fixture(scope="module")
def summary() -> Summary:
    return _summary()


def _score(summary: Summary, school_id: int):
    return next(s for s in summary.scores.schools if s.school.id == school_id)


def _lines(rich_lines) -> list[str]:
    return [line.plain_text for line in rich_lines]


# --- the plain data ------------------------------------------------------------------------


def test_helpers_over_plain_data(summary):
    rows = {row.school: row for row in completion_by_school(summary)}
    assert rows["СОШ 1"].form == "submitted" and rows["СОШ 1"].teachers.submitted == 8
    assert rows["Ключевская ООШ"].form is None and rows["Ключевская ООШ"].teachers.declared is None
    assert schools_by_status(summary) == {"ШНРО": ["СОШ 1"], "ШНСУ": ["Ключевская ООШ"], "зона риска": ["Лицей"]}
    assert [s.school.short_name for s in summary.unsent()] == ["Ключевская ООШ"]
    assert [s.school.short_name for s in summary.lowest()] == ["Лицей", "СОШ 1"]  # who sent nothing is not ranked
    assert default_period([BEFORE, NOW], NOW) == NOW and default_period([BEFORE], NOW) == BEFORE


def test_summary_submitted_is_the_stored_status():
    from scoring.summary import SUBMITTED
    from storage.models import ResponseStatus

    assert SUBMITTED == ResponseStatus.SUBMITTED


# --- text ----------------------------------------------------------------------------------


def test_summary_lines(summary):
    lines = _lines(text.summary_lines(summary))
    assert lines[0] == "Сводка ШНОР: Тестовский городской округ, период 2026-2027"
    assert lines[1] == ("По состоянию на 07.12.2026 12:30: ответили 20 из 30 заявленных педагогов (66,7 %); "
                        "школ, не заявивших число педагогов: 1; анкеты школ — 2 из 3; анкета муниципалитета отправлена; "
                        "сбор открыт до 15.12.2026 12:30.")
    assert lines[2] == ("Данные неполные: сбор данных не завершён, ответили менее 90 % педагогов, "
                        "анкеты прислали не все школы.")
    assert lines[3] == "Период 2026-2027 — текущий учебный год. Другие периоды: 2025-2026."
    assert "Метод идентификации: региональные списки" in lines
    assert "Анкеты школ: отправлено 2 из 3" in lines
    assert "Анкета муниципалитета: отправлена" in lines
    assert ("• Ключевская ООШ: педагоги — ответили 0; число педагогов школа не заявила; зарегистрировано 0; "
            "анкета школы — не начата") in lines
    assert ["• ШНРО (1): СОШ 1", "• ШНСУ (1): Ключевская ООШ", "• зона риска (1): Лицей"] == [
        line for line in lines if line.startswith("• ШН") or line.startswith("• зона")]
    assert "Муниципальные показатели — итого 6 из 15 баллов" in lines
    assert any(line.startswith("• M2.4.4 ") and "80,0 %" in line and line.endswith("— 1 балл") for line in lines)
    assert "• P1 Доля ШНРО/ШНСУ с продуктивным участием педагогов (выступление, статья) — 50,0 % (1 из 2 школ)" in lines
    ranked = lines[lines.index("Школы с наименьшими баллами (из отправивших анкету школы)") + 1:]
    assert ranked[:3] == [
        "1. Лицей — 4 из 26 баллов; нет данных по 1 показателю (зона риска)",
        "2. СОШ 1 — 13 из 23 баллов (ШНРО)",
        "Анкету школы не отправили (1; их баллы неполные, в рейтинг не входят): Ключевская ООШ",
    ]


def test_card_lines_of_a_school_with_no_data(summary):
    lines = _lines(card.lines(summary, _score(summary, 2)))
    assert lines[:4] == ["Карточка школы: МКОУ Ключевская ООШ — данные неполные",
                         "Тестовский городской округ; 2026-2027 учебный год; статус: ШНСУ",
                         "По состоянию на 07.12.2026 12:30: педагоги ответили 0, число педагогов школа не заявила; "
                         "анкета школы не отправлена; сбор открыт до 15.12.2026 12:30. Данные неполные: школа не заявила "
                         "число педагогов.",
                         "Итого: 0 из 3 баллов; нет данных по 20 показателям (в 2025-2026: 0 из 3 баллов; "
                         "нет данных по 20 показателям)"]
    assert any(line.startswith("⬜ S2.4.4 ") and "нет данных" in line for line in lines)  # grey, not a zero
    assert not any(line.startswith("❌ S2.4.4") for line in lines)
    assert any(line.startswith("❌ S2.1.2 ") and line.endswith("— 0 баллов") for line in lines)
    assert lines[lines.index("Главное") + 1] == "1. Заполнить и отправить анкету школы до 15.12.2026 12:30 (без неё нет данных по 20 показателям)"
    assert "Нет данных по 20 показателям: анкета школы не отправлена; баллы по ним не начислены (это не 0)." in lines


def test_card_lines_of_a_school_with_data(summary):
    lines = _lines(card.lines(summary, _score(summary, 1)))
    assert lines[3] == "Итого: 13 из 23 баллов (в 2025-2026: 4 из 23 баллов)"
    assert any(line.startswith("✅ S2.4.4 ") and "80,0 %" in line and "8 из 10 заявленных педагогов" in line for line in lines)
    assert "Главное" in lines and not any(line.startswith("⬜") for line in lines)


# --- the workbook --------------------------------------------------------------------------


def _sheet(book, title: str) -> list[tuple]:
    return [row for row in book[title].iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def book(summary):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))


def test_workbook(book, summary):
    assert book.sheetnames[:8] == ["Муниципальные показатели", "Показатели школ", "Значения школ", "Идентификация",
                                   "Динамика", "Динамика школ", "Заполнение", "Развитие педагогов"]
    municipal = _sheet(book, "Муниципальные показатели")
    assert municipal[0][0] == "Муниципальные показатели: Тестовский городской округ, период 2026-2027"
    assert municipal[1][0] == shown.state_line(summary.state)  # when, and how complete, as in every document
    assert municipal[1][0].startswith("По состоянию на 07.12.2026 12:30: ответили 20 из 30 заявленных педагогов")
    assert municipal[2][0] == ("Данные неполные: сбор данных не завершён, ответили менее 90 % педагогов, "
                               "анкеты прислали не все школы.")
    assert municipal[3][8] == "Пояснение"
    m244 = next(row for row in municipal if row[0] == "M2.4.4")
    assert m244[2:7] == (0.8, "≥ 70,0 %", 1, 8, 10)
    assert m244[8] == ("8 из 10 заявленных педагогов; ответили 8; не учтены школы, не заявившие число педагогов: 1 из 2; "
                       "порог ≥ 70,0 %")  # what the share counts and who is missing
    m216 = next(row for row in municipal if row[0] == "M2.1.6")
    assert m216[2:5] == (0, "значение, без баллов", "информационный, без баллов")
    assert m216[8] == "0 из 2 школ, приславших анкету; нет данных по 1 из 3"
    assert municipal[-1][0] == "Итого" and municipal[-1][4] == 6 and municipal[-1][8] == "6 из 15 баллов"
    for sheet in book.worksheets:  # every printed page says when, and that the data are incomplete
        assert sheet.oddHeader.center.text == ("Тестовский городской округ — период 2026-2027; "
                                               "по состоянию на 07.12.2026 12:30; данные неполные"), sheet.title

    schools = {row[0]: row for row in _sheet(book, "Показатели школ") if row[0] in ("СОШ 1", "Ключевская ООШ", "Лицей")}
    assert schools["СОШ 1"][:5] == ("СОШ 1", "ШНРО", 13, 23, 0)
    assert schools["Ключевская ООШ"][:5] == ("Ключевская ООШ", "ШНСУ", 0, 3, 20)
    assert schools["Ключевская ООШ"][5:8] == ("нет данных", 0, "нет данных")  # no data is not a zero
    assert schools["СОШ 1"][-1] == "—" and schools["Лицей"][-1] == "нет данных"  # S2.6.4: risk zone only

    dynamics = _sheet(book, "Динамика")
    assert dynamics[1] == ("Код", "Показатель", BEFORE, NOW, f"Изменение к {BEFORE}")
    rows = {row[0]: row for row in dynamics}
    assert rows["D1"][2:] == ("нет данных: результаты оценочных процедур за этот и прошлый год не загружены",) * 2 + (None,)
    assert rows["M2.4.4"][2:] == (0.3, 0.8, 50)
    assert rows["M2.5.5"][2:] == ("нет", "да", "нет → да")
    assert rows["Итого"][2:] == (4, 6, 2)

    completion = {row[0]: row for row in _sheet(book, "Заполнение")}
    assert completion["Ключевская ООШ"][1:] == ("не заявлено", 0, 0, None, 0, "не начата")
    assert completion["Лицей"][1:] == (20, 12, 12, 0.6, 1, "отправлена")
    assert ("В этом периоде анкеты на доработку не возвращались.",) == completion[
        "В этом периоде анкеты на доработку не возвращались."][:1]

    development = _sheet(book, "Развитие педагогов")
    assert development[1] == ("Вопрос", "Ответ", "Педагогов по МСО", "Доля от ответивших", "СОШ 1", "Ключевская ООШ", "Лицей")
    assert development[2] == ("Состояние ИОМ", "Ответили на вопрос", 20, None, 8, 0, 12)
    assert development[3][1:] == ("разработан", 8, 0.4, 6, 0, 2)


def test_card_workbook(summary):
    import openpyxl

    score = _score(summary, 2)
    rows = _sheet(openpyxl.load_workbook(io.BytesIO(report.card_workbook(summary, score))), "Карточка школы")
    assert rows[0][0] == "МКОУ Ключевская ООШ — карточка школы за период 2026-2027 (Тестовский городской округ)"
    assert rows[1][0].startswith("По состоянию на 07.12.2026 12:30:") and rows[2][0].startswith("Данные неполные: ")
    assert rows[3] == ("Код", "Показатель", "Значение", "Правило", "Баллы", "Пояснение", "Рекомендация")
    by_code = {row[0]: row for row in rows}
    assert by_code["S2.4.4"][2] == "нет данных" and by_code["S2.4.4"][4] == "нет данных"
    assert by_code["S2.4.4"][5] == "анкета школы не отправлена"  # the reason beside it
    assert by_code["S2.1.2"][4] == 0 and by_code["S2.1.2"][6]  # a zero, and what to do
    assert by_code["Итого"][4] == 0 and by_code["Итого"][5] == "0 из 3 баллов; нет данных по 20 показателям"
    with_data = {row[0]: row for row in _sheet(openpyxl.load_workbook(io.BytesIO(report.card_workbook(summary, _score(summary, 1)))),
                                               "Карточка школы")}
    assert with_data["S2.4.4"][2:6] == (0.8, "≥ 70,0 %", 1, "8 из 10 заявленных педагогов; ответили 8; порог ≥ 70,0 %")


# --- the Word documents --------------------------------------------------------------------


def _docx(data: bytes) -> tuple[list[str], list[list[list[str]]]]:
    import docx

    document = docx.Document(io.BytesIO(data))
    paragraphs = [p.text for p in document.paragraphs if p.text.strip()]
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return paragraphs, tables


def test_card_docx(summary):
    assert word.file_name("Справка", "Тестовский городской округ", NOW) == "Справка_Тестовский_городской_округ_2026-2027.docx"
    assert card.file_name(summary, _score(summary, 2)) == "Карточка_Ключевская_ООШ_2026-2027.docx"
    paragraphs, tables = _docx(card.docx(summary, _score(summary, 2)))
    assert paragraphs[0] == "Карточка школы: МКОУ Ключевская ООШ — данные неполные"
    assert any("0 из 3 баллов; нет данных по 20 показателям" in p for p in paragraphs)
    (table,) = tables
    assert table[0] == ["Показатель", BEFORE, NOW]
    assert next(row for row in table if row[0].startswith("S2.4.4 "))[1:] == ["нет данных", "нет данных"]


# --- the layout ----------------------------------------------------------------------------

SCORING = Path(__file__).resolve().parents[2] / "scoring"
RENDERERS = ("summary", "text", "report", "word", "protocol", "grammar", "card")


def _imports() -> dict[str, set[str]]:
    """scoring module -> the modules it imports (at any depth of its code: a lazy import counts)."""
    out = {}
    for path in SCORING.glob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found |= {f"scoring.{a.name}" for a in node.names} if node.module == "scoring" else {node.module}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        out[f"scoring.{path.stem}"] = found
    return out


def test_no_import_circle_in_scoring():
    graph = {name: {m for m in found if m in _imports_cache} for name, found in _imports_cache.items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, f"import circle: {' -> '.join(path[path.index(name):] + [name])}"
        if name in done:
            return
        for nxt in graph[name]:
            visit(nxt, [*path, name])
        done.add(name)

    for name in graph:
        visit(name, [])


def test_renderers_read_plain_data_only():
    """The renderers never reach the database: not scoring.service, scoring.data or any SQL."""
    for name in RENDERERS:
        found = _imports_cache[f"scoring.{name}"]
        bad = {m for m in found if m in ("scoring.service", "scoring.data", "scoring.export", "storage.models", "storage.db")
               or m.split(".")[0] == "sqlalchemy"}
        assert not bad, f"scoring.{name} imports {sorted(bad)}"


_imports_cache = _imports()
