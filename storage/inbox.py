"""The inbox: every update is recorded before Telegram is told it arrived, and handled from there.

`record` writes a batch of raw updates in one durable transaction (through the writer) and
returns the ones still to handle; only then does the poller confirm them to Telegram. An
update is marked done in the same transaction as what its handling wrote (`done_statement`),
so after a crash the ones not done are handled again (`pending`) and the done ones are
skipped when Telegram delivers them again. An update that cannot be read is kept as poison
for inspection, confirmed and skipped: one bad update never stops the bot.

Marks live 24 hours: Telegram redelivers within that time, and may reuse an id later, so an
older mark never hides a new update.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock
from storage.models import InboxUpdate
from storage.writer import Sql, Unit, Writer

KEEP = dt.timedelta(hours=24)
KEEP_POISON = dt.timedelta(days=30)
NEW, DONE, POISON = "new", "done", "poison"

RECORD = Sql(
    "INSERT INTO inbox (channel, bot_id, update_id, state, received_at, payload, error) "
    "VALUES (:channel, :bot_id, :update_id, :state, :received_at, :payload, :error) "
    "ON CONFLICT (channel, bot_id, update_id) DO UPDATE SET state = excluded.state, received_at = excluded.received_at, "
    "payload = excluded.payload, error = excluded.error WHERE inbox.received_at < :stale"
)
STILL_NEW = Sql(
    "SELECT update_id FROM inbox WHERE channel = :channel AND bot_id = :bot_id AND state = 'new' "
    "AND update_id BETWEEN :low AND :high"
)
MARK_DONE = Sql("UPDATE inbox SET state = 'done', payload = NULL "
                "WHERE channel = :channel AND bot_id = :bot_id AND update_id = :update_id")
SAVE_MARKER = Sql(
    "INSERT INTO poll_marker (channel, bot_id, marker, updated_at) VALUES (:channel, :bot_id, :marker, :now) "
    "ON CONFLICT (channel, bot_id) DO UPDATE SET marker = excluded.marker, updated_at = excluded.updated_at"
)
PRUNE = Sql(
    "DELETE FROM inbox WHERE (state != 'poison' AND received_at < :before) OR (state = 'poison' AND received_at < :poison_before)"
)


@dataclass(frozen=True, slots=True)
class Received:
    update_id: int
    raw: dict[str, Any] | None  # None: the payload was not an object at all
    poison: str | None = None  # why it cannot be read


def done_statement(bot_id: int, update_id: int, channel: str = "telegram") -> tuple[Sql, dict[str, Any]]:
    return MARK_DONE, {"channel": channel, "bot_id": bot_id, "update_id": update_id}


class Inbox:
    PRUNE_EVERY = dt.timedelta(minutes=10)

    def __init__(self, writer: Writer, session_factory: async_sessionmaker[AsyncSession], bot_id: int, clock: Clock,
                 channel: str = "telegram") -> None:
        self.writer = writer
        self.clock = clock
        self.session_factory = session_factory
        self.bot_id = bot_id
        self.channel = channel  # the marks of each channel's bot are apart: (channel, bot id, update id)
        self._pruned_at: dt.datetime | None = None

    async def record(self, received: list[Received], marker: int | None = None) -> list[int]:
        """Write the batch durably; returns the update ids to handle now (not done before, not poison).

        `marker` (MAX's long polling): where the next poll starts, written in the same transaction."""
        if not received and marker is None:
            return []
        now = self.clock()
        rows = [
            {"channel": self.channel, "bot_id": self.bot_id, "update_id": r.update_id, "state": POISON if r.poison else NEW, "received_at": now,
             "payload": json.dumps(r.raw, ensure_ascii=False) if r.raw is not None else None,
             "error": (r.poison or None) and r.poison[:300], "stale": now - KEEP}
            for r in received
        ]
        unit = Unit()
        if rows:
            unit.add(RECORD, rows)
        if marker is not None:
            unit.add(SAVE_MARKER, {"channel": self.channel, "bot_id": self.bot_id, "marker": marker, "now": now})
        if self._pruned_at is None or now - self._pruned_at > self.PRUNE_EVERY:
            unit.add(PRUNE, {"before": now - KEEP, "poison_before": now - KEEP_POISON})
            self._pruned_at = now
        ids = [r.update_id for r in received]
        if not ids:
            await self.writer.apply(unit)
            return []
        unit.fetch = (STILL_NEW, {"channel": self.channel, "bot_id": self.bot_id, "low": min(ids), "high": max(ids)})
        new = {update_id for (update_id,) in await self.writer.apply(unit)}
        return [i for i in ids if i in new]

    async def marker(self) -> int | None:
        """Where long polling stopped last time (MAX), or None."""
        from storage.models import PollMarker

        async with self.session_factory() as session:
            return await session.scalar(select(PollMarker.marker).where(PollMarker.channel == self.channel,
                                                                        PollMarker.bot_id == self.bot_id))

    async def pending(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates recorded but not handled (a crash, or a stop in the middle), oldest first."""
        async with self.session_factory() as session:
            rows = (await session.execute(
                select(InboxUpdate.update_id, InboxUpdate.payload)
                .where(InboxUpdate.channel == self.channel, InboxUpdate.bot_id == self.bot_id, InboxUpdate.state == NEW)
                .order_by(InboxUpdate.received_at, InboxUpdate.update_id)
            )).all()
        return [(update_id, json.loads(payload)) for update_id, payload in rows if payload]

    async def mark_done(self, update_id: int) -> None:
        unit = Unit()
        unit.add(*done_statement(self.bot_id, update_id, self.channel))
        await self.writer.apply(unit)
