"""What changes beyond one process: Redis for conversation state and the shared send rate,
and a leader lock so that exactly one process runs the reminder scheduler.

- FSM: aiogram's RedisStorage and RedisEventIsolation (one user's updates one at a time across
  processes), behind an in-process lock that keeps their order (OrderedIsolation); without REDIS_URL,
  the database storage and in-process isolation.
- Send rate: the `limits` library's moving window in Redis, so 30 messages per second is a
  limit for the whole bot; the 429 pause is shared through Redis as well.
- Leader: a PostgreSQL advisory lock held by a dedicated connection (released by the server
  the moment the holder dies), else a Redis lease, else (SQLite, one process) always the leader.
  Its SQL (on that connection, not a session) is allowed in bot/ (tests/pure/test_no_orm_in_bot.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)

from bot.fsm_storage import SQLAlchemyStorage
from storage import outage
from storage.outage import lost_dependency

log = logging.getLogger(__name__)
LEADER_LOCK_KEY = 0x53484E4F52  # "SHNOR"
REDIS_PREFIX = "shnor"


def fsm_backend(
    redis_url: str | None, session_factory: async_sessionmaker[AsyncSession]
) -> tuple[BaseStorage, BaseEventIsolation]:
    if redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url)
        key_builder = DefaultKeyBuilder(prefix=f"{REDIS_PREFIX}:fsm", with_destiny=True)
        return RedisStorage(redis, key_builder=key_builder), OrderedIsolation(RedisEventIsolation(redis, key_builder=key_builder))
    return SQLAlchemyStorage(session_factory), SimpleEventIsolation()


class OrderedIsolation(BaseEventIsolation):
    """One person's updates one at a time across processes (Redis's lock) AND in the order they reached this process:
    Redis's lock is taken by whichever waiter polls first, so three answers typed ahead could be read in another
    order and land on the wrong questions. An in-process lock first (asyncio.Lock wakes its waiters in order)."""

    def __init__(self, shared: BaseEventIsolation) -> None:
        self.local = SimpleEventIsolation()
        self.shared = shared

    @asynccontextmanager
    async def lock(self, key: Any) -> AsyncIterator[None]:
        async with self.local.lock(key), self.shared.lock(key):
            yield

    async def close(self) -> None:
        await self.shared.close()
        await self.local.close()


# --- the shared send rate ------------------------------------------------------------------


class RedisRateLimiter:
    """`async with limiter:` waits for a slot of a bot-wide moving window kept in Redis."""

    def __init__(self, redis_url: str, rate: float, *, name: str = "telegram") -> None:
        from limits import RateLimitItemPerSecond
        from limits.aio.storage import RedisStorage
        from limits.aio.strategies import MovingWindowRateLimiter

        self._storage = RedisStorage(f"async+{redis_url}", implementation="redispy", key_prefix=f"{REDIS_PREFIX}:rate")
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._item = RateLimitItemPerSecond(max(1, int(rate)))
        self._name = name

    async def __aenter__(self) -> None:
        while not await self._limiter.hit(self._item, self._name):
            stats = await self._limiter.get_window_stats(self._item, self._name)
            await asyncio.sleep(max(0.005, stats.reset_time - time.time()))

    async def __aexit__(self, *exc: Any) -> None:
        return None


class RedisPause:
    """The 429 pause, shared by every process: a key that lives as long as the pause (Redis keeps the time)."""

    def __init__(self, redis_url: str, name: str = "telegram") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)
        self._key = f"{REDIS_PREFIX}:paused_until" if name == "telegram" else f"{REDIS_PREFIX}:{name}:paused_until"

    async def left(self) -> float:
        """Seconds the pause still lasts (0 or less: none)."""
        return await self._redis.pttl(self._key) / 1000  # -2: no pause, -1 cannot happen (always set with a TTL)

    async def pause(self, seconds: float) -> None:
        if seconds > await self.left():
            await self._redis.set(self._key, 1, px=max(1, int(seconds * 1000)))


# --- the leader ----------------------------------------------------------------------------


class LocalLeadership:
    """One process on an embedded database: always the leader."""

    async def try_acquire(self) -> bool:
        return True

    async def holding(self) -> bool:
        return True

    async def release(self) -> None:
        return None


class PgLeadership:
    """A session-level advisory lock on a connection of its own."""

    def __init__(self, engine: AsyncEngine, key: int = LEADER_LOCK_KEY) -> None:
        self.engine = engine
        self.key = key
        self._conn: AsyncConnection | None = None

    async def try_acquire(self) -> bool:
        try:
            if self._conn is None:
                conn = await self.engine.connect()
                self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            return bool(await self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}))
        except Exception as exc:  # noqa: BLE001 - a database hiccup means "not the leader now"
            lost = lost_dependency(exc)
            if lost is not None:
                outage.lost(lost, exc)  # one line an outage, not a traceback each check
            else:
                log.warning("leader lock: database unavailable", exc_info=True)
            await self._drop()
            return False

    async def holding(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = await self._conn.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND objid = :low"),
                {"low": self.key & 0xFFFFFFFF},
            )
            return bool(held)
        except Exception:  # noqa: BLE001
            await self._drop()
            return False

    async def _drop(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close()
            except Exception:  # noqa: BLE001 - already broken
                pass

    async def release(self) -> None:
        """Never raises: on a connection that is gone the server has released the lock already, and an error here
        would hide why the process stops (the lost database, said by storage.outage)."""
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except Exception as exc:  # noqa: BLE001 - the lock goes with its connection
                log.info("leader lock not released by hand (%s): it went with its connection", type(exc).__name__)
            finally:
                await self._drop()


class RedisLeadership:
    """A lease in Redis (SET NX PX), renewed while held; it lapses when the holder dies."""

    RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"
    RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

    def __init__(self, redis_url: str, ttl_ms: int = 30_000, name: str = "scheduler_leader") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(redis_url)
        self._key = f"{REDIS_PREFIX}:{name}"
        self._token = f"{os.getpid()}-{secrets.token_hex(8)}"
        self._ttl = ttl_ms

    async def try_acquire(self) -> bool:
        try:
            return bool(await self._redis.set(self._key, self._token, nx=True, px=self._ttl)) or await self.holding()
        except Exception:  # noqa: BLE001
            return False

    async def holding(self) -> bool:
        try:
            return bool(await self._redis.eval(self.RENEW, 1, self._key, self._token, self._ttl))
        except Exception:  # noqa: BLE001
            return False

    async def release(self) -> None:
        try:
            await self._redis.eval(self.RELEASE, 1, self._key, self._token)
        except Exception:  # noqa: BLE001
            pass


def leadership(engine: AsyncEngine, redis_url: str | None, channels: tuple[str, ...] = ("telegram",)
               ) -> LocalLeadership | PgLeadership | RedisLeadership:
    """One leader per set of channels a process runs: the processes of one configuration (Telegram alone, as
    before; MAX alone; both) share a lock, and each configuration has its own. Processes on one database are
    either all of both channels or split one channel to a process (README), so no channel has two leaders."""
    run = sorted(set(channels))
    if engine.dialect.name == "postgresql":
        key = LEADER_LOCK_KEY if run == ["telegram"] else LEADER_LOCK_KEY + ((zlib.crc32(",".join(run).encode()) & 0x3FFFFF) << 40)
        return PgLeadership(engine, key)
    if redis_url:
        return RedisLeadership(redis_url, name="scheduler_leader" if run == ["telegram"] else f"scheduler_leader:{','.join(run)}")
    return LocalLeadership()
