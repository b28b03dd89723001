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
from scoring import protocol, word
from scoring.protocol import Meeting, Requisites
from scoring.service import build_report, import_statuses
from storage.importers import StatusRow
from storage.models import Answer, Municipality, Person, Response, Role, School
from storage.models import Meeting as MeetingRow
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


async def _requisites(session_factory, world) -> None:
    async with session_factory() as session:
        await session.execute(update(Municipality).where(Municipality.id == world.municipality.id).values(
            body_name="Управление образования Администрации Тестовского городского округа",
            head_title="Начальник Управления образования", head_name="Л.М. Миннуллина", address="ул. Ленина, д. 1"))
        await session.commit()


MEETING = Meeting(number="12", date=dt.date(2026, 12, 10), place="кабинет № 101", secretary="Т.А. Плотникова",
                  attendees=["Бессонова М.В., старший инженер", "Зыкова М.В., инженер"], speakers="Бессонова М.В.")


async def test_protocol_structure_numbers_and_decisions(session_factory, world, clock):
    await _two_periods(session_factory, world, clock)
    await _requisites(session_factory, world)
    async with session_factory() as session:  # a day after the campaigns end: every point is decided
        municipality = await session.get(Municipality, world.municipality.id)
        data = await build_report(session, municipality, now=clock.now + dt.timedelta(days=15))
        requisites = Requisites.of(municipality)
    content = protocol.protocol_docx(data, MEETING, requisites, decisions=True)
    document = docx.Document(io.BytesIO(content))
    text = [p.text for p in document.paragraphs]
    appendix = text.index("Приложение к протоколу заседания муниципальной рабочей группы")

    # the protocol: approved by the head, numbered, dated, the meeting, the findings, the decisions, the secretary
    assert text[:2] == ["УТВЕРЖДАЮ:", "Начальник Управления образования"]
    assert _styled(document, "Title") == ["Протокол", "Аналитическая справка"]
    assert "10.12.2026 г.\t№ 12" in text and "Место проведения: кабинет № 101" in text
    heard = text.index("По первому вопросу слушали: Бессонова М.В.")
    assert "В мониторинге за 2026-2027 учебный год — 3 школы муниципалитета; ШНРО — 1 (СОШ 1); ШНСУ — 1 (СОШ 3); " \
           "зона риска — 1 (Ключевская ООШ); проект «500+» — 1 (СОШ 1)." in text[heard:appendix]
    total = next(t for t in text[heard:appendix] if t.startswith("Муниципальные показатели набрали"))
    assert "; в 2025-2026 учебном году — " in total
    decisions = [t for t in text[text.index("Решили:"):appendix] if t[:1].isdigit()]
    assert 3 <= len(decisions) <= 10 and all("Исполнитель:" in d and "; срок: " in d for d in decisions)
    assert decisions[1].startswith("2. Обеспечить представление анкеты школы за 2026-2027 учебный год")
    assert "Ключевская ООШ, СОШ 3" in decisions[1]
    assert any("Включить в муниципальную программу поддержки ШНРО/ШНСУ, закрепить куратора и школу-лидера: СОШ 1, СОШ 3" in d
               for d in decisions)
    assert text[appendix + 1] == "от 10.12.2026 № 12"
    assert [p.text for p in document.paragraphs if p.style.name == "Подпись"] == [
        "Секретарь муниципальной рабочей группы\t________\tТ.А.\u00a0Плотникова"]

    # the appendix: where each school is, the municipal table over both periods, each school's table
    contents = _rows(document.tables[1])
    assert contents[0] == ["Раздел", "Школа", "Статус", "Итого баллов"]
    assert [r[:2] for r in contents[1:]] == [["3.1", "МКОУ Ключевская ООШ"], ["3.2", "МАОУ СОШ №\u00a01"], ["3.3", "МБОУ СОШ №\u00a03"]]
    municipal = _rows(document.tables[2])
    assert municipal[0] == ["№ п/п", "Критерий", "Показатель (индикатор)", "Ед. изм.", "2025-2026", "2026-2027", "Изменение"]
    iom = next(r for r in municipal if r[0] == "M2.4.4")
    assert iom[2:] == ["Доля педагогов ШНРО/ШНСУ, имеющих ИОМ", "%", "25,0 % (0)", "50,0 % (0)", "+25,0 п. п."]
    assert next(r for r in municipal if r[0] == "M2.1.1")[4:6] == ["нет данных", "нет данных"]  # no municipal questionnaire
    assert municipal[-1][0] == "Итого баллов" and municipal[-1][5].endswith("показателям")
    school = _rows(document.tables[5])  # after the dynamics table and Ключевская's
    assert next(r for r in school if r[0] == "S2.4.4")[4:] == ["25,0 % (0)", "50,0 % (0)", "+25,0 п. п."]
    assert next(r for r in school if r[0] == "S2.4.10")[4:] == ["да (1)", "нет (0)", "да → нет"]
    assert "S2.6.1" not in [r[0] for r in school]  # not a risk-zone school in either period
    assert any(t.startswith("Статус в 2026-2027 учебном году: ШНРО, 500+. Заместитель директора по УВР: "
                            "Заместителева Ирина Олеговна. Итого: ") for t in text)
    assert "Статус в 2026-2027 учебном году: ШНСУ. Итого: 0 из 3 баллов; нет данных по 20 показателям." in text
    assert ("S2.4.10 В школе проведён методический или управленческий десант (нет) — "
            "Запросить у управления образования методический или управленческий десант в школу.") in text
    development = _rows(document.tables[-1])
    assert development[0] == ["Вопрос анкеты педагога", "Ответ", "Педагогов", "Доля от ответивших"]
    assert ["Математика", "2", "100,0 %"] in [r[1:] for r in development if r[0] == "Какие предметы вы преподаёте?"]

    # ГОСТ Р 7.0.97: A4, margins, 14 pt Times New Roman, page numbers; the appendix numbered from 1 on its own
    section = document.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert [round(m.mm) for m in (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin)] == [30, 10, 20, 20]
    assert document.styles["Normal"].font.size == Pt(14) and document.styles["Normal"].font.name == "Times New Roman"
    assert section.different_first_page_header_footer and "PAGE" in section.header._element.xml
    assert _smallest_pt(content) == 12
    orientations = [s.orientation for s in document.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    starts = [s._sectPr.find(qn("w:pgNumType")) for s in document.sections]
    assert starts[0] is None and starts[1].get(qn("w:start")) == "1" and starts[2] is None and starts[3] is None
    assert document.sections[1].different_first_page_header_footer
    fits = _tables_fit(document)
    assert fits[:2] == [WD_ORIENT.PORTRAIT] * 2 and WD_ORIENT.LANDSCAPE in fits


async def test_protocol_of_every_school_and_of_one_period(session_factory, world, clock):
    await _fill(session_factory, world)
    async with session_factory() as session:
        data = await build_report(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    content = protocol.protocol_docx(data, all_schools=True)
    document = docx.Document(io.BytesIO(content))
    municipal = next(t for t in document.tables if _rows(t)[0][0] == "№ п/п")
    assert _rows(municipal)[0] == ["№ п/п", "Критерий", "Показатель (индикатор)", "Ед. изм.", "2026-2027"]  # no change column
    assert _smallest_pt(content) == 12 and _tables_fit(document)
    text = [p.text for p in document.paragraphs]
    assert "Это первый период мониторинга: сравнивать не с чем." in text
    assert "3. Школы муниципалитета" in text
    assert len([p for p in document.paragraphs if p.style.name == "Heading 2" and p.text.startswith("3.")]) == 2
    # mid-campaign: the heading says the data are incomplete, «Решили» is left to write by hand
    assert any(t.startswith("Данные неполные: сбор данных не завершён") for t in text)
    assert not [t for t in text[text.index("Решили:") + 1:text.index("Приложение к протоколу заседания муниципальной рабочей группы")]
                if t[:1].isdigit()]


async def test_protocol_keeps_names_with_markup(session_factory, world, clock):
    """A school named with <, & and {{ }} is printed as it is (autoescaped, never a template tag)."""
    await _fill(session_factory, world)
    async with session_factory() as session:
        await session.execute(update(School).where(School.id == world.schools[0].id).values(name="МАОУ «СОШ <1> & {{ x }}»"))
        await session.commit()
        data = await build_report(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    document = docx.Document(io.BytesIO(protocol.protocol_docx(data)))
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


async def test_protocol_dialogue_and_card_documents_in_chat(runner, api, world, session_factory, clock):
    await _fill(session_factory, world)
    teacher = await register(runner, 2201, world.invites["teacher:0"])
    assert "только муниципальным координаторам" in await teacher.send("/report")
    coordinator = await register(runner, 2202, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    await coordinator.send("/report 1999")
    assert "не похож на учебный год" in coordinator.last

    # the first protocol: the details to fill, the data incomplete (the campaign collects), the requisites missing
    await coordinator.send("/report")
    screen = coordinator.last
    assert "Протокол заседания рабочей группы и аналитическая справка (приложение) за 2026-2027" in screen
    assert "Это первый протокол" in screen and "№ протокола: не указано" in screen
    assert "Дата заседания: 23.11.2026" in screen  # today, in the municipality
    assert "Данные неполные: сбор данных не завершён" in screen and "Проект решений: не составляется" in screen
    assert "Не заданы реквизиты органа управления образованием" in screen and 'shnor municipality requisites 1 --body "' in screen
    assert {"✅ Сформировать протокол", "№", "Дата", "Присутствовали", "Составить проект решений", "Отмена"} <= set(coordinator.buttons())
    await coordinator.press("№", exact=True)
    assert "Напишите номер протокола" in coordinator.last
    await coordinator.send("7")
    assert "№ протокола: 7" in coordinator.last
    await coordinator.press("Дата", exact=True)
    await coordinator.send("31.02.2026")
    assert "не дата" in coordinator.last
    await coordinator.send("20.11.2026")
    assert "Дата заседания: 20.11.2026" in coordinator.last
    await coordinator.press("Присутствовали", exact=True)
    await coordinator.send("Бессонова М.В., старший инженер;\nЗыкова М.В., инженер.")
    assert "Присутствовали: (2) Бессонова М.В., старший инженер; Зыкова М.В., инженер" in coordinator.last
    await coordinator.press("Секретарь", exact=True)
    await coordinator.send("Т.А. Плотникова")
    await coordinator.press("Составить проект решений")
    assert "Проект решений: будет составлен по данным." in coordinator.last
    await coordinator.press("Сформировать протокол")
    sent = api.last_message(2202)
    assert sent["document"]["file_name"] == "Протокол_7_Тестовский_городской_округ_2026-2027.docx"
    assert "Протокол № 7 заседания рабочей группы за 2026-2027" in sent["caption"]
    assert "«Решили» — проект, составленный по данным" in sent["caption"]
    document = docx.Document(io.BytesIO(sent["_upload"]["content"]))
    text = [p.text for p in document.paragraphs]
    assert "20.11.2026 г.\t№ 7" in text and "Зыкова М.В., инженер." in text
    assert [t for t in text[text.index("Решили:"):] if t.startswith("1. Продолжить работу")]
    assert (2202, "upload_document") in api.chat_actions
    async with session_factory() as session:
        stored = (await session.scalars(select(MeetingRow))).all()
    assert [(m.number, m.held_on, m.period) for m in stored] == [("7", dt.date(2026, 11, 20), "2026-2027")]

    # the next protocol offers the same people, the next number and today; cancelling makes nothing
    await coordinator.send("/report")
    screen = coordinator.last
    assert "Прошлое заседание: № 7 от 20.11.2026" in screen and "№ протокола: 8" in screen
    assert "Дата заседания: 23.11.2026" in screen and "Секретарь: Т.А. Плотникова" in screen
    message, make = api.find_button(2202, "Сформировать протокол")
    await coordinator.press("Отмена")
    assert coordinator.last == "Протокол не сформирован."
    await coordinator.press_data(message, make)  # a button kept from the cancelled screen: nothing is made
    assert "уже неактуален" in coordinator.last
    async with session_factory() as session:
        assert len((await session.scalars(select(MeetingRow))).all()) == 1

    group = -100700
    api.chat(group, "supergroup", "Координаторы")
    await runner.wait(api.message_update(2202, "/report", chat_id=group, chat_type="supergroup"))
    assert "ещё не назначен" in api.last_message(group)["text"]  # the same rules as /summary
    await runner.wait(api.message_update(2202, "/setchat", chat_id=group, chat_type="supergroup"))
    await runner.wait(api.message_update(2202, "/report", chat_id=group, chat_type="supergroup"))
    in_group = api.last_message(group)
    assert in_group["document"]["file_name"] == "Протокол_8_Тестовский_городской_округ_2026-2027.docx"
    assert "/report в личном чате" in in_group["caption"]

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
