"""Entry point: `python -m bot` (same as `shnor`). Wiring only."""

from __future__ import annotations

import asyncio
import logging
import sys

from bot.config import Settings

log = logging.getLogger("shnor")


async def run(settings: Settings) -> None:
    # aiogram is imported here, not at the top: the admin commands do not pay for it.
    from bot.commands import set_default_commands
    from bot.dispatcher import create_bot, create_dispatcher
    from bot.reminders import ReminderRunner
    from bot.scheduler import create_scheduler
    from bot.sender import Sender
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.models import utcnow

    token = settings.token()
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    methodology = settings.methodology()
    bot = create_bot(token, settings.telegram_api_base)
    runner = ReminderRunner(bot, session_factory, Sender(rate=settings.send_rate), utcnow, methodology=methodology)
    dp = create_dispatcher(session_factory, methodology=methodology, reminders=runner)
    scheduler = create_scheduler(runner, settings.reminder_interval)
    try:
        await set_default_commands(bot)
        me = await bot.get_me()
        log.info("bot @%s started", me.username)
        scheduler.start()
        await dp.start_polling(
            bot,
            polling_timeout=settings.polling_timeout,
            tasks_concurrency_limit=settings.tasks_concurrency_limit,
        )
    finally:
        scheduler.shutdown(wait=False)
        await runner.stop()
        await engine.dispose()


if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main())
