"""Deputies chase their school from the chat: /missing (who has not registered, not started, not sent), a
nudge to one teacher or to all of them through the outbox, the school's teacher invite to forward, and the
submitted questionnaires to return for correction (bot.handlers.returns). Thin over bot.features (the same
flows MAX's app calls) and monitoring.chase.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features, texts
from bot.callbacks import ChaseCb
from bot.chat import TelegramChat
from bot.filters import PrivateChat
from bot.reminders import ReminderRunner
from storage.models import Person


async def missing(message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    await features.missing(TelegramChat(message), state, session, person, now)


async def chase_button(callback: CallbackQuery, callback_data: ChaseCb, session: AsyncSession, person: Person | None,
                       now: dt.datetime, reminders: ReminderRunner | None) -> None:
    await features.chase_button(TelegramChat(callback), callback_data, session, person, now, reminders)


async def button_in_group(callback: CallbackQuery) -> None:
    await callback.answer(texts.CHASE_PRIVATE, show_alert=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.register(button_in_group, ChaseCb.filter(), ~PrivateChat())
    router.message.register(missing, Command("missing"))
    router.callback_query.register(chase_button, ChaseCb.filter())
    return router
