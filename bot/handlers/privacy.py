"""A person's own data (152-ФЗ): /mydata shows what is stored, /forget removes it after a confirmation (bot.features)."""

from __future__ import annotations

import datetime as dt

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features
from bot.callbacks import ForgetCb
from bot.chat import TelegramChat
from bot.filters import PrivateChat
from bot.middlewares import PersonMiddleware
from storage.models import Person
from surveys.answering import Answering


async def my_data(message: Message, session: AsyncSession, person: Person | None) -> None:
    await features.my_data(TelegramChat(message), session, person)


async def forget(message: Message, person: Person | None) -> None:
    await features.forget_ask(TelegramChat(message), person)


async def forget_button(callback: CallbackQuery, callback_data: ForgetCb, session: AsyncSession, person: Person | None,
                        state: FSMContext, people: PersonMiddleware, answering: Answering, now: dt.datetime) -> None:
    await features.forget_answer(TelegramChat(callback, people), callback_data.ok, session, person, state, answering, now)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(PrivateChat())
    router.message.register(my_data, Command("mydata"))
    router.message.register(forget, Command("forget"))
    router.callback_query.register(forget_button, ForgetCb.filter())
    return router
