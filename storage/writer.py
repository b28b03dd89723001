"""One writer per process: the writes of many updates committed together (group commit).

A `Unit` is what one update writes: an optional guard statement (a conditional UPDATE that
must touch exactly one row, or the unit is skipped: the caller's cached state was stale) and
the statements that follow it. The writer gathers every unit submitted while it is busy and
commits them in one transaction; one failing unit does not take the others down. `apply`
returns once the unit is durable: only then may the caller confirm the update or reply to
the person.

SQLite: one sqlite3 connection in a thread of its own, one thread hop per batch (aiosqlite
would take one per statement). PostgreSQL: a pooled connection per batch, the statements
through asyncpg itself. Neither uses a savepoint per unit (on PostgreSQL each would be two
more round trips) unless a unit fails: then the batch is rolled back and done again with a
savepoint per unit, and the failing unit alone fails. A database that stays locked makes the
writer wait and retry; it never drops what it was given.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

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


class _Batcher:
    """Gathers units while a batch is being committed; the next batch takes all of them."""

    def __init__(self) -> None:
        self._queue: list[tuple[Unit, asyncio.Future[bool]]] = []
        self._running: asyncio.Task[None] | None = None
        self.batches = 0  # commits
        self.units = 0
        self.statements = 0  # executions (an executemany counts once per row)

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
        raise NotImplementedError

    async def close(self) -> None:
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)


class _Redo(Exception):
    """A unit failed inside a batch without savepoints: the batch is rolled back and done again with one per unit."""


class SQLiteWriter(_Batcher):
    LOCKED_RETRY = 0.5  # seconds between attempts while another process holds the database

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")
        self._local = threading.local()

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

    async def _commit(self, units: list[Unit]) -> list[bool | BaseException]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._commit_in_thread, units)

    def _commit_in_thread(self, units: list[Unit]) -> list[bool | BaseException]:
        apart = False  # a savepoint per unit only after a unit failed in this batch
        while True:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    log.warning("the database stays locked: the writer waits (%d units)", len(units))
                    time.sleep(self.LOCKED_RETRY)
                    continue
                raise
            try:
                results = [self._unit(conn, unit, apart) for unit in units]
                conn.execute("COMMIT")
                return results
            except _Redo:
                conn.execute("ROLLBACK")
                apart = True
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                if "locked" in str(exc) or "busy" in str(exc):
                    time.sleep(self.LOCKED_RETRY)
                    continue
                raise
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _unit(self, conn: sqlite3.Connection, unit: Unit, apart: bool) -> bool | BaseException | list[Any]:
        if apart:
            conn.execute("SAVEPOINT unit")
        try:
            if unit.guard is not None:
                sql, params = unit.guard
                self.statements += 1
                touched = conn.execute(sql.sqlite, _encode(sql, params, "sqlite")).rowcount
                if touched == 0:  # the state the caller read is stale: nothing of the unit happens
                    if apart:
                        conn.execute("ROLLBACK TO unit")
                        conn.execute("RELEASE unit")
                    return False
                if touched != 1:
                    raise WriteFailed(f"the guard touched {touched} rows")
            for sql, params in unit.statements:
                if isinstance(params, dict):
                    self.statements += 1
                    conn.execute(sql.sqlite, _encode(sql, params, "sqlite"))
                elif params:
                    self.statements += len(params)
                    conn.executemany(sql.sqlite, [_encode(sql, p, "sqlite") for p in params])
            rows: Any = True
            if unit.fetch is not None:
                sql, params = unit.fetch
                self.statements += 1
                rows = conn.execute(sql.sqlite, _encode(sql, params, "sqlite")).fetchall()
        except sqlite3.OperationalError:
            raise  # locked: the whole batch is retried
        except Exception as exc:  # noqa: BLE001 - this unit alone fails
            if not apart:
                raise _Redo from exc
            conn.execute("ROLLBACK TO unit")
            conn.execute("RELEASE unit")
            log.exception("a write unit failed")
            return WriteFailed(f"{type(exc).__name__}: {exc}")
        if apart:
            conn.execute("RELEASE unit")
        return rows

    async def close(self) -> None:
        await super().close()

        def shut() -> None:
            conn = getattr(self._local, "conn", None)
            if conn is not None:
                conn.close()

        await asyncio.get_running_loop().run_in_executor(self._executor, shut)
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


class EngineWriter(_Batcher):
    """PostgreSQL: one pooled connection and one transaction per batch, the statements sent through asyncpg
    itself (SQLAlchemy's layer over it costs more than the round trip on this path).

    A batch runs without savepoints, since each one costs a round trip per unit. When a unit fails, the batch
    is rolled back and run again with a savepoint per unit, so that the failing unit alone fails."""

    def __init__(self, engine: AsyncEngine) -> None:
        if engine.dialect.driver != "asyncpg":
            raise ValueError(f"the writer speaks to PostgreSQL through asyncpg, not {engine.dialect.driver}")
        super().__init__()
        self.engine = engine
        self.dialect = engine.dialect.name
        self._texts: dict[int, tuple[str, tuple[str, ...]]] = {}

    def _args(self, sql: Sql, params: Params) -> tuple[str, list[Any]]:
        compiled = self._texts.get(id(sql))
        if compiled is None:
            compiled = self._texts[id(sql)] = positional(sql.for_dialect(self.dialect))
        statement, names = compiled
        encoded = _encode(sql, params, self.dialect)
        return statement, [encoded[name] for name in names]

    async def _commit(self, units: list[Unit]) -> list[bool | BaseException]:
        async with self.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection  # asyncpg's connection
            try:
                async with driver.transaction():
                    return [await self._unit(driver, unit, apart=False) for unit in units]
            except _Redo:
                pass
            async with driver.transaction():
                return [await self._unit(driver, unit, apart=True) for unit in units]

    async def _unit(self, driver: Any, unit: Unit, *, apart: bool) -> bool | BaseException | list[tuple[Any, ...]]:
        savepoint = driver.transaction() if apart else None  # nested in the batch's: a savepoint
        if savepoint is not None:
            await savepoint.start()
        try:
            if unit.guard is not None:
                self.statements += 1
                status = await driver.execute(*self._flat(unit.guard))
                touched = int(status.rsplit(" ", 1)[-1])
                if touched == 0:  # the state the caller read is stale: nothing of the unit happens
                    if savepoint is not None:
                        await savepoint.rollback()
                    return False
                if touched != 1:
                    raise WriteFailed(f"the guard touched {touched} rows")
            for sql, params in unit.statements:
                if isinstance(params, dict):
                    self.statements += 1
                    await driver.execute(*self._flat((sql, params)))
                elif params:
                    self.statements += len(params)
                    rows_ = [self._args(sql, p) for p in params]
                    await driver.executemany(rows_[0][0], [args for _, args in rows_])
            rows: Any = True
            if unit.fetch is not None:
                self.statements += 1
                rows = [tuple(r) for r in await driver.fetch(*self._flat(unit.fetch))]
        except Exception as exc:  # noqa: BLE001 - this unit alone fails
            if savepoint is None:
                raise _Redo from exc
            await savepoint.rollback()
            log.exception("a write unit failed")
            return WriteFailed(f"{type(exc).__name__}: {exc}")
        if savepoint is not None:
            await savepoint.commit()
        return rows

    def _flat(self, item: tuple[Sql, Params]) -> list[Any]:
        statement, args = self._args(*item)
        return [statement, *args]


Writer = SQLiteWriter | EngineWriter


def make_writer(database_url: str, engine: AsyncEngine) -> Writer:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        return SQLiteWriter(database if database == ":memory:" else str(Path(database)))
    return EngineWriter(engine)
