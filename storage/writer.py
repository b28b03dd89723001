"""One writer per process: the writes of many updates committed together (group commit).

A `Unit` is what one update writes: an optional guard statement (a conditional UPDATE that
must touch exactly one row, or the unit is skipped: the caller's cached state was stale) and
the statements that follow it. The writer gathers every unit submitted while it is busy and
commits them in one transaction; one failing unit does not take the others down. `apply`
returns once the unit is durable: only then may the caller confirm the update or reply to
the person.

Both databases run one algorithm (`_Batcher._write`) over a driver of their own (`Driver`:
begin, a statement, savepoints, commit, rollback, a pause, and which errors are transient).
SQLite: one sqlite3 connection in a thread of its own, one thread hop per batch (aiosqlite
would take one per statement). PostgreSQL: one connection of the pool kept by the writer, the
statements through asyncpg itself. Neither uses a savepoint per unit (on PostgreSQL each would
be two more round trips) unless a unit fails: then the batch is rolled back and done again
with a savepoint per unit, and the failing unit alone fails. A database that is locked (SQLite),
a lost connection, a deadlock or a serialization failure (PostgreSQL) makes the writer wait and
do the batch again; it never drops what it was given, and a unit resolves only after its commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import outage

log = logging.getLogger(__name__)

Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sql:
    """A statement in both dialects: the same text with :named parameters, PostgreSQL's own where it differs."""

    sqlite: str
    postgresql: str | None = None
    json_params: tuple[str, ...] = ()  # parameters that hold JSON values

    def for_dialect(self, name: str) -> str:
        return self.postgresql if name == "postgresql" and self.postgresql else self.sqlite


@dataclass(slots=True)
class Unit:
    statements: list[tuple[Sql, Params | Sequence[Params]]] = field(default_factory=list)
    guard: tuple[Sql, Params] | None = None  # must update exactly one row, else the unit is skipped
    fetch: tuple[Sql, Params] | None = None  # a query run last, in the same transaction: its rows are the result

    def add(self, sql: Sql, params: Params | Sequence[Params]) -> None:
        self.statements.append((sql, params))


def is_transient(exc: BaseException) -> bool:
    """A database that is busy or locked for now (not a wrong statement): try the same work again later."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, sqlite3.OperationalError) or isinstance(exc, OperationalError):
        text_ = str(exc).lower()
        return "locked" in text_ or "busy" in text_ or "deadlock" in text_ or "could not obtain lock" in text_
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class WriteFailed(RuntimeError):
    """The unit itself could not be written (a constraint, a bug); the other units of its batch were."""


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # as SQLAlchemy's SQLite DATETIME stores it: naive UTC
        return value.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _encode(sql: Sql, params: Params, dialect: str) -> Params:
    out = {}
    for key, value in params.items():
        if key in sql.json_params:
            value = json.dumps(value)
        elif dialect == "sqlite":
            value = _sqlite_value(value)
        out[key] = value
    return out


class Driver(Protocol):
    """What differs between the databases: the writer's algorithm (`_Batcher._write`) runs over these alone.

    SQLite's driver works in the writer's own thread and never suspends (its coroutines finish when first
    run: `_run_to_end`); PostgreSQL's awaits asyncpg on the event loop."""

    async def begin(self) -> None:
        """Start the batch's transaction, taking a connection first when there is none (or it was lost)."""

    async def execute(self, sql: Sql, params: Params) -> int:
        """One statement; the number of rows it touched."""

    async def execute_many(self, sql: Sql, rows: Sequence[Params]) -> None: ...

    async def fetch(self, sql: Sql, params: Params) -> list[Any]: ...

    async def savepoint(self) -> None: ...

    async def rollback_to(self) -> None:
        """Undo the unit since its savepoint, and forget the savepoint."""

    async def release(self) -> None:
        """Keep the unit, and forget its savepoint."""

    async def commit(self) -> None:
        """Returns once the batch is durable; raises (a transient error when it surely is not) otherwise."""

    async def rollback(self) -> None:
        """End the batch's transaction, undone. Never raises for a lost connection: the next `begin` replaces it."""

    async def pause(self, seconds: float) -> None:
        """Wait before the batch is done again."""

    def transient(self, exc: BaseException) -> bool:
        """The database is busy, locked, lost or chose this transaction as a deadlock's victim: the same
        batch can succeed later."""

    def lost(self, exc: BaseException) -> bool:
        """The database is unreachable (a lost or refused connection), not merely busy."""

    def unit_fault(self, exc: Exception) -> bool:
        """An error of the unit's own (a constraint, a bug), not of the database: that unit alone fails."""


