"""The summary through the database: imports, identification, the workbook read back, and /summary, /card in chat."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from bot.render import messages, split_html
from monitoring.campaigns import open_campaign
from scoring import card as school_card
from scoring import charts, report, shown
from scoring import text as report_text
from scoring.service import (
    ScoringError,
    build_summary,
    identify,
    import_exams,
    import_groups,
    import_statuses,
)
from storage.importers import (
    ExamRow,
    GroupRow,
    ImportFailed,
    StatusRow,
    read_exams,
    read_statuses,
)
from storage.models import (
    Answer,
    Campaign,
    ExamResult,
    Municipality,
    Person,
    Response,
    Role,
    SchoolStatus,
)
from surveys.loader import load_pack
from tests.harness import User, register


def summary_text(summary) -> list[str]:
    """The summary as the bot sends it: Telegram HTML messages under 4096 characters."""
    return messages(report_text.summary_lines(summary))


def card_text(summary, score) -> list[str]:
    return messages(school_card.lines(summary, score))


FORMULA = '=HYPERLINK("http://example.com","нажми")'


async def _submit(session, campaign, subject: str, school_id: int | None, answers: dict, person_id: int | None = None) -> None:
    response = Response(campaign_id=campaign.id, subject=subject, person_id=person_id, school_id=school_id,
                        status="submitted", submitted_at=campaign.opens_at)
    session.add(response)
    await session.flush()
    session.add_all(Answer(response_id=response.id, question=q, value=v) for q, v in answers.items())


def AFTER(clock) -> dt.datetime:
    """A day after the world's campaigns end (their deadline is 14 days after the clock's start)."""
    return clock.now + dt.timedelta(days=15)


async def _fill(session_factory, world) -> None:
    """Two schools: СОШ 1 is ШНРО with 4 declared teachers (2 answered); Ключевская is in the risk zone."""
    s1, s2 = world.schools
    async with session_factory() as session:
        teachers = []
        for n, school in enumerate([s1, s1, s1, s2]):
            person = Person(tg_user_id=9000 + n, chat_id=9000 + n, full_name=f"Учитель {n}", role=Role.TEACHER,
                            municipality_id=world.municipality.id, school_id=school.id)
            session.add(person)
            teachers.append(person)
        await session.flush()
        base = {q.name: "no" for q in load_pack("teacher").questions if q.type.value == "yesno"}
        await _submit(session, world.campaigns["teacher"], f"person:{teachers[0].id}", s1.id,
                      {**base, "position": "teacher", "subjects": ["math"], "has_iom": "yes", "iom_state": "developed",
                       "quality_events": "yes", "events_productive": ["talk"]}, teachers[0].id)
        await _submit(session, world.campaigns["teacher"], f"person:{teachers[1].id}", s1.id,
                      {**base, "position": "teacher", "subjects": ["math"], "has_iom": "yes", "iom_state": "developed"}, teachers[1].id)
        school = {q.name: "yes" for q in load_pack("school").questions if q.type.value == "yesno"}
        await _submit(session, world.campaigns["school"], f"school:{s1.id}", s1.id,
                      {**school, "ped_workers": 4, "risk_internet": "no", "comment": FORMULA})
        await session.commit()
        await import_statuses(session, world.municipality, "2026-2027", [
            StatusRow(2, "СОШ 1", True, False, False, True),
            StatusRow(3, "мкоу  ключевская ООШ", False, False, True, False),
        ])
        await session.commit()


async def test_p1_counts_every_school_after_the_deadline_as_m245_does(session_factory, world, clock):
    """While teachers answer, P1 leaves out a school none of whose teachers has answered; after the deadline it
    counts it, as M2.4.5 does (a school without answers is a «no»)."""
    await _fill(session_factory, world)
    async with session_factory() as session:
        await import_statuses(session, world.municipality, "2026-2027", [
            StatusRow(2, "СОШ 1", True, False, False, True),
            StatusRow(3, "мкоу  ключевская ООШ", False, True, False, False),  # ШНСУ, no teacher has answered
        ])
        await session.commit()
        municipality = await session.get(Municipality, world.municipality.id)
        collecting = await build_summary(session, municipality, now=clock.now)
        after = await build_summary(session, municipality, now=AFTER(clock))
    p1 = dict(collecting.dynamics)["2026-2027"]["P1"]
    assert (p1.numerator, p1.denominator, p1.missing) == (1, 1, 1)
    p1, m245 = dict(after.dynamics)["2026-2027"]["P1"], after.scores.municipal["M2.4.5"]
    assert (p1.numerator, p1.denominator, p1.missing) == (1, 2, 0) and m245.denominator == 2


async def test_summary_values_and_workbook_read_back(session_factory, world, clock):
    await _fill(session_factory, world)
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        summary = await build_summary(session, municipality, now=clock.now)
    assert summary.period == "2026-2027"
    s1 = next(s for s in summary.scores.schools if s.school.id == world.schools[0].id)
    # 2 of 4 declared said yes; the campaign is open and 2 have not answered: 50-100 % against >= 70 % is not decided
    assert shown.value(s1.values["S2.4.4"]) == "50,0 %" and s1.values["S2.4.4"].pending
    assert shown.points(s1.values["S2.4.4"]) == "балл не определён"
    assert summary.state.incomplete and summary.state.open_until is not None
    said = "\n".join(summary_text(summary))
    assert ("По состоянию на 23.11.2026 10:00: ответили 2 из 4 заявленных педагогов (50,0 %); школ, не заявивших число "
            "педагогов: 1; анкеты школ — 1 из 2; анкета муниципалитета не отправлена; сбор открыт до 07.12.2026 10:00.") in said
    assert "<b>Данные неполные: сбор данных не завершён, ответили менее 90 % педагогов" in said
    assert s1.values["S2.4.4"].response_rate == 0.5
    assert s1.values["S2.1.2"].points == 0 and s1.values["S2.1.3"].points == 1
    assert shown.value(summary.scores.municipal["M2.1.5"]) == "50,0 %"
    c1 = summary.completion.teachers[world.schools[0].id]
    assert (c1.declared, c1.registered, c1.submitted) == (4, 3, 2)  # against the declared staff, beside the registered
    assert c1.text() == "ответили 2 из 4 заявленных (50,0 %); зарегистрировано 3"
    c2 = summary.completion.teachers[world.schools[1].id]
    assert c2.declared is None and c2.text() == "ответили 0; число педагогов школа не заявила; зарегистрировано 1"
    assert dict(summary.dynamics)["2026-2027"]["P1"].numerator == 1

    async with session_factory() as session:  # the campaigns are over: the non-respondents count as "no"
        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), now=AFTER(clock))
    s1 = next(s for s in summary.scores.schools if s.school.id == world.schools[0].id)
    assert not summary.state.open_until and not s1.values["S2.4.4"].pending
    assert s1.values["S2.4.4"].points == 0  # 2 of 4 declared against >= 70 %: the two who did not answer count as "no"
    data = report.workbook(summary)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Муниципальные показатели", "Показатели школ", "Значения школ", "Идентификация",
                             "Динамика", "Динамика школ", "Заполнение", "Развитие педагогов", "Где останавливаются",
                             "Ответы педагогов", "Ответы школ", "Ответы муниципалитета", "Коды ответов"]
    municipal = wb["Муниципальные показатели"]
    assert municipal["A1"].value == "Муниципальные показатели: Тестовский городской округ, период 2026-2027"
    assert municipal["A2"].value == shown.state_line(summary.state)  # when, and how complete
    assert municipal["A2"].value.startswith("По состоянию на 08.12.2026 10:00: ответили 2 из 4 заявленных педагогов")
    assert municipal["A3"].value == ("Данные неполные: ответили менее 90 % педагогов, анкеты прислали не все школы, "
                                     "анкета муниципалитета не отправлена.")
    assert municipal.freeze_panes == "B5" and municipal.auto_filter.ref.startswith("A4:")
    rows = {r[0]: r for r in municipal.iter_rows(min_row=5, values_only=True)}
    assert rows["M2.1.5"][2] == 0.5 and rows["M2.4.6"][2] == "нет"
    assert municipal.cell(row=5 + list(rows).index("M2.1.5"), column=3).number_format == "0.0%"

    # the matrix: codes with their short names under them, missing data grey, a legend under the data
    matrix = wb["Показатели школ"]
    header = [c.value for c in matrix[2]]
    assert header[:5] == ["Школа", "Статус", "Итого", "Максимум (по показателям с данными)", "Нет данных"]
    assert "S2.6.4" in header
    names = [c.value for c in matrix[3]]
    assert names[header.index("S2.4.4")] == "ИОМ педагогов" and names[header.index("S2.4.10")] == "Десант"
    assert matrix.cell(row=3, column=header.index("S2.4.4") + 1).alignment.textRotation == 90
    assert matrix.freeze_panes == "B4" and matrix.print_title_rows == "$2:$3"
    row = next(r for r in matrix.iter_rows(min_row=4) if r[0].value == "СОШ 1")
    iom = row[header.index("S2.4.4")]
    assert iom.value == 0
    rules = {r.formula[0]: r.dxf.fill.bgColor.rgb[-6:]
             for cf in matrix.conditional_formatting for r in cf.rules if iom.coordinate in cf.sqref}
    assert rules == {"1": "C6EFCE", "0": "FFC7CE", '"—"': "EDEDED", '"нет данных"': "EDEDED",  # green, red, grey, grey
                     '"балл не определён"': "EDEDED", '"информационный, без баллов"': "EDEDED"}  # no point: grey
    # Ключевская sent no school form: its answers are missing, not zeros
    unsent = next(r for r in matrix.iter_rows(min_row=4) if r[0].value == "Ключевская ООШ")
    assert unsent[header.index("S2.1.1")].value == "нет данных" and unsent[header.index("S2.4.4")].value == "нет данных"
    assert unsent[header.index("S2.1.2")].value == 1 and unsent[header.index("Нет данных")].value == 24
    assert row[header.index("S2.6.1")].value == "—"  # not a risk-zone school
    # the matrix prints two pages wide with the school column repeated: the legend starts in column B
    assert matrix.page_setup.fitToWidth == 2 and matrix.print_title_cols == "$A:$A"
    legend = [r[1].value for r in matrix.iter_rows(min_row=6) if r[0].value is None and r[1].value]
    assert legend == ["Обозначения:", "1 — балл получен", "0 — 0 баллов", "нет данных — баллы не начислены (это не 0)",
                      "балл не определён — сбор не завершён, ответы ещё могут изменить балл", "— — показатель не применяется"]
    grey = next(r[1] for r in matrix.iter_rows(min_row=6) if r[0].value is None and (r[1].value or "").startswith("нет данных"))
    assert grey.fill.fgColor.rgb[-6:] == "EDEDED"

    filled = {r[0]: r for r in wb["Заполнение"].iter_rows(min_row=2, values_only=True)}
    assert [c.value for c in wb["Заполнение"][1]] == ["Школа", "Педагогов заявлено школой", "Зарегистрировано (опрошено)",
                                                     "Ответили", "Ответили от заявленных", "Начали, не отправили", "Анкета школы"]
    assert filled["СОШ 1"][1:5] == (4, 3, 2, 0.5) and filled["Ключевская ООШ"][1] == "не заявлено"

    # answers for people: question texts as headers, labels as values, a row per respondent
    teachers = wb["Ответы педагогов"]
    heads = [c.value for c in teachers[2]]
    assert heads[:5] == ["Анкета №", "Период", "Школа", "Роль", "Отправлена"]
    assert "У вас есть индивидуальный образовательный маршрут (ИОМ) или программа профессионального развития?" in heads
    answered = [r for r in teachers.iter_rows(min_row=3, values_only=True)]
    assert len(answered) == 2 and {r[2] for r in answered} == {"СОШ 1"} and {r[3] for r in answered} == {"педагог"}
    first = dict(zip(heads, answered[0]))
    assert first["Ваша должность"] == "Учитель" and first["Какие предметы вы преподаёте?"] == "Математика"
    assert first["В каком состоянии ваш ИОМ?"] == "Разработан" and first["Вы входите в региональный методический актив (РМА)?"] == "Нет"
    assert isinstance(first["Отправлена"], dt.datetime)
    assert teachers.cell(row=3, column=5).number_format == "DD.MM.YYYY HH:MM"
    school = wb["Ответы школ"]
    school_heads = [c.value for c in school[2]]
    form = dict(zip(school_heads, next(school.iter_rows(min_row=3, values_only=True))))
    assert form["Роль"] == "школа" and 4 in form.values()  # numbers stay numbers
    comment = next(c for c in next(school.iter_rows(min_row=3)) if c.value == FORMULA)
    assert comment.data_type == "s"  # text, not a formula
    codes = wb["Коды ответов"]
    code_heads = [c.value for c in codes[1]]
    assert code_heads[:6] == ["response_id", "period", "survey", "respondent", "school", "submitted_at"]
    coded = [dict(zip(code_heads, r)) for r in codes.iter_rows(min_row=2, values_only=True)]
    assert {r["survey"] for r in coded} == {"teacher", "school"}
    assert next(r for r in coded if r["survey"] == "teacher")["subjects"] == "math"
    assert next(r for r in coded if r["survey"] == "teacher")["has_iom"] == "yes"

    ident = {r[0]: r for r in wb["Идентификация"].iter_rows(min_row=2, values_only=True)}
    assert ident["СОШ 1"][1] == "да" and ident["СОШ 1"][4] == "да"
    assert ident["Ключевская ООШ"][3] == "да"

    # every sheet prints: landscape A4 fitted to the width (a wide one to several pages side by side, its first
    # column repeated, so that its text stays readable), header rows repeated, the place and period on top
    for sheet in wb.worksheets:
        assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9, sheet.title
        assert sheet.page_setup.fitToHeight == 0 and sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.page_setup.fitToWidth == 1 or sheet.print_title_cols == "$A:$A", sheet.title
        assert sheet.print_title_rows, sheet.title
        assert sheet.oddHeader.center.text == ("Тестовский городской округ — период 2026-2027; по состоянию на "
                                               "08.12.2026 10:00; данные неполные"), sheet.title
        assert sheet.oddFooter.center.text == "Страница &P из &N", sheet.title
    from PIL import Image

    albums = charts.images(summary)  # the municipality's shares (two images), the schools' points (one)
    photos = [png for _, album in albums for _, png in album]
    assert [len(album) for _, album in albums] == [2, 1]  # one period: nothing to draw across periods
    assert all(png[:8] == b"\x89PNG\r\n\x1a\n" for png in photos)
    assert all(Image.open(io.BytesIO(png)).size[0] == 1080 and Image.open(io.BytesIO(png)).size[1] <= 1350
               for png in photos)  # a phone's portrait photo


async def test_text_is_split_under_telegram_limit(session_factory, world, clock):
    await _fill(session_factory, world)
    async with session_factory() as session:
        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    chunks = summary_text(summary)
    assert all(len(c) <= 4096 for c in chunks)
    assert "Сводка ШНОР: Тестовский городской округ" in chunks[0]
    lines = [f"строка {n} " + "x" * 100 for n in range(200)]
    split = split_html(lines)
    assert len(split) > 1 and all(len(c) <= 4096 for c in split)
    assert "\n".join(split).split("\n") == lines


async def test_summary_of_an_earlier_period_and_unknown_periods(session_factory, world, clock):
    await _fill(session_factory, world)
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        await open_campaign(session, municipality=municipality, survey=load_pack("teacher"), period="2027-2028",
                            deadline=clock.now + dt.timedelta(days=400), opens_at=clock.now + dt.timedelta(days=300), now=clock.now)
        await session.commit()
        latest = await build_summary(session, municipality, now=clock.now)
        earlier = await build_summary(session, municipality, "2026-2027", now=clock.now)
        with pytest.raises(ScoringError, match="Период «1999» не похож на учебный год"):
            await build_summary(session, municipality, "1999", now=clock.now)
        with pytest.raises(ScoringError, match="За период 2019-2020 данных нет. Есть: 2026-2027, 2027-2028"):
            await build_summary(session, municipality, "2019/20", now=clock.now)
        typed = await build_summary(session, municipality, "2026/27 уч. год", now=clock.now)
    # plain: the current school year (the clock says November 2026), not the latest on record
    assert latest.period == "2026-2027" and latest.periods == ["2026-2027", "2027-2028"]
    assert "текущий учебный год" in summary_text(latest)[0] and "Другие периоды: 2027-2028" in summary_text(latest)[0]
    assert earlier.period == "2026-2027" and len(earlier.history) == 1 and typed.period == "2026-2027"
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        later = await build_summary(session, municipality, now=clock.now + dt.timedelta(days=365))
        gone = await build_summary(session, municipality, now=clock.now + dt.timedelta(days=3 * 365))
    assert later.period == "2027-2028"  # a year on: that year is current and has data
    assert gone.period == "2027-2028"  # the current 2029-2030 has none: the latest that has
    assert "последний с данными (за текущий 2029-2030 данных нет)" in summary_text(gone)[0]


async def test_imports_reject_a_bad_file_whole(session_factory, world, tmp_path: Path):
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        with pytest.raises(ImportFailed, match="строка 3: школа «Нет такой» не найдена"):
            await import_statuses(session, municipality, "2026-2027",
                                  [StatusRow(2, "СОШ 1", True, False, False, False), StatusRow(3, "Нет такой", True, False, False, False)])
        with pytest.raises(ImportFailed, match="строка 3: повтор строки 2"):
            await import_groups(session, municipality, "2026-2027",
                                [GroupRow(2, "СОШ 1", 5, 5, False), GroupRow(3, "МАОУ СОШ № 1", 6, 6, False)])
        await session.rollback()
        assert await session.scalar(select(func.count()).select_from(SchoolStatus)) == 0

    wb = openpyxl.Workbook()
    wb.active.append(["Школа", "Год", "Процедура", "Предмет", "Класс", "Средний балл школы", "Средний балл региона"])
    wb.active.append(["СОШ 1", 2026, "ОГЭ", "Русский язык", 9, "60,5", 62])
    wb.active.append(["СОШ 1", 2026, "ОГЭ", "химия", 9, 60, 62])
    wb.active.append(["СОШ 1", "год", "ЕГЭ", "математика", 11, 60, 62])
    wb.active.append(["СОШ 1", 2026, "ЕГЭ", "математика", 11, "много", 62])
    wb.save(tmp_path / "exams.xlsx")
    with pytest.raises(ImportFailed) as info:
        read_exams(tmp_path / "exams.xlsx")
    message = str(info.value)
    assert "строка 3: предмет «химия»" in message and "строка 4: в столбце «Год»" in message and "строка 5: в столбце «Средний балл школы»" in message

    wb = openpyxl.Workbook()
    wb.active.append(["Школа", "ШНРО", "ШНСУ"])
    wb.save(tmp_path / "statuses.xlsx")
    with pytest.raises(ImportFailed, match="нет столбцов: Зона риска"):
        read_statuses(tmp_path / "statuses.xlsx")


async def test_identification_by_criteria_and_by_groups_is_stored(session_factory, world, clock):
    await _fill(session_factory, world)
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        rows = [ExamRow(n, "СОШ 1", year, "ОГЭ", subject, 9, 50.0, 60.0)
                for n, (year, subject) in enumerate([(y, s) for y in (2025, 2027) for s in ("russian", "math")], start=2)]
        assert await import_exams(session, municipality, rows) == 4
        municipality.identification_method = "criteria"
        statuses = await identify(session, municipality, "2026-2027")
        s1 = statuses[world.schools[0].id]
        # ОГЭ russian and math stagnant and below region, plus the computers and staff risks (yes in the form)
        assert s1.details["criteria"] == [1, 2, 11, 12] and s1.risk_zone and not s1.shnro
        assert not statuses[world.schools[1].id].risk_zone
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(ExamResult)) == 4
        stored = await session.scalar(select(SchoolStatus).where(SchoolStatus.school_id == world.schools[0].id))
        assert stored.method == "criteria" and stored.risk_zone

        municipality.identification_method = "sverdlovsk"
        with pytest.raises(ScoringError, match="нет групп"):
            await identify(session, municipality, "2026-2027")
        await import_groups(session, municipality, "2026-2027", [GroupRow(2, "СОШ 1", 5, 4, False), GroupRow(3, "Ключевская ООШ", 6, 4, True)])
        statuses = await identify(session, municipality, "2026-2027")
        assert statuses[world.schools[0].id].support_group == "accompaniment"
        pilot = statuses[world.schools[1].id]  # ИСБШ 4, quality 6, pilot
        assert pilot.support_group == "resilient" and pilot.pilot and pilot.shnsu  # ИСБШ 4, quality 6: and a pilot
        await session.commit()
        stored = await session.scalar(select(SchoolStatus).where(SchoolStatus.school_id == world.schools[1].id))
        assert stored.pilot and stored.support_group == "resilient"
        summary = await build_summary(session, municipality, "2026-2027", now=clock.now)
        assert "пилотная площадка" in summary.scores.schools[0].school.status.title() + summary.scores.schools[1].school.status.title()
        assert summary.scores.municipal["M2.1.5"].numerator == 2  # both statuses count, the pilot's included


# --- in chat -------------------------------------------------------------------------------


async def test_summary_refusals_and_delivery(runner, api, world, session_factory):
    await _fill(session_factory, world)
    teacher = await register(runner, 2001, world.invites["teacher:0"])
    assert "только муниципальным координаторам" in await teacher.send("/summary")
    stranger = User(runner, 2002)
    assert "только муниципальным координаторам" in await stranger.send("/summary")
    deputy = await register(runner, 2003, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    assert "только муниципальным координаторам" in await deputy.send("/summary")
    coordinator = await register(runner, 2004, world.invites["coordinator"], "Координаторова Ольга Николаевна")

    group = -100500
    api.chat(group, "supergroup", "Координаторы")

    async def in_group(user_id: int, text: str) -> str:
        await runner.wait(api.message_update(user_id, text, chat_id=group, chat_type="supergroup"))
        return api.last_message(group)["text"]

    assert "ещё не назначен" in await in_group(2004, "/summary")
    assert "только муниципальным координаторам" in await in_group(2001, "/setchat")
    assert "назначен чатом координаторов: Тестовский городской округ" in await in_group(2004, "/setchat")
    assert "только муниципальным координаторам" in await in_group(2001, "/summary")

    before = len(api.bot_messages(group))
    await runner.wait(api.message_update(2004, "/summary@shnor_test_bot", chat_id=group, chat_type="supergroup"))
    sent = api.bot_messages(group)[before:]
    assert sent[0]["text"].startswith("<b>Сводка ШНОР: Тестовский городской округ, период 2026-2027</b>")
    assert "document" in sent[-4] and sent[-4]["document"]["file_name"] == "shnor_2026-2027.xlsx"
    # the charts: the municipality's shares as an album of two (one media group), the schools' points as one photo
    albums = api.albums(group)
    assert len(albums) == 1 and [m["message_id"] for m in albums[0]] == [m["message_id"] for m in sent[-3:-1]]
    assert albums[0][0]["caption"].startswith("Муниципальные доли за период 2026-2027 против порогов")
    assert "caption" not in albums[0][1]  # the album's caption is its first photo's
    assert "photo" in sent[-1] and "media_group_id" not in sent[-1] and sent[-1]["caption"].startswith("Баллы школ")
    assert "По состоянию на" in sent[-1]["caption"] and "Данные неполные" in sent[-1]["caption"]
    for photo in sent[-3:]:
        size = photo["photo"][0]
        assert size["width"] == 1080 and size["height"] <= 1350  # what Telegram got: a phone's portrait photo
    assert [call for call, _ in api.calls].count("sendMediaGroup") == 1
    assert (group, "upload_document") in api.chat_actions

    # another municipality's coordinator in this group is refused
    async with session_factory() as session:
        other = Municipality(name="Другой округ", timezone="Asia/Krasnoyarsk")
        session.add(other)
        await session.flush()
        session.add(Person(tg_user_id=2005, chat_id=2005, full_name="Чужой Координатор Иванович", role=Role.COORDINATOR, municipality_id=other.id))
        await session.commit()
    assert "ещё не назначен" in await in_group(2005, "/summary")
    assert "уже назначен чатом координаторов другого" in await in_group(2005, "/setchat")
    # the group becomes a supergroup with a new id: it stays the coordinators' chat
    await runner.wait(api.message_update(2004, None, chat_id=group, chat_type="supergroup", extra={"migrate_to_chat_id": -100999}))
    async with session_factory() as session:
        assert (await session.get(Municipality, world.municipality.id)).coordinators_chat_id == -100999

    # in private, an earlier or unknown period; what people type is normalised or refused in Russian
    await coordinator.send("/summary 1999")
    assert "не похож на учебный год. Напишите так: 2026-2027" in coordinator.last
    await coordinator.send("/summary <b>x")
    assert "«&lt;b&gt;x» не похож на учебный год" in coordinator.last and not api.html_errors
    await coordinator.send("/summary a&b")
    assert "«a&amp;b» не похож" in coordinator.last and not api.html_errors
    await coordinator.send("/summary 2026/27 уч. год")
    assert "photo" in api.last_message(2004)


async def test_card_for_the_deputy_only(runner, api, world, session_factory, clock):
    await _fill(session_factory, world)
    deputy = await register(runner, 2101, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    clock.now = AFTER(clock)  # the campaigns are over: every point is decided
    sent = len(deputy.texts)
    await deputy.send("/card")
    text = "\n".join(deputy.texts[sent:])
    assert "Карточка школы: МАОУ СОШ № 1" in text and "<b>Главное</b>" in text
    assert "S2.4.4" in text and "организовать разработку иом" in text.lower()
    assert "По состоянию на " in text and "педагоги ответили 2 из 4 заявленных; анкета школы отправлена. Данные " \
        "неполные: ответили менее 90 % педагогов." in text
    assert "S2.1.2 ШНРО/ШНСУ: Включить школу" in text.split("Решение муниципалитета")[1]  # not the school's action
    # yes/no indicators read as answers to their titles; teacher shares say who answered
    assert "❌ S2.1.2 Школа относится к ШНРО и/или ШНСУ в периоде — <b>да</b>" in text and "— 0 баллов" in text
    assert "S2.4.4 Доля педагогов, имеющих ИОМ — <b>50,0 %</b> (2 из 4 заявленных педагогов; ответили 2" in text
    await deputy.press("Скачать Excel")
    document = api.last_message(2101)
    assert document["document"]["file_name"] == "Карточка_СОШ_1_2026-2027.xlsx"
    assert "МАОУ СОШ № 1, период 2026-2027" in document["caption"]
    sheet = openpyxl.load_workbook(io.BytesIO(document["_upload"]["content"]))["Карточка школы"]
    assert sheet["A1"].value == "МАОУ СОШ № 1 — карточка школы за период 2026-2027 (Тестовский городской округ)"
    assert sheet["A2"].value.startswith("По состоянию на ") and sheet["A3"].value.startswith("Данные неполные: ")
    assert sheet["A4"].value == "Код" and sheet.freeze_panes == "B5"
    assert sheet.print_title_rows == "$4:$4" and sheet.page_setup.orientation == "landscape"

    teacher = await register(runner, 2102, world.invites["teacher:0"])
    assert "доступна заместителям" in await teacher.send("/card")
    other = await register(runner, 2103, world.invites["deputy:1"], "Другая Анна Ивановна")
    message, data = api.find_button(2101, "Скачать Excel")
    notice = await other.press_data(message, data)  # forged: another school's card
    assert "не ваши" in notice["text"]


async def test_database_counts_match_counting_every_answer(session_factory):
    """The yes-counts aggregated in SQL equal those counted in Python over every loaded answer."""
    from scoring.data import load_period
    from scoring.demo import build_demo
    from scoring.indicators import TeacherCounts
    from storage.models import Campaign, SurveyVersion

    async with session_factory() as session:
        municipality = await build_demo(session, schools=6, teachers_per_school=9, periods=("2025-2026",), response_rate=0.7)
        await session.commit()
        loaded = await load_period(session, municipality.id, "2025-2026")
        rows = (await session.execute(
            select(Response.id, Response.school_id, Answer.question, Answer.value)
            .join(Answer, Answer.response_id == Response.id)
            .join(Campaign, Response.campaign_id == Campaign.id)
            .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
            .where(Campaign.municipality_id == municipality.id, SurveyVersion.survey_key == "teacher")
        )).all()
    questionnaires: dict[int, dict] = {}
    for rid, school_id, question, value in rows:
        questionnaires.setdefault(rid, {"school_id": school_id})[question] = value
    expected = TeacherCounts.from_answers(questionnaires.values())
    got = loaded.data.teachers
    assert got.respondents.sort_index().to_dict() == expected.respondents.sort_index().to_dict()
    # every question with a yes somewhere (yes/no and multiple choice), school by school
    yes_columns = [q for q in expected.yes.columns if expected.yes[q].sum() > 0]
    assert sorted(got.yes.columns) == sorted(yes_columns)
    for question in yes_columns:
        def nonzero(column):
            return {int(k): int(v) for k, v in column.items() if v}
        assert nonzero(got.yes[question]) == nonzero(expected.yes[question]), question
    assert not loaded.raw_truncated
    assert len(loaded.raw) == sum(1 for _ in rows) + sum(
        len(a) for a in [*loaded.data.school_answers.values(), loaded.data.municipality_answers or {}])


async def test_long_sheets_stop_with_a_note(session_factory, world, monkeypatch, clock):
    await _fill(session_factory, world)
    async with session_factory() as session:
        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    monkeypatch.setattr(report, "SHEET_ROWS", 5)
    wb = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
    values = list(wb["Значения школ"].iter_rows(min_row=2, values_only=True))
    assert len(values) == 6 and values[-1][0].startswith("… показаны первые 5 из ")
    assert wb["Значения школ"].auto_filter.ref == "A1:J7"
    assert wb["Значения школ"].print_title_rows == "$1:$1"


async def test_missing_is_not_zero_in_the_text_and_the_ranking(session_factory, world, clock):
    """A school that sent nothing is named apart, never ranked as the lowest scorer; its indicators read «нет данных»."""
    await _fill(session_factory, world)
    async with session_factory() as session:
        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), now=AFTER(clock))
    text = "\n".join(summary_text(summary))
    assert [s.school.short_name for s in summary.lowest()] == ["СОШ 1"]
    assert "Анкету школы не отправили (1; их баллы неполные, в рейтинг не входят): Ключевская ООШ" in text
    assert "Педагоги: ответили 2 из 4 заявленных (50,0 %); зарегистрировано 3. Школ, не заявивших число педагогов: 1" in text
    assert "• Ключевская ООШ: педагоги — ответили 0; число педагогов школа не заявила; зарегистрировано 1; анкета школы — не начата" in text
    assert "M2.1.1 Муниципальная программа содержит раздел о методике идентификации ШНРО/ШНСУ — <b>нет данных</b> (анкета муниципалитета не отправлена)" in text
    assert "Анкета муниципалитета: не начата" in text and "из 3 школ" not in text
    assert "итого 1 из 9 баллов; нет данных по 6 показателям" in text
    assert "M2.6.2 Доля школ зоны риска, где устранены не менее двух из трёх рисков — <b>нет данных</b> (ни одна школа группы не отправила анкету)" in text
    unsent = next(s for s in summary.scores.schools if s.school.short_name == "Ключевская ООШ")
    card = "\n".join(card_text(summary, unsent))
    assert "⬜ S2.1.1" in card and "нет данных</b> (анкета школы не отправлена)" in card
    assert "Итого: 1 из 3 баллов; нет данных по 24 показателям" in card
    assert "Нет данных по 24 показателям" in card and "Разработать комплекс мер" not in card  # no data is not a zero to act on


async def test_a_past_period_counts_the_people_asked_then(session_factory, world, clock):
    """Completion of a closed period is against who was registered by its end, not who is registered now."""
    await _fill(session_factory, world)
    async with session_factory() as session:
        campaign = await session.get(Campaign, world.campaigns["teacher"].id)
        campaign.closed_at = campaign.deadline = clock.now + dt.timedelta(days=1)
        for n in range(5):  # joined the school after the period ended
            session.add(Person(tg_user_id=9100 + n, chat_id=9100 + n, full_name=f"Новый {n}", role=Role.TEACHER,
                               municipality_id=world.municipality.id, school_id=world.schools[0].id,
                               registered_at=clock.now + dt.timedelta(days=30)))
        await session.commit()
        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    assert summary.completion.teachers[world.schools[0].id].registered == 3


async def test_a_registry_import_for_one_period_leaves_another_period_as_it_was(session_factory, world, clock):
    """Internship sites are facts of a period: this year's registry does not rewrite last year's summary."""
    from storage.importers import SchoolRow
    from storage.registry import add_schools

    await _fill(session_factory, world)
    rows = [SchoolRow("МАОУ СОШ № 1", "СОШ 1", False, True, False), SchoolRow("МКОУ Ключевская ООШ", "Ключевская ООШ", True, False, True)]
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        await open_campaign(session, municipality=municipality, survey=load_pack("school"), period="2025-2026",
                            opens_at=clock.now - dt.timedelta(days=300), deadline=clock.now - dt.timedelta(days=200),
                            now=clock.now - dt.timedelta(days=301))
        await add_schools(session, municipality, rows, "2025-2026")
        await session.commit()

    async def rendered(period: str) -> tuple[bytes, list, list]:
        async with session_factory() as session:
            summary = await build_summary(session, await session.get(Municipality, world.municipality.id), period, now=clock.now)
        book = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
        cells = [[c.value for row in sheet.iter_rows() for c in row] for sheet in book.worksheets]
        return "\n".join(summary_text(summary)).encode(), cells, charts.images(summary)

    before = await rendered("2025-2026")
    assert "M2.4.6 Есть хотя бы одна муниципальная стажировочная площадка — <b>да</b>" in before[0].decode()
    swapped = [SchoolRow(r.name, r.short_name, r.rural, not r.municipal_internship_site, not r.regional_internship_site) for r in rows]
    async with session_factory() as session:
        await add_schools(session, await session.get(Municipality, world.municipality.id), swapped, "2026-2027")
        await session.commit()
    assert await rendered("2025-2026") == before  # text, every cell and the chart, as they were
    async with session_factory() as session:
        this_year = await build_summary(session, await session.get(Municipality, world.municipality.id), "2026-2027", now=clock.now)
    flags = {s.school.short_name: (s.values["S2.4.6"].value, s.values["S2.4.7"].value) for s in this_year.scores.schools}
    assert flags == {"СОШ 1": (False, True), "Ключевская ООШ": (True, False)}


async def test_text_stays_text_in_every_workbook(session_factory, world, tmp_path: Path, clock):
    """A school named «=1+1» and an answer «=HYPERLINK(...)» are text, never formulas, in the summary, the card,
    the export and the templates: every cell goes through storage.xlsx.cell."""
    from scoring.export import export_answers
    from storage.importers import LAYOUTS
    from storage.models import School
    from storage.templates import template_workbook

    await _fill(session_factory, world)
    async with session_factory() as session:
        school = await session.get(School, world.schools[0].id)
        school.short_name = "=1+1"
        school.name = "=SUM(1,2)"
        await session.commit()
        municipality = await session.get(Municipality, world.municipality.id)
        summary = await build_summary(session, municipality, now=clock.now)
        await export_answers(session, municipality.id, tmp_path / "export.xlsx")
    score = next(s for s in summary.scores.schools if s.school.id == world.schools[0].id)
    books = {
        "summary": openpyxl.load_workbook(io.BytesIO(report.workbook(summary))),
        "card": openpyxl.load_workbook(io.BytesIO(report.card_workbook(summary, score))),
        "export": openpyxl.load_workbook(tmp_path / "export.xlsx"),
        **{f"template {kind}": openpyxl.load_workbook(io.BytesIO(template_workbook(layout))) for kind, layout in LAYOUTS.items()},
    }
    seen = set()
    for name, book in books.items():
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for c in row:
                    assert c.data_type != "f", (name, sheet.title, c.coordinate, c.value)
                    if c.value in ("=1+1", FORMULA) or (isinstance(c.value, str) and c.value.startswith("=SUM")):
                        seen.add((name, c.value if c.value != "=SUM(1,2)" else "name"))
    assert {("summary", "=1+1"), ("summary", FORMULA), ("export", "=1+1"), ("export", FORMULA)} <= seen
    card = books["card"]["Карточка школы"]
    assert card["A1"].value.startswith("=SUM(1,2) — карточка школы") and card["A1"].data_type == "s"
