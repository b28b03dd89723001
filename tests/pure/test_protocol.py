"""The working group's protocol and its appendix (scoring.protocol) on plain data, read back with python-docx: the
parts seed 004's protocol has, at most ten decisions each with who and by when, no word of the bot anywhere, what
an incomplete collection and missing requisites do to it, and how its tables break across pages."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from dataclasses import replace

import docx
import pytest
from docx.oxml.ns import qn

from scoring import grammar, protocol, word
from scoring.protocol import Meeting, MeetingError, Requisites, load_meeting
from scoring.summary import ReportInput
from tests.pure.test_scoring_renderers import NOW, _summary

REQUISITES = Requisites("Управление образования Администрации Тестовского городского округа",
                        "Начальник Управления образования", "Л.М. Миннуллина", "ул. Ленина, д. 1")
MEETING = Meeting(number="13", date=dt.date(2026, 12, 10), place="кабинет № 101",
                  chair="Едигарева Н.В., заместитель начальника Управления образования", secretary="Т.А. Плотникова",
                  speakers="Едигарева Н.В., Плотникова Т.А.",
                  attendees=["Бессонова М.В., старший инженер", "Зыкова М.В., инженер;", "Плотникова Т.А., ведущий специалист."])


def _complete(summary):
    """The same data with the collection over, every school's questionnaire in and a municipality content with
    two thirds of its teachers: nothing makes them incomplete."""
    town = copy.copy(summary.municipality)
    town.complete_at = 60
    completion = replace(summary.completion, school_form={**summary.completion.school_form, 2: "submitted"})
    return replace(summary, open_until=None, municipality=town, completion=completion)


@pytest.fixture
def summary():
    return _summary()


def _document(summary, meeting=MEETING, requisites=REQUISITES, **options):
    data = ReportInput(summary, {1: ["Петрова Анна Ивановна"]}, dt.date(2026, 12, 7))
    return docx.Document(io.BytesIO(protocol.protocol_docx(data, meeting, requisites, **options)))


def _texts(document) -> list[str]:
    """Every piece of text a reader sees: paragraphs, table cells, page headers."""
    out = [p.text for p in document.paragraphs]
    out += [c.text for t in document.tables for row in t.rows for c in row.cells]
    out += [p.text for s in document.sections for p in s.header.paragraphs]
    return out


def _protocol_part(document) -> list[str]:
    """The protocol's paragraphs: up to the appendix."""
    text = [p.text for p in document.paragraphs]
    return text[: text.index("Приложение к протоколу заседания муниципальной рабочей группы")]


def _decisions(text: list[str]) -> list[str]:
    tail = text[text.index("Решили:") + 1:]
    return [t for t in tail if re.match(r"^\d+\. ", t)]


