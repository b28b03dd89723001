"""The group-commit writer (storage.writer) on both databases: units of one batch commit together, a unit that
fails fails alone (the others of its batch are written), and a guard that finds the state stale writes nothing
of its unit."""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.writer import Sql, Unit, WriteFailed, make_writer
from tests.conftest import PG_URL, START

INSERT = Sql("INSERT INTO poll_marker (channel, bot_id, marker, updated_at) VALUES ('test', :bot, :marker, :now)")
BUMP = Sql("UPDATE poll_marker SET marker = marker + 1 WHERE channel = 'test' AND bot_id = :bot AND marker = :seen")
READ = Sql("SELECT bot_id, marker FROM poll_marker WHERE channel = 'test' ORDER BY bot_id")


def unit(*statements: tuple[Sql, dict], guard: tuple[Sql, dict] | None = None) -> Unit:
    out = Unit(guard=guard)
    for sql, params in statements:
        out.add(sql, params)
    return out


async def markers(engine) -> list[tuple[int, int]]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(READ.sqlite))).all()]


async def test_one_batch_a_failing_unit_alone_fails_and_a_stale_guard_writes_nothing(database_url, engine):
    writer = make_writer(database_url, engine)
    now = START
    try:
        await writer.apply(unit((INSERT, {"bot": 1, "marker": 10, "now": now})))
        batches = writer.batches
        results = await asyncio.gather(
            writer.apply(unit((INSERT, {"bot": 2, "marker": 20, "now": now}))),
            writer.apply(unit((INSERT, {"bot": 1, "marker": 99, "now": now}))),  # the key is taken: fails
            writer.apply(unit((INSERT, {"bot": 3, "marker": 30, "now": now}), guard=(BUMP, {"bot": 1, "seen": 10}))),
            writer.apply(unit((INSERT, {"bot": 4, "marker": 40, "now": now}), guard=(BUMP, {"bot": 1, "seen": 10}))),
            return_exceptions=True,
        )
        assert writer.batches == batches + 1  # the four went in one commit
        assert results[0] is True and isinstance(results[1], WriteFailed)
        assert results[2] is True and results[3] is False  # the second saw marker 10 after the first moved it on
        assert await markers(engine) == [(1, 11), (2, 20), (3, 30)]
    finally:
        await writer.close()


async def test_a_unit_that_fails_alone_is_reported(database_url, engine):
    writer = make_writer(database_url, engine)
    now = START
    try:
        assert await writer.apply(unit((INSERT, {"bot": 5, "marker": 50, "now": now}))) is True
        with pytest.raises(WriteFailed):  # the whole unit goes: its first statement is undone with the second
            await writer.apply(unit((INSERT, {"bot": 6, "marker": 60, "now": now}), (INSERT, {"bot": 5, "marker": 0, "now": now})))
        assert await markers(engine) == [(5, 50)]
    finally:
        await writer.close()


# --- the batch done again: a transient failure (both databases), a lost connection (PostgreSQL) --------------

COUNT = Sql("UPDATE poll_marker SET marker = marker + 1 WHERE channel = 'test' AND bot_id = 0")


def counted(bot: int) -> Unit:
    """A row of its own and one more on the shared counter (bot 0): written twice, the count shows it."""
    return unit((INSERT, {"bot": bot, "marker": bot, "now": START}), (COUNT, {}))


async def applied_once(engine, bots: list[int]) -> None:
    rows = dict(await markers(engine))
    assert rows.pop(0) == len(bots)  # the counter: every unit once, none twice
    assert sorted(rows) == sorted(bots)


def fast_retries(writer) -> None:
    writer.retry_delays = lambda: itertools.repeat(0.01)


async def test_a_transient_failure_mid_batch_redoes_the_batch_and_resolves_after_the_commit(database_url, engine):
    """Locked (SQLite) or a deadlock's victim (PostgreSQL) in the middle of a batch: the batch is rolled back,
    done again whole, and no unit resolves before the commit that writes it."""
    writer = make_writer(database_url, engine)
    fast_retries(writer)
    driver = writer.driver
    transient = (sqlite3.OperationalError("database is locked") if database_url.startswith("sqlite")
                 else asyncpg.DeadlockDetectedError("deadlock detected"))
    execute, commit = driver.execute, driver.commit
    calls = {"execute": 0, "commits": 0}
    tasks: list[asyncio.Task] = []

    async def failing_once(sql, params):
        calls["execute"] += 1
        if calls["execute"] == 6:  # the third unit's second statement, in the first attempt
            raise transient
        return await execute(sql, params)

    async def checked_commit():
        assert not any(task.done() for task in tasks), "a unit resolved before its batch committed"
        calls["commits"] += 1
        await commit()

    try:
        await writer.apply(unit((INSERT, {"bot": 0, "marker": 0, "now": START})))
        driver.execute, driver.commit = failing_once, checked_commit
        tasks += [asyncio.ensure_future(writer.apply(counted(bot))) for bot in range(1, 6)]
        assert await asyncio.gather(*tasks) == [True] * 5
        assert writer.retries == 1 and calls["commits"] == 1
        await applied_once(engine, [1, 2, 3, 4, 5])
    finally:
        await writer.close()


