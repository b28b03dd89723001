"""How many times a teacher or a deputy taps or types to answer their questionnaire, through the fake Bot API.

Four teachers register in the autumn of 2025 and answer the 2025-2026 questionnaire (a new
teacher's count, from the first question to «Отправить»). A year later the 2026-2027 campaign
opens, its notice arrives, and each answers again: three with nothing changed, one with a subject
more (a returning teacher's count, from the notice's «Начать» to «Отправить»). Deputies of
ordinary and risk-zone schools do the same with the school questionnaire. `pytest -s
tests/test_taps.py -k taps_less` prints the tables that BENCHMARKS.md records (bench/taps.py).
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlalchemy import select, update

from bot.reminders import ReminderRunner
from bot.sender import Sender
from monitoring.campaigns import create_campaign
from scoring import report
from scoring.service import build_summary
from storage.models import Answer, Campaign, Person, Response
from surveys.loader import load_pack
from tests.conftest import START
from tests.harness import User, register

# The targets of issue 23, in actions (presses and messages) from the first questionnaire screen to «Отправить»
NEW_LIMIT, RETURNING_LIMIT, CHANGED_LIMIT = 15, 9, 11  # a teacher: new; a year later, nothing changed; one fact changed
DEPUTY_NEW_LIMIT, DEPUTY_RISK_LIMIT, DEPUTY_RETURNING_LIMIT = 14, 18, 10  # a deputy: new; a risk-zone school; returning

# The answers of each persona, as the buttons pressed (the previous year and this one alike).
PERSONAS = {
    # the commonest pattern in a ШНОР school: diagnosed, an ИОМ, a methodical association, a mentor, an event, courses
    "typical": ["Учитель", "Математика", "Готово", "Методические", "Да ✔", "Да: Реализуется", "Муниципальное МО", "Готово",
                "Наставник", "Да ✔", "Да: без выступлений и публикаций", "Нет", "Нет", "Да", "Отправить"],
    # «нет» to everything that can be «нет»
    "all no": ["Учитель", "Математика", "Готово", "Нет, не участвовал(а)", "Нет, ИОМ у меня нет", "Ни в каких",
               "Нет, не получал(а)", "Нет, не участвовал(а)", "Нет", "Нет", "Нет", "Отправить"],
    # «да» to everything, one choice in each list: every follow-up is asked
    "all yes": ["Учитель", "Математика", "Готово", "Предметные", "Да ✔", "Да: Выполнен", "Во всех трёх",
                "Тьютор", "Да ✔", "Да: выступал(а) или публиковал(ась)", "Да", "Да", "Да", "Отправить"],
}
PERSONAS["one subject more"] = PERSONAS["typical"]
# A returning teacher with nothing changed: the facts kept in one press, the year's questions with last
# year's choices already marked.
RETURNING = {
    "typical": ["Без изменений ✔", "Да ✔", "Да ✔", "Да: без выступлений и публикаций", "Нет", "Нет", "Да", "Отправить"],
    "all no": ["Без изменений ✔", "Нет, не участвовал(а)", "Нет, не получал(а)", "Нет, не участвовал(а)", "Нет", "Нет",
               "Нет", "Отправить"],
    "all yes": ["Без изменений ✔", "Да ✔", "Да ✔", "Да: выступал(а) или публиковал(ась)", "Да", "Да", "Да", "Отправить"],
    # one fact changed: its number on the carry screen, then the subject added to last year's ticks
    "one subject more": ["✏️ 2", "Информатика", "Готово", "Да ✔", "Да ✔", "Да: без выступлений и публикаций", "Нет",
                         "Нет", "Да", "Отправить"],
}
EXACT = {"Да", "Нет", "✏️ 2"}

# A deputy: the number of teachers typed, the rest pressed (S2.6 questions last, for a risk-zone school).
DEPUTIES = {
    "typical": ["42", "Да", "Дефицит педагогических кадров", "Готово", "Да", "Нет", "Да", "Нет", "Да", "Да", "Да", "Нет",
                "Да", "Отправить"],
    "all no": ["42", "Нет", "Рисков не выявлено", *["Нет"] * 9, "Отправить"],
    "all yes": ["42", "Да", "Выявлены все три", *["Да"] * 9, "Отправить"],
}
RISK_ZONE = {"typical": ["Да", "Нет", "Нет", "Да"], "all no": ["Нет"] * 4, "all yes": ["Да"] * 4}  # S2.6.1-S2.6.4
# A year later, nothing changed: the lasting facts in one press, the number typed, last year's risks kept as marked.
DEPUTY_RETURNING = ["Без изменений ✔", "42", "Готово", "Да", "Да", "Да", "Да", "Отправить"]


class Counted(User):
    """A user whose every message and press is counted."""

    actions = 0

    async def send(self, text: str) -> str:
        self.actions += 1
        return await super().send(text)

    async def press_data(self, message, data):
        self.actions += 1
        return await super().press_data(message, data)


async def _answers(session_factory, person_id: int, period: str) -> dict:
    async with session_factory() as session:
        return dict((await session.execute(
            select(Answer.question, Answer.value).join(Response).join(Campaign)
            .where(Response.person_id == person_id, Campaign.period == period)
        )).all())


async def test_a_returning_teacher_taps_less(runner, api, world, session_factory, clock, capsys):
    clock.now = START - dt.timedelta(days=365)  # the autumn of 2025: only last year's campaign is open
    async with session_factory() as session:
        await create_campaign(session, municipality=world.municipality, survey=load_pack("teacher"), period="2025-2026",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()

    counts: dict[str, tuple[int, int]] = {}
    teachers: dict[str, Counted] = {}
    for n, (persona, script) in enumerate(PERSONAS.items()):
        teacher = teachers[persona] = Counted(runner, 6100 + n, "Мария")
        await teacher.send(f"/start {world.invites['teacher:0'].token}")
        await teacher.press("Согласен", exact=True)
        await teacher.send(f"Педагогова Мария {['Ивановна', 'Петровна', 'Сергеевна', 'Олеговна'][n]}")
        assert "Ваша должность" in teacher.last  # the questionnaire starts at once
        teacher.actions = 0
        for label in script:
            await teacher.press(label, exact=label in EXACT)
        assert "анкета отправлена ✅" in teacher.last, persona
        counts[persona] = (teacher.actions, 0)

    # a year later: last year's campaign has ended, this year's opens and its notice goes out
    clock.now = START
    async with session_factory() as session:
        await session.execute(update(Campaign).where(Campaign.id == world.campaigns["teacher"].id).values(closed_at=clock.now))
        await create_campaign(session, municipality=world.municipality, survey=load_pack("teacher"), period="2026-2027",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()
    sent = ReminderRunner(runner.bot, session_factory, Sender(rate=200, backoff=0.01), clock, workers=2)
    await sent.tick()
    async with session_factory() as session:
        people = {p.tg_user_id: p.id for p in await session.scalars(select(Person))}
    for persona, script in RETURNING.items():
        teacher = teachers[persona]
        teacher.actions = 0
        await teacher.press("Начать")  # the notice's button
        carried = teacher.last
        assert "Как в прошлом году (2025-2026):" in carried and "Учитель" in carried and "Математика" in carried, persona
        for label in script:
            await teacher.press(label, exact=label in EXACT)
        assert "анкета отправлена ✅" in teacher.last, persona
        counts[persona] = (counts[persona][0], teacher.actions)
        # the same answers as last year, stored as this year's (one subject more for the one who changed it)
        person = people[teacher.id]
        last_year = await _answers(session_factory, person, "2025-2026")
        if persona == "one subject more":
            last_year["subjects"] = ["math", "cs"]
        assert await _answers(session_factory, person, "2026-2027") == last_year, persona

    # what no indicator reads is tallied on the summary workbook's «Развитие педагогов» sheet
    async with session_factory() as session:
        from storage.models import Municipality

        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), "2026-2027", now=clock.now)
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
    sheet = book["Развитие педагогов"]
    table = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]  # a caption, then the header row
    assert [c.value for c in sheet[2]][:5] == ["Вопрос", "Ответ", "Педагогов по МСО", "Доля от ответивших", "СОШ 1"]

    def counted(question: str, answer: str) -> tuple[int, int]:
        at = next(n for n, row in enumerate(table) if row[0] == question)
        row = next(row for row in table[at:] if row[1] == answer)
        return row[2], table[at][2]  # chosen, answered

    assert counted("Какие дефициты диагностировали?", "Методические") == (2, 3)
    assert counted("В каком состоянии ваш ИОМ?", "Выполнен") == (1, 3)
    assert counted("Вы участвуете в работе муниципального методического объединения (ММО, РМО, ГМО)?", "да") == (3, 4)
    assert counted("В какой форме была поддержка?", "Тьютор") == (1, 3)
    assert counted("Какие предметы вы преподаёте?", "Математика") == (4, 4)
    assert counted("Какие предметы вы преподаёте?", "Информатика") == (1, 4)

    with capsys.disabled():
        print("\nTeacher questionnaire, actions (taps and messages) from the first screen to «Отправить»:")
        print("| answers | new teacher | a year later |\n| --- | --- | --- |")
        for persona, (new, returning) in counts.items():
            print(f"| {persona} | {new} | {returning} |")
    for persona, (new, returning) in counts.items():
        limit = CHANGED_LIMIT if persona == "one subject more" else RETURNING_LIMIT
        assert new <= NEW_LIMIT and returning <= limit, (persona, new, returning)


async def test_a_changed_fact_is_asked_alone_with_last_years_answer(runner, api, world, session_factory, clock):
    """The carry screen lists each fact on its own line, a list one item a line; the number of one keeps the others
    and asks just that one, with last year's answer; what is changed is stored, the rest as before."""
    clock.now = START - dt.timedelta(days=365)
    async with session_factory() as session:
        await create_campaign(session, municipality=world.municipality, survey=load_pack("teacher"), period="2025-2026",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()
    teacher = Counted(runner, 6200, "Мария")
    await teacher.send(f"/start {world.invites['teacher:0'].token}")
    await teacher.press("Согласен", exact=True)
    await teacher.send("Педагогова Мария Ивановна")
    script = list(PERSONAS["typical"])
    script[1:3] = ["Физика", "Математика", "Готово"]  # two subjects, one of them with commas of its own
    for label in script:
        await teacher.press(label, exact=label in EXACT)

    clock.now = START
    await teacher.send("/surveys")
    await teacher.press("Начать: Анкета педагога (2026-2027)")
    carried = teacher.last
    assert ("2. Какие предметы вы преподаёте?\n   — <b>Математика</b>\n   — <b>Физика, химия, биология</b>\n"
            "3. У вас есть индивидуальный") in carried
    assert teacher.buttons()[:8] == ["Без изменений ✔", *[f"✏️ {n}" for n in range(1, 8)]]
    await teacher.press("✏️ 3", exact=True)  # the ИОМ: asked alone, its state on its screen, last year's shown
    assert "Остальные ответы сохранены как в прошлом году (5 ответов)" in teacher.last
    assert "ИОМ" in teacher.last and "В прошлом году (2025-2026): <b>Да</b>" in teacher.last
    assert "В прошлом году (2025-2026): <b>Реализуется</b>" in teacher.last
    person = await _person(session_factory, 6200)
    assert set(await _answers(session_factory, person, "2026-2027")) == {
        "position", "subjects", "network_association", "rma_member", "mmo_member"}
    await teacher.press("Да: Выполнен")
    assert "диагностике" in teacher.last and "В прошлом году" not in teacher.last.split("Если да")[0]  # asked afresh
    assert "Отмечено в прошлом году (2025-2026):\n   — <b>Методические</b>" in teacher.last  # the follow-up's ticks, said
    assert "☑ 2. Методические" in teacher.buttons()
    await teacher.press("Да ✔")  # last year's ticks kept: said so, one item a line
    assert "ℹ️ Сохранено — какие дефициты диагностировали:\n— Методические" in teacher.last
    answers = await _answers(session_factory, person, "2026-2027")
    assert answers == {"position": "teacher", "subjects": ["math", "science"], "has_iom": "yes", "iom_state": "completed",
                       "network_association": "no", "rma_member": "no", "mmo_member": "yes", "diagnostics": "yes",
                       "diagnostics_kinds": ["methodical"]}


async def test_a_teacher_types_every_answer_ahead(runner, api, world, session_factory, clock):
    """On a poor connection a teacher types the answers one after another without waiting for the screens: each is
    read as the button it names, in order; what cannot be read gets one line and the question again, nothing stored."""
    teacher = await register(runner, 6400, world.invites["teacher:0"])
    typed = ["учитель", "2, 7", "да: 2", "Да, выполнен", "3", "нет", "нет, не участвовал", "нет", "+", "да"]
    updates = [api.message_update(6400, text, name=teacher.name) for text in typed]  # sent before any reply arrives
    for update_id in updates:
        await runner.wait(update_id)
    assert "проверьте ответы" in teacher.last
    await teacher.send("может быть")  # nothing left to answer: the review again, under one line
    assert teacher.last.startswith("⚠️ Все вопросы отвечены") and "проверьте ответы" in teacher.last
    await teacher.send("отправить")
    assert "анкета отправлена ✅" in teacher.last
    assert teacher.last.startswith("<b>📄 Копия ваших ответов") and teacher.buttons() == ["Скачать копию (Word)"]  # as after the button
    answers = next(iter((await _campaign_answers(session_factory, world.campaigns["teacher"].id)).values()))
    assert answers == {"position": "teacher", "subjects": ["math", "cs"], "diagnostics": "yes", "diagnostics_kinds": ["methodical"],
                       "has_iom": "yes", "iom_state": "completed", "network_association": "no", "rma_member": "no",
                       "mmo_member": "yes", "support_received": "no", "quality_events": "no", "internship_elsewhere": "no",
                       "internship_municipal": "yes", "courses": "yes"}

    other = await register(runner, 6401, world.invites["teacher:1"], "Второва Анна Ивановна")
    for text, expected in [("повар", "⚠️ Не понял ответ «повар»: напишите номер варианта (от 1 до 4) или нажмите кнопку."),
                           ("7", "⚠️ Варианта с номером 7 нет: номера от 1 до 4.")]:
        reply = await other.send(text)
        assert reply.startswith(expected + "\n\n") and "Ваша должность" in reply and "1. Учитель" in other.buttons()
    await other.send("1")
    reply = await other.send("математика, физика, повар")
    assert reply.startswith("⚠️ Не понял ответ «повар»") and "Какие предметы" in reply
    await other.send("математика; физика, химия, биология")
    reply = await other.send("может быть")
    assert reply.startswith("⚠️ Не понял ответ «может быть»: напишите «нет», «да» или номер варианта (от 1 до 3).")
    await other.send("да")  # «да» alone: the kinds are asked next, on their own
    assert "Какие дефициты диагностировали?" in other.last and "Если да" not in other.last
    person = await _person(session_factory, 6401)
    async with session_factory() as session:
        stored = dict((await session.execute(select(Answer.question, Answer.value).join(Response)
                                             .where(Response.person_id == person))).all())
    assert stored == {"position": "teacher", "subjects": ["math", "science"], "diagnostics": "yes"}


async def _campaign_answers(session_factory, campaign_id: int) -> dict:
    from monitoring.campaigns import responses_of_campaign

    async with session_factory() as session:
        return await responses_of_campaign(session, campaign_id)


async def test_a_deputy_taps_less(runner, api, world, session_factory, clock, capsys):
    """New deputies of ordinary and risk-zone schools answer the school questionnaire; a year later the deputy of an
    ordinary school answers it again with nothing changed."""
    from scoring.service import import_statuses
    from storage.importers import StatusRow
    from storage.models import Municipality, Role, School
    from storage.registry import create_invite

    clock.now = START - dt.timedelta(days=365)
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        schools, invites = {}, {}
        for zone in ("ordinary", "risk zone"):
            for persona in DEPUTIES:
                school = School(municipality_id=municipality.id, name=f"МБОУ СОШ «{zone}, {persona}»", short_name=f"{zone}, {persona}")
                session.add(school)
                await session.flush()
                schools[zone, persona] = school
                invites[zone, persona] = await create_invite(session, role=Role.DEPUTY, municipality=municipality, school=school,
                                                             max_uses=1, valid_for=dt.timedelta(days=30), now=clock.now)
        await import_statuses(session, municipality, "2025-2026", [
            StatusRow(n, schools["risk zone", persona].name, False, False, True, False) for n, persona in enumerate(DEPUTIES, 2)])
        await create_campaign(session, municipality=municipality, survey=load_pack("school"), period="2025-2026",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()

    counts: dict[tuple[str, str], int] = {}
    deputies: dict[tuple[str, str], Counted] = {}
    for n, (zone, persona) in enumerate(invites):
        deputy = deputies[zone, persona] = Counted(runner, 6500 + n, "Ирина")
        await deputy.send(f"/start {invites[zone, persona].token}")
        await deputy.press("Согласен", exact=True)
        await deputy.send("Заместителева Ирина Олеговна")
        assert "педагогических работников" in deputy.last  # the questionnaire starts at once
        deputy.actions = 0
        script = DEPUTIES[persona][:-1] + (RISK_ZONE[persona] if zone == "risk zone" else []) + ["Отправить"]
        for label in script:
            if label.isdigit():
                await deputy.send(label)
            else:
                await deputy.press(label, exact=label in EXACT)
        assert "анкета отправлена ✅" in deputy.last, (zone, persona)
        counts[zone, persona] = deputy.actions

    clock.now = START  # a year later: this year's school questionnaire opens and its notice goes out
    async with session_factory() as session:
        await session.execute(update(Campaign).where(Campaign.id == world.campaigns["school"].id).values(closed_at=clock.now))
        await create_campaign(session, municipality=world.municipality, survey=load_pack("school"), period="2026-2027",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()
    await ReminderRunner(runner.bot, session_factory, Sender(rate=200, backoff=0.01), clock, workers=2).tick()
    deputy = deputies["ordinary", "typical"]
    deputy.actions = 0
    await deputy.press("Начать")
    carried = deputy.last
    assert "Как в прошлом году (2025-2026):" in carried and "Организован ли мониторинг благополучия" in carried
    for label in DEPUTY_RETURNING:
        if label.isdigit():
            assert "В прошлом году (2025-2026): <b>42</b>" in deputy.last
            await deputy.send(label)
        else:
            if label == "Готово":
                assert "Отмечено в прошлом году (2025-2026):\n   — <b>Дефицит педагогических кадров</b>" in deputy.last
            await deputy.press(label, exact=label in EXACT)
    assert "анкета отправлена ✅" in deputy.last
    returning = deputy.actions
    async with session_factory() as session:
        rows = dict((await session.execute(
            select(Campaign.period, Response.id).join(Campaign).where(Response.subject == f"school:{schools['ordinary', 'typical'].id}")
        )).all())
        by_period = {period: dict((await session.execute(select(Answer.question, Answer.value).where(Answer.response_id == rid))).all())
                     for period, rid in rows.items()}
    assert by_period["2026-2027"] == by_period["2025-2026"]  # the same answers, stored as this year's

    with capsys.disabled():
        print("\nSchool questionnaire, a deputy's actions (taps and messages) from the first screen to «Отправить»:")
        print("| answers | new, ordinary school | new, risk-zone school |\n| --- | --- | --- |")
        for persona in DEPUTIES:
            print(f"| {persona} | {counts['ordinary', persona]} | {counts['risk zone', persona]} |")
        print(f"| typical, a year later, nothing changed | {returning} | |")
    for persona in DEPUTIES:
        assert counts["ordinary", persona] <= DEPUTY_NEW_LIMIT and counts["risk zone", persona] <= DEPUTY_RISK_LIMIT, counts
    assert returning <= DEPUTY_RETURNING_LIMIT, returning


async def test_nothing_carries_over_when_there_is_nothing_to_carry(runner, api, world, session_factory):
    """A new teacher sees no «как в прошлом году»; nor does a teacher whose last questionnaire was never sent."""
    teacher = Counted(runner, 6300, "Мария")
    await teacher.send(f"/start {world.invites['teacher:0'].token}")
    await teacher.press("Согласен", exact=True)
    await teacher.send("Педагогова Мария Ивановна")
    assert "Ваша должность" in teacher.last and "прошлом году" not in teacher.last


async def _person(session_factory, tg_user_id: int) -> int:
    async with session_factory() as session:
        return await session.scalar(select(Person.id).where(Person.tg_user_id == tg_user_id))
