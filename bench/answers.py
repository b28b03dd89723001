"""Answers per second through the whole path, against the floor of an aiogram echo bot.

Path: fake Bot API over HTTP -> long polling -> the real bot process (`python -m bot run`):
middlewares, FSM, handler, questionnaire engine, database -> replies over HTTP. Each answer
is a button press that the bot answers with three calls (answerCallbackQuery, the pressed
question frozen into its answer with editMessageText, the next question with sendMessage).

Measured: closed loop with many users (throughput, CPU of the bot process per update), and an
open loop at a steady 30 answers per second (latency from the update to the next question).

    python bench/answers.py                 # SQLite, and the echo floor
    BENCH_DATABASE_URL=postgresql+asyncpg://... python bench/answers.py   # PostgreSQL too
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

import psutil
from common import ROOT, cpu_seconds, percentile, record, start_process

sys.path.insert(0, str(ROOT))

from sqlalchemy import delete  # noqa: E402

from scoring.demo import one_school_with_teachers  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Reminder, utcnow  # noqa: E402
from surveys.model import Survey  # noqa: E402
from surveys.service import open_campaign  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", "300"))
DURATION = float(os.environ.get("BENCH_SECONDS", "15"))
WARMUP = 3.0
QUESTIONS = 60
STEADY_RATE = 30
STEADY_USERS = 100  # users of their own, untouched by the closed loop


def bench_survey() -> Survey:
    return Survey.model_validate({
        "id": "bench", "title": "Бенчмарк", "audience": "teacher",
        "questions": [{"name": f"q{n}", "type": "yesno", "label": f"Вопрос {n}?"} for n in range(QUESTIONS)],
    })


async def prepare(url: str) -> int:
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    async with make_session_factory(engine)() as session:
        municipality, _ = await one_school_with_teachers(session, f"Бенч {time.time_ns()}", USERS + STEADY_USERS, 10_000)
        campaign = await open_campaign(session, municipality=municipality, survey=bench_survey(), period="2026-2027",
                                       deadline=utcnow() + dt.timedelta(days=30))
        # no opening notices: they would land in the users' chats in the middle of the measurement
        await session.execute(delete(Reminder).where(Reminder.campaign_id == campaign.id))
        await session.commit()
        campaign_id = campaign.id
    await engine.dispose()
    return campaign_id


class Load:
    """Users waiting for the bot's next message; `ask` pushes an update and awaits the reply."""

    def __init__(self, api: FakeTelegram) -> None:
        self.api = api
        self.waiting: dict[int, asyncio.Future] = {}
        api.on_send = self._on_send
        api.keep_history = False

    def _on_send(self, chat_id: int, message: dict) -> None:
        future = self.waiting.pop(chat_id, None)
        if future is not None and not future.done():
            future.set_result(message)

    async def ask(self, uid: int, push) -> dict:
        future = asyncio.get_running_loop().create_future()
        self.waiting[uid] = future
        push()
        return await asyncio.wait_for(future, 60)


def yes_button(message: dict) -> str | None:
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == "Да":
                return button["callback_data"]
    return None


async def closed_loop(api: FakeTelegram, load: Load, proc, mode: str, campaign_id: int | None) -> dict:
    done = {"n": 0}
    measuring = {"on": False}
    opened = {"n": 0, "all": asyncio.Event()}

    def has_opened() -> None:
        opened["n"] += 1
        if opened["n"] == USERS:
            opened["all"].set()

    async def user(uid: int) -> None:
        if mode == "echo":
            has_opened()
            while True:
                await load.ask(uid, lambda: api.message_update(uid, "привет"))
                if measuring["on"]:
                    done["n"] += 1
        message = await load.ask(uid, lambda: api.callback_update(
            uid, {"message_id": 1, "date": 0, "chat": {"id": uid, "type": "private"}}, f"o:{campaign_id}"))
        has_opened()
        while (data := yes_button(message)) is not None:
            message = await load.ask(uid, lambda: api.callback_update(uid, message, data))
            if measuring["on"]:
                done["n"] += 1

    tasks = [asyncio.create_task(user(10_000 + n)) for n in range(USERS)]
    await opened["all"].wait()  # the bot has started and every user has a questionnaire open
    await asyncio.sleep(WARMUP)
    measuring["on"] = True
    threads0 = {t.id: t.user_time + t.system_time for t in psutil.Process(proc.pid).threads()}
    cpu0, t0 = cpu_seconds(proc), time.perf_counter()
    await asyncio.sleep(DURATION)
    measuring["on"] = False
    cpu1, t1 = cpu_seconds(proc), time.perf_counter()
    main_thread = max(psutil.Process(proc.pid).threads(), key=lambda t: t.user_time + t.system_time - threads0.get(t.id, 0))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    n = done["n"]
    main_cpu = main_thread.user_time + main_thread.system_time - threads0.get(main_thread.id, 0)
    return {"rate": n / (t1 - t0), "cpu_ms": (cpu1 - cpu0) / max(n, 1) * 1000, "main_ms": main_cpu / max(n, 1) * 1000, "n": n}


