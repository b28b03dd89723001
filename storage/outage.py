"""A dependency lost while the bot runs (the database, Redis): named in one clear line when it goes and one when
it is back, whoever meets it first (the writer, an update's handling, the leader lock).

While it is gone nothing is confirmed that is not recorded: the writer does its batch again until it commits
(storage.writer), so the pollers do not move their offset or marker and the messenger keeps the updates; an update
whose handling meets the loss raises `Unavailable` instead of being answered «Что-то пошло не так», is not marked
done, and is handled again once the dependency is back (bot.telegram.polling, bot.max.app, the webhooks' 503).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

log = logging.getLogger("shnor.outage")

DATABASE = "база данных"
REDIS = "Redis"
WHAT_TO_DO = {
    DATABASE: "проверьте, что сервер базы запущен и доступен по DATABASE_URL (для SQLite — что файл и папка на месте "
              "и диск не переполнен)",
    REDIS: "проверьте, что redis-server запущен и доступен по REDIS_URL",
}
WITH = {DATABASE: "базой данных", REDIS: "Redis"}  # «нет связи с ...»
_down: dict[str, float] = {}  # the dependencies lost now, and since when (time.monotonic)


class Unavailable(Exception):
    """An update's handling met a lost dependency: the update is not done; it is handled again later."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps (SQLAlchemy's DBAPIError around the driver's, an explicit cause, the context)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        one = todo.pop()
        if one is None or id(one) in seen:
            continue
        seen.add(id(one))
        yield one
        todo += [getattr(one, "orig", None), one.__cause__, one.__context__]


def _raised_in(exc: BaseException, packages: tuple[str, ...]) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        if module.split(".", 1)[0] in packages:
            return True
        tb = tb.tb_next
    return False


def lost_dependency(exc: BaseException) -> str | None:
    """Which dependency `exc` says is unreachable (DATABASE, REDIS), or None: a lost or refused connection,
    not a locked database (done again as it is) nor a wrong statement."""
    for one in causes(exc):
        if isinstance(one, Unavailable):
            return one.name
        module = type(one).__module__.split(".", 1)[0]
        if module == "redis" and type(one).__name__ in ("ConnectionError", "TimeoutError", "BusyLoadingError"):
            return REDIS
        if module == "redis" and isinstance(one, (OSError, TimeoutError)):
            return REDIS
        if module == "asyncpg" and type(one).__name__ in (
                "ConnectionDoesNotExistError", "ConnectionFailureError", "CannotConnectNowError", "AdminShutdownError",
                "CrashShutdownError", "TooManyConnectionsError", "InterfaceError", "PostgresConnectionError"):
            return DATABASE
        if module == "sqlalchemy" and getattr(one, "connection_invalidated", False):
            return DATABASE
        if isinstance(one, sqlite3.OperationalError) and any(
                words in str(one).lower() for words in ("unable to open", "disk i/o", "database disk image")):
            return DATABASE
        if isinstance(one, (OSError, TimeoutError)):
            if _raised_in(one, ("redis",)):
                return REDIS
            if _raised_in(one, ("sqlalchemy", "asyncpg", "aiosqlite")):
                return DATABASE
    return None


def lost(name: str, exc: BaseException | None = None) -> None:
    """`name` is unreachable: said once an outage, in Russian, with what to check."""
    if name in _down:
        return
    _down[name] = time.monotonic()
    why = f" ({type(exc).__name__}: {str(exc)[:200]})" if exc is not None else ""
    log.error("Нет связи с %s%s. Бот ждёт и подключается снова; пока связи нет, новые обновления не подтверждаются "
              "мессенджеру, а начатые будут обработаны, когда связь вернётся. Что проверить: %s.",
              WITH[name], why, WHAT_TO_DO[name])


def back(name: str) -> None:
    """`name` answers again (after `lost`): said once."""
    since = _down.pop(name, None)
    if since is not None:
        log.warning("Связь с %s восстановлена (её не было %.0f с).", WITH[name], time.monotonic() - since)


def is_down(name: str) -> bool:
    return name in _down


def backoff(first: float = 0.5, longest: float = 10.0) -> Iterator[float]:
    """The waits between attempts while a dependency is gone: twice as long each time, at most `longest`."""
    wait = first
    while True:
        yield wait
        wait = min(wait * 2, longest)


async def pause(waits: Iterator[float]) -> None:
    await asyncio.sleep(next(waits))


async def until_back(call: Callable[[], Awaitable[T]]) -> T:
    """`call()` done again, with backoff, while it meets a lost database or Redis (said once, by `lost`); any other
    error is raised. For a channel's reads at start (what the inbox holds, MAX's marker): a lost connection there
    must not end the process."""
    waits = backoff()
    while True:
        try:
            result = await call()
        except Exception as exc:
            name = lost_dependency(exc)
            if name is None:
                raise
            lost(name, exc)
            await pause(waits)
            continue
        back(DATABASE)
        return result
