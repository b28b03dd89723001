"""No update can stop a channel, and no body gets a 500 (issue 21, item 3).

Every update, in either channel and either mode, is read inside one guard with bounded size and depth: NaN,
Infinity, integers beyond 64 bits or of thousands of digits, 100,000 levels of nesting, a message from nobody,
absent and null fields. What cannot be read is recorded in the inbox as poison and skipped, the marker (MAX) or
offset (Telegram) moves past it, the webhooks answer 200 (never 500), and the bot still answers a real person.
A fuzz (hypothesis) mutates real updates of both channels the same ways.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
from aiohttp import ClientSession, web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from storage.models import InboxUpdate
from tests.conftest import free_port
from tests.harness import MaxUser, User

CYRILLIC = re.compile("[а-яА-ЯёЁ]")
DEEP = 100_000


def _user(user_id: object) -> str:
    return f'{{"user_id":{user_id},"first_name":"x","last_name":null,"name":"x","username":null,"is_bot":false,' \
           f'"last_activity_time":1}}'


# MAX updates that cannot be read, as raw JSON text
MAX_POISON = [
    '{"update_type":"bot_started","chat_id":50004801,"user":' + _user(4801) + ',"timestamp":Infinity}',
    '{"update_type":"bot_started","chat_id":NaN,"user":' + _user("Infinity") + ',"timestamp":1}',
    '{"update_type":"bot_started","chat_id":1,"user":' + _user(10**30) + ',"timestamp":2}',
    '{"update_type":"bot_started","chat_id":1,"user":' + _user(1) + ',"timestamp":' + "9" * 5000 + "}",
    '{"update_type":"bot_started","chat_id":1,"user":' + _user(1) + ',"timestamp":1e999}',
    '{"update_type":"message_created","timestamp":5,"message":{"body":{"mid":"m.nobody","text":"/summary"},'
    '"recipient":{"chat_id":-1,"chat_type":"chat","user_id":null}}}',  # no sender
    '{"update_type":"message_created","timestamp":6,"message":{"sender":null,"recipient":null,"body":null}}',
    '{"update_type":"message_callback","timestamp":7,"callback":null,"message":null}',
    '{"update_type":"message_callback","timestamp":8,"callback":{"callback_id":"cb.x","user":null,"payload":null},'
    '"message":null}',
    '{"update_type":"message_callback","timestamp":9,"callback":{"callback_id":["x"],"user":{"user_id":"7"}}}',
    '{"update_type":"message_created","message":' + '{"a":' * DEEP + "1" + "}" * DEEP + "}",
    "[" * DEEP + "]" * DEEP,
    '"an update"', "null", "[]", "{}", "1e999",
]
# Telegram updates that cannot be read (or name nobody to answer); {id} is the update's id
TELEGRAM_POISON = [
    '{"update_id":{id},"message":{"message_id":1,"date":1,"chat":{"id":-100,"type":"supergroup","title":"g"},'
    '"sender_chat":{"id":-100,"type":"supergroup","title":"g"},"text":"/help"}}',  # from nobody (a channel's post)
    '{"update_id":{id},"message":{"message_id":1,"date":Infinity,"chat":{"id":5,"type":"private"},'
    '"from":{"id":5,"is_bot":false,"first_name":"x"},"text":"/help"}}',
    '{"update_id":{id},"message":{"message_id":1,"date":1,"chat":{"id":NaN,"type":"private"},'
    '"from":{"id":5,"is_bot":false,"first_name":"x"},"text":"/help"}}',
    '{"update_id":{id},"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},'
    '"from":{"id":' + str(10**30) + ',"is_bot":false,"first_name":"x"},"text":"/help"}}',
    '{"update_id":{id},"callback_query":{"id":"c","from":null,"chat_instance":"1","data":"q:1"}}',
    '{"update_id":{id},"message":null}',
    '{"update_id":{id},"message":' + '{"a":' * DEEP + "1" + "}" * DEEP + "}",
    '{"update_id":{id},"message":{"message_id":1,"date":' + "9" * 5000 + ',"chat":{"id":5,"type":"private"}}}',
]


class Unhandled(logging.Handler):
    """Errors with a traceback from the product's loggers: an exception nothing handled."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.name.split(".")[0] in ("bot", "aiogram", "storage", "surveys", "asyncio"):
            self.records.append(record)