class _Batcher:
    """Gathers units while a batch is being committed; the next batch takes all of them."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self._queue: list[tuple[Unit, asyncio.Future[bool]]] = []
        self._running: asyncio.Task[None] | None = None
        self.batches = 0  # commits
        self.units = 0
        self.statements = 0  # executions (an executemany counts once per row)
        self.retries = 0  # batches done again after a transient failure

    async def apply(self, unit: Unit) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((unit, future))
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._drain())
        return await asyncio.shield(future)  # a cancelled caller does not cancel the batch others wait for

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                self.batches += 1
                self.units += len(batch)
                try:
                    results = await self._commit([unit for unit, _ in batch])
                except BaseException as exc:  # noqa: BLE001 - handed to every waiter
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                for (_, future), result in zip(batch, results):
                    if future.done():
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._running = None

    async def _commit(self, units: list[Unit]) -> list[Any]:
        return await self._write(units)

    def retry_delays(self) -> Iterator[float]:
        """The waits before a batch that failed for a transient reason is done again (one iterator per batch)."""
        raise NotImplementedError

    async def _write(self, units: list[Unit]) -> list[Any]:
        """One batch in one transaction, the same on both databases.

        No savepoints at first; a unit that fails makes the batch roll back and run again with a
        savepoint per unit, so that it fails alone. A transient failure (locked, lost, a deadlock) rolls
        the batch back, waits and does it again: nothing resolves before the commit, nothing is dropped."""
        driver = self.driver
        apart = False  # a savepoint per unit only after a unit failed in this batch
        delays: Iterator[float] | None = None
        while True:
            try:
                await driver.begin()
                try:
                    results = []
                    for unit in units:
                        results.append(await self._unit(driver, unit, apart))
                    await driver.commit()
                    if delays is not None:
                        outage.back(outage.DATABASE)
                    return results
                except BaseException:
                    await driver.rollback()
                    raise
            except _Redo:
                apart = True
            except Exception as exc:
                if not driver.transient(exc):
                    raise
                if delays is None:
                    delays = self.retry_delays()
                delay = next(delays)
                self.retries += 1
                if driver.lost(exc):  # said once an outage, in Russian (storage.outage); each retry at DEBUG
                    outage.lost(outage.DATABASE, exc)
                level = logging.DEBUG if outage.is_down(outage.DATABASE) else logging.WARNING
                log.log(level, "the database failed for now (%s: %s): the writer does its %d units again in %.2f s",
                        type(exc).__name__, exc, len(units), delay)
                await driver.pause(delay)

    async def _unit(self, driver: Driver, unit: Unit, apart: bool) -> bool | BaseException | list[Any]:
        if apart:
            await driver.savepoint()
        try:
            if unit.guard is not None:
                sql, params = unit.guard
                self.statements += 1
                touched = await driver.execute(sql, params)
                if touched == 0:  # the state the caller read is stale: nothing of the unit happens
                    if apart:
                        await driver.rollback_to()
                    return False
                if touched != 1:
                    raise WriteFailed(f"the guard touched {touched} rows")
            for sql, params in unit.statements:
                if isinstance(params, dict):
                    self.statements += 1
                    await driver.execute(sql, params)
                elif params:
                    self.statements += len(params)
                    await driver.execute_many(sql, params)
            rows: Any = True
            if unit.fetch is not None:
                sql, params = unit.fetch
                self.statements += 1
                rows = await driver.fetch(sql, params)
        except Exception as exc:
            if not driver.unit_fault(exc):
                raise  # the database's failure, not the unit's: the whole batch goes (or is done again)
            if not apart:
                raise _Redo from exc
            await driver.rollback_to()
            log.exception("a write unit failed")
            return WriteFailed(f"{type(exc).__name__}: {exc}")
        if apart:
            await driver.release()
        return rows

    async def close(self) -> None:
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)


class _Redo(Exception):
    """A unit failed inside a batch without savepoints: the batch is rolled back and done again with one per unit."""


def _run_to_end(write: Callable[[list[Unit]], Coroutine[Any, Any, Any]], units: list[Unit]) -> Any:
    """Run the writer's algorithm in SQLite's thread: its driver never suspends, so the coroutine ends at once."""
    coro = write(units)
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RuntimeError("the SQLite writer's driver suspended: it may only block its own thread")


class SQLiteDriver:
    """One sqlite3 connection, used only in the writer's thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self.conn: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    async def begin(self) -> None:
        self.conn = self._connection()
        self.conn.execute("BEGIN IMMEDIATE")

    async def execute(self, sql: Sql, params: Params) -> int:
        return self.conn.execute(sql.sqlite, _encode(sql, params, "sqlite")).rowcount  # type: ignore[union-attr]

    async def execute_many(self, sql: Sql, rows: Sequence[Params]) -> None:
        self.conn.executemany(sql.sqlite, [_encode(sql, p, "sqlite") for p in rows])  # type: ignore[union-attr]

    async def fetch(self, sql: Sql, params: Params) -> list[Any]:
        return self.conn.execute(sql.sqlite, _encode(sql, params, "sqlite")).fetchall()  # type: ignore[union-attr]

    async def savepoint(self) -> None:
        self.conn.execute("SAVEPOINT unit")  # type: ignore[union-attr]

    async def rollback_to(self) -> None:
        self.conn.execute("ROLLBACK TO unit")  # type: ignore[union-attr]
        self.conn.execute("RELEASE unit")  # type: ignore[union-attr]

    async def release(self) -> None:
        self.conn.execute("RELEASE unit")  # type: ignore[union-attr]

    async def commit(self) -> None:
        self.conn.execute("COMMIT")  # type: ignore[union-attr]

    async def rollback(self) -> None:
        if self.conn is not None and self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    async def pause(self, seconds: float) -> None:
        time.sleep(seconds)  # the writer's own thread: nothing else waits on it

    def transient(self, exc: BaseException) -> bool:
        text_ = str(exc)
        return isinstance(exc, sqlite3.OperationalError) and ("locked" in text_ or "busy" in text_)

    def lost(self, exc: BaseException) -> bool:
        return False  # a file: locked or busy for a while, never lost

    def unit_fault(self, exc: Exception) -> bool:
        return not isinstance(exc, sqlite3.OperationalError)  # locked, or no such table: the whole batch

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()


