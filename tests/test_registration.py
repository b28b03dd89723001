"""Registration from invite links, through the fake Bot API."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.models import Consent, Invite, Person
from tests.harness import User, register


async def _people(session_factory) -> list[Person]:
    async with session_factory() as session:
        return list(await session.scalars(select(Person).order_by(Person.id)))


async def test_teacher_registers_from_invite(runner, api, world, session_factory):
    user = User(runner, 501, "Мария")
    consent = await user.send(f"/start {world.invites['teacher:0'].token}")
    assert "регистрируетесь как <b>педагог</b>, СОШ 1." in user.texts[-2]  # the school's short name: the legal one is for documents
    assert consent.startswith("Согласие на обработку персональных данных\n\nОператор персональных данных: Управление "
                              "образования Администрации Тестовского городского округа.\n")
    assert user.buttons() == ["Согласен", "Не согласен"]
    assert await _people(session_factory) == []  # nothing stored before the consent
    await user.press("Согласен", exact=True)
    assert "Напишите, пожалуйста, ваши фамилию" in user.last
    reply = await user.send("иванова мария петровна")
    texts = user.texts
    assert any("Готово, Мария Петровна! Вы зарегистрированы: педагог, СОШ 1, Тестовский городской округ." in t for t in texts)
    # the one questionnaire open for them starts at once: its first question, no «Начать» to press
    assert "Начнём: «Анкета педагога (2026-2027)», срок до 07.12.2026 10:00" in texts[-2]
    assert "осталось 10 вопросов" in reply and "Ваша должность" in reply
    people = await _people(session_factory)
    assert [(p.full_name, p.role, p.school_id) for p in people] == [("Иванова Мария Петровна", "teacher", world.schools[0].id)]
    async with session_factory() as session:
        assert (await session.get(Invite, world.invites["teacher:0"].id)).uses == 1
    # the role's own command menu for this chat
    assert [c["command"] for c in api.commands["chat:501"]] == ["surveys", "copy", "help", "mydata"]
    async with session_factory() as session:
        stored = (await session.execute(select(Consent.version, Consent.text, Consent.accepted_at))).all()
    assert len(stored) == 1 and stored[0][1] == consent and len(stored[0][0]) == 16


async def test_bad_names_are_reprompted(runner, world, session_factory):
    user = User(runner, 502)
    await user.send(f"/start {world.invites['deputy:1'].token}")
    await user.press("Согласен", exact=True)
    for bad in ["Маша", "<b>Иванова</b> Мария", "Иванова 123", "=HYPERLINK(1) x"]:
        reply = await user.send(bad)
        assert reply.startswith("⚠️"), bad
    assert await _people(session_factory) == []
    await user.send_sticker()
    assert user.last.startswith("⚠️ Напишите ФИО текстом")
    await user.send("Петров-Водкин Кузьма Сергеевич")
    people = await _people(session_factory)
    assert [(p.full_name, p.role) for p in people] == [("Петров-Водкин Кузьма Сергеевич", "deputy")]


async def test_unknown_expired_and_used_up_tokens_change_nothing(runner, world, session_factory, clock):
    stranger = User(runner, 600)
    assert "не найдена" in await stranger.send("/start nosuchtoken")
    assert "не найдена" in await stranger.send("/start " + "x" * 64)
    assert "не зарегистрированы" in await stranger.send("Иванов Иван Иванович")
    assert await _people(session_factory) == []

    # the deputy invite allows two registrations
    await register(runner, 601, world.invites["deputy:0"], "Первая Анна Ивановна")
    await register(runner, 602, world.invites["deputy:0"], "Вторая Анна Ивановна")
    third = User(runner, 603)
    assert "уже зарегистрировались все" in await third.send(f"/start {world.invites['deputy:0'].token}")

    # a token that expires while the person is typing their name
    late = User(runner, 604)
    await late.send(f"/start {world.invites['teacher:1'].token}")
    await late.press("Согласен", exact=True)
    clock.advance(days=31)
    assert "истёк" in await late.send("Поздний Пётр Петрович")
    assert "истёк" in await late.send(f"/start {world.invites['teacher:1'].token}")
    people = await _people(session_factory)
    assert [p.tg_user_id for p in people] == [601, 602]
    async with session_factory() as session:
        assert await session.scalar(select(func.sum(Invite.uses))) == 2


async def test_registered_person_opening_another_invite_is_told_who_they_are(runner, world, session_factory):
    user = await register(runner, 700, world.invites["teacher:0"])
    reply = await user.send(f"/start {world.invites['coordinator'].token}")
    assert "уже зарегистрированы: педагог, СОШ 1, Тестовский городской округ" in reply
    people = await _people(session_factory)
    assert [(p.role, p.school_id) for p in people] == [("teacher", world.schools[0].id)]
    async with session_factory() as session:
        assert (await session.get(Invite, world.invites["coordinator"].id)).uses == 0


async def test_help_and_menus_differ_by_role(runner, api, world):
    stranger = User(runner, 800)
    assert "ссылку-приглашение" in await stranger.send("/help")
    coordinator = await register(runner, 801, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    assert "анкету муниципалитета" in await coordinator.send("/help")
    assert [c["command"] for c in api.commands["chat:801"]] == ["summary", "report", "card", "app", "campaigns", "newcampaign",
                                                        "calendar", "surveys", "copy", "setchat", "help", "mydata"]
    assert "муниципальный координатор" in await coordinator.send("/whoami")


async def test_groups_have_their_own_menu_and_help(runner, api, world):
    """In a group only /summary, /report and /help work (and /setchat for its administrators): the menu and /help say so."""
    assert [c["command"] for c in api.commands["default"]] == ["start", "help"]
    assert [c["command"] for c in api.commands["all_group_chats"]] == ["summary", "report", "help"]
    assert [c["command"] for c in api.commands["all_chat_administrators"]] == ["summary", "report", "setchat", "help"]
    coordinator = await register(runner, 811, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    private_help = await coordinator.send("/help")
    assert "shnor --help" not in private_help and "/campaigns" in private_help
    group = -811
    api.chat(group, "supergroup", "Координаторы")
    await runner.wait(api.message_update(811, "/help", chat_id=group, chat_type="supergroup"))
    group_help = api.last_message(group)["text"]
    assert "/summary" in group_help and "/setchat" in group_help and "/report" in group_help
    assert not any(c in group_help for c in ("/surveys —", "/campaigns —", "/newcampaign", "/card —", "/whoami"))


async def test_no_consent_no_registration(runner, api, world, session_factory):
    user = User(runner, 521, "Пётр")
    await user.send(f"/start {world.invites['teacher:0'].token}")
    await user.press("Не согласен", exact=True)
    assert "Без согласия на обработку персональных данных бот не может вас зарегистрировать" in user.last
    reply = await user.send("Петров Пётр Петрович")  # a name typed anyway is not taken
    assert "не зарегистрированы" in reply or "Не понял" in reply or "приглашение" in reply
    assert await _people(session_factory) == []
    async with session_factory() as session:
        assert (await session.get(Invite, world.invites["teacher:0"].id)).uses == 0


async def test_mydata_and_forget(runner, api, world, session_factory):
    teacher = await register(runner, 531, world.invites["teacher:0"], "Данных Ольга Сергеевна")
    await teacher.press("Учитель")
    shown = await teacher.send("/mydata")
    assert "ФИО: Данных Ольга Сергеевна" in shown and "Школа: МАОУ СОШ № 1" in shown and "Идентификатор в Telegram: 531" in shown
    assert "Согласие на обработку данных: дано" in shown and "Анкета педагога (2026-2027) — черновик, ваших ответов: 1" in shown
    await teacher.send("/forget")
    assert "Удалить ваши персональные данные?" in teacher.last
    await teacher.press("Отмена", exact=True)
    assert (await _people(session_factory))[0].full_name == "Данных Ольга Сергеевна"
    await teacher.send("/forget")
    await teacher.press("Да, удалить", exact=True)
    assert "Ваши персональные данные удалены" in teacher.last
    people = await _people(session_factory)
    assert people[0].full_name == "(данные удалены)" and people[0].tg_user_id < 0  # the row stays for the school's counts
    assert "не зарегистрированы" in await teacher.send("/mydata") or "ничего не хранится" in teacher.last


async def test_a_duplicate_registration_keeps_the_updates_own_writes(world, session_factory, clock):
    """An account registered meanwhile (a second process, the same update again) is a conflict that
    register_person takes in a savepoint of its own: the update's inbox mark and its conversation state,
    written before in the same transaction, are committed all the same, and the invite is not spent twice."""
    from aiogram.fsm.storage.base import StorageKey

    from bot.fsm_storage import SQLAlchemyStorage
    from bot.unit_of_work import run_update
    from storage.inbox import done_statement
    from storage.models import InboxUpdate
    from storage.registry import register_person

    invite = world.invites["teacher:0"]
    async with session_factory.begin() as session:
        session.add(InboxUpdate(bot_id=1, update_id=77, state="new", received_at=clock()))
        first = await register_person(session, token=invite.token, chat_id=901, full_name="Иванова Мария Петровна",
                                      now=clock(), tg_user_id=901)
    storage = SQLAlchemyStorage(session_factory)
    key = StorageKey(bot_id=1, chat_id=901, user_id=901)

    async def work(session):
        await storage.set_state(key, "Registration:done")
        return await register_person(session, token=invite.token, chat_id=901, full_name="Иванова Мария Петровна",
                                     now=clock(), tg_user_id=901)

    again = await run_update(session_factory, [done_statement(1, 77)], work)
    assert again.id == first.id
    async with session_factory() as session:
        assert (await session.get(InboxUpdate, ("telegram", 1, 77))).state == "done"
        assert (await session.get(Invite, invite.id)).uses == 1
    assert [p.id for p in await _people(session_factory)] == [first.id]
    assert await SQLAlchemyStorage(session_factory).get_state(key) == "Registration:done"  # read from the database


async def test_conversation_state_is_committed_with_the_update(session_factory):
    """The FSM storage writes into the update's session and never commits it: a failing update takes its
    state with it (and the in-process copy forgets it); outside an update a write is its own transaction."""
    from aiogram.fsm.storage.base import StorageKey

    from bot.fsm_storage import SQLAlchemyStorage
    from bot.unit_of_work import run_update

    storage = SQLAlchemyStorage(session_factory)
    key = StorageKey(bot_id=1, chat_id=902, user_id=902)
    await storage.set_state(key, "A:one")  # no update: committed at once
    assert await SQLAlchemyStorage(session_factory).get_state(key) == "A:one"

    async def failing(session):
        await storage.set_state(key, "A:two")
        assert await storage.get_state(key) == "A:two"
        raise RuntimeError("the handler fails")

    with pytest.raises(RuntimeError):
        await run_update(session_factory, [], failing)
    assert await storage.get_state(key) == "A:one"
    assert await SQLAlchemyStorage(session_factory).get_state(key) == "A:one"

    async def works(session):
        await storage.set_state(key, "A:three")
        await storage.update_data(key, {"n": 1})

    await run_update(session_factory, [], works)
    fresh = SQLAlchemyStorage(session_factory)  # a restarted process
    assert (await fresh.get_state(key), await fresh.get_data(key)) == ("A:three", {"n": 1})


async def test_names_with_markup_characters_are_shown_as_written(runner, world, session_factory):
    """Plain text is escaped once, by the channel's renderer: a school named with <, > and & reads as named in both
    steps of registration (the name kept in the conversation between them is plain text too)."""
    from storage.models import School

    async with session_factory.begin() as session:
        (await session.get(School, world.schools[0].id)).short_name = 'Школа <№1> & "Лидер"'
    user = User(runner, 503)
    await user.send(f"/start {world.invites['teacher:0'].token}")
    assert 'регистрируетесь как <b>педагог</b>, Школа &lt;№1&gt; &amp; "Лидер".' in user.texts[-2]
    await user.press("Согласен", exact=True)
    assert 'регистрируетесь как <b>педагог</b>, Школа &lt;№1&gt; &amp; "Лидер".' in user.last
    await user.send("Иванова Мария Петровна")
    assert any('Школа &lt;№1&gt; &amp; "Лидер"' in t and "Готово, Мария Петровна" in t for t in user.texts)
