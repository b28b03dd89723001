"""/start, /surveys, /help, /whoami and the fallbacks for everything no feature claimed."""

from __future__ import annotations

import datetime as dt
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import PrivateChat
from bot.render import render
from storage.models import Municipality, Person, School
from surveys.answering import Answering
from surveys.screens import campaigns_screen, local_time, screen_of
from surveys.service import campaigns_for


async def describe(session: AsyncSession, person: Person) -> str:
    parts = [texts.ROLE_TITLES.get(person.role, person.role)]
    if person.school_id:
        school = await session.get(School, person.school_id)
        if school:
            parts.append(school.name)
    municipality = await session.get(Municipality, person.municipality_id)
    if municipality:
        parts.append(municipality.name)
    return ", ".join(parts)


async def show_campaigns(message: Message, session: AsyncSession, person: Person, now: dt.datetime,
                         answering: Answering | None = None) -> None:
    """The person's open questionnaires; with `answering` (just registered), a single questionnaire not
    yet started opens at once: its first question follows without a press on «Начать»."""
    entries = await campaigns_for(session, person, now)
    municipality = await session.get(Municipality, person.municipality_id)
    timezone = municipality.timezone if municipality else "UTC"
    if answering is not None and len(entries) == 1 and entries[0].status == "new":
        entry = entries[0]
        await message.answer(texts.STARTING.format(title=escape(entry.title), deadline=local_time(entry.campaign.deadline, timezone)))
        step = await answering.open(person, entry.campaign.id)
        text, markup = render(screen_of(step.view))
        await message.answer(text, reply_markup=markup)
        return
    text, markup = render(campaigns_screen(entries, timezone))
    await message.answer(text, reply_markup=markup)


async def surveys(message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    if person is None:
        await state.clear()
        await message.answer(texts.NOT_REGISTERED)
        return
    await show_campaigns(message, session, person, now)


async def help_(message: Message, person: Person | None) -> None:
    if message.chat.type != "private":
        await message.answer(texts.HELP_GROUP)
        return
    await message.answer(texts.HELP[person.role if person else None])


async def whoami(message: Message, session: AsyncSession, person: Person | None) -> None:
    if person is None:
        await message.answer(texts.NOT_REGISTERED)
        return
    await message.answer(texts.WHOAMI.format(name=hd.quote(person.full_name), who=hd.quote(await describe(session, person))))


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
    router.message.register(fallback, PrivateChat())
    router.message.register(private_command, Command("surveys", "card", "campaigns", "newcampaign", "calendar", "mydata",
                                                      "forget", "missing"))
    router.callback_query.register(stale_callback)
    return router
