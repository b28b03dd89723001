"""A deputy chases their school from the chat (/missing): who has not registered, not started, not sent;
nudges to one teacher or to all through the outbox, at most one a person a day; the teacher invite."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from storage.models import Delivery, Invite, Nudge, Person, Reminder
from tests.chasing import add_teacher, delivery_states, outbox, seed_response
from tests.harness import BotRunner, User, register

EKB = ZoneInfo("Asia/Yekaterinburg")
NAMES = {"A": "Андреева Анна Андреевна", "B": "Борисова Белла Борисовна", "C": "Викторова Вера Викторовна",
         "D": "Григорьева Галина Григорьевна"}


async def school_with_teachers(runner, world, session_factory, clock) -> tuple[User, dict[str, Person]]:
    """СОШ 1 declared 6 pedagogical workers; 4 registered: A sent the questionnaire, B has a draft, C and D
    have not started. Ключевская has a teacher of its own (never listed for СОШ 1)."""
    teachers = {label: await add_teacher(session_factory, world, 7000 + n, name) for n, (label, name) in enumerate(NAMES.items())}
    teachers["E"] = await add_teacher(session_factory, world, 7010, "Дмитриева Дарья Дмитриевна", school=1)
    campaign = world.campaigns["teacher"].id
    for label, status in (("A", "submitted"), ("B", "draft"), ("E", "draft")):
        person = teachers[label]
        await seed_response(session_factory, campaign, f"person:{person.id}", school_id=person.school_id,
                            person_id=person.id, status=status, now=clock.now)
    school = world.schools[0].id
    await seed_response(session_factory, world.campaigns["school"].id, f"school:{school}", school_id=school, person_id=None,
                        status="submitted", now=clock.now, overrides={"ped_workers": 6})
    deputy = await register(runner, 7100, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    return deputy, teachers


def texts_of(api, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in api.bot_messages(chat_id)]


async def test_missing_lists_who_has_not_registered_started_or_sent(api, runner, world, session_factory, clock):
    deputy, _ = await school_with_teachers(runner, world, session_factory, clock)
    before = await outbox(session_factory)
    shown = await deputy.send("/missing")
    assert shown.startswith("<b>СОШ 1</b>: кто из педагогов не ответил\n\n<b>Анкета педагога</b> (2026-2027), "
                            "осталось 14 дней, срок до 07.12.2026 10:00")
    assert "Педагоги: ответили 1 из 6 заявленных (16,7 %); зарегистрировано 4; начали 1." in shown
    assert ("Не зарегистрировались в боте: 2 (школа заявила педагогов: 6, зарегистрировано: 4) — "
            "перешлите им приглашение.") in shown
    assert f"Не начали (2): {NAMES['C']}, {NAMES['D']}\n" in shown
    assert f"Начали, не отправили (1): {NAMES['B']}\n" in shown
    assert "Отправили: 1.\nАнкета школы: отправлена." in shown
    assert "Дмитриева" not in shown and NAMES["A"] not in shown  # another school's teacher; the one who sent
    assert deputy.buttons() == ["🔔 Напомнить всем, кто не ответил (3)", "🔔 Напомнить одному…",
                                "↩️ Вернуть анкету на доработку…", "✉️ Приглашение для педагогов"]
    assert await outbox(session_factory) == before  # looking changes nothing

    # the other school has not declared its staff: how many have not registered is not known, and said so
    other = await register(runner, 7101, world.invites["deputy:1"], "Ключевская Ольга Петровна")
    shown = await other.send("/missing")
    assert "Педагоги: ответили 0; число педагогов школа не заявила; зарегистрировано 1; начали 1." in shown
    assert ("Сколько педагогов не зарегистрировалось, неизвестно: школа не заявила число педагогов в отправленной "
            "анкете школы (зарегистрировано: 1).") in shown
    assert "Не начали (0): нет" in shown and "Начали, не отправили (1): Дмитриева Дарья Дмитриевна" in shown
    assert "Анкета школы: начата, не отправлена." in shown  # opened at the deputy's registration
    assert other.buttons() == ["🔔 Напомнить всем, кто не ответил (1)", "🔔 Напомнить одному…", "✉️ Приглашение для педагогов"]


async def test_no_open_teacher_campaign_and_who_may_ask(api, runner, world, session_factory, clock):
    deputy, teachers = await school_with_teachers(runner, world, session_factory, clock)
    teacher = User(runner, teachers["C"].tg_user_id)
    coordinator = await register(runner, 7102, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    for user in (teacher, coordinator, User(runner, 7199)):
        assert "для заместителей директора" in await user.send("/missing")
    clock.now = world.campaigns["teacher"].deadline + dt.timedelta(minutes=1)
    shown = await deputy.send("/missing")
    assert "Сейчас нет открытой анкеты педагога для вашей школы — напоминать не о чем." in shown
    assert deputy.buttons() == ["✉️ Приглашение для педагогов"]


async def test_nudge_one_then_everyone_at_most_once_a_day(api, runner: BotRunner, world, session_factory, clock):
    deputy, teachers = await school_with_teachers(runner, world, session_factory, clock)
    b, c, d = (teachers[x] for x in "BCD")
    await deputy.send("/missing")
    await deputy.press("Напомнить одному")
    assert deputy.last.startswith("«Анкета педагога» (2026-2027): кому напомнить? Не ответили: 3.")
    assert deputy.buttons() == [f"{NAMES['B']} · начал(а)", NAMES["C"], NAMES["D"]]
    note = await deputy.press(NAMES["C"])
    assert note["text"] == "🔔 Напоминание уйдёт сейчас; педагогов: 1."
    assert deputy.last == f"🔔 Напоминание уйдёт сейчас: {NAMES['C']}."
    await runner.reminders.drain()
    got = texts_of(api, c.chat_id)
    assert got == ["🔔 Заместителева Ирина Олеговна, заместитель директора (СОШ 1), напоминает: анкета «Анкета "
                   "педагога» (период 2026-2027) ждёт ваших ответов — осталось 14 дней, срок до 07.12.2026 10:00. Это "
                   "займёт пару минут; ответы сохраняются сразу."]
    assert api.last_message(c.chat_id)["reply_markup"]["inline_keyboard"][0][0]["text"] == "Начать анкету"
    assert await delivery_states(session_factory, "nudge") == {c.id: ["sent"]}

    # the same teacher again the same day: said so, nothing written, nothing sent
    before = await outbox(session_factory)
    note = await deputy.press(NAMES["C"])
    assert note["show_alert"] and note["text"] == (
        f"{NAMES['C']}: напоминание на 23.11 уже есть (просил(а) Заместителева Ирина Олеговна). Не чаще одного в день — "
        "следующее можно завтра. Ничего не отправлено.")
    await runner.reminders.drain()
    assert await outbox(session_factory) == before and len(texts_of(api, c.chat_id)) == 1

    # everyone: the two left; C is named as already reminded
    await deputy.send("/missing")
    assert f"{NAMES['C']} (напоминание на 23.11 есть)" in deputy.last
    assert deputy.buttons()[0] == "🔔 Напомнить, кому можно сегодня (2 из 3)"
    note = await deputy.press("🔔 Напомнить, кому можно сегодня")
    assert note["text"] == "🔔 Напоминание уйдёт сейчас; педагогов: 2."
    assert deputy.last == (f"🔔 Напоминание уйдёт сейчас: {NAMES['B']}, {NAMES['D']}.\n"
                           f"Уже есть напоминание на 23.11, повторно не отправляется: {NAMES['C']}.")
    await runner.reminders.drain()
    assert api.last_message(b.chat_id)["reply_markup"]["inline_keyboard"][0][0]["text"] == "Продолжить анкету"
    assert len(texts_of(api, d.chat_id)) == 1 and len(texts_of(api, c.chat_id)) == 1
    before = await outbox(session_factory)
    note = await deputy.press("🔔 Напомнить, кому можно сегодня")
    assert note["text"].startswith("Всем, кто не ответил, напоминание на 23.11 уже есть") and "Ничего не отправлено" in note["text"]
    await runner.reminders.drain()
    assert await outbox(session_factory) == before

    # a second deputy of the school is held by the same rule
    second = await register(runner, 7103, world.invites["deputy:0"], "Вторая Анна Ивановна")
    await second.send("/missing")
    assert second.buttons()[0] == "🔔 Напомнить, кому можно сегодня (0 из 3)"
    note = await second.press("🔔 Напомнить, кому можно сегодня")
    assert "уже есть" in note["text"]

    # the teacher who answers meanwhile is not nudged the next day; the others are, once
    clock.now += dt.timedelta(days=1)
    await seed_response(session_factory, world.campaigns["teacher"].id, f"person:{d.id}", school_id=d.school_id,
                        person_id=d.id, status="submitted", now=clock.now)
    await deputy.send("/missing")
    note = await deputy.press("Напомнить всем")
    assert note["text"] == "🔔 Напоминание уйдёт сейчас; педагогов: 2."
    await runner.reminders.drain()
    assert (len(texts_of(api, b.chat_id)), len(texts_of(api, c.chat_id)), len(texts_of(api, d.chat_id))) == (2, 2, 1)
    assert await delivery_states(session_factory, "nudge") == {c.id: ["sent", "sent"], b.id: ["sent", "sent"], d.id: ["sent"]}
    # the nudge's button opens the questionnaire
    message, data = api.find_button(c.chat_id, "Начать анкету")
    await runner.wait(api.callback_update(c.tg_user_id, message, data))
    assert "осталось 10 вопросов" in api.current_message(c.chat_id)["text"]


async def test_a_nudge_in_quiet_hours_goes_in_the_morning_once_across_restarts(api, database_url, world, session_factory, clock):
    """«Once a day» is the municipality's calendar day on which the nudge goes out: asked for at 22:30 it
    goes at 08:00 and is that day's nudge. The outbox keeps it across a restart, and it is sent once."""
    first = BotRunner(api, database_url, clock)
    await first.start()
    try:
        deputy, teachers = await school_with_teachers(first, world, session_factory, clock)
        c = teachers["C"]
        clock.now = dt.datetime(2026, 11, 23, 22, 30, tzinfo=EKB).astimezone(dt.UTC)
        await deputy.send("/missing")
        await deputy.press("Напомнить одному")
        note = await deputy.press(NAMES["C"])
        assert note["text"] == "🔔 Напоминание уйдёт в 08:00 24.11 (тихие часы 21:00-08:00); педагогов: 1."
        await first.reminders.drain()
        await first.reminders.tick()
        assert texts_of(api, c.chat_id) == []  # quiet hours
    finally:
        await first.stop()
    async with session_factory() as session:
        nudge = await session.scalar(select(Nudge))
        reminder = await session.get(Reminder, nudge.reminder_id)
    assert nudge.day == "2026-11-24" and reminder.due_at == dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)

    second = BotRunner(api, database_url, clock)  # the bot restarted overnight
    await second.start()
    try:
        clock.now = dt.datetime(2026, 11, 24, 8, 0, tzinfo=EKB).astimezone(dt.UTC)
        await second.reminders.tick()
        await second.reminders.tick()
        assert len(texts_of(api, c.chat_id)) == 1 and texts_of(api, c.chat_id)[0].startswith("🔔 Заместителева Ирина Олеговна")
        # 09:00 the same morning: the day's nudge went at 08:00, so none more today
        clock.now = dt.datetime(2026, 11, 24, 9, 0, tzinfo=EKB).astimezone(dt.UTC)
        deputy = User(second, deputy.id, deputy.name)
        await deputy.send("/missing")
        await deputy.press("Напомнить одному")
        before = await outbox(session_factory)
        note = await deputy.press(NAMES["C"])
        assert "напоминание на 24.11 уже есть" in note["text"]
        assert await outbox(session_factory) == before
    finally:
        await second.stop()
    third = BotRunner(api, database_url, clock)  # and once more: nothing goes twice
    await third.start()
    try:
        await third.reminders.tick()
    finally:
        await third.stop()
    assert len(texts_of(api, c.chat_id)) == 1
    assert await delivery_states(session_factory, "nudge") == {c.id: ["sent"]}


