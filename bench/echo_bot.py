"""The floor: a minimal aiogram bot that only echoes, polled on the same harness as the real one."""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


def keep_response_types() -> None:
    """The same pydantic generic-cache workaround the real bot applies (bot/dispatcher.py),
    so that the floor is not inflated by rebuilding `Response[Message]` schemas."""
    import aiogram.methods as methods
    from aiogram.methods import Response, TelegramMethod

    for name in methods.__all__:
        cls = getattr(methods, name)
        returning = getattr(cls, "__returning__", None) if isinstance(cls, type) and issubclass(cls, TelegramMethod) else None
        if returning is not None and not isinstance(returning, property):
            KEEP.append(Response[returning])


KEEP: list[type] = []


async def main() -> None:
    keep_response_types()
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_BASE"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "-")

    await dp.start_polling(bot, polling_timeout=1, tasks_concurrency_limit=int(os.environ.get("TASKS_CONCURRENCY_LIMIT", "50")))


if __name__ == "__main__":
    asyncio.run(main())
