"""The Word documents read back with python-docx: the report (`build_report` + scoring.word) on a small
municipality with known values over two periods, the one-page card, and /report, /card in chat."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Length, Mm, Pt
from lxml import etree
from sqlalchemy import select, update

from monitoring.campaigns import open_campaign
from scoring import card as card_page
from scoring import word
from scoring.service import build_report, import_statuses
from storage.importers import StatusRow
from storage.models import Answer, Municipality, Person, Response, Role, School
from surveys.loader import load_pack
from tests.harness import register
from tests.test_summary import _fill, _submit


async def _two_periods(session_factory, world, clock) -> None:
    """2025-2026: СОШ 1 is ШНРО, 4 teachers declared, 1 has an ИОМ (25 %), a landing was held.
    2026-2027 (tests.test_summary._fill): 2 of 4 have an ИОМ (50 %), no landing this time; СОШ 3 (ШНСУ) and
    Ключевская (risk zone) send nothing."""
    await _fill(session_factory, world)
    s1 = world.schools[0]
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        third = School(municipality_id=municipality.id, name="МБОУ СОШ № 3", short_name="СОШ 3")
        session.add(third)
        await session.flush()
        landing = (await session.execute(
            select(Answer).join(Response).where(Response.subject == f"school:{s1.id}", Answer.question == "methodical_landing")
        )).scalar_one()
        landing.value = "no"
        past = clock.now - dt.timedelta(days=365)
        earlier = {}
        for pack in ("teacher", "school"):
            earlier[pack] = await open_campaign(session, municipality=municipality, survey=load_pack(pack), period="2025-2026",
                                                opens_at=past, deadline=past + dt.timedelta(days=14), now=past)
        teacher = (await session.scalars(select(Person).where(Person.school_id == s1.id, Person.role == Role.TEACHER))).first()
        base = {q.name: "no" for q in load_pack("teacher").questions if q.type.value == "yesno"}
        await _submit(session, earlier["teacher"], f"person:{teacher.id}", s1.id,
                      {**base, "position": "teacher", "subjects": ["math"], "has_iom": "yes", "iom_state": "developed"}, teacher.id)
        school = {q.name: "yes" for q in load_pack("school").questions if q.type.value == "yesno"}
        await _submit(session, earlier["school"], f"school:{s1.id}", s1.id, {**school, "ped_workers": 4, "risk_internet": "no"})
        session.add(Person(tg_user_id=9500, chat_id=9500, full_name="Заместителева Ирина Олеговна", role=Role.DEPUTY,
                           municipality_id=municipality.id, school_id=s1.id))
        await session.commit()
        await import_statuses(session, municipality, "2025-2026", [StatusRow(2, "СОШ 1", True, False, False, False)])
        await import_statuses(session, municipality, "2026-2027", [StatusRow(2, "СОШ 3", False, True, False, False)])
        await session.commit()


def _rows(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def _styled(document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


def _smallest_pt(content: bytes) -> float:
    """The smallest font size in a .docx: every size set anywhere in the package (the defaults, every
    style, the unused built-in ones included, every run and paragraph mark, the page header), and every
    run of text as Word resolves it (its own size, else its paragraph style's chain, else the default)."""
    sizes = []
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        for name in package.namelist():
            if name.endswith(".xml"):
                root = etree.fromstring(package.read(name))
                sizes += [int(e.get(qn("w:val"))) / 2 for e in root.iter(qn("w:sz"), qn("w:szCs"))]
    document = docx.Document(io.BytesIO(content))
    default = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:sz')}")
    assert default is not None  # without one Word falls back to 10 pt

    def resolved(run, paragraph) -> float:
        if run.font.size:
            return run.font.size.pt
        style = paragraph.style
        while style is not None:
            if style.font.size:
                return style.font.size.pt
            style = style.base_style
        return int(default.get(qn("w:val"))) / 2

    paragraphs = [*document.paragraphs, *document.sections[0].header.paragraphs,
                  *(p for table in document.tables for row in table.rows for cell in row.cells for p in cell.paragraphs)]
    runs = [resolved(run, paragraph) for paragraph in paragraphs for run in paragraph.runs]
    assert runs
    return min(sizes + runs)


def _tables_fit(document) -> list[WD_ORIENT]:
    """Each table is no wider than the text of the section it is in; the orientation of each table's section."""
    sections, index, out = document.sections, 0, []
    tables = iter(document.tables)
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:tbl"):
            table, section = next(tables), sections[index]
            width = sum(col.w for col in table._tbl.tblGrid.gridCol_lst)
            assert width <= section.page_width - section.left_margin - section.right_margin + Mm(0.5), Length(width).mm
            out.append(section.orientation)
        elif child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            index += 1
    return out


async def test_report_structure_numbers_and_decisions(session_factory, world, clock):
    await _two_periods(session_factory, world, clock)
    async with session_factory() as session:  # a day after the campaigns end: every point is decided
        data = await build_report(session, await session.get(Municipality, world.municipality.id),
                                  now=clock.now + dt.timedelta(days=15))
    content = word.report_docx(data)
    document = docx.Document(io.BytesIO(content))
    text = [p.text for p in document.paragraphs]

    # the title block: municipality, title, period, date
    assert text[0] == "Тестовский городской округ"
    assert _styled(document, "Title") == ["Аналитическая справка"]
    assert "за 2026-2027 учебный год" in text and "Дата составления: 08.12.2026" in text
    assert _styled(document, "Heading 1") == [
        "1. Общие сведения", "2. Показатели муниципального уровня",
        "3. Школы с низкими результатами обучения, функционирующие в неблагоприятных социальных условиях, и школы зоны риска",
        "4. Идентификация школ", "5. Профессиональное развитие педагогов", "Решили (проект)",
    ]
    assert _styled(document, "Heading 2") == ["3.1. МАОУ СОШ № 1", "3.2. МБОУ СОШ № 3", "3.3. МКОУ Ключевская ООШ"]

    # the summary paragraph, written from the data
    assert "В мониторинге за 2026-2027 учебный год — 3 школы муниципалитета: ШНРО — 1; ШНСУ — 1; зона риска — 1; проект «500+» — 1." in text
    assert "Анкету школы отправили 1 из 3 школ." in text
    total = next(t for t in text if t.startswith("Муниципальные показатели набрали"))
    assert "; в 2025-2026 году — " in total and "баллов" in total

    # the municipal table, seed 004 style: one column per period and the change
    municipal = document.tables[0]
    rows = _rows(municipal)
    assert rows[0] == ["№ п/п", "Критерий", "Показатель (индикатор)", "Ед. изм.", "2025-2026", "2026-2027", "Изменение"]
    iom = next(r for r in rows if r[0] == "M2.4.4")
    assert iom[2:] == ["Доля педагогов ШНРО/ШНСУ, имеющих ИОМ", "%", "25,0 % (0)", "50,0 % (0)", "+25,0 п. п."]
    assert iom[1] == "Методическая помощь и механизмы поддержки школ в повышении качества образования"
    assert next(r for r in rows if r[0] == "M2.1.1")[4:6] == ["нет данных", "нет данных"]  # no municipal questionnaire
    assert rows[-1][2] == "Итого баллов" and rows[-1][5].endswith("показателям")
    # a row never breaks across pages; the header row repeats
    header_pr = municipal.rows[0]._tr.trPr
    assert header_pr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in municipal.rows)

    # each school: its table over both periods, what scored 0 and what to do; a school without data says so
    school = _rows(document.tables[1])
    assert school[0] == rows[0]
    assert next(r for r in school if r[0] == "S2.4.4")[4:] == ["25,0 % (0)", "50,0 % (0)", "+25,0 п. п."]
    assert next(r for r in school if r[0] == "S2.4.10")[4:] == ["да (1)", "нет (0)", "да → нет"]
    assert next(r for r in school if r[0] == "S2.1.2")[4:] == ["да (0)", "да (0)", "без изменений"]
    assert "S2.6.1" not in [r[0] for r in school]  # not a risk-zone school in either period
    assert ("Статус в периоде 2026-2027: ШНРО, 500+. Заместитель директора по УВР: Заместителева Ирина Олеговна. "
            "Итого: ") in next(t for t in text if t.startswith("Статус в периоде 2026-2027: ШНРО"))
    assert ("S2.4.10 В школе проведён методический или управленческий десант (нет) — "
            "Запросить у управления образования методический или управленческий десант в школу.") in text
    assert "S2.4.4 Доля педагогов, имеющих ИОМ (50,0 %) — Организовать разработку ИОМ педагогов (программ профессионального " \
           "развития) совместно с муниципальной методической службой." in text
    third = _rows(document.tables[2])
    assert next(r for r in third if r[0] == "S2.1.1")[4:] == ["нет данных", "нет данных", "—"]
    assert "Нет данных по 24 показателям: анкета школы за период не отправлена. Баллы по ним не начислены." in text
    assert "Статус в периоде 2026-2027: ШНСУ. Заместитель директора по УВР: не зарегистрирован в боте. " \
           "Итого: 0 из 3 баллов; нет данных по 20 показателям." in text

    # identification and the decisions, grouped, each naming its schools
    assert "Метод идентификации: региональные списки." in text and "ШНРО (1): СОШ 1." in text
    assert "Зона риска (1): Ключевская ООШ." in text
    # what no indicator reads: the teacher answers tallied for the municipality
    development = _rows(document.tables[-1])
    assert development[0] == ["Вопрос анкеты педагога", "Ответ", "Педагогов", "Доля от ответивших"]
    iom_rows = [r[1:] for r in development if r[0] == "В каком состоянии ваш ИОМ?"]
    assert iom_rows[:2] == [["ответили на вопрос", "2", ""], ["Разработан", "2", "100,0 %"]]
    assert ["Математика", "2", "100,0 %"] in [r[1:] for r in development if r[0] == "Какие предметы вы преподаёте?"]

    decisions = text[text.index("Решили (проект)") + 1:]
    numbered = [d for d in decisions if d[:1].isdigit()]
    assert numbered[0].startswith("1. Продолжить работу со школами")
    assert "Организовать методический десант: СОШ 1." in [d.split(". ", 1)[1] for d in numbered]
    assert any(d.endswith("Включить педагогов в региональные сетевые методические объединения учителей-предметников: СОШ 1.")
               for d in numbered)
    assert any(d.endswith("Включить в муниципальную программу поддержки ШНРО/ШНСУ, закрепить куратора и школу-лидера: "
                          "СОШ 1, СОШ 3.") for d in numbered)
    assert any(d.endswith("Обеспечить представление анкеты школы за период 2026-2027 (нет данных для расчёта показателей): "
                          "СОШ 3, Ключевская ООШ.") for d in numbered)
    assert len([d for d in numbered if "десант" in d]) == 1  # one line per decision, not per school
    assert [int(d.split(".")[0]) for d in numbered] == list(range(1, len(numbered) + 1))

    # ГОСТ Р 7.0.97: A4, margins, 14 pt Times New Roman, page numbers from the second page
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert [round(m.mm) for m in (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin)] == [30, 10, 20, 20]
    normal = document.styles["Normal"].font
    assert normal.size == Pt(14) and normal.name == "Times New Roman"
    assert section.different_first_page_header_footer
    assert "PAGE" in section.header._element.xml
    assert document.core_properties.title

    # 12 pt at the least, tables included (ГОСТ Р 7.0.97-2025: 12-14 pt); the tables with a column per period
    # in a landscape section (numbered on every page) so that they fit its width; identification is portrait
    assert _smallest_pt(content) == 12
    assert document.styles["Текст таблицы"].font.size == Pt(12)
    assert [s.orientation for s in document.sections] == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    landscape = document.sections[1]
    assert round(landscape.page_width.mm) == 297 and not landscape.different_first_page_header_footer
    assert [round(m.mm) for m in (landscape.left_margin, landscape.right_margin)] == [30, 10]
    assert _tables_fit(document) == [WD_ORIENT.LANDSCAPE] * 4 + [WD_ORIENT.PORTRAIT] * (len(document.tables) - 4)


