"""Returning a submitted questionnaire for correction, in the private chat. Thin over bot.features (the same flows
MAX's app calls) and monitoring.returns.

Where the questionnaire is picked: a coordinator from /campaigns → «№N: вернуть анкету школы» → the schools
that submitted; a deputy from /missing → «Вернуть анкету на доработку…» → the teachers who submitted. Then
«what to fix» is typed as the next message (FSM), shown back with «Да, вернуть» / «Отмена», and only the
confirmation returns it: a message typed by mistake into the waiting state returns nothing.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features, texts
from bot.callbacks import ReturnCb
from bot.chat import TelegramChat
from bot.features import ReturnFlow
from bot.filters import NotText, PrivateChat, TypedText
from bot.reminders import ReminderRunner
from storage.models import Person
from surveys.answering import Answering

__all__ = ["ReturnFlow", "create_router"]


async def return_button(callback: CallbackQuery, callback_data: ReturnCb, state: FSMContext, session: AsyncSession,
                        person: Person | None, now: dt.datetime, answering: Answering,
                        reminders: ReminderRunner | None) -> None:
    await features.return_button(TelegramChat(callback), callback_data, state, session, person, now, answering, reminders)


async def typed_comment(message: Message, state: FSMContext, session: AsyncSession, person: Person | None,
                        now: dt.datetime) -> None:
    await features.typed_comment(TelegramChat(message), message.text, state, session, person, now)


async def not_text(message: Message) -> None:
    await features.comment_not_text(TelegramChat(message))


async def button_in_group(callback: CallbackQuery) -> None:
    await callback.answer(texts.CHASE_PRIVATE, show_alert=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.register(button_in_group, ReturnCb.filter(), ~PrivateChat())
    router.callback_query.register(return_button, ReturnCb.filter())
    router.message.register(typed_comment, ReturnFlow.comment, TypedText())
    router.message.register(not_text, ReturnFlow.comment, NotText())
    return router
