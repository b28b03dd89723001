"""Bad input, fuzzed through the fake Bot API (hypothesis).

A teacher stands at a question of choices (answered by a button, or by typing an option's number or words); a
stranger writes beside them. Text that reads as one of the options is an answer, not bad input: it is left out.
Whatever arrives (texts of any length and script, markup- and formula-looking text, commands,
forged callbacks, stickers, photos, edited messages, the same update twice), the bot must not
fail, must answer invalid answers in Russian, must change nothing in the database, and every
message it sends must be valid Telegram HTML (the fake server refuses it otherwise, as
Telegram does), so user text is always escaped.
"""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.harness import User, register, snapshot

SPECIAL = [
    "", " ", "<b>жирный</b>", "<script>alert(1)</script>", "a < b & c > d", "&amp;", "</i>",
    '=HYPERLINK("http://example.com","нажми")', "=1+1", "+7 (900) 000-00-00", "@admin", "-1",
    "مرحبا بالعالم", "שלום", "\u202eRTL override", "👩‍🏫📚✅", "\x00", "\n\n\n", "Да", "нет", "0", "1e309",
    "x" * 4096, "я" * 4096, "/", "/unknown", "/start " + "A" * 64,
]
texts = st.one_of(st.sampled_from(SPECIAL), st.text(max_size=300), st.text(min_size=4000, max_size=4096))
commands = st.sampled_from(["/start", "/help", "/whoami", "/surveys", "/card", "/summary", "/campaigns", "/newcampaign",
                            "/setchat", "/summary 2026-2027", "/start bad-token"])
callbacks = st.one_of(
    st.text(max_size=80),
    st.from_regex(r"\A(q|r|o|c|n|cx):[0-9a-z:\-]{0,40}\Z"),
    st.builds(lambda r, i, a, c: f"q:{r}:{i}:{a}:{c}", st.integers(-5, 10**6), st.integers(-5, 99), st.sampled_from("ptdsbkz"), st.integers(-1, 99)),
)
action = st.one_of(
    st.tuples(st.just("text"), texts),
    st.tuples(st.just("command"), commands),
    st.tuples(st.just("callback"), callbacks),
    st.tuples(st.just("sticker"), st.none()),
    st.tuples(st.just("photo"), st.none()),
    st.tuples(st.just("edited"), texts),
    st.tuples(st.just("duplicate"), texts),
)
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in ("bot", "aiogram", "surveys", "scoring", "storage", "shnor"):
            self.records.append(record)  # not asyncio's notes on other tests' garbage


@pytest.fixture
async def scene(runner, api, world, session_factory):
    teacher = await register(runner, 5001, world.invites["teacher:0"])
    errors = Errors()
    logging.getLogger().addHandler(errors)
    yield teacher, User(runner, 5002), errors
    logging.getLogger().removeHandler(errors)


async def _act(user: User, kind: str, value, runner, api) -> int:
    if kind in ("text", "command"):
        return api.message_update(user.id, value, name=user.name)
    if kind == "callback":
        return api.callback_update(user.id, api.last_message(5001), value, name=user.name)
    if kind == "sticker":
        return api.sticker_update(user.id, name=user.name)
    if kind == "photo":
        photo = [{"file_id": "PHOTO", "file_unique_id": "p", "width": 90, "height": 90}]
        return api.message_update(user.id, None, name=user.name, extra={"photo": photo})
    if kind == "edited":
        update_id = api.message_update(user.id, "первый вариант", name=user.name)
        await runner.wait(update_id)
        message = next(m for k, m in reversed(api.chats[user.id].log) if k == "user")
        return api.push({"edited_message": {**message, "text": value or "правка", "edit_date": message["date"] + 1}})
    if kind == "duplicate":
        update_id = api.message_update(user.id, value, name=user.name)
        await runner.wait(update_id)
        message = next(m for k, m in reversed(api.chats[user.id].log) if k == "user")
        return api.push({"message": message})  # the same message in a second update, as a client resending it
        # (a redelivery under the same update_id is tested in test_faults.py)
    raise AssertionError(kind)


def _reads_as_an_answer(value: object) -> bool:
    """Whether the teacher's text answers the question on screen (their position): then it is no bad input."""
    from surveys import engine
    from surveys.errors import AnswerError
    from surveys.loader import load_pack

    try:
        engine.parse_text(load_pack("teacher").question("position"), str(value or ""))
    except AnswerError:
        return False
    return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.booleans(), action), min_size=1, max_size=6))
async def test_random_input_changes_nothing_and_fails_nothing(scene, runner, api, session_factory, steps):
    teacher, stranger, errors = scene
    assume(not any(as_teacher and kind in ("text", "edited", "duplicate") and _reads_as_an_answer(value)
                   for as_teacher, (kind, value) in steps))
    before = await snapshot(session_factory)
    for as_teacher, (kind, value) in steps:
        user = teacher if as_teacher else stranger
        sent = len(api.bot_messages(user.id))
        await runner.wait(await _act(user, kind, value, runner, api), timeout=20)
        replies = [m.get("text", "") for m in api.bot_messages(user.id)[sent:]]
        if user is teacher and kind in ("text", "sticker", "photo") and not (value or "").startswith("/"):
            # an invalid answer to the question on screen: re-prompted in Russian
            assert replies and CYRILLIC.search(replies[-1]), (kind, value, replies)
            assert not any(re.search(r"осталось [0-8] вопрос", r) for r in replies), replies  # and the questionnaire did not move on
    assert not api.html_errors, api.html_errors[:3]
    assert not errors.records, [r.getMessage() for r in errors.records[:3]]
    assert await snapshot(session_factory) == before
    # and the questionnaire still works for its owner afterwards
    message, data = api.find_button(teacher.id, "Учитель")
    assert data.startswith("q:")


NEXT_USER = iter(range(6000, 7000))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=texts)
async def test_any_name_at_registration_is_refused_or_escaped(scene, runner, api, world, session_factory, name):
    _, _, errors = scene
    user = User(runner, next(NEXT_USER))
    await user.send(f"/start {world.invites['teacher:1'].token}")
    await user.press("Согласен", exact=True)
    reply = await user.send(name)
    assert CYRILLIC.search(reply)
    assert not api.html_errors, api.html_errors[:3]
    assert not errors.records, [r.getMessage() for r in errors.records[:3]]
