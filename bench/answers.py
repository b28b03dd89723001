"""Answers per second through the whole path, against the floor of an aiogram echo bot in the same run.

Path: fake Bot API over HTTP -> the real bot process (`python -m bot run`): inbox, middlewares,
handler, questionnaire, group-commit writer -> the reply over HTTP. Each answer is a press of
«Да» that turns the pressed question into the next one: in polling, an edit and the callback's
answer (two Bot API calls); in webhook mode the callback's answer rides back in the HTTP
response, so one call.

Every phase ends by itself within its time limit. Answers are counted in the database (those
written inside the measuring window), not from replies; statements and commits come from the
bot's own counters (SHNOR_STATS_FILE), Bot API calls from the fake server's log.

    python bench/answers.py                 # echo floor, SQLite (polling and webhook)
    BENCH_DATABASE_URL=postgresql+asyncpg://... python bench/answers.py   # PostgreSQL too

Besides the closed loop's CPU per answer (saturation), the steady phase reports the bot's CPU per
answer at 30 answers/s (BENCH_STEADY_SECONDS long, BENCH_SECONDS by default).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from common import ROOT, cpu_seconds, percentile, record, start_process

sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, func, select  # noqa: E402

from monitoring.campaigns import open_campaign  # noqa: E402
from storage.clock import system_clock  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Answer, Reminder, Response  # noqa: E402
from surveys.model import Survey  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.worlds import one_school_with_teachers  # noqa: E402

USERS = int(os.environ.get("BENCH_USERS", "300"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))  # each path this many times, interleaved; medians reported
DURATION = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = 3.0
QUESTIONS = 60
STEADY_RATE = 30
STEADY_USERS = 100  # users of their own, untouched by the closed loop
ASK_TIMEOUT = 5.0  # the open loop's wait for a reply, and how long a phase waits for its users at the end
REPLY_TIMEOUT = 60.0  # a closed-loop user waits this long for a reply before leaving the loop (a lost reply)
START_TIMEOUT = 60.0
STEADY_SECONDS = float(os.environ.get("BENCH_STEADY_SECONDS", str(DURATION)))


def bench_survey() -> Survey:
    return Survey.model_validate({
        "id": "bench", "title": "Бенчмарк", "audience": "teacher",
        "questions": [{"name": f"q{n}", "type": "yesno", "label": f"Вопрос {n}?"} for n in range(QUESTIONS)],
    })


async def prepare(url: str) -> int:
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    async with make_session_factory(engine, system_clock)() as session:
        municipality, _ = await one_school_with_teachers(session, f"Бенч {time.time_ns()}", USERS + STEADY_USERS, 10_000)
        campaign = await open_campaign(session, municipality=municipality, survey=bench_survey(), period="2026-2027",
                                       deadline=system_clock() + dt.timedelta(days=30), now=system_clock())
        # no opening notices: they would land in the users' chats in the middle of the measurement
        await session.execute(delete(Reminder).where(Reminder.campaign_id == campaign.id))
        await session.commit()
        campaign_id = campaign.id
    await engine.dispose()
    return campaign_id


async def fresh_database(url: str, name: str) -> str:
    """An empty PostgreSQL database `name` on the server of `url` (dropped first if a run left one)."""
    from sqlalchemy import make_url, text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


async def answers_between(url: str, campaign_id: int, start: dt.datetime, end: dt.datetime) -> int:
    engine = make_engine(url)
    try:
        async with make_session_factory(engine, system_clock)() as session:
            return await session.scalar(
                select(func.count()).select_from(Answer).join(Response, Answer.response_id == Response.id)
                .where(Response.campaign_id == campaign_id, Answer.answered_at >= start, Answer.answered_at < end)
            )
    finally:
        await engine.dispose()


class Load:
    """Users waiting for the bot's next message; `ask` pushes an update and awaits the reply."""

    def __init__(self, api: FakeTelegram) -> None:
        self.api = api
        self.waiting: dict[int, asyncio.Future] = {}
        api.on_send = self._on_send
        api.keep_history = False
        self.polls = 0  # getUpdates answered, and the updates they carried (how the bot batches)
        self.polled = 0
        get_updates = api.api_getupdates

        async def counted(params: dict) -> list:
            batch = await get_updates(params)
            self.polls += 1
            self.polled += len(batch)
            return batch

        api.api_getupdates = counted

    def _on_send(self, chat_id: int, message: dict) -> None:
        future = self.waiting.pop(chat_id, None)
        if future is not None and not future.done():
            future.set_result(message)

    async def ask(self, uid: int, push, timeout: float = ASK_TIMEOUT) -> dict | None:
        future = asyncio.get_running_loop().create_future()
        self.waiting[uid] = future
        push()
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            self.waiting.pop(uid, None)
            return None


