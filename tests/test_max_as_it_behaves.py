"""MAX as it behaves beyond the friendly reading of its documents (issue 21), on the strict fake MAX
(tests/strict_max.py): presses without `recipient.chat_id` and on deleted messages, a first start with a
backlog, a webhook subscription left over when polling starts, a person who stops the bot, failed edits,
keyboards over MAX's row limits, and files MAX processes for half a minute.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select

from bot.chat import Link
from bot.max.app import UPDATE_TYPES
from storage.models import Account
from tests.harness import MaxRunner, MaxUser, register_max
from tests.strict_max import StrictMax


@pytest.fixture
async def practice_api():
    """MAX as the live API was reported to behave (Sep 2026): presses in dialogs come without recipient.chat_id."""
    fake = StrictMax("max-test-token", 777_000, "shnor_max_bot", quirks="practice", requests_per_second=100_000,
                     answers_per_second=100_000)
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.violations == []


async def test_registration_and_a_questionnaire_when_presses_come_without_the_chat(practice_api, database_url, clock, world):
    runner = MaxRunner(practice_api, database_url, clock)
    await runner.start()
    try:
        teacher = await register_max(runner, 4101, world.invites["teacher:0"])  # «Согласен» pressed without the chat id
        assert "осталось 10 вопросов" in teacher.last  # registered: the questionnaire opened
        await teacher.press("Учитель")
        assert "осталось 9 вопросов" in teacher.last and "Эта кнопка уже неактуальна." not in str(practice_api.answers)
        press = practice_api.updates[-1][1]
        assert press["update_type"] == "message_callback" and "chat_id" not in press["message"]["recipient"]
        await teacher.send("/surveys")
        await teacher.press("Продолжить: Анкета педагога")  # a new message sent by user_id: the dialog's id was not given
        assert "осталось 9 вопросов" in teacher.last
        sent = [c for c in practice_api.calls if c["call"] == "POST /messages"]
        assert any("user_id" in c["query"] for c in sent) and not practice_api.refusals
    finally:
        await runner.stop()


async def test_a_press_on_a_deleted_message_shows_the_next_screen_anew(max_runner, max_api, world):
    teacher = await register_max(max_runner, 4201, world.invites["teacher:0"])
    message, payload = max_api.find_button(teacher.chat_id, "Учитель")
    max_api.delete_by_person(teacher.chat_id, message["body"]["mid"])
    update = max_api.press_payload(4201, message, payload)
    assert update["message"] is None
    await max_runner.wait(update)
    assert "осталось 9 вопросов" in teacher.last  # a new message: the pressed one is gone
    assert not [r for r in max_api.refusals if r["call"] == "POST /answers"]


async def test_the_first_start_reads_the_backlog(max_api, database_url, clock, world):
    """Without a marker MAX gives the latest update only: the first start asks from the queue's start."""
    people = [MaxUser(None, 4300 + n, "Вера") for n in range(3)]  # type: ignore[arg-type]
    updates = [max_api.bot_started(p.id, world.invites["teacher:0"].token) for p in people]
    runner = MaxRunner(max_api, database_url, clock)
    await runner.start()
    try:
        for update in updates:
            await runner.wait(update)
        for person in people:
            assert any("Согласие" in t for t in max_api.texts(max_api.dialog(person.id)))
    finally:
        await runner.stop()


async def test_polling_with_a_webhook_subscription_says_what_to_do(max_api, database_url, clock, world, caplog):
    max_api.subscriptions.append({"url": "https://old.example/max", "time": 1, "update_types": None})
    runner = MaxRunner(max_api, database_url, clock)
    with caplog.at_level(logging.WARNING, logger="bot.max.polling"):
        await runner.start()
        await asyncio.sleep(0.2)
    try:
        lines = [r.getMessage() for r in caplog.records if "подписка webhook" in r.getMessage()]
        assert len(lines) == 1 and "https://old.example/max" in lines[0] and "MAX_POLLING_DROP_WEBHOOK" in lines[0]
        assert max_api.subscriptions  # left as it is: it is the operator's
    finally:
        await runner.stop()

    dropping = MaxRunner(max_api, database_url, clock, drop_webhook=True)
    await dropping.start()
    try:
        assert max_api.subscriptions == []
        person = MaxUser(dropping, 4401, "Вера")
        assert "Согласие" in (await person.start(world.invites["teacher:0"].token) + " ".join(person.texts))
    finally:
        await dropping.stop()