def test_the_protocol_has_the_parts_of_seed_004(summary):
    document = _document(summary, decisions=True)
    text = _protocol_part(document)
    # «УТВЕРЖДАЮ» at the right with the head's title and name (no break inside the name)
    approval = [p for p in document.paragraphs[:6] if p.style.name == "Гриф"]
    assert [p.text for p in approval][:2] == ["УТВЕРЖДАЮ:", "Начальник Управления образования"]
    assert any(p.text.endswith("Л.М.\u00a0Миннуллина") for p in approval)
    assert document.styles["Гриф"].paragraph_format.left_indent.mm > 50
    assert "Протокол" in text
    assert ("заседания муниципальной рабочей группы Управления образования Администрации Тестовского городского округа "
            "по организации и проведению мониторинга системы работы со школами с низкими результатами обучения и школами, "
            "функционирующими в неблагоприятных социальных условиях, в Тестовском городском округе") in text
    assert "10.12.2026 г.\t№ 13" in text and "Место проведения: кабинет № 101" in text
    assert "Председатель: Едигарева Н.В., заместитель начальника Управления образования." in text
    present = text[text.index("Присутствовали:") + 1: text.index("Повестка.")]
    assert present[-3:] == ["Бессонова М.В., старший инженер;", "Зыкова М.В., инженер;", "Плотникова Т.А., ведущий специалист."]
    agenda = text[text.index("Повестка.") + 1:]
    assert agenda[0].startswith("1. О результатах мониторинга показателей") and "за 2026-2027 учебный год" in agenda[0]
    # «Слушали» carries the findings: the state, the statuses, the totals, the dynamics table (over the periods)
    heard = text.index("По первому вопросу слушали: Едигарева Н.В., Плотникова Т.А.")
    findings = text[heard + 1: text.index("Выступили:")]
    assert findings[0].startswith("По состоянию на 07.12.2026 12:30: ответили 20 из 30 заявленных педагогов")
    assert "В мониторинге за 2026-2027 учебный год — 3 школы муниципалитета; ШНРО — 1 (СОШ 1); ШНСУ — 1 (Ключевская ООШ); " \
           "зона риска — 1 (Лицей)." in findings
    assert "Муниципальные показатели набрали 6 из 15 баллов; в 2025-2026 учебном году — 4 из 15 баллов." in findings
    dynamics = document.tables[0]
    assert [c.text for c in dynamics.rows[0].cells] == ["Код", "Показатель", "2025-2026", "2026-2027"]
    assert [r.cells[0].text for r in dynamics.rows[1:]] == ["D1", "D2", "D3", "D4", "P1"]
    assert dynamics.rows[5].cells[3].text == "50,0\u00a0% (1\u00a0из\u00a02\u00a0школ)"
    # «Выступили» leaves lines to write on; «Решили» at most ten, each with who and by when, numbered
    spoke = text[text.index("Выступили:") + 1: text.index("Решили:")]
    assert len(spoke) == 3 and all(set(line) == {"_"} for line in spoke)
    decisions = _decisions(text)
    assert 3 <= len(decisions) <= 10
    assert [int(d.split(".")[0]) for d in decisions] == list(range(1, len(decisions) + 1))
    assert all(re.search(r"\. Исполнитель: [^;]+; срок: (до \d\d\.\d\d\.\d{4}|в течение учебного года)\.$", d) for d in decisions)
    assert decisions[0].startswith("1. Продолжить работу со школами")
    assert decisions[-1].startswith(f"{len(decisions)}. После утверждения протокола разместить его")
    # the signatures: the chair's and the secretary's names, no positions
    signatures = [p.text for p in document.paragraphs if p.style.name == "Подпись"]
    assert signatures == ["Председатель муниципальной рабочей группы\t________\tЕдигарева\u00a0Н.В.",
                          "Секретарь муниципальной рабочей группы\t________\tТ.А.\u00a0Плотникова"]


def test_decisions_are_ranked_by_the_schools_they_concern_and_name_them(summary):
    drafts = protocol.draft_decisions(summary, protocol.in_scope(summary, False), dt.date(2026, 12, 10))
    assert drafts[1].text.startswith("Обеспечить представление анкеты школы за 2026-2027 учебный год")  # first: the data
    assert drafts[1].text.endswith(": Ключевская ООШ.") and drafts[1].due == "до 31.12.2026"
    ranked = [d.affected for d in drafts[2:-2]]
    assert ranked == sorted(ranked, reverse=True) and ranked[0] == 3  # the most schools first
    # a school decision and its municipal twin below the threshold (S2.3.1, M2.3.1 at 26,7 %) are one decision
    diagnostics = [d.text for d in drafts if "диагностику профессиональных дефицитов" in d.text]
    assert diagnostics == ["Организовать диагностику профессиональных дефицитов педагогов: Лицей (по муниципалитету в "
                           "2026-2027 учебном году: 26,7 % при пороге 50,0 %)."]
    assert not any("ИОМ" in d.text for d in drafts)  # M2.4.4 is above its threshold now; S2.4.4 at Лицей ranks lower
    assert sum("десант" in d.text for d in drafts) <= 1  # one line a decision, never one per school
    text = _protocol_part(_document(summary, decisions=True))
    assert len(_decisions(text)) == len(drafts) == 10


def test_draft_decisions_are_at_most_ten_and_long_lists_go_to_the_appendix(summary):
    schools = protocol.in_scope(summary, all_schools=True)
    many = schools * 7  # 21 schools' worth of zeros: more than the protocol names
    drafts = protocol.draft_decisions(summary, many, dt.date(2026, 12, 10))
    assert len(drafts) <= 10
    assert all(d.who and d.due for d in drafts)
    assert drafts[1].due.startswith("до ") and drafts[1].due.endswith(".2027") or drafts[1].due.endswith(".2026")
    no_date = protocol.draft_decisions(summary, schools, None)
    assert any("дней со дня утверждения протокола" in d.due for d in no_date)


