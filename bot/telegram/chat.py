"""bot.chat.Chat for Telegram, through aiogram: a message, or a pressed button.

A pressed button's answer (the note on it) waits and is returned to the adapter at the end
(`pending_answer`): in webhook mode it rides back in the HTTP response, saving a Bot API call.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any
from urllib.parse import quote

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
    WebAppInfo,
)
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.deep_linking import create_start_link

from bot import texts
from bot.chat import Button, Buttons, Copy, Link, WebApp, albums
from bot.render import TELEGRAM_LIMIT, html_of, messages, render
from surveys.screens import Rich, Screen


def _button(label: str, data: CallbackData | Link | Copy | WebApp) -> InlineKeyboardButton:
    if isinstance(data, WebApp):
        return InlineKeyboardButton(text=label, web_app=WebAppInfo(url=data.url))
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

    def __init__(self, message: Message, user_id: int, callback: CallbackQuery | None = None) -> None:
        self.callback = callback
        self.message = message
        self.chat_id = message.chat.id
        self.user_id = user_id
        self.private = message.chat.type == "private"
        self.group = not self.private
        self.pending_answer: AnswerCallbackQuery | None = None

    @property
    def answered(self) -> bool:
        return self.pending_answer is not None and self.pending_answer.text is not None

    async def say(self, text: Rich | str, buttons: Buttons | None = None) -> None:
        await self.message.answer(html_of(text), reply_markup=markup(buttons))

    async def say_lines(self, lines: list[Rich], buttons: Buttons | None = None) -> None:
        chunks = messages(lines)
        for n, chunk in enumerate(chunks):
            await self.message.answer(chunk, reply_markup=markup(buttons if n == len(chunks) - 1 else None))

    async def show(self, screen: Screen) -> None:
        text, keyboard = render(screen)
        await self.message.answer(text, reply_markup=keyboard)

    async def replace(self, screen: Screen, *, keyboard_only: bool = False) -> None:
        """The pressed message becomes the screen; a message that cannot be edited any more is sent anew."""
        text, keyboard = render(screen)
        bot, where = self.message.bot, {"chat_id": self.chat_id, "message_id": self.message.message_id}
        try:
            if keyboard_only:
                await bot.edit_message_reply_markup(**where, reply_markup=keyboard)
            else:
                await bot.edit_message_text(text=text, **where, reply_markup=keyboard)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                await self.message.answer(text, reply_markup=keyboard)
        await self.ack(screen.notice)

    async def send_file(self, kind: str, name: str, data: bytes, caption: Rich | str | None = None) -> None:
        caption = html_of(caption) if caption else None
        if kind == "document":
            await self.message.answer_document(BufferedInputFile(data, filename=name), caption=caption)
        else:
            await self.message.answer_photo(BufferedInputFile(data, filename=name), caption=caption)

    async def photos(self, photos: list[tuple[str, bytes]], caption: Rich | str | None = None) -> None:
        text = html_of(caption) if caption else None
        for n, album in enumerate(albums(photos)):
            first = text if n == 0 else None
            if len(album) == 1:
                name, data = album[0]
                await self.message.answer_photo(BufferedInputFile(data, filename=name), caption=first)
                continue
            await self.message.answer_media_group([  # the first photo's caption is the album's
                InputMediaPhoto(media=BufferedInputFile(data, filename=name), caption=first if k == 0 else None)
                for k, (name, data) in enumerate(album)
            ])

    async def ack(self, notice: str | None = None, *, alert: bool = False) -> None:
        if self.callback is None:
            if notice:
                await self.say(notice)
        elif not self.answered:
            self.pending_answer = self.callback.answer(notice, show_alert=alert or None)

    async def drop_buttons(self) -> None:
        if self.callback is not None:
            with suppress(TelegramBadRequest):  # already without buttons, or too old to edit: nothing to take away
                await self.message.edit_reply_markup(reply_markup=None)

    async def edit(self, text: Rich | str, buttons: Buttons | None = None) -> None:
        try:
            await self.message.edit_text(html_of(text), reply_markup=markup(buttons))
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:  # the same text and buttons: nothing to change
                raise

    def uploading(self) -> Any:
        return ChatActionSender.upload_document(bot=self.message.bot, chat_id=self.chat_id)

    async def start_link(self, token: str) -> str:
        return await create_start_link(self.message.bot, token)

    def share_button(self, link: str, text: str) -> Button:
        """Telegram's share dialog: the person picks the chats, the invite text goes there with the link."""
        return texts.BTN_SHARE_INVITE, Link(f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}")

    async def show_menu(self, role: str, app_url: str | None = None) -> None:
        from bot.telegram.commands import set_person_commands, set_person_menu_button

        await set_person_commands(self.message.bot, self.chat_id, role)
        if app_url and self.private:
            await set_person_menu_button(self.message.bot, self.chat_id, role, app_url)

    def discard(self) -> None:
        self.pending_answer = None

    async def finish(self) -> None:
        """Nothing to send: the adapter returns `pending_answer` (bot.telegram.updates)."""