pg_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (TEST_DATABASE_URL)")


async def admin(database_url: str):
    return await asyncpg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False))


@pg_only
async def test_postgresql_a_connection_killed_mid_batch_is_replaced_and_the_batch_done_again(database_url, engine):
    """pg_terminate_backend while a unit runs: the writer takes a new connection and does the batch again."""
    writer = make_writer(database_url, engine)
    fast_retries(writer)
    slow = unit((INSERT, {"bot": 2, "marker": 2, "now": START}), (COUNT, {}), (Sql("SELECT pg_sleep(0.5)"), {}))
    conn = await admin(database_url)
    try:
        await writer.apply(unit((INSERT, {"bot": 0, "marker": 0, "now": START})))
        first_pid = writer.driver.raw.get_server_pid()
        batch = asyncio.gather(writer.apply(counted(1)), writer.apply(slow), writer.apply(counted(3)))
        for _ in range(200):  # the writer sleeps inside its batch: end its backend there
            if await conn.fetchval("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE query LIKE '%pg_sleep(0.5)%' AND state = 'active' AND pid <> pg_backend_pid()"):
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the writer's batch never ran")
        assert await batch == [True, True, True]
        assert writer.retries >= 1 and writer.driver.raw.get_server_pid() != first_pid
        await applied_once(engine, [1, 2, 3])
    finally:
        await conn.close()
        await writer.close()


@pg_only
async def test_postgresql_connections_killed_at_random_moments_lose_and_double_no_unit(database_url, engine):
    """Many batches while the writer's backend is ended again and again (in BEGIN, a statement or COMMIT)."""
    writer = make_writer(database_url, engine)
    fast_retries(writer)
    conn = await admin(database_url)
    bots = list(range(1, 301))
    killed = 0

    async def produce(mine: list[int]) -> None:
        for bot in mine:
            assert await writer.apply(counted(bot)) is True

    try:
        await writer.apply(unit((INSERT, {"bot": 0, "marker": 0, "now": START})))
        producers = asyncio.gather(*(produce(bots[i::6]) for i in range(6)))
        rng = random.Random(20)
        while not producers.done():
            await asyncio.sleep(rng.uniform(0.005, 0.04))
            raw = writer.driver.raw
            if raw is not None and not raw.is_closed():
                killed += bool(await conn.fetchval("SELECT pg_terminate_backend($1)", raw.get_server_pid()))
        await producers
        assert killed >= 2 and writer.retries >= 1
        await applied_once(engine, bots)
    finally:
        await conn.close()
        await writer.close()


class _CutAtCommit:
    """asyncpg's connection whose COMMIT is cut off: the connection ends just after COMMIT ran, or just before."""

    def __init__(self, real, *, after: bool) -> None:
        self.real, self.after = real, after

    def __getattr__(self, name):
        return getattr(self.real, name)

    async def execute(self, query, *args):
        if query != "COMMIT":
            return await self.real.execute(query, *args)
        if self.after:
            await self.real.execute(query)
        self.real.terminate()
        raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")


@pg_only
@pytest.mark.parametrize("after", [True, False], ids=["committed", "not-committed"])
async def test_postgresql_a_commit_cut_off_is_resolved_by_the_transaction_status(database_url, engine, after):
    """The connection goes while COMMIT is under way: txid_status tells whether the batch is done (then it is not
    done again) or not (then it is)."""
    writer = make_writer(database_url, engine)
    fast_retries(writer)
    try:
        await writer.apply(unit((INSERT, {"bot": 0, "marker": 0, "now": START})))
        writer.driver.raw = _CutAtCommit(writer.driver.raw, after=after)
        assert await asyncio.gather(writer.apply(counted(1)), writer.apply(counted(2))) == [True, True]
        assert writer.retries == (0 if after else 1)
        await applied_once(engine, [1, 2])
    finally:
        await writer.close()
