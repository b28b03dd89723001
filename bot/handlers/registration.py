"""Registration from an invite deep link: /start <token>, the consent, then the full name (bot.features)."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features
from bot.callbacks import ConsentCb
from bot.chat import TelegramChat
from bot.commands import set_person_commands
from bot.features import Registration
from bot.filters import NotText, PrivateChat, TypedText
from bot.middlewares import PersonMiddleware
from storage.models import Person
from surveys.answering import Answering

__all__ = ["Registration", "create_router"]


def _menu(bot: Bot, chat_id: int):
    async def registered(role: str) -> None:
        await set_person_commands(bot, chat_id, role)
    return registered


async def start_with_token(message: Message, command: CommandObject, state: FSMContext, session: AsyncSession,
                           person: Person | None, now: dt.datetime, bot: Bot, people: PersonMiddleware) -> None:
    await features.start_with_token(TelegramChat(message, people), command.args or "", state, session, person, now,
                                 _menu(bot, message.chat.id))


async def consent_button(callback: CallbackQuery, callback_data: ConsentCb, state: FSMContext, session: AsyncSession,
                         person: Person | None, now: dt.datetime) -> None:
    await features.consent_answer(TelegramChat(callback), callback_data.ok, state, session, person, now)


async def full_name(message: Message, state: FSMContext, session: AsyncSession, bot: Bot, person: Person | None,
                    now: dt.datetime, people: PersonMiddleware, answering: Answering) -> None:
    await features.full_name(TelegramChat(message, people), message.text, state, session, person, now,
                          _menu(bot, message.chat.id), answering)


async def full_name_not_text(message: Message) -> None:
    await features.name_not_text(TelegramChat(message))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.callback_query.register(consent_button, ConsentCb.filter())
    router.message.register(full_name, Registration.full_name, TypedText())
    router.message.register(full_name_not_text, Registration.full_name, NotText())
    return router
