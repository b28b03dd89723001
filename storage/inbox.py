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
import hashlib
import json
import math
from collections.abc import Sequence
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


# One update's bounds, in either channel and either mode: what is larger, deeper, or holds numbers JSON
# has not (NaN, Infinity) or integers no id can be (beyond 64 bits) is poison, recorded and skipped.
MAX_BODY = 1_000_000  # bytes of one update (Telegram's and MAX's real ones are a few kilobytes)
MAX_BATCH = 32_000_000  # bytes of one batch of long polling
MAX_DEPTH = 40  # nesting of objects and arrays (a real update nests about a dozen deep)
INT_LIMIT = 2**63
EXCERPT = 2000  # characters of an unreadable body kept for inspection


class Unreadable(ValueError):
    """An update that cannot be read: its reason, short and without the update's content."""


@dataclass(frozen=True, slots=True)
class Received:
    update_id: int
    raw: dict[str, Any] | None  # None: the payload was not an object at all
    poison: str | None = None  # why it cannot be read


class _NotANumber:
    """What NaN, Infinity and numbers beyond a double's range read as in a batch: its update is poison."""


NOT_A_NUMBER = _NotANumber()


def _constant(name: str) -> Any:
    raise Unreadable(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Unreadable("a number beyond a double's range")
    return value


def _lenient_finite(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else NOT_A_NUMBER


def check(value: Any, depth: int = MAX_DEPTH) -> None:
    """Raise Unreadable unless `value` nests at most `depth` deep, and every integer in it fits 64 bits and
    every number is finite. Iterative: a deep value cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            if level > depth:
                raise Unreadable(f"nested deeper than {depth}")
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            if level > depth:
                raise Unreadable(f"nested deeper than {depth}")
            stack.extend((v, level + 1) for v in node)
        elif node is NOT_A_NUMBER:
            raise Unreadable("NaN, Infinity or a number beyond a double's range")
        elif isinstance(node, int) and not isinstance(node, bool) and not -INT_LIMIT <= node < INT_LIMIT:
            raise Unreadable("an integer beyond 64 bits")
        elif isinstance(node, float) and not math.isfinite(node):
            raise Unreadable("NaN or Infinity")


def read_json(data: bytes | str, *, limit: int = MAX_BODY, depth: int = MAX_DEPTH, lenient: bool = False) -> Any:
    """A body read as JSON within the bounds, or Unreadable. `lenient` (a batch of long polling): NaN and
    Infinity read as NOT_A_NUMBER, so that only the update holding them is poison (`check` says so)."""
    if len(data) > limit:
        raise Unreadable(f"larger than {limit} bytes")
    try:
        if lenient:
            value = json.loads(data, parse_constant=lambda _: NOT_A_NUMBER, parse_float=_lenient_finite)
        else:
            value = json.loads(data, parse_constant=_constant, parse_float=_finite)
    except Unreadable:
        raise
    except RecursionError:
        raise Unreadable("nested too deep to read") from None
    except (ValueError, TypeError) as exc:  # not JSON, not UTF-8, an integer of thousands of digits
        raise Unreadable(f"not JSON ({type(exc).__name__})") from None
    if not lenient:
        check(value, depth)
    return value


def poison_key(data: bytes | str) -> int:
    """The inbox key of poison that names no id of its own: negative, so never a real update's (Telegram's
    update ids and MAX's keys are not), and the same for the same body (a redelivery is recorded once)."""
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    return -(int.from_bytes(hashlib.blake2b(raw[:MAX_BODY], digest_size=8).digest(), "big") >> 2) - 1


def excerpt(value: Any) -> str:
    """A parsed value that is poison, as text for inspection (NaN and the like spelled out), cut short."""
    try:
        return json.dumps(value, ensure_ascii=False, default=lambda _: "NaN/Infinity")[:EXCERPT]
    except (RecursionError, ValueError, TypeError):
        return "(cannot be shown)"


def unreadable(data: bytes | str, why: str, update_id: int | None = None) -> Received:
    """Poison from a body that could not be read: an excerpt kept for inspection, under its own id or a key
    of its bytes."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return Received(poison_key(data) if update_id is None else update_id, {"unreadable": text[:EXCERPT]}, why[:300])


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

    async def mark_done(self, update_id: int, also: Sequence[tuple[Sql, dict[str, Any]]] = ()) -> None:
        """The update done, with what `also` writes (in the same transaction)."""
        unit = Unit()
        for statement in also:
            unit.add(*statement)
        unit.add(*done_statement(self.bot_id, update_id, self.channel))
        await self.writer.apply(unit)
