"""Where a person is in a conversation that spans messages (registration, the campaign wizard, a return's
comment, a calendar date): a named step and a little data, kept per channel, chat and user.

The features see only `Conversation`; what keeps it is a storage of aiogram's interface (bot.fsm_storage in the
database, or Redis through bot.scale), chosen by the process. A step is a plain string, `"Group:step"`, the
same values the stored records already hold.
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.storage.base import BaseStorage, StorageKey


class Conversation:
    """One person's conversation in one chat; the step is read once, when first asked for."""

    __slots__ = ("_storage", "_key", "_step", "_read")

    def __init__(self, storage: BaseStorage, key: StorageKey) -> None:
        self._storage = storage
        self._key = key
        self._step: str | None = None
        self._read = False

    async def get_state(self) -> str | None:
        if not self._read:
            self._step = await self._storage.get_state(self._key)
            self._read = True
        return self._step

    async def set_state(self, step: str | None) -> None:
        """Move to `step` (None: out of any step, keeping the data)."""
        await self._storage.set_state(self._key, step)
        self._step, self._read = step, True

    async def get_data(self) -> dict[str, Any]:
        return dict(await self._storage.get_data(self._key))

    async def set_data(self, data: dict[str, Any]) -> None:
        await self._storage.set_data(self._key, data)

    async def update_data(self, **values: Any) -> dict[str, Any]:
        return await self._storage.update_data(self._key, values)

    async def clear(self) -> None:
        """Out of any step, and the data forgotten."""
        await self._storage.set_state(self._key, None)
        await self._storage.set_data(self._key, {})
        self._step, self._read = None, True
