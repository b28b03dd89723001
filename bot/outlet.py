"""Outlets: how the reminder runner writes to a chat of one channel (Telegram here, MAX in bot.max.outlet).

An outlet sends rendered HTML with buttons (callback data packed by bot.callbacks, the same in both
channels), files, and edits a message it sent; its `sender` holds the channel's rate and reads its
errors (bot.sender). The runner decides what goes where; the outlet only speaks the channel's API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from aiogram import Bot
from aiogram.types import BufferedInputFile, InputMediaPhoto

from bot.chat import Buttons
from bot.render import TELEGRAM_LIMIT, split_html
from bot.sender import Sender
from bot.telegram.chat import markup


class Outlet(Protocol):
    channel: str
    sender: Sender
    limit: int

    async def send_text(self, chat_id: int, text: str, buttons: Buttons | None = None) -> Any: ...
    async def send_file(self, chat_id: int, kind: str, name: str, data: bytes, caption: str | None) -> Any: ...
    async def send_photos(self, chat_id: int, photos: list[tuple[str, bytes]], caption: str | None) -> Any:
        """One album of bot.chat.ALBUM photos at most (the caller splits: bot.chat.albums), the caption under it."""
    async def edit_text(self, chat_id: int, message: Any, text: str) -> Any: ...
    def split(self, lines: list[str]) -> list[str]: ...


def outlets_of(bot: Bot | None, sender: Sender | None, others: Iterable[Outlet] = ()) -> dict[str, Outlet]:
    """channel -> outlet of the channels a process runs: Telegram's from its bot and sender, the others as given."""
    out: dict[str, Outlet] = {}
    if bot is not None and sender is not None:
        out["telegram"] = TelegramOutlet(bot, sender)
    for outlet in others:
        out[outlet.channel] = outlet
    return out


class TelegramOutlet:
    channel = "telegram"
    limit = TELEGRAM_LIMIT

    def __init__(self, bot: Bot, sender: Sender) -> None:
        self.bot = bot
        self.sender = sender

    async def send_text(self, chat_id: int, text: str, buttons: Buttons | None = None) -> int:
        return (await self.bot.send_message(chat_id, text, reply_markup=markup(buttons))).message_id

    async def send_file(self, chat_id: int, kind: str, name: str, data: bytes, caption: str | None) -> int:
        send = self.bot.send_document if kind == "document" else self.bot.send_photo
        return (await send(chat_id, BufferedInputFile(data, name), caption=caption)).message_id

    async def send_photos(self, chat_id: int, photos: list[tuple[str, bytes]], caption: str | None) -> int:
        if len(photos) == 1:  # Telegram's media group takes two at least
            return await self.send_file(chat_id, "photo", *photos[0], caption)
        sent = await self.bot.send_media_group(chat_id, [
            InputMediaPhoto(media=BufferedInputFile(data, name), caption=caption if k == 0 else None)
            for k, (name, data) in enumerate(photos)
        ])
        return sent[0].message_id

    async def edit_text(self, chat_id: int, message: Any, text: str) -> Any:
        return await self.bot.edit_message_text(text, chat_id=chat_id, message_id=int(message))

    def split(self, lines: list[str]) -> list[str]:
        return split_html(lines, self.limit)