class SQLiteWriter(_Batcher):
    """SQLite: one sqlite3 connection in a thread of its own, one thread hop per batch."""

    LOCKED_RETRY = 0.5  # seconds between attempts while another process holds the database
    driver: SQLiteDriver

    def __init__(self, path: str) -> None:
        super().__init__(SQLiteDriver(path))
        self.path = path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")

    def retry_delays(self) -> Iterator[float]:
        return itertools.repeat(self.LOCKED_RETRY)

    async def _commit(self, units: list[Unit]) -> list[Any]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, _run_to_end, self._write, units)

    async def close(self) -> None:
        await super().close()
        await asyncio.get_running_loop().run_in_executor(self._executor, self.driver.close)
        self._executor.shutdown(wait=True)


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def positional(statement: str) -> tuple[str, tuple[str, ...]]:
    """`:name` parameters as asyncpg's `$n` (a name used twice is one parameter), and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _NAMED.sub(number, statement), tuple(names)


class _Lost(ConnectionError):
    """The connection went while COMMIT was under way, and the transaction did not commit."""


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps (SQLAlchemy's DBAPIError around asyncpg's, when the engine connects)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        one = todo.pop()
        if one is None or id(one) in seen:
            continue
        seen.add(id(one))
        yield one
        todo += [getattr(one, "orig", None), one.__cause__]


class PostgresDriver:
    """One connection of the engine's pool, kept by the writer between batches (no pre-ping per batch) and
    replaced when it is lost; the statements go through asyncpg itself.

    A batch's transaction id is read after BEGIN: when the connection goes while COMMIT is under way,
    `txid_status` on a new connection tells whether the batch committed (its units are done) or not (the
    batch is done again), so no unit is ever written twice or dropped."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._texts: dict[int, tuple[str, tuple[str, ...]]] = {}
        self._conn: AsyncConnection | None = None
        self.raw: Any = None  # asyncpg's connection
        self._xid: int | None = None

    async def begin(self) -> None:
        if self.raw is None or self.raw.is_closed():
            await self._drop()
            self._conn = await self.engine.connect()
            self.raw = (await self._conn.get_raw_connection()).driver_connection
        try:
            await self.raw.execute("BEGIN")
            self._xid = await self.raw.fetchval("SELECT txid_current()")
        except BaseException:
            await self.rollback()
            raise

    def _args(self, sql: Sql, params: Params) -> tuple[str, list[Any]]:
        compiled = self._texts.get(id(sql))
        if compiled is None:
            compiled = self._texts[id(sql)] = positional(sql.for_dialect(self.dialect))
        statement, names = compiled
        encoded = _encode(sql, params, self.dialect)
        return statement, [encoded[name] for name in names]

    async def execute(self, sql: Sql, params: Params) -> int:
        statement, args = self._args(sql, params)
        count = (await self.raw.execute(statement, *args)).rpartition(" ")[2]
        return int(count) if count.isdigit() else -1

    async def execute_many(self, sql: Sql, rows: Sequence[Params]) -> None:
        compiled = [self._args(sql, p) for p in rows]
        await self.raw.executemany(compiled[0][0], [args for _, args in compiled])

    async def fetch(self, sql: Sql, params: Params) -> list[Any]:
        statement, args = self._args(sql, params)
        return [tuple(r) for r in await self.raw.fetch(statement, *args)]

    async def savepoint(self) -> None:
        await self.raw.execute("SAVEPOINT unit")

    async def rollback_to(self) -> None:
        await self.raw.execute("ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit")  # one round trip

    async def release(self) -> None:
        await self.raw.execute("RELEASE SAVEPOINT unit")

    async def commit(self) -> None:
        xid, self._xid = self._xid, None
        try:
            await self.raw.execute("COMMIT")
        except Exception as exc:
            if not self._lost(exc):
                raise
            if xid is not None and await self._committed(xid):
                log.warning("the connection went during COMMIT (%s), after the batch had committed", type(exc).__name__)
                return
            raise _Lost("the connection went during COMMIT, before the batch committed") from exc

    async def _committed(self, xid: int) -> bool:
        """Whether the transaction `xid` committed, asked on another connection (as long as it takes)."""
        delays = _postgres_delays()
        while True:
            try:
                async with self.engine.connect() as conn:
                    raw = (await conn.get_raw_connection()).driver_connection
                    status = await raw.fetchval("SELECT txid_status($1)", xid)
                if status != "in progress":  # in progress: the lost backend has not ended its transaction yet
                    return status == "committed"
            except Exception as exc:
                if not self.transient(exc):
                    raise
                log.warning("whether the last batch committed is not known yet (%s): asking again", type(exc).__name__)
            await asyncio.sleep(next(delays))

    async def rollback(self) -> None:
        """A lost connection stays closed where it is (so that the error is still seen as a lost connection's);
        the next `begin` replaces it."""
        self._xid = None
        if self.raw is None or self.raw.is_closed():
            return
        try:
            await self.raw.execute("ROLLBACK")
        except Exception as exc:  # noqa: BLE001 - a connection in an unknown state is not used again
            log.debug("ROLLBACK failed (%s): the writer's connection is closed", exc)
            self.raw.terminate()

    async def _drop(self) -> None:
        conn, self._conn, self.raw = self._conn, None, None
        if conn is None:
            return
        try:
            await conn.invalidate()  # not back to the pool
            await conn.close()
        except Exception as exc:  # noqa: BLE001 - it is gone either way
            log.debug("closing the lost connection: %s", exc)

    async def pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def _lost(self, exc: BaseException) -> bool:
        if isinstance(exc, _Lost) or (self.raw is not None and self.raw.is_closed()):
            return True
        import asyncpg

        lost = (asyncpg.PostgresConnectionError, asyncpg.AdminShutdownError, asyncpg.CrashShutdownError,
                asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError, OSError)
        return any(isinstance(one, lost) for one in _causes(exc))

    def lost(self, exc: BaseException) -> bool:
        return self._lost(exc)

    def transient(self, exc: BaseException) -> bool:
        import asyncpg
        from sqlalchemy.exc import DBAPIError

        if self._lost(exc):
            return True
        for one in _causes(exc):
            if isinstance(one, (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)):
                return True
            if isinstance(one, DBAPIError) and one.connection_invalidated:
                return True
        return False

    def unit_fault(self, exc: Exception) -> bool:
        return not self.transient(exc)

    async def close(self) -> None:
        if self.raw is not None and self.raw.is_closed():
            await self._drop()
        conn, self._conn, self.raw = self._conn, None, None
        if conn is not None:
            await conn.close()


