"""Coordinators see and change the monitoring calendar: /calendar [school year], private chat only.

The same plan `shnor calendar plan` prints: what is planned, opened, skipped, overdue; a button shifts an item
(the new date is typed as the next message) or skips it (after a confirmation); without a plan, a button
makes it. Thin over bot.features (the same flows MAX's app calls) and monitoring.calendar; refusals are
the service's Russian messages.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features, texts
from bot.callbacks import CalendarCb
from bot.chat import TelegramChat
from bot.features import CalendarShift
from bot.filters import PrivateChat, TypedText
from monitoring import calendar as mc
from storage.models import Person

__all__ = ["CalendarShift", "create_router"]


async def show_calendar(message: Message, command: CommandObject, state: FSMContext, session: AsyncSession,
                        person: Person | None, now: dt.datetime, calendar: mc.CalendarDef) -> None:
    await features.show_calendar(TelegramChat(message), command.args, state, session, person, now, calendar)


async def calendar_button(callback: CallbackQuery, callback_data: CalendarCb, state: FSMContext, session: AsyncSession,
                          person: Person | None, now: dt.datetime, calendar: mc.CalendarDef) -> None:
    await features.calendar_button(TelegramChat(callback), callback_data, state, session, person, now, calendar)


async def typed_date(message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime,
                     calendar: mc.CalendarDef) -> None:
    await features.typed_date(TelegramChat(message), message.text, state, session, person, now, calendar)


async def button_in_group(callback: CallbackQuery) -> None:
    await callback.answer(texts.CALENDAR_PRIVATE, show_alert=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())  # the plan shows what the municipality does: not for any group
    router.callback_query.register(button_in_group, CalendarCb.filter(), ~PrivateChat())
    router.message.register(show_calendar, Command("calendar"))
    router.message.register(typed_date, CalendarShift.date, TypedText())
    router.callback_query.register(calendar_button, CalendarCb.filter())
    return router
