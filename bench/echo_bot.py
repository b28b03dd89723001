"""The floor: a minimal aiogram bot that only echoes, polled on the same harness as the real one."""

from __future__ import annotations

import asyncio
import logging
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

from bot.telegram.dispatcher import keep_response_types


async def main() -> None:
    logging.basicConfig(level=logging.INFO)  # «Start polling» tells the harness it is ready
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)  # not a line per update
    keep_response_types()  # as the real bot does (bot/dispatcher.py): the floor must not pay for pydantic rebuilds
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "-")

    await dp.start_polling(bot, polling_timeout=1, tasks_concurrency_limit=int(os.environ.get("TASKS_CONCURRENCY_LIMIT", "50")))


if __name__ == "__main__":
    asyncio.run(main())
