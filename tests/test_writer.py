"""The group-commit writer (storage.writer) on both databases: units of one batch commit together, a unit that
fails fails alone (the others of its batch are written), and a guard that finds the state stale writes nothing
of its unit."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from storage.writer import Sql, Unit, WriteFailed, make_writer
from tests.conftest import START

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
