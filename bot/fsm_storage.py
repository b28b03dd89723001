"""aiogram FSM storage in the application database, so that conversations survive a restart.

While an update is being handled, the storage works through that update's own session
(set by SessionMiddleware in `update_session`): one connection per update, so a burst of
updates cannot end with every pooled connection held by a handler that waits for another.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StateType, StorageKey
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
        async with self._session() as session:
            record = await session.get(FsmRecord, k)
            if record is None:
                record = FsmRecord(key=k, state=None, data={})
                session.add(record)
            for name, value in values.items():
                setattr(record, name, value)
            await session.commit()

    async def _read(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        # Within an update the record is read once and then served from the session's
        # identity map (the update holds the user's lock, so nobody else changes it meanwhile).
        async with self._session() as session:
            record = await session.get(FsmRecord, self.key_builder.build(key))
            return (record.state, dict(record.data or {})) if record else (None, {})

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
