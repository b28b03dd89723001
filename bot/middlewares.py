"""Outer middleware: one database session per update, the registered person, and the clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.fsm_storage import update_session
from storage.registry import get_person


class ContextMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        async with self.session_factory() as session:
            token = update_session.set(session)
            try:
                data["session"] = session
                data["person"] = await get_person(session, user.id) if user else None
                data["now"] = data["clock"]()
                return await handler(event, data)
            finally:
                update_session.reset(token)