async def test_a_person_who_stops_the_bot_is_unreachable_at_once(max_runner, max_api, world, session_factory):
    teacher = await register_max(max_runner, 4501, world.invites["teacher:0"])
    stopped = max_api.bot_stopped(4501)
    await max_runner.wait(stopped)
    async with session_factory() as session:
        assert (await session.scalar(select(Account).where(Account.account_id == 4501))).unreachable
    await teacher.start(None)  # back: started again
    async with session_factory() as session:
        assert not (await session.scalar(select(Account).where(Account.account_id == 4501))).unreachable
    removed = max_api.dialog_removed(4501)
    await max_runner.wait(removed)
    async with session_factory() as session:
        assert (await session.scalar(select(Account).where(Account.account_id == 4501))).unreachable
    assert {"bot_stopped", "dialog_removed"} <= set(UPDATE_TYPES)  # subscribed to, in both modes


async def test_a_failed_edit_is_sent_as_a_new_message(max_runner, max_api, world):
    from bot.max.outlet import MaxOutlet, max_sender

    person = MaxUser(max_runner, 4601, "Вера")
    await person.start(None)
    client = max_runner.client
    outlet = MaxOutlet(client, max_sender(client, rate=200, backoff=0.01))
    mid = await outlet.send_text(person.chat_id, "Рассылка: 0 из 10")
    assert await outlet.edit_text(person.chat_id, mid, "Рассылка: 5 из 10") == mid
    max_api.chat(person.chat_id).messages.pop(mid)  # deleted by the person
    assert not await client.edit(mid, {"text": "x"})
    moved = await outlet.edit_text(person.chat_id, mid, "Рассылка: 9 из 10")
    assert moved != mid and person.last == "Рассылка: 9 из 10"
    assert await outlet.edit_text(person.chat_id, mid, "Рассылка: 10 из 10") == moved  # the new one edited later
    assert person.texts[-1] == "Рассылка: 10 из 10" and len(person.texts) == 2


async def test_forty_choices_fit_maxs_keyboard(max_runner, max_api):
    from bot.max.render import keyboard

    person = MaxUser(max_runner, 4701, "Вера")
    await person.start(None)
    rows = [[(f"Вариант {n}", f"q:1:{n}")] for n in range(40)] + [[("Назад", "b"), ("Далее", "n")]]
    board = keyboard(rows)
    buttons = board["payload"]["buttons"]
    assert len(buttons) <= 30 and all(len(r) <= 7 for r in buttons) and sum(map(len, buttons)) == 42
    assert [b["text"] for b in buttons[-1]] == ["Назад", "Далее"]  # the other rows kept as they are
    await max_runner.client.send(person.chat_id, {"text": "Выберите", "format": "html", "attachments": [board]})
    wide = keyboard([[(str(n), "p") for n in range(10)], [("a", "p"), ("b", "p"), ("c", "p"), ("Сайт", Link("https://max.ru"))]])
    assert [len(r) for r in wide["payload"]["buttons"]] == [7, 3, 3, 1]
    await max_runner.client.send(person.chat_id, {"text": "Ещё", "attachments": [wide]})
    assert not max_api.refusals


async def test_a_large_file_is_waited_for_with_growing_pauses(max_api):
    """MAX keeps a large file «attachment.not.ready» for ~30 s: the client's default waiting covers it (its clock
    here 20 times faster)."""
    import time

    from bot.max.client import MaxClient

    scale = 20.0
    fake = StrictMax("t0ken", clock=lambda: time.monotonic() * scale, large_file_bytes=0, processing_seconds=45)
    await fake.start()
    client = MaxClient("t0ken", fake.base_url, retry_after=0, upload_pause=1.0 / scale)
    try:
        fake.bot_started(7)
        await client.send_file(fake.dialog(7), "document", "Сводка.xlsx", b"PK" * 10, "Сводка")
        tries = [r for r in fake.refusals if r["code"] == "attachment.not.ready"]
        assert len(fake.files(fake.dialog(7))) == 1 and 3 <= len(tries) <= 10  # pauses of 1, 2, 4, 8, 8... s
    finally:
        await client.close()
        await fake.stop()