async def test_report_of_every_school_and_of_one_period(session_factory, world, clock):
    await _fill(session_factory, world)
    async with session_factory() as session:
        data = await build_report(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    content = word.report_docx(data, all_schools=True)
    document = docx.Document(io.BytesIO(content))
    rows = _rows(document.tables[0])
    assert rows[0] == ["№ п/п", "Критерий", "Показатель (индикатор)", "Ед. изм.", "2026-2027"]  # no change column
    assert _smallest_pt(content) == 12 and _tables_fit(document)
    text = [p.text for p in document.paragraphs]
    assert "Это первый период мониторинга: сравнивать не с чем." in text
    assert len([p for p in document.paragraphs if p.style.name == "Heading 2"]) == 2


async def test_report_keeps_names_with_markup(session_factory, world, clock):
    """A school named with <, & and {{ }} is printed as it is (autoescaped, never a template tag)."""
    await _fill(session_factory, world)
    async with session_factory() as session:
        await session.execute(update(School).where(School.id == world.schools[0].id).values(name="МАОУ «СОШ <1> & {{ x }}»"))
        await session.commit()
        data = await build_report(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    document = docx.Document(io.BytesIO(word.report_docx(data)))
    assert "3.1. МАОУ «СОШ <1> & {{ x }}»" in [p.text for p in document.paragraphs]


async def test_card_document_for_this_period_and_the_one_before(session_factory, world, clock):
    from scoring.service import school_card

    await _two_periods(session_factory, world, clock)
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        after = clock.now + dt.timedelta(days=15)  # the campaigns are over: every point is decided
        summary, score = await school_card(session, municipality, world.schools[0].id, now=after)
        _, third = await school_card(session, municipality,
                                     (await session.scalar(select(School.id).where(School.short_name == "СОШ 3"))), now=after)
    content = card_page.docx(summary, score)
    document = docx.Document(io.BytesIO(content))
    text = [p.text for p in document.paragraphs]
    assert _styled(document, "Title") == ["Карточка школы: МАОУ СОШ № 1 — данные неполные"]  # 2 of 4 teachers
    assert "Тестовский городской округ; 2026-2027 учебный год; статус: ШНРО, 500+" in text
    assert "Итого: 10 из 23 баллов (в 2025-2026: 11 из 23 баллов)" in text  # the totals: not a row
    assert _styled(document, "Heading 2")[0] == "Главное"
    rows = _rows(document.tables[0])
    assert rows[0] == ["Показатель", "2025-2026", "2026-2027"]
    landing = card_page.plan(summary, score).number("S2.4.10")
    assert [f"S2.4.10 Десант (п. {landing})", "да (1)", "нет (0)"] in rows
    context, _ = card_page.word_context(summary, score)
    assert all(line in text for line in context["main"] + context["rest"]) and context["named"] in text
    assert f"{landing}. S2.4.10 Десант;" in context["named"]  # the page holds five in full, names the rest
    assert ["S2.4.9 Школа-лидер", "да (1)", "да (1)"] in rows  # scored: nothing to do
    assert len(rows) == 24 and not any("Итого" in r[0] for r in rows)
    assert _smallest_pt(content) == 12 and _tables_fit(document) == [WD_ORIENT.PORTRAIT]
    empty = [p.text for p in docx.Document(io.BytesIO(card_page.docx(summary, third))).paragraphs]
    assert "Нет данных по 20 показателям: анкета школы не отправлена; баллы по ним не начислены (это не 0)." in empty
    assert not any("/surveys" in p or "/card" in p for p in empty)  # no bot words in a document


async def test_report_and_card_documents_in_chat(runner, api, world, session_factory):
    await _fill(session_factory, world)
    teacher = await register(runner, 2201, world.invites["teacher:0"])
    assert "только муниципальным координаторам" in await teacher.send("/report")
    coordinator = await register(runner, 2202, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    await coordinator.send("/report 1999")
    assert "не похож на учебный год" in coordinator.last
    await coordinator.send("/report")
    sent = api.last_message(2202)
    assert sent["document"]["file_name"] == "Справка_Тестовский_городской_округ_2026-2027.docx"
    assert "Аналитическая справка в Word за период 2026-2027" in sent["caption"]
    document = docx.Document(io.BytesIO(sent["_upload"]["content"]))
    assert "Решили (проект)" in [p.text for p in document.paragraphs]
    assert (2202, "upload_document") in api.chat_actions

    group = -100700
    api.chat(group, "supergroup", "Координаторы")
    await runner.wait(api.message_update(2202, "/report", chat_id=group, chat_type="supergroup"))
    assert "ещё не назначен" in api.last_message(group)["text"]  # the same rules as /summary

    deputy = await register(runner, 2203, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    await deputy.send("/card")
    assert "Скачать Word" in deputy.buttons() and "Скачать Excel" in deputy.buttons()
    await deputy.press("Скачать Word")
    card = api.last_message(2203)
    assert card["document"]["file_name"] == "Карточка_СОШ_1_2026-2027.docx"
    assert "Карточка школы: МАОУ СОШ № 1 — данные неполные" in [
        p.text for p in docx.Document(io.BytesIO(card["_upload"]["content"])).paragraphs]
    other = await register(runner, 2204, world.invites["deputy:1"], "Другая Анна Ивановна")
    message, data = api.find_button(2203, "Скачать Word")
    assert "не ваши" in (await other.press_data(message, data))["text"]


