"""Outer middlewares around aiogram's FSM middleware:

    SessionMiddleware  one database session per update (the FSM storage works through it too)
    ReleaseBeforeRequest (on the bot's HTTP session) commits it before every Bot API call
    FSMContextMiddleware (aiogram)  the per-user lock, then the conversation state
    HandleOnce         an update handled before (redelivered after a crash) is skipped
    PersonMiddleware   the registered person and the clock, read after the lock is held
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update, User
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.fsm_storage import current_update_session, update_session
from storage.models import HandledUpdate
from storage.registry import get_person

log = logging.getLogger(__name__)

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


class HandleOnce(BaseMiddleware):
    """Skip an update handled before: Telegram redelivers what was not confirmed before a crash.

    The mark is written in the update's own transaction, so it is stored exactly when what the
    handler wrote is stored; an update that failed before anything was committed runs again.
    Runs inside the per-user lock, so the database connection is not held while waiting for it.
    """

    PRUNE_EVERY = 1000  # update ids
    KEEP = 100_000  # handled update ids remembered (Telegram keeps undelivered updates for 24 hours)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        session: AsyncSession = data["session"]
        if isinstance(event, Update) and not await self._first_time(session, data["bot"].id, event.update_id):
            log.info("update %s was handled before: skipped", event.update_id)
            return None
        try:
            result = await handler(event, data)
        except BaseException:
            await session.rollback()
            raise
        if session.in_transaction():
            await session.commit()  # the update is marked handled even when the handler wrote nothing
        return result

    async def _first_time(self, session: AsyncSession, bot_id: int, update_id: int) -> bool:
        session.add(HandledUpdate(bot_id=bot_id, update_id=update_id))
        try:
            await session.flush()  # nothing else is written yet: on a conflict the rollback loses nothing
        except IntegrityError:
            await session.rollback()
            return False
        if update_id % self.PRUNE_EVERY == 0:
            await session.execute(
                delete(HandledUpdate).where(HandledUpdate.bot_id == bot_id, HandledUpdate.update_id < update_id - self.KEEP)
            )
        return True


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


class RetryTransient(BaseRequestMiddleware):
    """A reply to a user survives a short 429 or a Telegram hiccup: waited out and retried.

    Only calls made while handling an update: the bulk sender has its own rate, pause and
    retry rules (bot.sender), which this must not double.
    """

    ATTEMPTS = 3
    LONGEST_WAIT = 5.0  # seconds; a longer retry_after fails the reply and the error handler speaks

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        if current_update_session() is None:
            return await make_request(bot, method)
        for attempt in range(1, self.ATTEMPTS):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if exc.retry_after > self.LONGEST_WAIT:
                    raise
                await asyncio.sleep(exc.retry_after)
            except (TelegramServerError, TelegramNetworkError) as exc:
                log.warning("%s: %s, retry %s", method.__api_method__, type(exc).__name__, attempt)
                await asyncio.sleep(0.5 * attempt)
        return await make_request(bot, method)  # the last attempt: its error goes to the error handler


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
