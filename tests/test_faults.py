"""The bot process killed (SIGKILL) at random points of questionnaires and of a broadcast, then started again.

Afterwards every answer given is stored once, every reminder went out (once, but for the
documented window: see RELIABILITY.md), and the bot answers again. Runs on SQLite and, in the
second pass of .ci/run, on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from monitoring.campaigns import create_campaign, open_campaign
from storage.clock import system_clock
from storage.db import make_engine, make_session_factory
from storage.models import (
    Answer,
    Delivery,
    Municipality,
    Reminder,
    Response,
)
from surveys.loader import load_pack
from surveys.model import Survey
from tests.conftest import REDIS_URL
from tests.worlds import one_school_with_teachers

QUESTIONS = 12
USERS = 15
KILLS = 3
REVIEW = "проверьте ответы"


def _survey() -> Survey:
    return Survey.model_validate({
        "id": "faults", "title": "Проверка сбоев", "audience": "teacher",
        "questions": [{"name": f"q{n}", "type": "yesno", "label": f"Вопрос {n}?"} for n in range(QUESTIONS)],
    })


class Bot:
    """`python -m bot run` as a child process that the test kills and starts again."""

    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.tmp_path = tmp_path
        self.runs = 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.runs += 1
        log = (self.tmp_path / f"bot{self.runs}.log").open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=self.env, stdout=log,
                                     stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1])

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    async def polling(self) -> None:
        log = self.tmp_path / f"bot{self.runs}.log"
        for _ in range(600):
            if "polling:" in log.read_text():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"the bot did not start: {log.read_text()[-2000:]}")

    def logs(self) -> str:
        return "".join(p.read_text() for p in sorted(self.tmp_path.glob("bot*.log")))


def _env(api, database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_API_BASE": api.base_url, "BOT_TOKEN": api.token,
           "POLLING_TIMEOUT": "1", "LOG_LEVEL": "INFO", **extra}
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    return env


@pytest.mark.slow
async def test_killed_during_questionnaires_loses_and_doubles_no_answer(api, database_url, tmp_path: Path):
    engine = make_engine(database_url)
    factory = make_session_factory(engine, system_clock)  # the bot under test is a process on the real clock
    async with factory() as session:
        municipality, school = await one_school_with_teachers(session, "Сбои", USERS, 60_000)
        campaign = await open_campaign(session, municipality=municipality, survey=_survey(), period="2026-2027",
                                       deadline=system_clock() + dt.timedelta(days=30), now=system_clock())
        await session.commit()
        campaign_id = campaign.id

    bot = Bot(_env(api, database_url, REMINDER_INTERVAL="3600"), tmp_path)
    bot.start()
    rng = random.Random(2026)
    presses = Counter()

    async def new_message(uid: int, count: int, timeout: float) -> bool:
        """The bot sent or edited a message in the chat since `count` (api.chat(uid).changes)."""
        for _ in range(int(timeout * 20)):
            if api.chat(uid).changes > count:
                return True
            await asyncio.sleep(0.05)
        return False

    def continue_button(messages: list[dict]) -> tuple[dict, str] | None:
        for message in reversed(messages):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if "Продолжить" in button["text"]:
                        return message, button["callback_data"]
        return None

    async def resume(uid: int) -> None:
        """No answer from the bot: ask for the questionnaire again, as the stale-button notice says."""
        count = len(api.bot_messages(uid))
        api.message_update(uid, "/surveys")
        for _ in range(200):  # the list comes within 10 s, unless the bot is down again
            found = continue_button(api.bot_messages(uid)[count:])
            if found:
                count = api.chat(uid).changes
                api.callback_update(uid, *found)
                await new_message(uid, count, 10)
                return
            await asyncio.sleep(0.05)

    def reviewing(uid: int) -> bool:
        return any(REVIEW in m.get("text", "") for m in api.bot_messages(uid))

    async def respondent(uid: int) -> None:
        opening = {"message_id": 1, "date": 0, "chat": {"id": uid, "type": "private"}}
        api.callback_update(uid, opening, f"o:{campaign_id}")
        if not await new_message(uid, 0, 30):
            await resume(uid)
        while not reviewing(uid):
            count = api.chat(uid).changes
            try:
                message, data = api.find_button(uid, "Да", exact=True)
            except AssertionError:  # the bot died before showing the next question
                await resume(uid)
                continue
            api.callback_update(uid, message, data)
            presses[uid] += 1
            if not await new_message(uid, count, 10):  # no answer in 10 s: the bot is down, or the press was stale
                await resume(uid)

    async def killer() -> None:
        for _ in range(KILLS):
            await bot.polling()
            await asyncio.sleep(rng.uniform(0.2, 1.0))  # in the middle of the answering
            bot.kill()
            await asyncio.sleep(rng.uniform(0, 0.5))
            bot.start()

    try:
        await asyncio.wait_for(asyncio.gather(killer(), *(respondent(60_000 + n) for n in range(USERS))), 240)
        async with factory() as session:
            rows = (await session.execute(
                select(Response.person_id, Answer.question, Answer.value).join(Answer).where(Response.campaign_id == campaign_id)
            )).all()
            responses = await session.scalar(select(func.count()).select_from(Response).where(Response.campaign_id == campaign_id))
        assert responses == USERS
        per_person = Counter(person for person, _, _ in rows)
        assert len(rows) == USERS * QUESTIONS and set(per_person.values()) == {QUESTIONS}  # every answer, once
        assert {value for _, _, value in rows} == {"yes"}
        assert bot.runs == KILLS + 1
        # the bot answers again after the last restart
        before = api.chat(60_000).changes
        api.message_update(60_000, "/whoami")
        assert await new_message(60_000, before, 10)
        print(f"\nfaults: {KILLS} kills, {sum(presses.values())} presses for {USERS * QUESTIONS} answers, "
              f"{bot.logs().count('was handled before')} redelivered updates skipped")
    finally:
        bot.stop()
        await engine.dispose()


@pytest.mark.slow
async def test_killed_during_a_broadcast_loses_no_reminder(api, database_url, tmp_path: Path):
    teachers = 300
    engine = make_engine(database_url)
    factory = make_session_factory(engine, system_clock)  # the bot under test is a process on the real clock
    now = system_clock()
    async with factory() as session:
        municipality, school = await one_school_with_teachers(session, "Рассылка", teachers, 70_000)
        await create_campaign(session, municipality=municipality, survey=load_pack("teacher"), period="2026-2027",
                              deadline=now + dt.timedelta(days=30), quiet_hours="00:00-00:00", now=now)
        await session.commit()
    api.fail("sendMessage", 429, times=3, retry_after=1)  # and Telegram asks to slow down on the way
    api.fail("sendMessage", 502, times=1)  # ambiguous: tried again until confirmed
    bot = Bot(_env(api, database_url, REMINDER_INTERVAL="1", SEND_RATE="100"), tmp_path)
    bot.start()

    def notices() -> Counter:
        return Counter({uid: len(api.bot_messages(uid)) for uid in range(70_000, 70_000 + teachers)})

    try:
        rng = random.Random(7)
        for _ in range(2):
            await bot.polling()
            await asyncio.sleep(rng.uniform(0.3, 1.5))  # in the middle of the broadcast
            bot.kill()
            bot.start()
        for _ in range(1200):
            async with factory() as session:
                open_state = await session.scalar(select(Reminder.state).where(Reminder.key == "open"))
            if open_state == "done":
                break
            await asyncio.sleep(0.1)
        counts = notices()
        lost = [uid for uid, n in counts.items() if n == 0]
        doubled = sum(n - 1 for n in counts.values() if n > 1)
        async with factory() as session:
            states = Counter((await session.execute(select(Delivery.state))).scalars())
            maybe = await session.scalar(select(func.sum(Delivery.ambiguous)))  # copies that may have arrived besides
        assert open_state == "done" and not lost, (open_state, len(lost), states)
        assert states == {"sent": teachers}
        # a kill between Telegram accepting a message and the delivery being marked re-sends it: at most the
        # deliveries in flight (8 workers) per kill, each counted (its row said a call was out) and reported
        assert doubled <= 8 * 2 and doubled <= maybe, (doubled, maybe)
        print(f"\nbroadcast: {teachers} reminders, 2 kills, lost 0, duplicated {doubled}")
    finally:
        bot.stop()
        await engine.dispose()


async def test_an_update_delivered_twice_is_handled_once(runner, api, world, session_factory):
    """What Telegram redelivers after a crash (same update_id) is skipped, even a typed answer."""
    from tests.harness import register

    teacher = await register(runner, 7501, world.invites["teacher:0"])
    await teacher.press("Учитель")
    await teacher.press("Математика")
    await teacher.press("Готово")
    sent = len(api.bot_messages(7501))
    update_id = api.message_update(7501, "да")  # diagnostics: a typed yes
    await runner.wait(update_id)
    runner.handled.discard(update_id)
    api.redeliver(update_id)  # Telegram sends it again (its confirmation was lost)
    await runner.poller.handler.wait(2)
    await asyncio.sleep(1.5)  # a getUpdates round: the redelivered update is read and skipped by the inbox
    assert not api._again  # it did reach the bot
    assert update_id not in runner.handled
    async with session_factory() as session:
        answers = dict((await session.execute(select(Answer.question, Answer.value))).all())
    assert answers["diagnostics"] == "yes"
    assert "diagnostics_kinds" not in answers  # the replayed "да" did not answer the next question
    assert len(api.bot_messages(7501)) == sent + 1  # one reply, to the first delivery only


@pytest.mark.slow
async def test_telegram_failing_during_a_questionnaire(runner, api, world, session_factory, clock):
    """429s, 5xx, a slow answer and dropped connections while a teacher answers: nothing lost, nothing doubled."""
    from tests.harness import register

    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        campaign = await open_campaign(session, municipality=municipality, survey=_survey(), period="2030-2031",
                                       opens_at=clock.now - dt.timedelta(hours=1), deadline=clock.now + dt.timedelta(days=3),
                                       now=clock.now)
        await session.commit()
    teacher = await register(runner, 7601, world.invites["teacher:0"])
    await teacher.press("Проверка сбоев")
    # each answer is one edit of the pressed message (and the callback's answer)
    faults = [
        ("editMessageText", {"status": 429, "retry_after": 1}),
        ("editMessageText", {"status": 429, "retry_after": 1, "times": 2}),  # a storm: twice in a row
        ("editMessageText", {"status": 502}),
        ("answerCallbackQuery", {"status": 0, "delay": 2.0}),  # slow, then fine
        ("editMessageText", {"status": 0, "drop": True}),
        ("editMessageText", {"status": 500, "times": 2}),
        ("answerCallbackQuery", {"status": 0, "drop": True}),
        ("answerCallbackQuery", {"status": 503}),
    ]
    for n in range(QUESTIONS):
        if n < len(faults):
            method, fault = faults[n]
            api.fail(method, **fault)
        await teacher.press("Да", exact=True)
        assert (f"<b>Вопрос {n + 1}?</b>" if n + 1 < QUESTIONS else REVIEW) in teacher.last, (n, teacher.last)
    assert not any("пошло не так" in t for t in teacher.texts)
    async with session_factory() as session:
        rows = (await session.execute(
            select(Answer.question, Answer.value).join(Response).where(Response.campaign_id == campaign.id)
        )).all()
    assert sorted(rows) == sorted((f"q{n}", "yes") for n in range(QUESTIONS))
    assert not any(api.faults.values())  # every fault was met


@pytest.mark.slow
async def test_database_locked_for_a_while(runner, api, world, session_factory, database_url):
    """Another writer holds the database for two seconds: the answer waits, then is stored once."""
    from sqlalchemy import text

    from tests.harness import register

    teacher = await register(runner, 7701, world.invites["teacher:0"])
    locker = make_engine(database_url, pool_size=1, max_overflow=0)
    async with locker.connect() as conn:
        if database_url.startswith("sqlite"):
            await conn.exec_driver_sql("BEGIN EXCLUSIVE")
        else:
            await conn.execute(text("BEGIN"))
            await conn.execute(text("LOCK TABLE answer IN ACCESS EXCLUSIVE MODE"))
        message, data = api.find_button(7701, "Учитель")
        update_id = api.callback_update(7701, message, data)
        await asyncio.sleep(2)
        assert update_id not in runner.handled  # waiting for the lock, not failing
        await conn.rollback()
    await locker.dispose()
    await runner.wait(update_id, timeout=30)
    assert "осталось 9 вопросов" in teacher.last
    async with session_factory() as session:
        assert list((await session.execute(select(Answer.question, Answer.value))).all()) == [("position", "teacher")]


@pytest.mark.slow
async def test_a_slow_report_does_not_hold_up_answers(runner, api, world, session_factory):
    """Telegram takes 6 s over the coordinator's report; a teacher's answer meanwhile is handled at once."""
    from tests.harness import register

    coordinator = await register(runner, 7801, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    teacher = await register(runner, 7802, world.invites["teacher:0"])
    api.fail("sendChatAction", 0, delay=6.0)  # the report's "sending a file…" hangs
    report = api.message_update(coordinator.id, "/summary")
    await asyncio.sleep(0.5)
    started = asyncio.get_running_loop().time()
    message, data = api.find_button(7802, "Учитель")
    await runner.wait(api.callback_update(7802, message, data), timeout=10)
    assert asyncio.get_running_loop().time() - started < 4  # not six: the report finishes in the background
    assert "осталось 9 вопросов" in teacher.last
    await runner.wait(report, timeout=30)
    assert any("document" in m for m in api.bot_messages(coordinator.id))


async def test_an_unreadable_update_is_kept_and_skipped(runner, api, world, session_factory):
    """One update aiogram cannot read (a chat id that is not a number) no longer stops the bot for everyone:
    it is kept in the inbox as poison, confirmed and skipped; the updates around it are handled."""
    from storage.models import InboxUpdate
    from tests.harness import register

    teacher = await register(runner, 7901, world.invites["teacher:0"])
    api.push_raw({"message": {"message_id": 1, "date": 0, "chat": {"id": "not-a-number", "type": "private"}, "text": "x"}})
    reply = await teacher.send("/whoami")  # pushed after the poison: handled all the same
    assert "Вы: Иванова Мария Петровна" in reply
    async with session_factory() as session:
        poison = (await session.execute(select(InboxUpdate.state, InboxUpdate.error, InboxUpdate.payload)
                                        .where(InboxUpdate.state == "poison"))).all()
    assert len(poison) == 1 and "cannot be read" in poison[0][1] and "not-a-number" in poison[0][2]
    assert not api.updates  # confirmed: Telegram would not send it again


@pytest.mark.slow
async def test_a_lock_longer_than_the_driver_waits_loses_no_typed_name(api, database_url, clock, world, session_factory):
    """A name typed at registration while another writer holds the database for longer than a statement
    waits (0.5 s here, 30 s in production): the person waits, then is registered; no error, nothing lost."""
    from sqlalchemy import text

    from storage.models import Person
    from tests.harness import BotRunner, User

    runner = BotRunner(api, database_url, clock, busy_timeout=0.5)
    await runner.start()
    try:
        user = User(runner, 7951, "Мария")
        await user.send(f"/start {world.invites['teacher:0'].token}")
        await user.press("Согласен", exact=True)
        locker = make_engine(database_url, pool_size=1, max_overflow=0)
        async with locker.connect() as conn:
            if database_url.startswith("sqlite"):
                await conn.exec_driver_sql("BEGIN EXCLUSIVE")
            else:
                await conn.execute(text("BEGIN"))
                await conn.execute(text("LOCK TABLE person, invite IN ACCESS EXCLUSIVE MODE"))
            update_id = api.message_update(7951, "Замкова Мария Петровна", name="Мария")
            await asyncio.sleep(3)  # six times what a statement waits
            assert update_id not in runner.handled
            await conn.rollback()
        await locker.dispose()
        await runner.wait(update_id, timeout=30)
        assert any("Готово, Мария Петровна" in t for t in user.texts)
        assert not any("пошло не так" in t for t in user.texts)
        async with session_factory() as session:
            assert await session.scalar(select(Person.full_name).where(Person.tg_user_id == 7951)) == "Замкова Мария Петровна"
    finally:
        await runner.stop()


async def test_a_handler_that_meets_a_locked_database_runs_again(session_factory):
    """The update's unit of work rolls back and runs the work again while the database says «locked»; other
    errors pass."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from bot.unit_of_work import run_update

    runs = []

    async def work(session):
        runs.append(session)
        if len(runs) < 3:
            raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))
        return "done"

    assert await run_update(session_factory, [], work, retry_wait=(0.01, 0.02)) == "done"
    assert len(runs) == 3 and len({id(s) for s in runs}) == 3  # a fresh session each time

    async def broken(session):
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await run_update(session_factory, [], broken, retry_wait=(0.01, 0.02))


async def test_a_mark_older_than_a_day_never_hides_a_new_update(session_factory, database_url, engine, clock):
    """Telegram reuses update ids after a week without updates: an old mark must not skip a real update."""
    from storage.inbox import Inbox, Received
    from storage.models import InboxUpdate
    from storage.writer import make_writer

    writer = make_writer(database_url, engine)
    inbox = Inbox(writer, session_factory, bot_id=1, clock=clock)
    try:
        clock.advance(hours=-25)
        assert await inbox.record([Received(500, {"update_id": 500})]) == [500]
        await inbox.mark_done(500)
        clock.advance(hours=24)
        assert await inbox.record([Received(500, {"update_id": 500})]) == []  # a redelivery
        clock.advance(hours=1)
        assert await inbox.record([Received(500, {"update_id": 500, "message": 1})]) == [500]  # the id reused later
        inbox.PRUNE_EVERY = dt.timedelta(0)
        await inbox.mark_done(500)
        clock.advance(hours=25)
        await inbox.record([Received(501, {"update_id": 501})])  # prunes what is a day old
        async with session_factory() as session:
            left = set(await session.scalars(select(InboxUpdate.update_id)))
        assert left == {501}
    finally:
        await writer.close()