@pytest.fixture
def unhandled():
    handler = Unhandled()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


async def _poison_rows(session_factory, channel: str) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(InboxUpdate)
                                    .where(InboxUpdate.channel == channel, InboxUpdate.state == "poison"))


async def test_max_polling_skips_poison_and_moves_the_marker(max_runner, max_api, world, session_factory, unhandled):
    for text in MAX_POISON:
        max_api.push_text(text)
    person = MaxUser(max_runner, 4801, "Вера")
    await person.start(world.invites["teacher:0"].token)
    assert any("Согласие" in t for t in person.texts)  # the bot still answers a real person
    assert await _poison_rows(session_factory, "max") >= len(MAX_POISON) - 1  # "{}" and "[]"... each recorded
    assert await max_runner.app.inbox.marker() == max_api.updates[-1][0]  # past every one of them
    assert unhandled.records == []
    # a restart neither reads them again nor stops on them
    await max_runner.stop()
    await max_runner.start()
    await person.send("/help")
    assert CYRILLIC.search(person.last) and unhandled.records == []


async def test_max_webhook_never_answers_500(max_runner, max_api, world, unhandled):
    from bot.max.webhook import webhook_app

    max_runner.poller.stop()
    app_runner = web.AppRunner(webhook_app(max_runner.app, path="/max", secret="s3cret-value", on_handled=max_runner._handled))
    await app_runner.setup()
    port = free_port()
    await web.TCPSite(app_runner, "127.0.0.1", port).start()
    url, headers = f"http://127.0.0.1:{port}/max", {"X-Max-Bot-Api-Secret": "s3cret-value"}
    try:
        async with ClientSession() as http:
            bodies = [t.encode() for t in MAX_POISON] + [b"x" * 5_000_000, b"\xff\xfe{", b"", b'{"update_type":']
            for body in bodies:
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status == 200, body[:80]
            async with http.post(url, data=MAX_POISON[0].encode(), headers={"X-Max-Bot-Api-Secret": "wrong"}) as response:
                assert response.status == 401
            update = max_api.bot_started(4802, world.invites["teacher:0"].token, "Вера")
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        await max_runner.wait(update)
        assert any("Согласие" in t for t in max_api.texts(max_api.dialog(4802)))
        assert unhandled.records == []
    finally:
        await app_runner.cleanup()


async def test_telegram_polling_skips_poison(runner, api, session_factory, unhandled):
    for text in TELEGRAM_POISON:
        update_id = next(api._update_ids)
        api.push_text(text.replace("{id}", str(update_id)), update_id)
    person = User(runner, 4901, "Вера")
    assert "не зарегистрированы" in await person.send("/surveys")
    assert await _poison_rows(session_factory, "telegram") == len(TELEGRAM_POISON)
    assert unhandled.records == []


