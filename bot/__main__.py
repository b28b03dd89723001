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
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade

    token = settings.token()
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    bot = create_bot(token, settings.telegram_api_base)
    dp = create_dispatcher(make_session_factory(engine), methodology=settings.methodology())
    try:
        await set_default_commands(bot)
        me = await bot.get_me()
        log.info("bot @%s started", me.username)
        await dp.start_polling(
            bot,
            polling_timeout=settings.polling_timeout,
            tasks_concurrency_limit=settings.tasks_concurrency_limit,
        )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    from bot.cli import main

    sys.exit(main())
