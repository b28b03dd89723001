"""Returning a submitted questionnaire for correction, in the private chat. Thin over surveys.returns.

Where the questionnaire is picked: a coordinator from /campaigns → «№N: вернуть анкету школы» → the schools
that submitted; a deputy from /missing → «Вернуть анкету на доработку…» → the teachers who submitted. Then
«what to fix» is typed as the next message (FSM), shown back with «Да, вернуть» / «Отмена», and only the
confirmation returns it: a message typed by mistake into the waiting state returns nothing.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from html import escape

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import ReturnAction, ReturnCb
from bot.filters import NotText, PrivateChat, TypedText
from bot.reminders import ReminderRunner
from storage.models import Person
from surveys import returns
from surveys.answering import Answering
from surveys.errors import BadInput, Refused
from surveys.schedule import zone
from surveys.subjects import subject_id

class ReturnFlow(StatesGroup):
    comment = State()  # data: {"return": response id, "comment": the text typed, once typed}


def _what(target: returns.Target) -> str:
    kind = subject_id(target.response.subject)[0]
    return texts.RETURN_WHAT["school" if kind == "school" else "person"].format(label=escape(target.label))


def _cancel(response_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_CANCEL, callback_data=ReturnCb(a=ReturnAction.CANCEL, r=response_id))
    return kb.as_markup()


async def return_button(
    callback: CallbackQuery, callback_data: ReturnCb, state: FSMContext, session: AsyncSession, person: Person | None,
    now: dt.datetime, answering: Answering, reminders: ReminderRunner | None,
) -> None:
    """Refusals (Refused) go to the errors router: an alert, nothing written."""
    if person is None:
        await callback.answer(texts.NOT_REGISTERED, show_alert=True)
        return
    response_id = callback_data.r
    action = callback_data.a
    if action == ReturnAction.ASK:
        target = await returns.check_return(session, person, response_id, now)
        campaign = target.campaign
        await state.set_state(ReturnFlow.comment)
        await state.set_data({"return": response_id})
        await callback.answer()
        await callback.message.answer(
            texts.RETURN_ASK.format(
                what=_what(target), title=escape(campaign.survey_version.title), period=escape(campaign.period),
                min=returns.COMMENT_MIN, max=returns.COMMENT_MAX, deadline=texts.deadline_text(campaign.deadline, campaign.timezone),
            ),
            reply_markup=_cancel(response_id),
        )
        return
    data = await state.get_data()
    ours = data.get("return") == response_id and await state.get_state() == ReturnFlow.comment.state
    if action == ReturnAction.CANCEL:
        if ours:
            await state.clear()
        await callback.answer(texts.RETURN_CANCELLED)
        await callback.message.edit_text(texts.RETURN_CANCELLED)
        return
    if not ours or "comment" not in data:  # CONFIRM: an old confirmation, or one of another conversation
        await callback.answer(texts.RETURN_STALE, show_alert=True)
        return
    done = await returns.return_response(session, person, response_id, data["comment"], now)
    await state.clear()
    answering.forget([response_id])  # this process's cached state of it is stale (the version moved on too)
    campaign = done.target.campaign
    if done.due_at <= now:
        when = texts.NUDGE_NOW
    else:
        local = done.due_at.astimezone(zone(campaign.timezone))
        when = texts.NUDGE_LATER.format(time=f"{local:%H:%M %d.%m}", quiet=campaign.quiet_hours)
    text = texts.RETURN_DONE.format(what=_what(done.target), when=when)
    await callback.answer(text[:200])
    with suppress(TelegramBadRequest):  # the confirmation loses its buttons: it has been done
        await callback.message.edit_reply_markup(reply_markup=None)
    await callback.message.answer(text)
    if reminders:
        reminders.kick()


async def typed_comment(message: Message, state: FSMContext, session: AsyncSession, person: Person | None,
                        now: dt.datetime) -> None:
    """The comment: checked (a Russian reprompt when empty or too long), then shown back for confirmation."""
    response_id = (await state.get_data()).get("return")
    if person is None or response_id is None:
        await state.clear()
        await message.answer(texts.RETURN_STALE)
        return
    try:
        comment = returns.clean_comment(message.text)
    except BadInput as exc:  # the errors router reprompts; the state stays, and the way out is said
        raise BadInput(f"{exc.message} {texts.RETURN_HOW_TO_CANCEL}") from None
    try:
        target = await returns.check_return(session, person, response_id, now)
    except Refused:
        await state.clear()  # returned by someone else meanwhile, the deadline passed...: this return is over
        raise
    await state.update_data(comment=comment)
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_RETURN_YES, callback_data=ReturnCb(a=ReturnAction.CONFIRM, r=response_id))
    kb.button(text=texts.BTN_CANCEL, callback_data=ReturnCb(a=ReturnAction.CANCEL, r=response_id))
    await message.answer(
        texts.RETURN_CONFIRM.format(what=_what(target), comment=escape(comment),
                                    recipients=escape(", ".join(p.full_name for p in target.recipients))),
        reply_markup=kb.as_markup(),
    )


async def not_text(message: Message) -> None:
    await message.answer(texts.RETURN_NOT_TEXT)


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