async def test_nudges_are_refused_to_others_and_change_nothing(api, runner, world, session_factory, clock):
    deputy, teachers = await school_with_teachers(runner, world, session_factory, clock)
    await deputy.send("/missing")
    message, _ = api.find_button(deputy.id, "Напомнить всем")
    from bot.callbacks import ChaseAction, ChaseCb

    campaign = world.campaigns["teacher"].id
    teacher = User(runner, teachers["C"].tg_user_id)
    coordinator = await register(runner, 7104, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    other_deputy = await register(runner, 7105, world.invites["deputy:1"], "Ключевская Ольга Петровна")
    before = await outbox(session_factory)
    forged = [
        (teacher, ChaseCb(a=ChaseAction.NUDGE_ALL, c=campaign).pack(), "заместителям директора"),
        (coordinator, ChaseCb(a=ChaseAction.NUDGE, c=campaign, p=teachers["C"].id).pack(), "заместителям директора"),
        (User(runner, 7199), ChaseCb(a=ChaseAction.NUDGE_ALL, c=campaign).pack(), "не зарегистрированы"),
        (other_deputy, ChaseCb(a=ChaseAction.NUDGE, c=campaign, p=teachers["C"].id).pack(), "не из вашей школы"),
        (deputy, ChaseCb(a=ChaseAction.NUDGE, c=campaign, p=teachers["E"].id).pack(), "не из вашей школы"),
        (deputy, ChaseCb(a=ChaseAction.NUDGE, c=campaign, p=teachers["A"].id).pack(), "уже отправил(а) анкету"),
        (deputy, ChaseCb(a=ChaseAction.NUDGE_ALL, c=world.campaigns["school"].id).pack(), "не ваши"),
        (deputy, ChaseCb(a=ChaseAction.NUDGE_ALL, c=10**6).pack(), "не ваши"),
    ]
    for user, payload, expected in forged:
        note = await user.press_data(message, payload)
        assert expected in note.get("text", ""), (user.id, payload, note)
    # a teacher who blocked the bot is named, not nudged
    async with session_factory() as session:
        await session.execute(update(Person).where(Person.id == teachers["D"].id).values(unreachable=True))
        await session.commit()
    before = await outbox(session_factory)
    note = await deputy.press_data(message, ChaseCb(a=ChaseAction.NUDGE, c=campaign, p=teachers["D"].id).pack())
    assert "не получает сообщений бота" in note["text"] and "Ничего не отправлено" in note["text"]
    # pressed in a group (a forwarded keyboard): nothing there, nothing written
    group = -100900
    api.chat(group, "supergroup", "Учительская")
    in_group = {**message, "chat": {"id": group, "type": "supergroup", "title": "Учительская"}}
    note = await deputy.press_data(in_group, ChaseCb(a=ChaseAction.NUDGE_ALL, c=campaign).pack())
    assert "только в личном чате" in note["text"] and api.bot_messages(group) == []
    await runner.wait(api.message_update(deputy.id, "/missing", chat_id=group, chat_type="supergroup"))
    assert "только в личном чате" in texts_of(api, group)[-1]
    # the campaign closed: nothing to nudge about
    clock.now = world.campaigns["teacher"].deadline
    note = await deputy.press_data(message, ChaseCb(a=ChaseAction.NUDGE_ALL, c=campaign).pack())
    assert "Приём ответов по этой анкете завершён" in note["text"]
    await runner.reminders.drain()
    assert await outbox(session_factory) == before
    assert texts_of(api, teachers["C"].chat_id) == [] and texts_of(api, teachers["D"].chat_id) == []


async def test_the_school_teacher_invite_to_forward(api, runner, world, session_factory, clock):
    deputy, _ = await school_with_teachers(runner, world, session_factory, clock)
    await deputy.send("/missing")
    await deputy.press("Приглашение для педагогов")
    token = world.invites["teacher:0"].token
    link = f"https://t.me/shnor_test_bot?start={token}"
    invitation, forward = deputy.texts[-2:]
    assert invitation == ("Приглашение в ШНОР-монитор для педагогов школы «СОШ 1».\nОткройте ссылку и запустите "
                          "бота (кнопка «Запустить» или «Начать»): он зарегистрирует вас и покажет анкету педагога (около двух минут).\n"
                          f"{link}\nСсылка действует до 23.12.2026.")
    assert forward.startswith("Перешлите сообщение выше педагогам") and "могут зарегистрироваться ещё 100 человек, до 23.12.2026" in forward
    share = api.last_message(deputy.id)["reply_markup"]["inline_keyboard"][0][0]
    assert share["text"] == "📤 Отправить педагогам"
    query = parse_qs(urlparse(share["url"]).query)
    assert share["url"].startswith("https://t.me/share/url?") and query["url"] == [link] and token in query["text"][0]
    # a teacher who gets it registers at the school from the link
    newcomer = await register(runner, 7200, Invite(token=token), "Новикова Нина Николаевна")
    assert any("педагог, СОШ 1" in t for t in newcomer.texts)
    # no invite that still works: said so, and what to do
    async with session_factory() as session:
        await session.execute(update(Invite).values(expires_at=clock.now - dt.timedelta(days=1)))
        await session.commit()
    await deputy.press("Приглашение для педагогов")
    assert deputy.last.startswith("У вашей школы нет действующего приглашения для педагогов") and "попросите муниципального координатора" in deputy.last
    async with session_factory() as session:
        assert await session.scalar(select(Delivery.id)) is None  # invites are not mailings


async def test_a_big_school_is_paged_and_its_list_fits_a_message(api, runner, world, session_factory, clock):
    """45 teachers with long names: the lists are shortened to fit one message and say how many more;
    the buttons come 20 a page."""
    deputy = await register(runner, 7300, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    for n in range(45):
        await add_teacher(session_factory, world, 7400 + n,
                          f"Константинопольская-Преображенская-Верхнеудинская Анастасия-Виктория Александровна-Николаевна {n:02d}")
    shown = await deputy.send("/missing")
    assert len(shown) <= 4000 and "Не начали (45): " in shown and "Николаевна 09 и ещё 35\n" in shown
    await deputy.press("Напомнить одному")
    first = deputy.buttons()
    assert len(first) == 21 and first[-1] == "Далее →" and first[0].endswith("Николаевна 00")
    await deputy.press("Далее →")
    assert deputy.buttons()[0].endswith("Николаевна 20") and deputy.buttons()[-2:] == ["← Назад", "Далее →"]
    await deputy.press("Далее →")
    assert len(deputy.buttons()) == 6 and deputy.buttons()[-1] == "← Назад"
    note = await deputy.press("Николаевна 44")
    assert note["text"] == "🔔 Напоминание уйдёт сейчас; педагогов: 1."
