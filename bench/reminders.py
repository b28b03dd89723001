"""Reminder dispatch: N reminders to distinct users against the fake Bot API, with 429s injected.

Prints the rate achieved against the configured SEND_RATE, and counts duplicates and losses
(every user must get exactly one message). The runner, the sender and the outbox are the
production ones; the database is SQLite unless BENCH_DATABASE_URL is set.

    python bench/reminders.py                      # 35,000 reminders (about 20 minutes at 30/s)
    BENCH_REMINDERS=3000 python bench/reminders.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record

sys.path.insert(0, str(ROOT))

from bot.reminders import ReminderRunner  # noqa: E402
from bot.sender import Sender  # noqa: E402
from bot.telegram.dispatcher import create_bot  # noqa: E402
from monitoring.campaigns import create_campaign  # noqa: E402
from storage.clock import system_clock  # noqa: E402
from storage.db import make_engine, make_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from surveys.loader import load_pack  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.worlds import one_school_with_teachers  # noqa: E402

COUNT = int(os.environ.get("BENCH_REMINDERS", "35000"))
RATE = float(os.environ.get("SEND_RATE", "30"))
STORMS = 3  # 429 storms injected during the run, each with retry_after=2


async def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'reminders.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    factory = make_session_factory(engine, system_clock)
    now = system_clock()
    async with factory() as session:
        base = 7_000_000_000 + (time.time_ns() % 1_000_000) * 100_000
        municipality, _ = await one_school_with_teachers(session, f"Рассылка {time.time_ns()}", COUNT, base)
        await create_campaign(session, municipality=municipality, survey=load_pack("teacher"), period="2026-2027",
                              deadline=now + dt.timedelta(days=30), quiet_hours="00:00-00:00", now=now)
        await session.commit()

    api = FakeTelegram()
    await api.start()
    api.keep_history = False
    received: dict[int, int] = {}
    api.on_send = lambda chat_id, message: received.__setitem__(chat_id, received.get(chat_id, 0) + 1)
    bot = create_bot(api.token, api.base_url)
    sender = Sender(rate=RATE)
    runner = ReminderRunner(bot, factory, sender, system_clock, workers=16, progress_min=10**9)

    async def storms() -> None:
        for _ in range(STORMS):
            await asyncio.sleep(COUNT / RATE / (STORMS + 1))
            api.fail("sendMessage", 429, retry_after=2, times=5)

    storm_task = asyncio.create_task(storms())
    start = time.perf_counter()
    await runner.tick()
    elapsed = time.perf_counter() - start
    storm_task.cancel()
    await bot.session.close()
    await api.stop()
    await engine.dispose()

    users = [base + n for n in range(COUNT)]
    duplicates = sum(1 for u in users if received.get(u, 0) > 1)
    lost = sum(1 for u in users if received.get(u, 0) == 0)
    sent = sum(received.get(u, 0) for u in users)
    paused = STORMS * 2  # the 429s of one storm arrive together and overlap into one 2 s pause
    achieved = sent / elapsed
    achieved_active = sent / max(elapsed - paused, 1e-9)
    lines = [
        f"{COUNT:,} opening notices to distinct users, configured rate {RATE:.0f}/s, ".replace(",", " ", 1)
        + f"{STORMS} storms of 429 (retry_after=2 s, 5 responses each) injected by the fake server; "
        f"database {'PostgreSQL' if 'postgresql' in url else 'SQLite'}.",
        "",
        "| sent | elapsed | rate achieved | rate outside 429 pauses | 429 answered | duplicates | lost |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {sent} | {elapsed:.1f} s | {achieved:.2f}/s | {achieved_active:.2f}/s | {sender.stats['retry_after']} | {duplicates} | {lost} |",
        "",
        f"Target: within 5 % of the configured rate ({RATE * 0.95:.1f}-{RATE:.1f}/s outside the pauses Telegram asks for), "
        "no duplicate, no loss.",
    ]
    print("\n".join(lines))
    record("Reminder dispatch", "\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
