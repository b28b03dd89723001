"""Registration from an invite deep link: /start <token>, then the full name."""

from __future__ import annotations

import datetime as dt

from aiogram import Bot, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import ConsentCb
from bot.filters import NotText, PrivateChat, TypedText
from bot.commands import set_person_commands
from bot.handlers.common import describe, show_campaigns
from bot.middlewares import PersonMiddleware
from storage.models import Municipality, Person, School
from storage.privacy import ConsentText, consent_text, record_consent
from surveys.answering import Answering
from storage.registry import InviteProblem, RegistryError, check_invite, normalize_full_name, register_person


class Registration(StatesGroup):
    consent = State()
    full_name = State()


async def start_with_token(
    message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime
) -> None:
    if person is not None:
        await message.answer(texts.ALREADY_REGISTERED.format(who=hd.quote(await describe(session, person))))
        return
    checked = await check_invite(session, command.args or "", now)
    if isinstance(checked, InviteProblem):
        await message.answer(texts.INVITE_PROBLEMS[checked.value])
        return
    where = ""
    if checked.school_id:
        school = await session.get(School, checked.school_id)
        where = f", {hd.quote(school.name)}" if school else ""
    consent = consent_text(await session.get(Municipality, checked.municipality_id))
    await state.set_state(Registration.consent)
    await state.set_data({"token": checked.token, "role": checked.role, "where": where})
    await message.answer(texts.CONSENT_INTRO.format(role=texts.ROLE_TITLES[checked.role], where=where))
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_CONSENT_YES, callback_data=ConsentCb(ok=True))
    kb.button(text=texts.BTN_CONSENT_NO, callback_data=ConsentCb(ok=False))
    await message.answer(hd.quote(consent.text), reply_markup=kb.as_markup())


async def consent_button(callback: CallbackQuery, callback_data: ConsentCb, state: FSMContext, session: AsyncSession,
                         person: Person | None, now: dt.datetime) -> None:
    data = await state.get_data()
    if person is not None or await state.get_state() != Registration.consent.state or "token" not in data:
        await callback.answer(texts.CONSENT_STALE)
        return
    await callback.answer()
    await callback.message.edit_reply_markup(reply_markup=None)
    if not callback_data.ok:
        await state.clear()
        await callback.message.answer(texts.CONSENT_DECLINED)
        return
    invite = await check_invite(session, data["token"], now)
    if isinstance(invite, InviteProblem):
        await state.clear()
        await callback.message.answer(texts.INVITE_PROBLEMS[invite.value])
        return
    consent = consent_text(await session.get(Municipality, invite.municipality_id))
    await state.set_state(Registration.full_name)
    await state.update_data(consent=consent.version, consent_text=consent.text, consent_at=now.isoformat())
    await callback.message.answer(texts.ASK_FULL_NAME.format(role=texts.ROLE_TITLES[invite.role], where=data.get("where", "")))


async def full_name(
    message: Message, state: FSMContext, session: AsyncSession, bot: Bot, person: Person | None, now: dt.datetime,
    people: PersonMiddleware, answering: Answering,
) -> None:
    if person is not None:
        await state.clear()
        await message.answer(texts.ALREADY_REGISTERED.format(who=hd.quote(await describe(session, person))))
        return
    try:
        name = normalize_full_name(message.text)
    except RegistryError as exc:
        await message.answer(texts.REPROMPT.format(error=exc))
        return
    data = await state.get_data()
    if "consent" not in data:  # the consent was not given (an old conversation): ask for it first
        await state.clear()
        await message.answer(texts.CONSENT_FIRST)
        return
    registered = await register_person(
        session, token=data.get("token", ""), tg_user_id=message.from_user.id, chat_id=message.chat.id, full_name=name, now=now
    )
    if isinstance(registered, InviteProblem):
        await state.clear()
        await message.answer(texts.INVITE_PROBLEMS[registered.value])
        return
    record_consent(session, registered, ConsentText(data["consent_text"], data["consent"]),
                   dt.datetime.fromisoformat(data["consent_at"]))
    people.forget(message.from_user.id)  # committed before the first reply (ReleaseBeforeRequest)
    await state.clear()
    await set_person_commands(bot, message.chat.id, registered.role)
    await message.answer(
        texts.REGISTERED.format(name=hd.quote(name), who=hd.quote(await describe(session, registered)))
    )
    await show_campaigns(message, session, registered, now, answering)


async def full_name_not_text(message: Message) -> None:
    await message.answer(texts.REPROMPT.format(error="Напишите ФИО текстом, например: Иванова Мария Петровна."))


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(start_with_token, CommandStart(deep_link=True))
    router.callback_query.register(consent_button, ConsentCb.filter())
    router.message.register(full_name, Registration.full_name, TypedText())
    router.message.register(full_name_not_text, Registration.full_name, NotText())
    return router
