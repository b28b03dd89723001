"""The update's unit of work: one of the few owners of a transaction (tests/pure/test_transactions.py).

Services (storage, surveys, monitoring, scoring) never commit or roll back the session they are
given; a service that must survive a conflict does it in a SAVEPOINT (`session.begin_nested()`).
The owners are:

    the update's unit of work    here (`run_update`, `commit_before_reply`), for Telegram
                                 (bot.pipeline, for Telegram and MAX alike)
    the group-commit writer      storage.writer
    the CLI                      bot.cli.common.with_session
    the runners                  bot.reminders.ReminderRunner, bot.calendar_runner.CalendarRunner
    small process-level jobs     bot.people.People (an account that writes again is reachable),
                                 bot.fsm_storage.SQLAlchemyStorage outside an update

One update, one transaction: its inbox mark goes in first, conversation state written while it is
handled goes into the same session (bot.fsm_storage), and the whole is committed before any reply
(the person never sees a reply to something not stored) and at the end; a failure rolls it back.

A storage adapter, it runs its own SQL (the inbox mark, the SQLite lock's retry): one of the few places of bot/
allowed an ORM lookup (tests/pure/test_no_orm_in_bot.py; everywhere else the services look up).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.inbox import done_statement
from storage.models import TELEGRAM
from storage.writer import Sql, is_transient

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_WAIT = (0.5, 5.0)  # seconds: the first pause after a locked database, the longest

update_session: ContextVar[tuple[AsyncSession, asyncio.Task[Any] | None] | None] = ContextVar("update_session", default=None)


@dataclass(slots=True)
class Mark:
    """An update's inbox mark (storage.inbox): written once, with the first write that takes it (the unit of
    work's, or the writer's for an answer), or on its own by the channel once the update is done."""

    bot_id: int
    key: int
    channel: str = TELEGRAM
    marked: bool = False

    def take(self) -> list[tuple[Sql, dict[str, Any]]]:
        if self.marked:
            return []
        self.marked = True
        return [done_statement(self.bot_id, self.key, self.channel)]


def current_update_session() -> AsyncSession | None:
    """The session of the update being handled, only in the task handling it: tasks the
    handler starts (a chat-action sender, say) inherit the context but must not use it."""
    value = update_session.get()
    if value is None or value[1] is not asyncio.current_task():
        return None
    return value[0]


async def commit_before_reply() -> None:
    """End the update's transaction before a message goes out (Telegram's ReleaseBeforeRequest, MAX's
    chat): what the handler wrote is stored before the person sees the reply, and no database
    connection waits on the network. The handler goes on in a new transaction."""
    session = current_update_session()
    if session is not None and session.in_transaction():
        await session.commit()


async def run_update(session_factory: async_sessionmaker[AsyncSession], marks: Iterable[tuple[Sql, dict[str, Any]]],
                     work: Callable[[AsyncSession], Awaitable[T]], *, retry_wait: tuple[float, float] = RETRY_WAIT) -> T:
    """Run `work` as the update's unit of work. A database that stays locked (another writer, longer
    than the driver waits) does not fail the update: its work is rolled back and runs again once
    the lock is gone (the caller holds the person's lock, so their next message does not overtake it)."""
    marks = list(marks)
    wait = retry_wait[0]
    while True:
        try:
            return await _once(session_factory, marks, work)
        except Exception as exc:
            if not is_transient(exc):
                raise
            log.warning("the database is busy (%s): the update is handled again in %.1f s", type(exc).__name__, wait)
            await asyncio.sleep(wait)
            wait = min(wait * 2, retry_wait[1])


async def _once(session_factory: async_sessionmaker[AsyncSession], marks: list[tuple[Sql, dict[str, Any]]],
                work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    # Not one `session_factory.begin()` block: commit_before_reply ends the transaction mid-way and
    # the handler goes on in the next one, which SQLAlchemy's block does not allow.
    async with session_factory() as session:
        token = update_session.set((session, asyncio.current_task()))
        try:
            for sql, params in marks:
                await session.execute(text(sql.sqlite), params)
            result = await work(session)
            if session.in_transaction():
                await session.commit()
            return result
        except BaseException:
            await session.rollback()
            raise
        finally:
            update_session.reset(token)


__all__ = ["RETRY_WAIT", "Mark", "commit_before_reply", "current_update_session", "run_update", "update_session"]
