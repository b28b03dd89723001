"""The respondent's copy on plain data: answers as lines (a chosen option a line, a skip said), moments with their UTC
offset, a safe file name, and the Word file read back with python-docx."""

from __future__ import annotations

import datetime as dt
import io

import docx

from surveys.copy_docx import copy_docx, particulars
from surveys.loader import build_survey
from surveys.respondent_copy import RespondentCopy, file_name, items_of, lines, moment_text, values_of

SURVEY = build_survey({"id": "probe", "title": "Анкета педагога", "version": "2026.3", "audience": "teacher", "questions": [
    {"name": "subjects", "type": "multiple", "label": "Какие предметы вы преподаёте?", "choices": [
        {"name": "science", "label": "Физика, химия, биология"}, {"name": "math", "label": "Математика"},
        {"name": "cs", "label": "Информатика"}]},
    {"name": "none_of", "type": "multiple", "label": "Что ещё?", "required": False,
     "choices": [{"name": "a", "label": "А"}, {"name": "b", "label": "Б"}]},
    {"name": "hours", "type": "integer", "label": "Сколько часов?"},
    {"name": "comment", "type": "text", "label": "Комментарий", "required": False},
    {"name": "certificate", "type": "file", "label": "Удостоверение", "required": False},
    {"name": "never", "type": "yesno", "label": "Не задан"},
]}, "probe")
ANSWERS = {"comment": None, "subjects": ["science", "cs"], "hours": 72, "none_of": [],
           "certificate": {"file_id": "F1", "file_name": "удостоверение.pdf"}}
SENT = dt.datetime(2026, 11, 23, 5, 42, tzinfo=dt.UTC)


def _copy(**changes) -> RespondentCopy:
    fields = dict(response_id=17, title="Анкета педагога", version="2026.3", period="2026-2027", audience="teacher",
                  respondent="Иванова Мария Петровна", sent_by=None, school_short="СОШ 1", school_name="МАОУ СОШ № 1",
                  municipality="Тестовский городской округ", submitted_at=SENT, changed_at=None,
                  timezone="Asia/Yekaterinburg", items=items_of(SURVEY, ANSWERS))
    fields.update(changes)
    return RespondentCopy(**fields)


def test_items_in_the_questionnaires_order_each_option_a_line():
    items = items_of(SURVEY, ANSWERS)
    assert [(i.number, i.question, i.values, i.listed) for i in items] == [
        (1, "Какие предметы вы преподаёте?", ("Физика, химия, биология", "Информатика"), True),  # a label with commas stays whole
        (2, "Что ещё?", ("ничего не выбрано",), False),
        (3, "Сколько часов?", ("72",), False),
        (4, "Комментарий", (), False),  # skipped
        (5, "Удостоверение", ("файл «удостоверение.pdf»",), False),
    ]  # the question not asked is not there
    assert values_of(SURVEY.question("never"), "no") == ("Нет",)


def test_moments_say_their_offset():
    assert moment_text(SENT, "Asia/Yekaterinburg") == "23.11.2026 10:42 (UTC+5)"
    assert moment_text(SENT, "Asia/Kolkata") == "23.11.2026 11:12 (UTC+5:30)"
    assert moment_text(SENT, "America/St_Johns") == "23.11.2026 02:12 (UTC−3:30)"
    assert moment_text(SENT, "Europe/Kaliningrad") == "23.11.2026 07:42 (UTC+2)"


def test_the_message():
    text = [line.plain_text for line in lines(_copy())]
    assert text[:3] == ["📄 Копия ваших ответов: «Анкета педагога», период 2026-2027",
                        "Иванова Мария Петровна, СОШ 1 — анкета отправлена ✅ 23.11.2026 10:42 (UTC+5)", ""]
    assert text[3] == "1. Какие предметы вы преподаёте?\n• Физика, химия, биология\n• Информатика"
    assert text[6] == "4. Комментарий\n— вопрос пропущен"
    assert text[-1].endswith("командой /copy.")
    school = _copy(audience="school", respondent=None, sent_by="Заместителева Ирина Олеговна, заместитель директора по УВР",
                   changed_at=SENT + dt.timedelta(days=1, minutes=3))
    assert [line.plain_text for line in lines(school)][1] == (
        "СОШ 1 — анкета отправлена ✅ 23.11.2026 10:42 (UTC+5); изменена после отправки 24.11.2026 10:45 (UTC+5); "
        "отправил(а) Заместителева Ирина Олеговна, заместитель директора по УВР")


def test_file_names_are_safe():
    assert file_name(_copy()) == "Копия_Анкета_педагога_2026-2027_Иванова_Мария_Петровна_СОШ_1.docx"
    odd = _copy(audience="school", school_short='СОШ "№ 5"/../x')
    assert file_name(odd) == "Копия_Анкета_педагога_2026-2027_СОШ_5_x.docx"


def test_the_word_file():
    made = SENT + dt.timedelta(hours=1)
    document = docx.Document(io.BytesIO(copy_docx(_copy(), made)))
    assert document.paragraphs[0].text == "Копия анкеты «Анкета педагога»"
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows == [[a, b] for a, b in particulars(_copy(), made)]
    assert dict(rows)["Копия сформирована"] == "23.11.2026 11:42 (UTC+5)" and "Изменена после отправки" not in dict(rows)
    answers = [[c.text for c in row.cells] for row in document.tables[1].rows]
    assert answers == [["№", "Вопрос", "Ответ"],
                       ["1", "Какие предметы вы преподаёте?", "• Физика, химия, биология\n• Информатика"],
                       ["2", "Что ещё?", "ничего не выбрано"], ["3", "Сколько часов?", "72"],
                       ["4", "Комментарий", "вопрос пропущен"], ["5", "Удостоверение", "файл «удостоверение.pdf»"]]
    normal = document.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 12
    section = document.sections[0]
    assert (round(section.left_margin.mm), round(section.right_margin.mm)) == (30, 10)
    municipal = dict(particulars(_copy(audience="municipality", respondent=None, sent_by="Координаторова О. Н., муниципальный координатор"), made))
    assert "Образовательная организация" not in municipal and "Педагог" not in municipal
    assert municipal["Отправил(а)"] == "Координаторова О. Н., муниципальный координатор"
