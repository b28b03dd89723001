"""Engine and session factory. DATABASE_URL selects the database; SQLite gets WAL and a busy timeout."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from storage.clock import Clock
from storage.models import STAMP

# The default DATABASE_URL and how a relative SQLite path is resolved live in bot.config (Settings):
# a URL that reaches this module is used as it is.


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or SQLite in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database.removeprefix("file:").split("?", 1)[0])


def describe_database(url: str) -> str:
    """Where the data is, for people: the SQLite file's absolute path, or the URL with its password hidden."""
    path = sqlite_file(url)
    if path is not None:
        return str(path.absolute())
    return make_url(url).render_as_string(hide_password=True)


def ensure_sqlite_file(url: str) -> None:
    """Create a SQLite database file that is not there yet empty and 0600, in a folder created 0700
    (storage.files), before SQLite would create it with the umask's 0644. SQLite gives the -wal, -shm
    and -journal files the database file's mode. A `file:` URI is left to SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return
    if parsed.database.startswith("file:"):
        return
    from storage.files import create_private

    create_private(Path(parsed.database))


def make_engine(url: str, *, busy_timeout: float = 30.0, **kwargs: Any) -> AsyncEngine:
    """`busy_timeout`: seconds a SQLite statement waits for another writer before it fails (the
    handlers then retry the whole update: bot.unit_of_work.run_update)."""
    ensure_sqlite_file(url)
    if is_sqlite(url):
        # One connection: SQLite has one writer at a time anyway, and queueing for the pool in
        # asyncio is far cheaper than many connections sleeping in SQLite's busy handler.
        # It works because no session holds its connection while talking to Telegram
        # (bot.telegram.middlewares.ReleaseBeforeRequest commits first).
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 300)
        kwargs.setdefault("connect_args", {"timeout": busy_timeout})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


CLOCK = "clock"  # the session's info key for the clock it stamps rows with


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database: raises what the driver raises when it cannot be reached."""
    async with engine.connect() as conn:
        await conn.exec_driver_sql("SELECT 1")


def make_session_factory(engine: AsyncEngine, clock: Clock) -> async_sessionmaker[AsyncSession]:
    """Sessions that stamp the rows they write (the columns made with storage.models.stamped) from `clock`."""
    return async_sessionmaker(engine, expire_on_commit=False, info={CLOCK: clock})


def now_of(session: AsyncSession | Session) -> dt.datetime:
    """The time by the clock the session was made with."""
    clock = session.info.get(CLOCK)
    if clock is None:
        raise RuntimeError("a session without a clock: make it with storage.db.make_session_factory(engine, clock)")
    return clock()


@event.listens_for(Session, "before_flush")
def _stamp(session: Session, _context: Any, _instances: Any) -> None:
    """Fill the timestamps of rows added without one, and of changed rows whose stamp follows changes."""
    now: dt.datetime | None = None
    for obj, changed in [(obj, False) for obj in session.new] + [(obj, True) for obj in session.dirty]:
        columns = _stamped_columns(type(obj))
        if not columns or (changed and not session.is_modified(obj, include_collections=False)):
            continue
        state = inspect(obj)
        for name, rule in columns:
            if changed and (rule != "update" or state.attrs[name].history.has_changes()):
                continue
            if not changed and getattr(obj, name) is not None:
                continue
            if now is None:
                now = now_of(session)
            setattr(obj, name, now)


@functools.cache
def _stamped_columns(model: type) -> tuple[tuple[str, str], ...]:
    mapper = inspect(model, raiseerr=False)
    if mapper is None:
        return ()
    return tuple((attr.key, attr.columns[0].info[STAMP]) for attr in mapper.column_attrs if STAMP in attr.columns[0].info)
