"""Deputies: /card, their school's indicators, points and what to do, with an .xlsx or a one-page .docx
on request (bot.features). Report libraries are imported when a card is made."""

from __future__ import annotations

import datetime as dt

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features
from bot.callbacks import CardExport, CardWord
from bot.chat import TelegramChat
from bot.filters import PrivateChat
from bot.render import split_html
from scoring.methodology import Methodology
from storage.models import Person


async def card(message: Message, session: AsyncSession, person: Person | None, methodology: Methodology, now: dt.datetime) -> None:
    await features.card(TelegramChat(message), session, person, methodology, now, split_html)


async def card_export(callback: CallbackQuery, callback_data: CardExport, session: AsyncSession, person: Person | None,
                      methodology: Methodology, now: dt.datetime) -> None:
    await features.card_file(TelegramChat(callback), callback_data.school, "xlsx", session, person, methodology, now)


async def card_word(callback: CallbackQuery, callback_data: CardWord, session: AsyncSession, person: Person | None,
                    methodology: Methodology, now: dt.datetime) -> None:
    await features.card_file(TelegramChat(callback), callback_data.school, "docx", session, person, methodology, now)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(card, Command("card"))
    router.callback_query.register(card_export, CardExport.filter())
    router.callback_query.register(card_word, CardWord.filter())
    return router
