"""aiogram FSM storage in the application database, so that conversations survive a restart.

It holds what is left of conversation state (registration, the campaign wizard; a
questionnaire's state lives with its response). Records are kept in process after the first
read and written through, so an update reads none: this storage serves one process (several
processes use Redis). While an update is being handled, writes go through the handler's own
session when it has one (`update_session`), else through a session of their own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import FsmRecord

update_session: ContextVar[tuple[AsyncSession, asyncio.Task[Any] | None] | None] = ContextVar("update_session", default=None)


def current_update_session() -> AsyncSession | None:
    """The session of the update being handled, only in the task handling it: tasks the
    handler starts (a chat-action sender, say) inherit the context but must not use it."""
    value = update_session.get()
    if value is None or value[1] is not asyncio.current_task():
        return None
    return value[0]


class SQLAlchemyStorage(BaseStorage):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession], key_builder: KeyBuilder | None = None) -> None:
        self.session_factory = session_factory
        self.key_builder = key_builder or DefaultKeyBuilder(with_destiny=True)
        self._records: dict[str, tuple[str | None, dict[str, Any]]] = {}

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        session = current_update_session()
        if session is not None:
            yield session
            return
        async with self.session_factory() as own:
            yield own

    async def _write(self, key: StorageKey, **values: Any) -> None:
        k = self.key_builder.build(key)
        state, data = await self._read(key)
        new = (values.get("state", state), dict(values.get("data", data)))
        if new == (state, data):
            return
        async with self._session() as session:
            record = await session.get(FsmRecord, k)
            if record is None:
                record = FsmRecord(key=k, state=None, data={})
                session.add(record)
            record.state, record.data = new
            await session.commit()
        self._records[k] = new

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        k = self.key_builder.build(key)
        cached = self._records.get(k)
        if cached is None:
            async with self._session() as session:
                record = await session.get(FsmRecord, k)
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
