"""Telegram's middlewares: InboxMark on every update (the update's mark in the inbox, storage.inbox: written
together with what the update wrote, or on its own once it is handled), and, on the bot's HTTP session,
ReleaseBeforeRequest and RetryTransient. Everything else an update passes is the one pipeline (bot.pipeline).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
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
from aiogram.types import TelegramObject, Update

from bot.unit_of_work import Mark, commit_before_reply
from storage.inbox import Inbox
from storage.outage import Unavailable

log = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class InboxMark(BaseMiddleware):
    def __init__(self, inbox: Inbox | None) -> None:
        self.inbox = inbox

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if self.inbox is None or not isinstance(event, Update):
            return await handler(event, data)
        mark = data["mark"] = Mark(data["bot"].id, event.update_id)
        try:
            return await handler(event, data)
        except Unavailable:
            mark.marked = True  # not done: the database or Redis is gone, the update is handled again
            raise
        finally:
            if not mark.marked:  # the handler wrote nothing (or failed): the update is done all the same
                mark.marked = True
                await self.inbox.mark_done(event.update_id)


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
# retried. Set by whoever runs the update (bot.telegram.polling.UpdateHandler, bot.telegram.webhook).
handling: ContextVar[asyncio.Task[Any] | None] = ContextVar("handling", default=None)


__all__ = ["InboxMark", "ReleaseBeforeRequest", "RetryTransient", "handling"]
