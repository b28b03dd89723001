"""aiogram FSM storage in the application database, so that conversations survive a restart.

It holds what is left of conversation state (registration, the campaign wizard; a
questionnaire's state lives with its response). Records are kept in process after the first
read and written through, so an update reads none: this storage serves one process (several
processes use Redis).

It never commits the update's session. While an update is being handled (its unit of work,
bot.unit_of_work), state is written into the update's own session and committed with the rest of
what the update wrote, its inbox mark among them: before the next reply, or at the end. An update
that fails is rolled back and so is its state: the records it wrote leave the cache, to be read
again. Outside an update (a handler without a session) a write is its own short transaction.

A storage adapter, it reads its FsmRecord rows itself: one of the few places of bot/ allowed an ORM lookup
(tests/pure/test_no_orm_in_bot.py; everywhere else the services look up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.unit_of_work import current_update_session, update_session
from storage.models import FsmRecord

WRITTEN = "fsm_written"  # the session's info key: the records this storage wrote in its open transaction


class SQLAlchemyStorage(BaseStorage):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], key_builder: KeyBuilder | None = None) -> None:
        self.session_factory = session_factory
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._records: dict[str, tuple[str | None, dict[str, Any]]] = {}

    async def _write(self, key: StorageKey, **values: Any) -> None:
        k = self.key_builder.build(key)
        state, data = await self._read(key)
        new = (values.get("state", state), dict(values.get("data", data)))
        if new == (state, data):
            return
        session = current_update_session()
        if session is None:
            async with self.session_factory.begin() as own:
                await self._put(own, k, new)
        else:  # committed (or rolled back) with the update
            await self._put(session, k, new)
            self._written(session).add(k)
        self._records[k] = new

    @staticmethod
    async def _put(session: AsyncSession, k: str, new: tuple[str | None, dict[str, Any]]) -> None:
        record = await session.get(FsmRecord, k)
        if record is None:
            record = FsmRecord(key=k, state=None, data={})
            session.add(record)
        record.state, record.data = new

    def _written(self, session: AsyncSession) -> set[str]:
        """The keys written in the session's open transaction: dropped from the cache if it is rolled back."""
        keys: set[str] | None = session.info.get(WRITTEN)
        if keys is None:
            keys = session.info[WRITTEN] = set()
            written = keys

            def committed(_session: Any) -> None:
                written.clear()

            def rolled_back(_session: Any, transaction: Any) -> None:
                for k in written:  # read again, from the update's session while it lasts
                    self._records.pop(k, None)
                if transaction.parent is None:  # a savepoint's rollback leaves the transaction's writes
                    written.clear()

            event.listen(session.sync_session, "after_commit", committed)
            event.listen(session.sync_session, "after_soft_rollback", rolled_back)
        return keys

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        k = self.key_builder.build(key)
        cached = self._records.get(k)
        if cached is None:
            session = current_update_session()
            if session is not None:
                record = await session.get(FsmRecord, k)
            else:
                async with self.session_factory() as own:
                    record = await own.get(FsmRecord, k)
            cached = (record.state, dict(record.data or {})) if record else (None, {})
            if len(self._records) > 100_000:
                self._records.clear()
            self._records[k] = cached
        return cached[0], dict(cached[1])

    def forget(self, key_part: str) -> None:
        """Drop the cached records whose key contains this part (a forgotten person's)."""
        for k in [k for k in self._records if key_part in k]:
            del self._records[k]

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._read(key))[1]

    async def close(self) -> None:
        return None


__all__ = ["SQLAlchemyStorage", "current_update_session", "update_session"]
