"""The yearly cycle in MAX as in Telegram: a deputy chasing teachers of both channels (/missing, nudges, the
teacher invite), a questionnaire returned for correction, the monitoring calendar, and a returning teacher's
answers carried over from last year. Each notice goes to the person in the channel they use."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from bot.calendar_runner import CalendarRunner
from bot.reminders import ReminderRunner
from bot.sender import Sender
from monitoring import calendar as mc
from monitoring.campaigns import create_campaign
from storage.models import (
    Account,
    CalendarMessage,
    Campaign,
    Delivery,
    Municipality,
    Person,
    Response,
)
from surveys.loader import load_pack
from tests.chasing import add_teacher, delivery_states, outbox, seed_response
from tests.conftest import START
from tests.harness import MaxUser, User, register_max, snapshot

DEPUTY = "Заместителева Ирина Олеговна"
IN_MAX, IN_TELEGRAM = "Андреева Анна Андреевна", "Борисова Белла Борисовна"


async def person_of(session_factory, account_id: int) -> Person:
    async with session_factory() as session:
        return await session.scalar(select(Person).join(Account, Account.person_id == Person.id)
                                    .where(Account.account_id == account_id))


async def test_a_deputy_in_max_chases_teachers_of_both_channels(api, runner, max_api, max_runner, world, session_factory, clock):
    teacher = await register_max(max_runner, 3001, world.invites["teacher:0"], IN_MAX)
    assert "осталось 10 вопросов" in teacher.last  # opened at registration: a draft
    other = await add_teacher(session_factory, world, 3002, IN_TELEGRAM)  # in Telegram, not started
    deputy = await register_max(max_runner, 3003, world.invites["deputy:0"], DEPUTY)

    before = await outbox(session_factory)
    shown = await deputy.send("/missing")
    assert shown.startswith("<b>СОШ 1</b>: кто из педагогов не ответил")
    assert f"Не начали (1): {IN_TELEGRAM}\n" in shown and f"Начали, не отправили (1): {IN_MAX}\n" in shown
    assert deputy.buttons() == ["🔔 Напомнить всем, кто не ответил (2)", "🔔 Напомнить одному…",
                                "✉️ Приглашение для педагогов"]
    assert await outbox(session_factory) == before  # looking changes nothing

    note = await deputy.press("Напомнить всем")
    assert note["notification"] == "🔔 Напоминание уйдёт сейчас; педагогов: 2."
    await max_runner.reminders.drain()
    async with session_factory() as session:
        rows = {r.person_id: (r.channel, r.state) for r in await session.scalars(select(Delivery).where(Delivery.kind == "nudge"))}
    me = await person_of(session_factory, 3001)
    # the MAX process sent the MAX teacher's nudge; the Telegram one waits for the process that runs Telegram
    assert rows == {me.id: ("max", "sent"), other.id: ("telegram", "pending")}
    assert teacher.last.startswith(f"🔔 {DEPUTY}, заместитель директора (СОШ 1), напоминает: анкета «Анкета педагога»")
    assert teacher.buttons() == ["Продолжить анкету"]
    telegram = ReminderRunner(runner.bot, session_factory, Sender(rate=200, backoff=0.01), clock, workers=2)
    await telegram.tick()
    assert await delivery_states(session_factory, "nudge") == {me.id: ["sent"], other.id: ["sent"]}
    got = api.bot_messages(3002)
    assert len(got) == 1 and got[0]["text"].startswith(f"🔔 {DEPUTY}")

    # the same day again: nobody is reminded twice
    before = await outbox(session_factory)
    await deputy.send("/missing")
    note = await deputy.press("Напомнить")
    assert "уже есть" in note["notification"] and await outbox(session_factory) == before

    # the teacher invite: MAX's own link, and a button that copies the invite to paste into the teachers' chat
    await deputy.send("/missing")
    await deputy.press("Приглашение для педагогов")
    invite, forward = deputy.texts[-2], deputy.last
    assert "https://max.ru/shnor_max_bot?start=" in invite
    assert forward.startswith("Перешлите сообщение выше педагогам") and "скопируйте приглашение" in forward
    board = next(a for a in max_api.current(deputy.chat_id)["body"]["attachments"] if a["type"] == "inline_keyboard")
    [[button]] = board["payload"]["buttons"]
    token = invite.split("?start=")[1].split()[0]
    assert button["type"] == "clipboard" and button["payload"].startswith("Приглашение в ШНОР-монитор для педагогов школы")
    assert f"https://max.ru/shnor_max_bot?start={token}" in button["payload"]
    newcomer = MaxUser(max_runner, 3004, "Вера")
    await newcomer.start(token)
    await newcomer.press("Согласен", exact=True)
    await newcomer.send("Викторова Вера Викторовна")
    assert (await person_of(session_factory, 3004)).school_id == world.schools[0].id


async def test_a_deputy_in_max_returns_a_questionnaire_for_correction(max_api, max_runner, world, session_factory, clock):
    teacher = await register_max(max_runner, 3101, world.invites["teacher:0"], IN_MAX)
    me = await person_of(session_factory, 3101)
    async with session_factory() as session:  # the questionnaire opened at registration, answered and sent
        await session.execute(update(Response).where(Response.person_id == me.id).values(person_id=None, subject="gone"))
        await session.commit()
    max_runner.app.services.answering.states.clear()
    response_id = await seed_response(session_factory, world.campaigns["teacher"].id, f"person:{me.id}",
                                      school_id=me.school_id, person_id=me.id, status="submitted", now=clock.now)
    deputy = await register_max(max_runner, 3102, world.invites["deputy:0"], DEPUTY)

    await deputy.send("/missing")
    assert "Отправили: 1." in deputy.last
    await deputy.press("Вернуть анкету на доработку")
    assert deputy.last == "«Анкета педагога» (2026-2027): анкету какого педагога вернуть на доработку? Отправили: 1."
    await deputy.press(IN_MAX)
    assert deputy.last.startswith(f"Вернуть на доработку анкету педагога {IN_MAX} («Анкета педагога», 2026-2027).")
    before = await outbox(session_factory)
    await deputy.send("/card")  # a command is not a comment: the return is dropped, nothing changes
    assert await outbox(session_factory) == before
    await deputy.send("/missing")
    await deputy.press("Вернуть анкету на доработку")
    await deputy.press(IN_MAX)
    await deputy.send("Проверьте, пожалуйста, стажировки.")
    await deputy.press("Да, вернуть")
    assert deputy.last.startswith(f"↩️ Вернули на доработку анкету педагога {IN_MAX}.")
    await max_runner.reminders.drain()
    assert teacher.last.startswith("↩️ Вашу анкету «Анкета педагога» (период 2026-2027) вернули на доработку.\n"
                                   f"Кто вернул: {DEPUTY}, заместитель директора\n"
                                   "Комментарий: <i>Проверьте, пожалуйста, стажировки.</i>")
    async with session_factory() as session:
        assert (await session.get(Response, response_id)).status == "draft"
    await teacher.press("Открыть анкету")
    assert "проверьте ответы" in teacher.last
    await teacher.press("Отправить")
    assert "анкета отправлена ✅" in teacher.last
    async with session_factory() as session:
        assert (await session.get(Response, response_id)).status == "submitted"


async def test_the_calendar_in_max(max_api, max_runner, session_factory, clock):
    from tests.test_calendar import EKB, at, calendar_snapshot, campaigns_of, make_town

    clock.now = at(EKB, 2026, 8, 25, 12, 0)
    group = -71_001
    town = await make_town(session_factory, group=None, base=710)
    async with session_factory() as session:
        await session.execute(update(Municipality).where(Municipality.id == town.municipality.id)
                              .values(coordinators_channel="max", coordinators_chat_id=group))
        await session.commit()
    max_api.chat(group, "chat")
    coordinator = await register_max(max_runner, 3201, town.invite, "Координаторова Ольга Николаевна")

    await coordinator.send("/calendar")
    assert "📅 Календарь мониторинга «Ревдинский ГО», 2026-2027" in coordinator.last
    await coordinator.press("Составить план на 2026-2027")
    assert coordinator.last.startswith("План на 2026-2027 составлен: пунктов 8 (анкет 3, напоминаний 5).")
    await coordinator.press("1: сдвинуть")
    assert "На какую дату сдвинуть?" in coordinator.last
    before = await calendar_snapshot(session_factory)
    assert (await coordinator.send("31.02.2026")).startswith("⚠️ Не понял дату «31.02.2026»")
    assert await calendar_snapshot(session_factory) == before
    await coordinator.send("22.09.2026")
    assert coordinator.last.startswith("Пункт 1 сдвинут: «Анкета школы» — 22.09.2026 09:00, срок до 06.10.2026 18:00.")

    # the job opens it at its date and tells the coordinators' group in MAX, once
    job = CalendarRunner(None, session_factory, None, clock, mc.load_calendar(), reminders=max_runner.reminders,
                         outlets=max_runner.reminders.outlets.values())
    clock.now = at(EKB, 2026, 9, 22, 9, 0)
    await job.tick()
    await job.tick()
    assert [key for _, key, _, _ in await campaigns_of(session_factory, town)] == ["school"]
    opened = [t for t in max_api.texts(group) if "Анкета школы" in t]
    assert len(opened) == 1 and "открыта" in opened[0]
    async with session_factory() as session:
        sent = list(await session.scalars(select(CalendarMessage).where(CalendarMessage.channel == "max")))
    assert sent and all(m.state == "sent" and m.chat_id == group for m in sent)


async def test_a_returning_teacher_in_max_keeps_last_years_answers(max_api, max_runner, world, session_factory, clock):
    """One teacher keeps last year's facts in one press; another changes one of them (a subject more) by its number on
    the carry screen, in at most 11 actions from the notice's «Начать» to «Отправить»."""
    from tests.test_taps import CHANGED_LIMIT, EXACT, PERSONAS, RETURNING, _answers

    clock.now = START - dt.timedelta(days=365)  # the autumn of 2025: only last year's campaign is open
    async with session_factory() as session:
        await create_campaign(session, municipality=world.municipality, survey=load_pack("teacher"), period="2025-2026",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()
    teacher = await register_max(max_runner, 3301, world.invites["teacher:0"], IN_MAX)
    assert "осталось 10 вопросов" in teacher.last
    for label in PERSONAS["typical"]:
        await teacher.press(label, exact=label in {"Да", "Нет"})
    assert "анкета отправлена ✅" in teacher.last
    changer = await register_max(max_runner, 3302, world.invites["teacher:0"], "Сменова Ольга Петровна")
    for label in PERSONAS["typical"]:
        await changer.press(label, exact=label in EXACT)
    assert "анкета отправлена ✅" in changer.last

    clock.now = START  # a year later this year's campaign opens, and its notice goes out in MAX
    async with session_factory() as session:
        await session.execute(update(Campaign).where(Campaign.id == world.campaigns["teacher"].id).values(closed_at=clock.now))
        await create_campaign(session, municipality=world.municipality, survey=load_pack("teacher"), period="2026-2027",
                              deadline=clock.now + dt.timedelta(days=14), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()
    await max_runner.reminders.tick()
    assert "Начать анкету" in teacher.buttons()
    await teacher.press("Начать")
    assert "Как в прошлом году (2025-2026):" in teacher.last and "Математика" in teacher.last
    for label in RETURNING["typical"]:
        await teacher.press(label, exact=label in {"Да", "Нет"})
    assert "анкета отправлена ✅" in teacher.last
    me = await person_of(session_factory, 3301)
    assert await _answers(session_factory, me.id, "2026-2027") == await _answers(session_factory, me.id, "2025-2026")

    script = RETURNING["one subject more"]
    await changer.press("Начать")
    assert "2. Какие предметы вы преподаёте?\n   — <b>Математика</b>\n3." in changer.last
    for label in script:
        await changer.press(label, exact=label in EXACT)
    assert "анкета отправлена ✅" in changer.last and 1 + len(script) <= CHANGED_LIMIT  # «Начать», then the script
    other = await person_of(session_factory, 3302)
    expected = {**await _answers(session_factory, other.id, "2025-2026"), "subjects": ["math", "cs"]}
    assert await _answers(session_factory, other.id, "2026-2027") == expected


async def test_one_process_of_both_channels_forgets_a_person_in_both_at_once(runner, api, max_api, database_url, clock, world,
                                                                             session_factory):
    from tests.harness import MaxRunner, register

    telegram = await register(runner, 3401, world.invites["teacher:0"], "Обоева Нина Сергеевна")
    both = MaxRunner(max_api, database_url, clock, telegram=runner)  # the MAX side of the Telegram bot's process
    await both.start()
    runner.dp["pipeline"].services.links = both.app.services.links
    try:
        await telegram.send("/link")
        token = telegram.last.split("?start=")[1].split()[0]
        # the link adds a second messenger and never replaces the account of the first
        before = await snapshot(session_factory)
        await telegram.send(f"/start {token}")
        assert "уже зарегистрированы" in telegram.last
        stranger = User(runner, 3402, "Чужой")
        await stranger.send(f"/start {token}")
        assert "в этом мессенджере запись уже подключена" in stranger.last
        assert await snapshot(session_factory) == before
        in_max = MaxUser(both, 3403, "Нина")
        await in_max.start(token)
        assert "MAX подключён к вашей записи" in in_max.texts[-2]
        assert "Анкета педагога" in await telegram.send("/surveys")  # registered, and so remembered by the process

        await in_max.send("/forget")
        await in_max.press("Да, удалить")
        # the same process: Telegram forgets them at once, not after its minute of cache
        assert "не зарегистрированы" in await telegram.send("/surveys")
        assert "не зарегистрированы" in await in_max.send("/surveys")
    finally:
        await both.stop()