def test_no_word_of_the_bot_in_the_documents(summary):
    for document in (_document(summary, decisions=True), _document(summary, Meeting(), Requisites())):
        for text in _texts(document):
            assert not re.search(r"(?<![\w/])/[a-z]", text), text  # a command: /card, /surveys
            assert not re.search(r"(?<![а-яё])бот", text.lower()), text
            assert "команд" not in text.lower(), text
            assert "telegram" not in text.lower() and "max" not in text.lower().split(), text


def test_the_score_in_brackets_is_explained_and_informational_indicators_are_marked(summary):
    document = _document(summary)
    text = [p.text for p in document.paragraphs]
    legend = text[text.index("Как читать таблицы") + 1]
    assert "в скобках балл по методике" in legend and "«Информационный» — показатель без баллов" in legend
    municipal = next(t for t in document.tables if t.rows[1].cells[0].text.startswith("M"))
    informational = [r.cells[2].text for r in municipal.rows if r.cells[0].text == "M2.1.5"]
    assert informational == ["Доля ШНРО/ШНСУ от всех школ (информационный)"]
    scored = next(r.cells for r in municipal.rows if r.cells[0].text == "M2.4.4")
    assert scored[2].text == "Доля педагогов ШНРО/ШНСУ, имеющих ИОМ" and scored[5].text == "80,0 % (1)"


def test_incomplete_data_say_so_and_draft_no_decisions_unless_asked(summary):
    assert summary.state.incomplete
    document = _document(summary)
    text = _protocol_part(document)
    assert "Данные неполные: сбор данных не завершён, ответили менее 90 % педагогов, анкеты прислали не все школы." in text
    assert not _decisions(text)  # «Решили» left to write by hand
    after = text[text.index("Решили:") + 1:]
    assert all(set(line) == {"_"} for line in after[:3])
    appendix = [p.text for p in document.paragraphs][len(text):]
    assert any(line.startswith("Данные неполные:") and "По состоянию на 07.12.2026 12:30" in line for line in appendix)
    assert _decisions(_protocol_part(_document(summary, decisions=True)))  # asked for: drafted


def test_complete_data_draft_the_decisions_and_say_when(summary):
    done = _complete(summary)
    assert not done.state.incomplete
    text = _protocol_part(_document(done))
    assert not any(line.startswith("Данные неполные") for line in text)
    assert _decisions(text)


def test_missing_requisites_and_meeting_leave_lines_and_say_so(summary):
    document = _document(summary, Meeting(), Requisites())
    text = _protocol_part(document)
    assert any(line.startswith("Не заданы реквизиты органа управления образованием: полное наименование органа; "
                               "должность руководителя, утверждающего протокол; фамилия и инициалы руководителя.") for line in text)
    assert "(должность руководителя)" in text
    assert "«___» ____________ 20___ г.\t№ ______" in text and "Место проведения:" in text
    present = text[text.index("Присутствовали:") + 1: text.index("Повестка.")]
    assert len(present) == 4 and all(set(line) == {"_"} for line in present)
    assert text[text.index("По первому вопросу слушали:") + 1].startswith("_")
    assert [p.text for p in document.paragraphs if p.style.name == "Подпись"] == [
        "Секретарь муниципальной рабочей группы\t________\t______________"]
    # the place falls back to the body's address
    assert "Место проведения: ул. Ленина, д. 1" in _protocol_part(_document(summary, Meeting()))


