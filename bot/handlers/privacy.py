"""A person's own data (152-ФЗ): /mydata shows what is stored, /forget removes it after a confirmation."""

from __future__ import annotations

import datetime as dt
from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import ForgetCb
from bot.filters import PrivateChat
from bot.middlewares import PersonMiddleware
from storage.models import Person
from storage.privacy import stored_about
from storage.registry import forget_person
from surveys.answering import Answering


async def my_data(message: Message, session: AsyncSession, person: Person | None) -> None:
    if person is None:
        await message.answer(texts.MYDATA_NOBODY)
        return
    data = await stored_about(session, person)
    tz = data.timezone
    lines = [texts.MYDATA_HEADER, "",
             f"ФИО: {escape(person.full_name)}",
             f"Роль: {escape(texts.ROLE_TITLES.get(person.role, person.role))}",
             *([f"Школа: {escape(data.school)}"] if data.school else []),
             f"Муниципалитет: {escape(data.municipality)}",
             f"Идентификатор в Telegram: {person.tg_user_id}",
             f"Зарегистрирован: {texts.deadline_text(person.registered_at, tz)}"]
    if data.consent is not None:
        lines.append(f"Согласие на обработку данных: дано {texts.deadline_text(data.consent.accepted_at, tz)}, "
                     f"версия {data.consent.version}")
    else:
        lines.append("Согласие на обработку данных: не записано (регистрация до того, как бот стал его спрашивать)")
    if data.responses:
        lines += ["", "Анкеты:"]
        states = {"submitted": "отправлена", "draft": "черновик"}
        lines += [f"• {escape(title)} ({escape(period)}) — {states.get(status, status)}, ваших ответов: {n}"
                  for title, period, status, n in data.responses]
    lines += ["", texts.MYDATA_FOOTER]
    await message.answer("\n".join(lines))


async def forget(message: Message, person: Person | None) -> None:
    if person is None:
        await message.answer(texts.MYDATA_NOBODY)
        return
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_FORGET_YES, callback_data=ForgetCb(ok=True))
    kb.button(text=texts.BTN_CANCEL, callback_data=ForgetCb(ok=False))
    await message.answer(texts.FORGET_ASK, reply_markup=kb.as_markup())


async def forget_button(callback: CallbackQuery, callback_data: ForgetCb, session: AsyncSession, person: Person | None,
                        state: FSMContext, people: PersonMiddleware, answering: Answering, now: dt.datetime) -> None:
    await callback.answer()
    await callback.message.edit_reply_markup(reply_markup=None)
    if person is None:
        await callback.message.answer(texts.MYDATA_NOBODY)
        return
    if not callback_data.ok:
        await callback.message.answer(texts.FORGET_CANCELLED)
        return
    stored = await session.get(Person, person.id)
    await forget_person(session, stored, now)
    await state.clear()
    people.forget(callback.from_user.id)
    answering.forget(person_id=person.id)
    await callback.message.answer(texts.FORGOTTEN)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(PrivateChat())
    router.message.register(my_data, Command("mydata"))
    router.message.register(forget, Command("forget"))
    router.callback_query.register(forget_button, ForgetCb.filter())
    return router