def _postgres_delays() -> Iterator[float]:
    """0.1 s, then twice as long each time up to 5 s, a little jitter (aiogram's own backoff, as its polling uses)."""
    from aiogram.utils.backoff import Backoff, BackoffConfig

    return Backoff(BackoffConfig(min_delay=0.1, max_delay=5.0, factor=2.0, jitter=0.02))


class EngineWriter(_Batcher):
    """PostgreSQL: one connection and one transaction per batch, the statements sent through asyncpg itself
    (SQLAlchemy's layer over it costs more than the round trip on this path). A lost connection, a deadlock
    or a serialization failure: the batch waits (`_postgres_delays`) and is done again on a new connection."""

    driver: PostgresDriver

    def __init__(self, engine: AsyncEngine) -> None:
        if engine.dialect.driver != "asyncpg":
            raise ValueError(f"the writer speaks to PostgreSQL through asyncpg, not {engine.dialect.driver}")
        super().__init__(PostgresDriver(engine))
        self.engine = engine
        self.dialect = engine.dialect.name

    def retry_delays(self) -> Iterator[float]:
        return _postgres_delays()

    async def close(self) -> None:
        await super().close()
        await self.driver.close()


Writer = SQLiteWriter | EngineWriter


def make_writer(database_url: str, engine: AsyncEngine) -> Writer:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        return SQLiteWriter(database if database == ":memory:" else str(Path(database)))
    return EngineWriter(engine)