def test_the_appendix_says_on_its_first_page_where_each_school_is(summary):
    document = _document(summary)
    text = [p.text for p in document.paragraphs]
    start = text.index("Приложение к протоколу заседания муниципальной рабочей группы")
    assert text[start + 1] == "от 10.12.2026 № 13"
    assert text.index("Где найти школу") < text.index("1. Общие сведения")
    contents = next(t for t in document.tables if t.rows[0].cells[0].text == "Раздел")
    rows = [[c.text for c in r.cells] for r in contents.rows]
    assert rows[0] == ["Раздел", "Школа", "Статус", "Итого баллов"]
    assert [r[:3] for r in rows[1:]] == [["3.1", "МКОУ Ключевская ООШ", "ШНСУ"], ["3.2", "МАОУ Лицей", "зона риска"],
                                         ["3.3", "МАОУ СОШ №\u00a01", "ШНРО"]]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2" and p.text[:2] == "3."]
    assert headings == ["3.1. МКОУ Ключевская ООШ", "3.2. МАОУ Лицей", "3.3. МАОУ СОШ № 1"]
    # the deputy is named only when registered; no «не зарегистрирован»
    assert any(t.startswith("Статус в 2026-2027 учебном году: ШНРО. Заместитель директора по УВР: Петрова Анна Ивановна.")
               for t in text)
    assert "Статус в 2026-2027 учебном году: ШНСУ. Итого: 0 из 3 баллов; нет данных по 20 показателям." in text
    assert "Нет данных по 20 показателям: анкета школы не отправлена; баллы по ним не начислены (это не 0)." in text


def test_one_count_of_teachers_in_every_section(summary):
    """Section 5 tallies every submitted teacher questionnaire and says how many: the state's count."""
    document = _document(summary)
    text = [p.text for p in document.paragraphs]
    development = next(t for t in text if t.startswith("Ответы педагогов, которые не входят"))
    assert f"анкеты педагогов ({summary.state.teachers_answered} анкет)" in development
    assert summary.state.teachers_answered == 20


def _twips_mm(value: str) -> float:
    return int(value) * 25.4 / 1440


def _words_fit(table, header: bool) -> None:
    """No word of a cell is wider than its column(s): none is broken inside a cell."""
    widths = [_twips_mm(c.get(qn("w:w"))) for c in table._tbl.tblGrid.gridCol_lst]
    for n, tr in enumerate(table._tbl.tr_lst):
        start = 0
        for tc in tr.tc_lst:
            span = tc.tcPr.find(qn("w:gridSpan"))
            columns = int(span.get(qn("w:val"))) if span is not None else 1
            room = sum(widths[start: start + columns])
            bold = (header and n == 0) or tc.find(f".//{qn('w:b')}") is not None
            for w in "".join(t.text or "" for t in tc.iter(qn("w:t"))).split():
                assert word.text_mm(w, 12, bold=bold) + 2 <= room, (w, room)
            start += columns


def test_tables_break_well(summary):
    """Every row unbroken, the header repeated, the totals kept with the row before, a merged criterion kept
    together, the text before a table kept with it, and no word wider than its column (none broken in a cell)."""
    from docx.text.paragraph import Paragraph

    document = _document(summary, decisions=True)
    for table in document.tables:
        rows = table._tbl.tr_lst
        assert all(r.trPr is not None and r.trPr.find(qn("w:cantSplit")) is not None for r in rows)
        assert rows[0].trPr.find(qn("w:tblHeader")) is not None
        before = Paragraph(table._tbl.getprevious(), document.part)  # the heading or the text that leads to it
        assert before.paragraph_format.keep_with_next or before.style.paragraph_format.keep_with_next, before.text
        _words_fit(table, header=True)
    # the school tables: the totals row bold and spanning the first four columns, the row before it kept with it
    school = next(t for t in document.tables if t.rows[-1].cells[0].text == "Итого баллов" and t.rows[1].cells[0].text.startswith("S"))
    last, before = school._tbl.tr_lst[-1], school._tbl.tr_lst[-2]
    assert last.tc_lst[0].tcPr.find(qn("w:gridSpan")).get(qn("w:val")) == "4"
    assert all(p.find(f"{qn('w:pPr')}/{qn('w:keepNext')}") is not None for p in before.iter(qn("w:p")))
    # a criterion merged over its rows: the rows kept together, the text once (vMerge continues below)
    restart = [n for n, tr in enumerate(school._tbl.tr_lst) if tr.tc_lst[1].tcPr.find(qn("w:vMerge")) is not None
               and tr.tc_lst[1].tcPr.find(qn("w:vMerge")).get(qn("w:val")) == "restart"]
    assert restart
    first = school._tbl.tr_lst[restart[0]]
    assert first.find(f".//{qn('w:keepNext')}") is not None
    # the one-period table's total fits its column word by word (it wrapped «показателя/м» before)
    one = _summary((NOW,))
    single = _document(one)
    table = next(t for t in single.tables if t.rows[-1].cells[0].text == "Итого баллов" and t.rows[1].cells[0].text.startswith("S"))
    assert "показателям" in table.rows[-1].cells[4].text
    _words_fit(table, header=True)