_profiles: list[None] = []  # one a run profiled


def yes_button(message: dict | None) -> str | None:
    for row in ((message or {}).get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if button["text"] == "Да":
                return button["callback_data"]
    return None


def stats(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


async def closed_loop(api: FakeTelegram, load: Load, proc, mode: str, campaign_id: int | None, stats_file: Path) -> dict:
    done = {"n": 0, "dropped": 0}
    measuring = {"on": False}
    stop = asyncio.Event()
    opened = {"n": 0, "all": asyncio.Event()}

    def has_opened() -> None:  # every user has a questionnaire open and an answer taken: the bot is warm
        opened["n"] += 1
        if opened["n"] == USERS:
            opened["all"].set()

    async def user(uid: int) -> None:
        if mode == "echo":
            has_opened()
            while not stop.is_set():
                if await load.ask(uid, lambda: api.message_update(uid, "привет")) is None:
                    return
                if measuring["on"]:
                    done["n"] += 1
            return
        message = await load.ask(uid, lambda: api.callback_update(
            uid, {"message_id": 1, "date": 0, "chat": {"id": uid, "type": "private"}}, f"o:{campaign_id}"), REPLY_TIMEOUT)
        first = True
        while not stop.is_set() and (data := yes_button(message)) is not None:
            pressed = message
            message = await load.ask(uid, lambda: api.callback_update(uid, pressed, data), REPLY_TIMEOUT)
            if message is not None and measuring["on"]:
                done["n"] += 1
            if first:
                has_opened()
                first = False
        if not stop.is_set():  # no reply within REPLY_TIMEOUT, or no «Да» left: this user stopped early
            done["dropped"] += 1

    tasks = [asyncio.create_task(user(10_000 + n)) for n in range(USERS)]
    await asyncio.wait_for(opened["all"].wait(), START_TIMEOUT)  # every user has a questionnaire open and one answer in
    await asyncio.sleep(WARMUP)
    measuring["on"] = True
    profiler = None
    if os.environ.get("BENCH_PROFILE") and mode != "echo":  # py-spy's view of the bot while it is measured
        # BENCH_PROFILE=path: one profile a run (path.1, path.2, ...) in py-spy's raw format;
        # BENCH_PROFILE_HARNESS=1 profiles this process (the fake server and the users) instead of the bot
        _profiles.append(None)
        target = os.getpid() if os.environ.get("BENCH_PROFILE_HARNESS") else proc.pid
        profiler = subprocess.Popen(["py-spy", "record", "-p", str(target), "-d", str(int(DURATION)), "-f", "raw",
                                     "-o", f"{os.environ['BENCH_PROFILE']}.{len(_profiles)}", "-r", "200"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    calls0, stats0, polls0, polled0 = len(api.calls), stats(stats_file), load.polls, load.polled
    own0, times0 = time.process_time(), psutil.Process(proc.pid).cpu_times()
    cpu0, t0, wall0 = cpu_seconds(proc), time.perf_counter(), system_clock()
    await asyncio.sleep(DURATION)
    cpu1, t1, wall1 = cpu_seconds(proc), time.perf_counter(), system_clock()
    own1, times1 = time.process_time(), psutil.Process(proc.pid).cpu_times()
    calls1, stats1, polls1, polled1 = len(api.calls), stats(stats_file), load.polls, load.polled
    measuring["on"] = False
    stop.set()
    if profiler is not None:
        await asyncio.to_thread(profiler.wait, 30)
    finished, late = await asyncio.wait(tasks, timeout=ASK_TIMEOUT + 2)
    for task in late:
        task.cancel()
    replies = done["n"]
    delta = {k: stats1.get(k, 0) - stats0.get(k, 0) for k in stats1}
    return {"replies": replies, "seconds": t1 - t0, "cpu": cpu1 - cpu0, "wall": (wall0, wall1),
            "calls": calls1 - calls0, "stats": delta, "harness_cpu": own1 - own0,
            "sys": times1.system - times0.system, "dropped": done["dropped"],
            "batch": (polled1 - polled0) / max(polls1 - polls0, 1)}


async def steady(api: FakeTelegram, load: Load, campaign_id: int, users_from: int, proc) -> dict:
    """Open loop: one answer every 1/30 s, each from a user who is not waiting."""
    latencies: list[float] = []
    ready: asyncio.Queue = asyncio.Queue()

    async def opener(uid: int) -> None:
        message = await load.ask(uid, lambda: api.callback_update(
            uid, {"message_id": 1, "date": 0, "chat": {"id": uid, "type": "private"}}, f"o:{campaign_id}"))
        if message is not None:
            ready.put_nowait((uid, message))

    await asyncio.gather(*(opener(users_from + n) for n in range(STEADY_USERS)))

    async def one(uid: int, message: dict) -> None:
        data = yes_button(message)
        if data is None:
            return
        start = time.perf_counter()
        reply = await load.ask(uid, lambda: api.callback_update(uid, message, data))
        if reply is not None:
            latencies.append((time.perf_counter() - start) * 1000)
            ready.put_nowait((uid, reply))

    tasks = []
    cpu0 = cpu_seconds(proc)
    next_at = time.perf_counter()
    end = next_at + STEADY_SECONDS
    while next_at < end:
        try:
            uid, message = await asyncio.wait_for(ready.get(), ASK_TIMEOUT)
        except TimeoutError:
            break
        tasks.append(asyncio.create_task(one(uid, message)))
        next_at += 1 / STEADY_RATE
        await asyncio.sleep(max(0, next_at - time.perf_counter()))
    await asyncio.wait(tasks, timeout=ASK_TIMEOUT + 1) if tasks else None
    steady_cpu = cpu_seconds(proc) - cpu0
    return {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99), "steady_n": len(latencies),
            "steady_cpu_ms": steady_cpu / max(len(latencies), 1) * 1000}


async def wait_started(log: Path, proc, marker: str) -> float:
    started = time.perf_counter()
    while marker not in (log.read_text() if log.exists() else ""):
        if proc.poll() is not None:
            raise RuntimeError(f"the bot exited: {log.read_text()[-2000:]}")
        if time.perf_counter() - started > START_TIMEOUT:
            raise RuntimeError("the bot did not start")
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


async def run_one(kind: str, database_url: str | None, workdir: Path, webhook: bool = False) -> dict:
    api = FakeTelegram()
    await api.start()
    load = Load(api)
    stats_file = workdir / f"{kind}.stats.json"
    stats_file.unlink(missing_ok=True)  # not the last round's figures
    env = {"BOT_TOKEN": api.token, "TELEGRAM_API_BASE": api.base_url, "LOG_LEVEL": "INFO", "POLLING_TIMEOUT": "10",
           "REMINDER_INTERVAL": "3600", "PYTHONPATH": str(ROOT), "SHNOR_STATS_FILE": str(stats_file)}
    campaign_id = None
    log = workdir / f"{kind}.log"
    if webhook:
        port = free_port()
        env.update(WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram", WEBHOOK_SECRET="bench-secret",
                   WEBHOOK_HOST="127.0.0.1", WEBHOOK_PORT=str(port))
        api.deliver_to_webhook = True
    spawned = time.perf_counter()
    if kind == "echo":
        proc = start_process([sys.executable, str(ROOT / "bench" / "echo_bot.py")], env, log)
        marker = "Start polling"
    else:
        campaign_id = await prepare(database_url)
        spawned = time.perf_counter()
        proc = start_process([sys.executable, "-m", "bot", "run"], {**env, "DATABASE_URL": database_url}, log)
        marker = "webhook: listening" if webhook else "polling:"
    try:
        await wait_started(log, proc, marker)
        startup = time.perf_counter() - spawned
        await asyncio.sleep(0.5)
        rss = psutil.Process(proc.pid).memory_info().rss / 2**20
        result = await closed_loop(api, load, proc, "echo" if kind == "echo" else "answers", campaign_id, stats_file)
        result.update(startup=startup, rss=rss)
        if kind == "echo":
            result["answers"] = result["replies"]
        else:
            result["answers"] = await answers_between(database_url, campaign_id, *result["wall"])
            result.update(await steady(api, load, campaign_id, 10_000 + USERS, proc))
    finally:
        proc.terminate()
        try:
            await asyncio.wait_for(asyncio.to_thread(proc.wait, 30), 35)  # the fake server answers while the bot stops
        except TimeoutError:
            proc.kill()
        await api.stop()
    n = max(result["answers"], 1)
    stats = result["stats"]
    # the writer's own connection (sqlite3, or asyncpg itself) is counted apart from the engine's sessions
    statements = stats.get("statements", 0) + stats.get("writer_statements", 0)
    commits = stats.get("commits", 0) + stats.get("writer_commits", 0)
    result.update(rate=result["answers"] / result["seconds"], cpu_ms=result["cpu"] / n * 1000,
                  statements=statements / n, commits=commits / n, calls_per=result["calls"] / n)
    return result


def _range(result: dict) -> str:
    low, high = result["cpu_range"]
    return f"{low:.2f}–{high:.2f}"


def _median(rows: list[dict]) -> dict:
    """The run with the median CPU per answer (its other figures stay consistent with it), with the spread;
    the CPU per answer at 30/s as its own median and spread."""
    ordered = sorted(rows, key=lambda r: r["cpu_ms"])
    middle = dict(ordered[len(ordered) // 2])
    middle["cpu_range"] = (ordered[0]["cpu_ms"], ordered[-1]["cpu_ms"])
    steady_cpu = sorted(r["steady_cpu_ms"] for r in rows if "steady_cpu_ms" in r)
    if steady_cpu:
        middle["steady_cpu"] = (steady_cpu[len(steady_cpu) // 2], steady_cpu[0], steady_cpu[-1])
    return middle


def _steady_cpu(result: dict) -> str:
    middle, low, high = result["steady_cpu"]
    return f"{middle:.2f} ms ({low:.2f}–{high:.2f})"


async def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="shnor-bench-"))
    runs = [("echo", None, False), ("SQLite", f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}", False),
            ("SQLite, webhook", f"sqlite+aiosqlite:///{workdir / 'bench-webhook.sqlite3'}", True)]
    if os.environ.get("BENCH_DATABASE_URL"):
        runs.append(("PostgreSQL", os.environ["BENCH_DATABASE_URL"], False))
    only = os.environ.get("BENCH_ONLY")
    if only:  # kinds separated by ";" (or by "," when no kind named has a comma of its own)
        wanted = {kind.strip() for kind in (only.split(";") if ";" in only else only.split(","))}
        runs = [r for r in runs if r[0] in wanted]
    samples: dict[str, list[dict]] = {kind: [] for kind, *_ in runs}
    for round_ in range(REPEAT):  # interleaved: a slower minute of the machine touches every path alike
        for kind, url, webhook in runs:  # each run on a database of its own
            if url and url.startswith("sqlite"):
                url = url.replace(".sqlite3", f"-{round_}.sqlite3")
            elif url:
                url = await fresh_database(url, f"shnor_bench_{round_}")
            result = await asyncio.wait_for(run_one(kind, url, workdir, webhook),
                                            3 * DURATION + STEADY_SECONDS + 3 * START_TIMEOUT)
            samples[kind].append(result)
            shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items() if k not in ("wall", "stats")}
            harness = {"objects": len(gc.get_objects()), "rss_mb": round(psutil.Process().memory_info().rss / 2**20),
                       "gc": [g["collections"] for g in gc.get_stats()]}
            print(kind, shown, result["stats"], "harness:", harness, flush=True)
    results = {kind: _median(rows) for kind, rows in samples.items()}
    if "echo" not in results:
        return
    floor = results["echo"]["cpu_ms"]
    lines = [
        f"Each path run {REPEAT} times, interleaved; the table shows the run with the median CPU per answer "
        "(the range of all runs in brackets). "
        f"{USERS} users in a closed loop for {DURATION:.0f} s after {WARMUP:.0f} s of warm-up; then an open loop at "
        f"{STEADY_RATE} answers/s for {STEADY_SECONDS:.0f} s. Answers are counted in the database (written inside the window). "
        "CPU is the bot process's own (user + system), its database thread included. Statements and commits per answer "
        "come from the bot's counters, Bot API calls from the fake server's log (the callback's answer in the webhook "
        "response is not a call).",
        "",
        "| path | answers/s | bot CPU per answer | × echo floor | CPU per answer at 30/s | statements | commits | Bot API calls | p50 at 30/s | p99 at 30/s | start-up | memory after start |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| aiogram echo (floor) | {results['echo']['rate']:.0f} | {floor:.2f} ms ({_range(results['echo'])}) | 1.0 | — | — | — | "
        f"{results['echo']['calls_per']:.2f} | — | — | {results['echo']['startup']:.1f} s | {results['echo']['rss']:.0f} MB |",
    ]
    for kind, *_ in runs[1:]:
        r = results[kind]
        lines.append(f"| answer ({kind}) | {r['rate']:.0f} | {r['cpu_ms']:.2f} ms ({_range(r)}) | {r['cpu_ms'] / floor:.2f} | "
                     f"{_steady_cpu(r)} | "
                     f"{r['statements']:.2f} | {r['commits']:.3f} | {r['calls_per']:.2f} | {r['p50']:.1f} ms | "
                     f"{r['p99']:.1f} ms | {r['startup']:.1f} s | {r['rss']:.0f} MB |")
    lines += ["", "Targets: at least 1,000 answers/s on SQLite in one process and at most 1.5× the echo floor's CPU per "
              "update; p99 at most 15 ms at a steady 30 answers/s; at least 600 answers/s on PostgreSQL."]
    print("\n".join(lines))
    record("Answer path", "\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