async def test_telegram_webhook_never_answers_500(runner, api, session_factory, unhandled):
    from bot.telegram.webhook import create_webhook_app

    app_runner = web.AppRunner(create_webhook_app(runner.dp, runner.bot, runner.dp["inbox"], path="/tg", secret="s3cret"))
    await app_runner.setup()
    port = free_port()
    await web.TCPSite(app_runner, "127.0.0.1", port).start()
    url, headers = f"http://127.0.0.1:{port}/tg", {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
    try:
        async with ClientSession() as http:
            bodies = [t.replace("{id}", str(900_000 + n)).encode() for n, t in enumerate(TELEGRAM_POISON)]
            bodies += [t.encode() for t in MAX_POISON] + [b"x" * 5_000_000, b"\xff\xfe{", b""]
            for body in bodies:
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status == 200, body[:80]
            update = {"update_id": 999_001, "message": {"message_id": 1, "date": 1, "chat": {"id": 4902, "type": "private",
                      "first_name": "Вера"}, "from": {"id": 4902, "is_bot": False, "first_name": "Вера"}, "text": "/help",
                      "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 200
                answer = await response.read()
        sent = api.bot_messages(4902)
        assert (sent and CYRILLIC.search(sent[-1].get("text", ""))) or CYRILLIC.search(answer.decode("unicode_escape"))
        assert await _poison_rows(session_factory, "telegram") >= len(TELEGRAM_POISON)
        assert unhandled.records == []
    finally:
        await app_runner.cleanup()


# --- the fuzz: real updates of both channels, mutated ------------------------------------------------------

BAD_VALUES = ["NaN", "Infinity", "-Infinity", str(10**30), "9" * 5000, "1e999", "null", '"x"', "[]", "{}", "true",
              "[" * 300 + "]" * 300, '{"a":' * 300 + "1" + "}" * 300]
DROP = object()


def _paths(value: object, path: tuple = ()) -> list[tuple]:
    out = [path] if path else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*path, key))
    elif isinstance(value, list):
        for n, child in enumerate(value):
            out += _paths(child, (*path, n))
    return out


def mutate(update: dict, path: tuple, bad: object) -> str:
    """The update's JSON text with the value at `path` replaced by `bad` (raw JSON text) or dropped."""
    marker = "\x00BAD\x00"
    copy = json.loads(json.dumps(update))
    node = copy
    for key in path[:-1]:
        node = node[key]
    if bad is DROP:
        if isinstance(node, dict):
            node.pop(path[-1], None)
        else:
            node[path[-1]] = None
        return json.dumps(copy, ensure_ascii=False)
    node[path[-1]] = marker
    return json.dumps(copy, ensure_ascii=False).replace(json.dumps(marker), str(bad))


mutation = st.tuples(st.integers(0, 10_000), st.one_of(st.sampled_from(BAD_VALUES), st.just(DROP)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.lists(mutation, min_size=1, max_size=4), kind=st.sampled_from(["start", "message", "press"]))
async def test_fuzz_max(max_runner, max_api, world, unhandled, changes, kind):
    someone = 4950
    max_api.bot_started(someone, "x")
    if kind == "start":
        template = {**max_api.updates[-1][1]}
    elif kind == "message":
        template = max_api.message(someone, "/summary")
    else:
        sent = await max_runner.client.send(max_api.dialog(someone), {"text": "?", "attachments": [{"type": "inline_keyboard",
                                            "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "pd:1"}]]}}]})
        template = max_api.press_payload(someone, max_api.chat(max_api.dialog(someone)).messages[sent], "pd:1")
    paths = _paths(template)
    for index, bad in changes:
        max_api.push_text(mutate(template, paths[index % len(paths)], bad))
    person = MaxUser(max_runner, 4960, "Вера")
    await person.send("/help")
    assert CYRILLIC.search(person.last)
    assert unhandled.records == [], [r.getMessage() for r in unhandled.records[:3]]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(changes=st.lists(mutation, min_size=1, max_size=4), kind=st.sampled_from(["message", "press"]))
async def test_fuzz_telegram(runner, api, unhandled, changes, kind):
    someone = 4970
    if kind == "message":
        update_id = api.message_update(someone, "/summary")
    else:
        api.message_update(someone, "/start")
        update_id = api.callback_update(someone, {"message_id": 1, "date": 1, "chat": {"id": someone, "type": "private"}},
                                        "pd:1")
    template = api.pushed[update_id]
    api.updates = [u for u in api.updates if u.get("update_id") != update_id]
    paths = [p for p in _paths(template) if p != ("update_id",)]
    for index, bad in changes:
        update_id = next(api._update_ids)
        api.push_text(mutate({**template, "update_id": update_id}, paths[index % len(paths)], bad), update_id)
    person = User(runner, 4980, "Вера")
    assert CYRILLIC.search(await person.send("/help"))
    assert unhandled.records == [], [r.getMessage() for r in unhandled.records[:3]]
