"""The routers' filters as aiogram Filter classes.

aiogram runs a plain function or a magic filter (F...) in a thread of its own (asyncio.to_thread)
for every update it is checked against; these are coroutines, checked in the event loop: on the
answer path that is two thread hops an update fewer.
"""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message


class PrivateChat(Filter):
    async def __call__(self, event: Message | CallbackQuery) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.type == "private"


class Registered(Filter):
    async def __call__(self, _: Any, person: Any = None) -> bool:
        return person is not None


class TypedText(Filter):
    """A text that is not a command."""

    async def __call__(self, message: Message) -> bool:
        return bool(message.text) and not message.text.startswith("/")


class NotText(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.text is None


class DocumentOrPhoto(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.document is not None or bool(message.photo)


class ChatMigrated(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.migrate_to_chat_id is not None
