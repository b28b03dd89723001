"""Entry point: `python -m bot` (same as `shnor`). Wiring only."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys

from bot.config import Settings

log = logging.getLogger("shnor")


async def run(settings: Settings) -> None:
    # aiogram is imported here, not at the top: the admin commands do not pay for it.
    from bot.calendar_runner import CalendarRunner
    from bot.dispatcher import create_bot, create_dispatcher
    from bot.reminders import ReminderRunner
    from bot.scale import RedisPause, RedisRateLimiter, fsm_backend, leadership
    from bot.scheduler import SchedulerLeader
    from bot.sender import Sender
    from storage.db import describe_database, make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.models import utcnow
    from storage.writer import make_writer

    token = settings.token()
    log.info("database: %s. %s", describe_database(settings.database_url), settings.location.describe())
    stray = settings.stray_database()
    if stray is not None:
        log.warning("a new empty database will be created, while %s exists: set DATABASE_URL to use it", stray.absolute())
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    methodology = settings.methodology()
    calendar = settings.calendar()
    bot = create_bot(token, settings.telegram_api_base)
    if settings.redis_url:
        sender = Sender(rate=settings.send_rate, global_limiter=RedisRateLimiter(settings.redis_url, settings.send_rate),
                        pause=RedisPause(settings.redis_url), probe=bot.get_me)
    else:
        sender = Sender(rate=settings.send_rate, probe=bot.get_me)
    runner = ReminderRunner(bot, session_factory, sender, utcnow, methodology=methodology)
    calendar_runner = CalendarRunner(bot, session_factory, sender, utcnow, calendar, reminders=runner)
    storage, isolation = fsm_backend(settings.redis_url, session_factory)
    writer = make_writer(settings.database_url, engine)
    stats = None
    if os.environ.get("SHNOR_STATS_FILE"):  # benchmarks: statements and commits, written every second
        from storage.stats import count_engine, write_periodically

        count_engine(engine)
        stats = asyncio.get_running_loop().create_task(write_periodically(os.environ["SHNOR_STATS_FILE"], writer))
    dp = create_dispatcher(session_factory, writer=writer, bot_id=bot.id, storage=storage, events_isolation=isolation,
                           methodology=methodology, reminders=runner, calendar=calendar)
    leader = SchedulerLeader(leadership(engine, settings.redis_url), runner, settings.reminder_interval,
                             settings.leader_check_interval, calendar=calendar_runner)
    try:
        me = await bot.get_me()
        log.info("bot @%s started", me.username)
        gc.collect()
        gc.freeze()  # what start-up built lives for the whole run: the collector need not walk it again
        leader.start()
        if settings.webhook_url:
            await _serve_webhook(settings, dp, bot)
        else:
            await _poll(settings, dp, bot)
    finally:
        if stats is not None:
            stats.cancel()
        await leader.close()
        await storage.close()
        await writer.close()
        await engine.dispose()


async def _poll(settings: Settings, dp, bot) -> None:
    from bot.polling import InboxPoller

    poller = InboxPoller(dp, bot, dp["inbox"], polling_timeout=settings.polling_timeout,
                         concurrency=settings.tasks_concurrency_limit)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, poller.stop)
    log.info("polling: updates are confirmed once recorded in the inbox")
    await poller.run()


async def _serve_webhook(settings: Settings, dp, bot) -> None:
    from aiohttp import web

    from bot.webhook import create_webhook_app

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=dp.resolve_used_update_types())
    app = create_webhook_app(dp, bot, dp["inbox"], path=settings.webhook_path, secret=secret)
    app_runner = web.AppRunner(app, access_log=None)
    await app_runner.setup()
    await web.TCPSite(app_runner, settings.webhook_host, settings.webhook_port).start()
    log.info("webhook: listening on %s:%s%s", settings.webhook_host, settings.webhook_port, settings.webhook_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await app_runner.cleanup()


if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main())
