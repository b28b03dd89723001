"""APScheduler wiring: interval jobs that let the reminder runner look at the outbox and the calendar runner at
the municipalities' plans (bot.calendar_runner)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.reminders import ReminderRunner

JOB_ID = "reminders"
CALENDAR_JOB_ID = "calendar"
log = logging.getLogger(__name__)


def create_scheduler(runner: ReminderRunner, interval_seconds: int, calendar: Any = None) -> AsyncIOScheduler:
    """The reminders' job and, with a calendar runner, the calendar's (both every `interval_seconds`, the first
    time `interval_seconds` after the start). The scheduler only says when to look; what is due is decided
    by the runners on the clock they were given."""
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    jobs = [(JOB_ID, runner.tick)] + ([(CALENDAR_JOB_ID, calendar.tick)] if calendar is not None else [])
    for job_id, tick in jobs:
        scheduler.add_job(
            tick,
            "interval",
            seconds=interval_seconds,
            id=job_id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    return scheduler


class SchedulerLeader:
    """Runs the scheduler only while this process holds the leader lock.

    Every `check_every` seconds a standby tries to take the lock and a leader checks it still
    holds it; a leader that dies loses the lock with its connection (or lease), and a standby
    takes over at its next check. The outbox in the database makes the handover lossless.
    """

    def __init__(self, leadership: Any, runner: ReminderRunner, interval_seconds: int, check_every: float = 15,
                 calendar: Any = None) -> None:
        self.leadership = leadership
        self.runner = runner
        self.calendar = calendar
        self.interval = interval_seconds
        self.check_every = check_every
        self.scheduler: AsyncIOScheduler | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def leading(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while True:
            try:
                if not self.leading:
                    if await self.leadership.try_acquire():
                        log.info("scheduler leader: pid %s", os.getpid())
                        self.runner.resume()
                        if self.calendar is not None:
                            self.calendar.resume()
                        self.scheduler = create_scheduler(self.runner, self.interval, self.calendar)
                        self.scheduler.start()
                elif not await self.leadership.holding():
                    log.warning("scheduler leadership lost: pid %s", os.getpid())
                    await self._step_down()
            except Exception:  # noqa: BLE001 - keep electing
                log.exception("leader election failed")
            await asyncio.sleep(self.check_every)

    async def _step_down(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
            await self.runner.stop()
            if self.calendar is not None:
                await self.calendar.stop()

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._step_down()
        await self.leadership.release()