async def steady(api: FakeTelegram, load: Load, campaign_id: int, users_from: int) -> dict:
    """Open loop: one answer every 1/30 s, each from a user who is not waiting."""
    latencies: list[float] = []
    ready: asyncio.Queue = asyncio.Queue()

    async def opener(uid: int) -> None:
        message = await load.ask(uid, lambda: api.callback_update(
            uid, {"message_id": 1, "date": 0, "chat": {"id": uid, "type": "private"}}, f"o:{campaign_id}"))
        ready.put_nowait((uid, message))

    await asyncio.gather(*(opener(users_from + n) for n in range(STEADY_USERS)))

    async def one(uid: int, message: dict) -> None:
        data = yes_button(message)
        start = time.perf_counter()
        reply = await load.ask(uid, lambda: api.callback_update(uid, message, data))
        latencies.append((time.perf_counter() - start) * 1000)
        ready.put_nowait((uid, reply))

    tasks = []
    next_at = time.perf_counter()
    end = next_at + DURATION
    while next_at < end:
        uid, message = await ready.get()
        tasks.append(asyncio.create_task(one(uid, message)))
        next_at += 1 / STEADY_RATE
        await asyncio.sleep(max(0, next_at - time.perf_counter()))
    await asyncio.gather(*tasks)
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "n": len(latencies)}


async def run_one(kind: str, database_url: str | None, workdir: Path) -> dict:
    api = FakeTelegram()
    await api.start()
    load = Load(api)
    env = {"BOT_TOKEN": api.token, "TELEGRAM_API_BASE": api.base_url, "LOG_LEVEL": "WARNING", "POLLING_TIMEOUT": "10",
           "REMINDER_INTERVAL": "3600", "PYTHONPATH": str(ROOT)}
    campaign_id = None
    if kind == "echo":
        proc = start_process([sys.executable, str(ROOT / "bench" / "echo_bot.py")], env, workdir / "echo.log")
    else:
        campaign_id = await prepare(database_url)
        proc = start_process([sys.executable, "-m", "bot", "run"], {**env, "DATABASE_URL": database_url}, workdir / f"{kind}.log")
    try:
        result = await closed_loop(api, load, proc, "echo" if kind == "echo" else "answers", campaign_id)
        if kind != "echo":
            result.update(await steady(api, load, campaign_id, 10_000 + USERS))
    finally:
        proc.terminate()
        await asyncio.to_thread(proc.wait, 30)  # the fake server keeps answering while the bot stops
        await api.stop()
    return result


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="shnor-bench-"))
    runs = [("echo", None), ("SQLite", f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}")]
    if os.environ.get("BENCH_DATABASE_URL"):
        runs.append(("PostgreSQL", os.environ["BENCH_DATABASE_URL"]))
    only = os.environ.get("BENCH_ONLY")
    if only:
        runs = [r for r in runs if r[0] in only.split(",")]
    results = {}
    for kind, url in runs:
        results[kind] = await run_one(kind, url, workdir)
        print(kind, results[kind], flush=True)
    if "echo" not in results:
        return
    floor = results["echo"]["cpu_ms"]
    lines = [
        f"{USERS} users in a closed loop for {DURATION:.0f} s after {WARMUP:.0f} s of warm-up; then an open loop at "
        f"{STEADY_RATE} answers/s for {DURATION:.0f} s. CPU is the bot process's own (user + system).",
        "",
        "| path | updates/s | bot CPU per update | × echo floor | p50 at 30/s | p99 at 30/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| aiogram echo (floor) | {results['echo']['rate']:.0f} | {floor:.2f} ms | 1.0 | — | — |",
    ]
    for kind, _ in runs[1:]:
        r = results[kind]
        lines.append(f"| answer ({kind}) | {r['rate']:.0f} | {r['cpu_ms']:.2f} ms | {r['cpu_ms'] / floor:.1f} | "
                     f"{r['p50']:.1f} ms | {r['p99']:.1f} ms |")
    lines += ["", "Targets: at least 600 answers/s on SQLite in one process, within 2.5× the echo floor's CPU per update."]
    print("\n".join(lines))
    record("Answer path", "\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
