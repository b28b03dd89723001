"""What the product holds about a person (/mydata) and forgetting them (/forget)."""

import datetime as dt
from html import escape
from typing import Any

from aiogram.fsm.context import FSMContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import (
    ForgetCb,
)
from bot.chat import Chat
from storage.accounts import accounts_of
from storage.models import Person
from storage.privacy import (
    stored_about,
)
from storage.registry import (
    forget_person,
)


async def my_data(chat: Chat, session: AsyncSession, person: Person | None) -> None:
    if person is None:
        await chat.say(texts.MYDATA_NOBODY)
        return
    data = await stored_about(session, person)
    tz = data.timezone
    ids = [texts.MYDATA_ACCOUNT[channel].format(id=account_id)
           for channel, (account_id, _, _) in sorted((await accounts_of(session, person)).items())]
    lines = [texts.MYDATA_HEADER, "",
             f"ФИО: {escape(person.full_name)}",
             f"Роль: {escape(texts.ROLE_TITLES.get(person.role, person.role))}",
             *([f"Школа: {escape(data.school)}"] if data.school else []),
             f"Муниципалитет: {escape(data.municipality)}",
             *ids,
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
    await chat.say("\n".join(lines))


async def forget_ask(chat: Chat, person: Person | None) -> None:
    if person is None:
        await chat.say(texts.MYDATA_NOBODY)
        return
    await chat.say(texts.FORGET_ASK, [[(texts.BTN_FORGET_YES, ForgetCb(ok=True)), (texts.BTN_CANCEL, ForgetCb(ok=False))]])


async def forget_answer(chat: Chat, ok: bool, session: AsyncSession, person: Person | None, state: FSMContext,
                        answering: Any, now: dt.datetime) -> None:
    await chat.ack()
    await chat.drop_buttons()
    if person is None:
        await chat.say(texts.MYDATA_NOBODY)
        return
    if not ok:
        await chat.say(texts.FORGET_CANCELLED)
        return
    stored = await session.get(Person, person.id)
    await forget_person(session, stored, now)
    await state.clear()
    chat.forget_identity()
    answering.forget(person_id=person.id)
    await chat.say(texts.FORGOTTEN)
