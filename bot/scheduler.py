"""APScheduler wiring: one interval job that lets the reminder runner look at the outbox."""

from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.reminders import ReminderRunner

JOB_ID = "reminders"


def create_scheduler(runner: ReminderRunner, interval_seconds: int) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    scheduler.add_job(
        runner.tick,
        "interval",
        seconds=interval_seconds,
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=dt.datetime.now(dt.UTC),
    )
    return scheduler
