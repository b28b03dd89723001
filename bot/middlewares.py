"""Outer middlewares around aiogram's FSM middleware:

    SessionMiddleware  one database session per update (the FSM storage works through it too)
    ReleaseBeforeRequest (on the bot's HTTP session) commits it before every Bot API call
    FSMContextMiddleware (aiogram)  the per-user lock, then the conversation state
    PersonMiddleware   the registered person and the clock, read after the lock is held
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.fsm_storage import current_update_session, update_session
from storage.registry import get_person

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class SessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        async with self.session_factory() as session:
            token = update_session.set((session, asyncio.current_task()))
            try:
                data["session"] = session
                return await handler(event, data)
            finally:
                update_session.reset(token)


class ReleaseBeforeRequest(BaseRequestMiddleware):
    """Before any Bot API call made while handling an update, end the update's database
    transaction: what the handler wrote is stored before the user sees the reply, and no
    database connection waits on the network."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        session = current_update_session()
        if session is not None and session.in_transaction():
            await session.commit()
        return await make_request(bot, method)


class PersonMiddleware(BaseMiddleware):
    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        person = await get_person(data["session"], user.id) if user else None
        if person is not None and person.unreachable:
            person.unreachable = False  # they write to the bot again: they have unblocked it
            await data["session"].commit()
        data["person"] = person
        data["now"] = data["clock"]()
        return await handler(event, data)
