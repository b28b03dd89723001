"""/start, /surveys, /help, /whoami, /link and the fallbacks for everything no feature claimed (bot.features)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features, texts
from bot.chat import TelegramChat
from bot.filters import PrivateChat
from storage.models import Person

__all__ = ["create_router"]


async def surveys(message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    await features.surveys(TelegramChat(message), state, session, person, now)


async def help_(message: Message, person: Person | None) -> None:
    await features.help_(TelegramChat(message), person)


async def whoami(message: Message, session: AsyncSession, person: Person | None) -> None:
    await features.whoami(TelegramChat(message), session, person)


async def link(message: Message, session: AsyncSession, person: Person | None, now: dt.datetime,
               links: dict[str, Any] | None = None) -> None:
    await features.link(TelegramChat(message), session, person, now, links or {})


async def fallback(message: Message, person: Person | None) -> None:
    await message.answer(texts.UNKNOWN_INPUT if person else texts.NOT_REGISTERED)


async def private_command(message: Message) -> None:
    await message.answer(texts.PRIVATE_COMMAND)


async def stale_callback(callback: CallbackQuery, person: Person | None) -> None:
    await callback.answer(texts.NOT_REGISTERED if person is None else "Эта кнопка уже неактуальна.", show_alert=person is None)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(surveys, CommandStart(), PrivateChat())
    router.message.register(surveys, Command("surveys"), PrivateChat())
    router.message.register(help_, Command("help"))
    router.message.register(whoami, Command("whoami"))
    router.message.register(link, Command("link"), PrivateChat())
    router.message.register(fallback, PrivateChat())
    router.message.register(private_command, Command("surveys", "card", "campaigns", "newcampaign", "calendar", "mydata",
                                                      "forget", "missing", "link"))
    router.callback_query.register(stale_callback)
    return router
