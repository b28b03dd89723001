"""Telegram's updates read into the product's events (bot.events) and handed to the one pipeline (bot.pipeline):
one aiogram router with one handler for messages and one for pressed buttons.

A message without a sender (a channel's post forwarded into a group: `sender_chat`, no `from`) is not for the
bot. A pressed button's answer is returned to aiogram, which sends it (polling) or puts it in the webhook's
HTTP response.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message

from bot.events import EventKind, Incoming, typed
from bot.pipeline import Pipeline
from bot.routes import STALE
from bot.telegram.chat import TelegramChat
from bot.unit_of_work import Mark


def message_event(message: Message) -> Incoming | None:
    if message.from_user is None:
        return None
    user, chat, private = message.from_user.id, message.chat.id, message.chat.type == "private"
    if message.migrate_to_chat_id is not None:
        return Incoming(EventKind.CHAT_MOVED, user, chat, private, moved_to=message.migrate_to_chat_id)
    file = None
    if message.document is not None:
        file = (message.document.file_id, message.document.file_name or "документ")
    elif message.photo:
        file = (message.photo[-1].file_id, "фото")
    return typed(user, chat, private, message.text, file)


async def on_message(message: Message, pipeline: Pipeline, mark: Mark) -> None:
    event = message_event(message)
    if event is not None:
        await pipeline.handle(event, TelegramChat(message, event.user_id), mark)


async def on_button(callback: CallbackQuery, pipeline: Pipeline, mark: Mark) -> AnswerCallbackQuery:
    message = callback.message
    if message is None:  # a button under an inline-mode message: not the bot's
        return callback.answer(STALE)
    event = Incoming(EventKind.BUTTON, callback.from_user.id, message.chat.id, message.chat.type == "private",
                     payload=callback.data or "")
    chat = TelegramChat(message, event.user_id, callback)
    await pipeline.handle(event, chat, mark)
    return chat.pending_answer or callback.answer()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(on_message)
    router.callback_query.register(on_button)
    return router
