"""The middlewares every update passes, outermost first:

    InboxMark          the update's mark in the inbox (storage.inbox): written together with what
                       the handler wrote, or on its own once the handler is done
    FSMContextMiddleware (aiogram)  the per-user lock, then the conversation state (cached in process)
    PersonMiddleware   the registered person (kept a short while in process) and the clock
    HandlerSession     (inner) an ORM session, only for the handlers that ask for one; it writes the
                       update's mark first and is committed before any reply (ReleaseBeforeRequest)

and, on the bot's HTTP session, ReleaseBeforeRequest and RetryTransient.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.people import People
from bot.unit_of_work import RETRY_WAIT, commit_before_reply, run_update
from storage.inbox import Inbox, done_statement
from storage.models import TELEGRAM
from storage.writer import Sql

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass(slots=True)
class UpdateMark:
    """The inbox mark of the update being handled; written once, with the first write that takes it."""

    bot_id: int
    update_id: int
    marked: bool = False

    def take(self) -> list[tuple[Sql, dict[str, Any]]]:
        if self.marked:
            return []
        self.marked = True
        return [done_statement(self.bot_id, self.update_id)]


class InboxMark(BaseMiddleware):
    def __init__(self, inbox: Inbox | None) -> None:
        self.inbox = inbox

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if self.inbox is None or not isinstance(event, Update):
            return await handler(event, data)
        mark = data["mark"] = UpdateMark(data["bot"].id, event.update_id)
        try:
            return await handler(event, data)
        finally:
            if not mark.marked:  # the handler wrote nothing (or failed): the update is done all the same
                mark.marked = True
                await self.inbox.mark_done(event.update_id)


class HandlerSession(BaseMiddleware):
    """An ORM session for the handler that asks for one (the fast path asks for none).

    The session is the update's unit of work (bot.unit_of_work.run_update): the update's inbox
    mark goes in first, and it is committed before any Bot API call (ReleaseBeforeRequest) and at
    the end, whatever the handler wrote; a failing handler's writes are rolled back. A database
    that stays locked (another writer, longer than the driver waits) does not fail the update: its
    work is rolled back and the handler runs again once the lock is gone, inside the person's lock,
    so what they typed is neither lost nor overtaken by their next message.
    """

    RETRY_WAIT = RETRY_WAIT  # seconds: the first pause, the longest

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        wanted = data.get("handler")
        if wanted is None or "session" not in wanted.params:
            return await handler(event, data)
        mark: UpdateMark | None = data.get("mark")

        async def work(session: AsyncSession) -> Any:
            data["session"] = session
            return await handler(event, data)

        return await run_update(self.session_factory, mark.take() if mark else [], work, retry_wait=self.RETRY_WAIT)


class PersonMiddleware(BaseMiddleware):
    """The registered person of the update's user (bot.people: one cache for every channel of the process)."""

    def __init__(self, people: People) -> None:
        self.people = people

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        data["person"] = await self.people.get(TELEGRAM, user.id) if user else None
        data["now"] = data["clock"]()
        data["people"] = self.people
        return await handler(event, data)


class ReleaseBeforeRequest(BaseRequestMiddleware):
    """Before any Bot API call made while handling an update, end the handler session's transaction:
    what the handler wrote is stored before the person sees the reply, and no database connection
    waits on the network."""

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        await commit_before_reply()
        return await make_request(bot, method)


class RetryTransient(BaseRequestMiddleware):
    """A reply to a person survives a short 429 or a Telegram hiccup: waited out and retried.

    Only calls made while handling an update: the bulk sender has its own rate, pause and
    retry rules (bot.sender), which this must not double.
    """

    ATTEMPTS = 3
    LONGEST_WAIT = 5.0  # seconds; a longer retry_after fails the reply and the error handler speaks

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        if handling.get() is not asyncio.current_task():
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


# The task handling an update (tasks it starts inherit the context but are not it): its replies are
# retried. Set by whoever runs the update (bot.polling.UpdateHandler, bot.webhook).
handling: ContextVar[asyncio.Task[Any] | None] = ContextVar("handling", default=None)


__all__ = [
    "HandlerSession",
    "InboxMark",
    "PersonMiddleware",
    "ReleaseBeforeRequest",
    "RetryTransient",
    "UpdateMark",
    "handling",
]