def test_a_long_merged_group_is_merged_in_parts_with_its_text_again():
    """A merged cell taller than a part is cut into parts, each with the text: it shows on every page."""
    from docxtpl import DocxTemplate

    template = DocxTemplate(protocol.PROTOCOL_TEMPLATE)
    rows = [[f"Вопрос {n // 30}", f"ответ {n}", "1"] for n in range(60)]
    xml = word.build_table(template, ["Вопрос", "Ответ", "Число"], rows, group_column=0, total_width=160.0, flexible=(0, 1),
                           longest_group=10)
    table = docx.oxml.parse_xml(str(xml))
    restarts = [tr for tr in table.iter(qn("w:tr")) if (m := tr.find(f".//{qn('w:vMerge')}")) is not None
                and m.get(qn("w:val")) == "restart"]
    assert len(restarts) == 6  # two questions of 30 rows, 10 rows (lines) a part
    texts = ["".join(t.text for t in tr.tc_lst[0].iter(qn("w:t"))) for tr in restarts]
    assert texts == ["Вопрос 0"] * 3 + ["Вопрос 1"] * 3
    last_of_part = [tr for tr in table.iter(qn("w:tr"))][10]  # the tenth answer ends the first part: not kept with the next
    assert last_of_part.find(f".//{qn('w:keepNext')}") is None


def test_columns_fit_their_longest_word():
    widths = word.fit_widths(["Код", "Показатель", "2026-2027"], [["S2.4.10", "Доля педагогов", "нет данных по 20 показателям"]],
                             120.0, flexible=(1,), cap=20.0)
    assert round(sum(widths), 6) == 120.0
    assert widths[2] >= word.text_mm("показателям") + word.CELL_PADDING


def test_meeting_file_in_russian_keys():
    meeting = load_meeting("номер: 12\nдата: 25.05.2022\nместо: кабинет № 101\nсекретарь: Т.А. Плотникова\n"
                           "присутствовали:\n  - Бессонова М.В., старший инженер;\n  - Зыкова М.В., инженер.\n"
                           "повестка: |\n  Первый вопрос\n  Второй вопрос\n")
    assert meeting.number == "12" and meeting.date == dt.date(2022, 5, 25)
    assert meeting.attendees == ["Бессонова М.В., старший инженер", "Зыкова М.В., инженер"]
    assert meeting.agenda == ["Первый вопрос", "Второй вопрос"]
    assert load_meeting("дата: 2022-05-25").date == dt.date(2022, 5, 25)
    with pytest.raises(MeetingError, match="неизвестный ключ «дата заседания»"):
        load_meeting("дата заседания: 25.05.2022")
    with pytest.raises(MeetingError, match="не дата"):
        load_meeting("дата: вчера")
    with pytest.raises(MeetingError, match="YAML"):
        load_meeting("номер: [12")
    assert Meeting.model_validate(meeting.stored()) == meeting


def test_names_in_the_case_the_sentence_needs():
    assert grammar.genitive("Управление образования Администрации Сысертского городского округа") == \
        "Управления образования Администрации Сысертского городского округа"
    assert grammar.genitive("Муниципальное казённое учреждение «Управление образования»") == \
        "Муниципального казённого учреждения «Управление образования»"
    assert grammar.genitive("МКУ «Управление образования»") is None  # written as it is, in quotes
    assert grammar.in_place("Каменск-Уральский городской округ") == "в Каменск-Уральском городском округе"
    assert grammar.in_place("город Каменск-Уральский") == "в городе Каменск-Уральский"
    assert grammar.in_place("Всеволожский муниципальный район") == "во Всеволожском муниципальном районе"
    assert grammar.in_place("Сысертский муниципальный округ Свердловской области") == \
        "в Сысертском муниципальном округе Свердловской области"


def test_file_name():
    assert protocol.file_name("Тестовский городской округ", "2026-2027", MEETING) == \
        "Протокол_13_Тестовский_городской_округ_2026-2027.docx"
    assert protocol.file_name("Тестовский городской округ", "2026-2027") == "Протокол_Тестовский_городской_округ_2026-2027.docx"
