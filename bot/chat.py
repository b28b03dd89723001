"""The chat a flow talks to, in any channel (bot.features): a reply, a file, a note on the pressed button,
the pressed message changed or its buttons taken away, «sending a file…» while a report is built.

TelegramChat speaks through aiogram (a message or a pressed button); MaxChat (bot.max.chat) through
MAX's API. Buttons are rows of (label, callback data): the same packed data in both channels
(bot.callbacks), checked again when pressed; a button may instead open a link (Link) or copy a text
to the clipboard (Copy), which both channels have. What differs by channel is the chat's own: its
message length limit, an invite's start link, how an invite is passed on (`share_button`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, AsyncIterator, Protocol
from urllib.parse import quote

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.deep_linking import create_start_link

from bot import texts
from bot.render import TELEGRAM_LIMIT
from surveys.screens import Screen


@dataclass(frozen=True, slots=True)
class Link:
    """A button that opens a link."""

    url: str


@dataclass(frozen=True, slots=True)
class Copy:
    """A button that copies a text to the clipboard."""

    text: str


Button = tuple[str, CallbackData | Link | Copy]
Buttons = list[list[Button]]


def rows(buttons: list[Button], width: int) -> Buttons:
    """Buttons laid out `width` to a row."""
    return [buttons[k:k + width] for k in range(0, len(buttons), width)]


class Chat(Protocol):
    channel: str
    chat_id: int
    user_id: int
    private: bool
    group: bool
    limit: int  # characters of one message

    async def say(self, text: str, buttons: Buttons | None = None) -> None: ...
    async def show(self, screen: Screen) -> None: ...
    async def send_file(self, kind: str, name: str, data: bytes, caption: str | None = None) -> None: ...
    async def ack(self, notice: str | None = None, *, alert: bool = False) -> None: ...
    async def drop_buttons(self) -> None: ...
    async def edit(self, text: str, buttons: Buttons | None = None) -> None: ...
    def uploading(self) -> AbstractAsyncContextManager[Any]: ...
    def forget_identity(self) -> None: ...
    async def start_link(self, token: str) -> str: ...
    def share_button(self, link: str, text: str) -> Button: ...


def _button(label: str, data: CallbackData | Link | Copy) -> InlineKeyboardButton:
    if isinstance(data, Link):
        return InlineKeyboardButton(text=label, url=data.url)
    if isinstance(data, Copy):
        return InlineKeyboardButton(text=label, copy_text=CopyTextButton(text=data.text))
    return InlineKeyboardButton(text=label, callback_data=data.pack())


def markup(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[_button(label, data) for label, data in row] for row in buttons])


class TelegramChat:
    channel = "telegram"
    limit = TELEGRAM_LIMIT

    def __init__(self, event: Message | CallbackQuery, people: Any = None) -> None:
        self.callback = event if isinstance(event, CallbackQuery) else None
        self.message: Message = event.message if isinstance(event, CallbackQuery) else event
        self.chat_id = self.message.chat.id
        self.user_id = event.from_user.id
        self.private = self.message.chat.type == "private"
        self.group = not self.private
        self.chat_type = self.message.chat.type
        self.people = people

    async def say(self, text: str, buttons: Buttons | None = None) -> None:
        await self.message.answer(text, reply_markup=markup(buttons))

    async def show(self, screen: Screen) -> None:
        """A questionnaire's screen (surveys.screens), with Telegram's renderer."""
        from bot.render import render

        text, keyboard = render(screen)
        await self.message.answer(text, reply_markup=keyboard)

    async def send_file(self, kind: str, name: str, data: bytes, caption: str | None = None) -> None:
        if kind == "document":
            await self.message.answer_document(BufferedInputFile(data, filename=name), caption=caption)
        else:
            await self.message.answer_photo(BufferedInputFile(data, filename=name), caption=caption)

    async def ack(self, notice: str | None = None, *, alert: bool = False) -> None:
        if self.callback is not None:
            await self.callback.answer(notice, show_alert=alert)
        elif notice:
            await self.message.answer(notice)

    async def drop_buttons(self) -> None:
        if self.callback is not None:
            with suppress(TelegramBadRequest):  # already without buttons, or too old to edit: nothing to take away
                await self.message.edit_reply_markup(reply_markup=None)

    async def edit(self, text: str, buttons: Buttons | None = None) -> None:
        await self.message.edit_text(text, reply_markup=markup(buttons))

    def uploading(self) -> AbstractAsyncContextManager[Any]:
        return ChatActionSender.upload_document(bot=self.message.bot, chat_id=self.chat_id)

    def forget_identity(self) -> None:
        if self.people is not None:
            self.people.forget(self.channel, self.user_id)

    async def start_link(self, token: str) -> str:
        return await create_start_link(self.message.bot, token)

    def share_button(self, link: str, text: str) -> Button:
        """Telegram's share dialog: the person picks the chats, the invite text goes there with the link."""
        return texts.BTN_SHARE_INVITE, Link(f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}")


@asynccontextmanager
async def nothing() -> AsyncIterator[None]:
    yield
