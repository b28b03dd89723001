"""Beyond one process: webhook mode with its secret, and two bot processes sharing one PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import select, update

from bot.telegram.dispatcher import create_bot, create_dispatcher
from bot.telegram.webhook import create_webhook_app
from monitoring.campaigns import create_campaign
from storage.clock import system_clock
from storage.db import make_engine, make_session_factory
from storage.models import Reminder
from surveys.loader import load_pack
from tests.conftest import PG_URL, REDIS_URL, free_port
from tests.worlds import one_school_with_teachers

SECRET = "s3cret-token_for-tests"


async def test_webhook_checks_the_secret_and_answers(api, session_factory, clock, world, database_url, engine):
    """The secret is checked; an update is handled once; a pressed button's answer rides back in the
    HTTP response (one Bot API call per answer); an unreadable update is acknowledged and kept."""
    from sqlalchemy import func

    from storage.models import Answer, InboxUpdate
    from storage.writer import make_writer
    from tests.harness import register_directly

    bot = create_bot(api.token, api.base_url)
    writer = make_writer(database_url, engine)
    dp = create_dispatcher(session_factory, writer=writer, bot_id=bot.id, clock=clock)
    app = create_webhook_app(dp, bot, dp["inbox"], path="/telegram", secret=SECRET)
    app_runner = web.AppRunner(app)
    await app_runner.setup()
    port = free_port()
    await web.TCPSite(app_runner, "127.0.0.1", port).start()
    update_ = {"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {"id": 42, "type": "private"},
                                           "from": {"id": 42, "is_bot": False, "first_name": "Тест"}, "text": "/help"}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram"
            async with http.post(url, json=update_) as response:
                assert response.status == 401
            async with http.post(url, json=update_, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as response:
                assert response.status == 401
            assert api.bot_messages(42) == []
            async with http.post(url, json=update_, headers=headers) as response:
                assert response.status == 200
            assert "ссылку-приглашение" in api.last_message(42)["text"]
            async with http.post(url, json=update_, headers=headers) as response:  # Telegram retries it
                assert response.status == 200
            assert len(api.bot_messages(42)) == 1  # handled once
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                assert (await response.json()) == {"ok": True}

            # a teacher presses «Да»: the question becomes the next one (one call); the callback's answer is the response
            person = await register_directly(session_factory, world, 43)
            opening = {"message_id": 1, "date": 0, "chat": {"id": 43, "type": "private"}}
            press = {"update_id": 2, "callback_query": {"id": "cb1", "from": {"id": 43, "is_bot": False, "first_name": "Т"},
                                                         "chat_instance": "x", "message": opening,
                                                         "data": f"o:{world.campaigns['teacher'].id}"}}
            async with http.post(url, json=press, headers=headers) as response:
                assert (await response.json()) == {"method": "answerCallbackQuery", "callback_query_id": "cb1"}
            question = api.current_message(43)
            data = next(b["callback_data"] for row in question["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "1. Учитель")
            press = {"update_id": 3, "callback_query": {"id": "cb2", "from": {"id": 43, "is_bot": False, "first_name": "Т"},
                                                         "chat_instance": "x", "message": question, "data": data}}
            calls = len(api.calls)
            async with http.post(url, json=press, headers=headers) as response:
                assert (await response.json())["method"] == "answerCallbackQuery"
            assert [m for m, _ in api.calls[calls:]] == ["editMessageText"]
            assert "осталось 9 вопросов" in api.current_message(43)["text"]

            # an update aiogram cannot read: acknowledged, kept as poison, the bot goes on
            poison = {"update_id": 4, "message": {"message_id": 2, "date": 0, "chat": {"id": "not-a-number", "type": "private"},
                                                  "text": "x"}}
            async with http.post(url, json=poison, headers=headers) as response:
                assert response.status == 200
        async with session_factory() as session:
            assert await session.scalar(select(InboxUpdate.state).where(InboxUpdate.update_id == 4)) == "poison"
            assert await session.scalar(select(func.count()).select_from(Answer)) == 1
    finally:
        await app_runner.cleanup()
        await writer.close()
        await bot.session.close()


def _start_bot(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
        cwd=Path(__file__).parents[1],
    )


async def _wait(predicate, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.mark.skipif(not PG_URL, reason="two processes share one PostgreSQL: runs in the PostgreSQL pass of .ci/run")
@pytest.mark.slow
async def test_two_processes_one_scheduler_and_a_takeover(api, database_url, tmp_path: Path):
    teachers = 30
    engine = make_engine(database_url)
    factory = make_session_factory(engine, system_clock)  # the bots under test are processes on the real clock
    now = system_clock()
    async with factory() as session:
        municipality, school = await one_school_with_teachers(session, "Масштаб", teachers, 50_000, coordinators_chat_id=-777)
        campaign = await create_campaign(session, municipality=municipality, survey=load_pack("teacher"), period="2026-2027",
                                         deadline=now + dt.timedelta(days=30), quiet_hours="00:00-00:00", now=now)
        await session.commit()
        # the second reminder falls due a little later, once the first process is gone
        await session.execute(update(Reminder).where(Reminder.campaign_id == campaign.id, Reminder.key == "7d")
                              .values(due_at=now + dt.timedelta(days=365)))
        await session.commit()

    env = {**os.environ, "DATABASE_URL": database_url, "TELEGRAM_API_BASE": api.base_url, "BOT_TOKEN": api.token,
           "REMINDER_INTERVAL": "1", "LEADER_CHECK_INTERVAL": "1", "SEND_RATE": "100", "LOG_LEVEL": "INFO",
           "WEBHOOK_URL": "https://bot.example.invalid/telegram", "WEBHOOK_SECRET": SECRET}
    if REDIS_URL:
        env["REDIS_URL"] = REDIS_URL
    logs = [tmp_path / "bot1.log", tmp_path / "bot2.log"]
    procs = [_start_bot({**env, "WEBHOOK_PORT": str(free_port())}, logs[0])]
    try:
        def notices() -> list[int]:
            return [len(api.bot_messages(50_000 + n)) for n in range(teachers)]

        await _wait(lambda: "scheduler leader" in logs[0].read_text(), 60, "the first process to lead")
        procs.append(_start_bot({**env, "WEBHOOK_PORT": str(free_port())}, logs[1]))
        await _wait(lambda: "webhook: listening" in logs[1].read_text(), 60, "the second process to start")
        await _wait(lambda: all(n >= 1 for n in notices()), 60, "the opening notices")
        await asyncio.sleep(3)  # both processes run; only one may send
        assert notices() == [1] * teachers
        assert "scheduler leader" not in logs[1].read_text()
        assert api.webhook and api.webhook["url"] == "https://bot.example.invalid/telegram"

        procs[0].send_signal(signal.SIGKILL)  # the leader dies
        procs[0].wait(10)
        async with factory() as session:
            await session.execute(update(Reminder).where(Reminder.key == "7d").values(due_at=system_clock()))
            await session.commit()
        started = asyncio.get_running_loop().time()
        await _wait(lambda: all(n >= 2 for n in notices()), 60, "the standby to take over and send the reminder")
        assert asyncio.get_running_loop().time() - started < 60
        await asyncio.sleep(3)
        assert notices() == [2] * teachers  # each reminder exactly once
        assert "scheduler leader" in logs[1].read_text()
        async with factory() as session:
            states = {r.key: r.state for r in await session.scalars(select(Reminder))}
        assert states["open"] == "done" and states["7d"] == "done"
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        await engine.dispose()
