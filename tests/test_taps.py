"""How many times a teacher taps or types to answer the teacher questionnaire, through the fake Bot API.

Three teachers register in the autumn of 2025 and answer the 2025-2026 questionnaire (a new
teacher's count, from the first question to «Отправить»). A year later the 2026-2027 campaign
opens, its notice arrives, and each answers again with nothing changed (a returning teacher's
count, from the notice's «Начать» to «Отправить»). `pytest -s tests/test_taps.py` prints the
table that BENCHMARKS.md records.
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
from tests.harness import User

NEW_LIMIT, RETURNING_LIMIT = 16, 12

# The answers of each persona, as the buttons pressed (the previous year and this one alike).
PERSONAS = {
    # the commonest pattern in a ШНОР school: diagnosed, an ИОМ, a methodical association, a mentor, an event, courses
    "typical": ["Учитель", "Математика", "Готово", "☐ Методические", "Да ✔", "Да: Реализуется", "Нет", "Нет", "Да",
                "☐ Наставник", "Да ✔", "Да: без выступлений и публикаций", "Нет", "Нет", "Да", "Отправить"],
    # «нет» to everything that can be «нет»
    "all no": ["Учитель", "Математика", "Готово", "Нет", "Нет", "Нет", "Нет", "Нет", "Нет", "Нет", "Нет", "Нет", "Нет",
               "Отправить"],
    # «да» to everything, one choice in each list: every follow-up is asked
    "all yes": ["Учитель", "Математика", "Готово", "☐ Предметные", "Да ✔", "Да: Выполнен", "Да", "Да", "Да",
                "☐ Тьютор", "Да ✔", "Да: выступал(а) или публиковал(ась)", "Да", "Да", "Да", "Отправить"],
}
# A returning teacher with nothing changed: the facts kept in one press, the year's questions with last
# year's choices already marked.
RETURNING = {
    "typical": ["Без изменений ✔", "Да ✔", "Да ✔", "Да: без выступлений и публикаций", "Нет", "Нет", "Да", "Отправить"],
    "all no": ["Без изменений ✔", "Нет", "Нет", "Нет", "Нет", "Нет", "Нет", "Отправить"],
    "all yes": ["Без изменений ✔", "Да ✔", "Да ✔", "Да: выступал(а) или публиковал(ась)", "Да", "Да", "Да", "Отправить"],
}
EXACT = {"Да", "Нет"}


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
        await teacher.send(f"Педагогова Мария {['Ивановна', 'Петровна', 'Сергеевна'][n]}")
        assert "Вопрос 1 из" in teacher.last  # the questionnaire starts at once
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
        # the same answers as last year, stored as this year's
        person = people[teacher.id]
        assert await _answers(session_factory, person, "2026-2027") == await _answers(session_factory, person, "2025-2026"), persona

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

    assert counted("Какие дефициты диагностировали?", "Методические") == (1, 2)
    assert counted("В каком состоянии ваш ИОМ?", "Выполнен") == (1, 2)
    assert counted("Вы участвуете в работе муниципального методического объединения (ММО, РМО, ГМО)?", "да") == (2, 3)
    assert counted("В какой форме была поддержка?", "Тьютор") == (1, 2)
    assert counted("Какие предметы вы преподаёте?", "Математика") == (3, 3)

    with capsys.disabled():
        print("\nTeacher questionnaire, actions (taps and messages) from the first screen to «Отправить»:")
        print("| answers | new teacher | returning, nothing changed |\n| --- | --- | --- |")
        for persona, (new, returning) in counts.items():
            print(f"| {persona} | {new} | {returning} |")
    for persona, (new, returning) in counts.items():
        assert new <= NEW_LIMIT and returning <= RETURNING_LIMIT, (persona, new, returning)


async def test_a_changed_fact_is_asked_with_last_years_answer(runner, api, world, session_factory, clock):
    """«Изменить» goes through the facts one by one, each showing last year's answer; what is changed is stored,
    the rest as before."""
    clock.now = START - dt.timedelta(days=365)
    async with session_factory() as session:
        await create_campaign(session, municipality=world.municipality, survey=load_pack("teacher"), period="2025-2026",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()
    teacher = Counted(runner, 6200, "Мария")
    await teacher.send(f"/start {world.invites['teacher:0'].token}")
    await teacher.press("Согласен", exact=True)
    await teacher.send("Педагогова Мария Ивановна")
    for label in PERSONAS["typical"]:
        await teacher.press(label, exact=label in EXACT)

    clock.now = START
    await teacher.send("/surveys")
    await teacher.press("Начать: Анкета педагога (2026-2027)")
    await teacher.press("Изменить", exact=True)
    assert "Ваша должность" in teacher.last and "В прошлом году (2025-2026): <b>Учитель</b>" in teacher.last
    await teacher.press("Учитель")
    assert "предметы" in teacher.last and "☑ Математика" in teacher.buttons()  # last year's choice, already marked
    await teacher.press("Информатика")  # a subject more this year
    await teacher.press("Готово")
    assert "диагностике" in teacher.last and "В прошлом году" not in teacher.last.split("Если да")[0]  # asked afresh
    assert "☑ Методические" in teacher.buttons()  # the follow-up's choice of last year is offered
    await teacher.press("Нет", exact=True)  # no diagnostics this year
    assert "ИОМ" in teacher.last and "В прошлом году (2025-2026): <b>Да</b>" in teacher.last
    person = await _person(session_factory, 6200)
    answers = await _answers(session_factory, person, "2026-2027")
    assert answers == {"position": "teacher", "subjects": ["math", "cs"], "diagnostics": "no"}


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
