"""Coordinators manage campaigns from the chat: /campaigns (list, extend, close, reopen), /newcampaign.

Campaign management is private-only: the list shows completion, and a button pressed in a
group must not close a campaign or post the list there.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.filters import Command, or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import CampaignAction, CampaignCb, NewCampaignCb
from bot.filters import PrivateChat, TypedText
from bot.handlers import returns as returns_handlers
from bot.reminders import ReminderRunner
from storage.models import Municipality, Person
from surveys import campaigns as campaign_service
from surveys.loader import available_packs, load_pack
from surveys.model import Audience
from surveys.periods import PeriodError, next_school_year, normalize_period, school_year_of
from surveys.schedule import human_left
from surveys.service import ServiceError
from surveys.subjects import is_coordinator

FILTERS = (None, "shnro", "shnsu", "risk_zone", "shnro,shnsu")
DEADLINE_DAYS = (7, 14, 30)
LISTED = 15


class NewCampaign(StatesGroup):
    period = State()
    deadline = State()


# --- the list ------------------------------------------------------------------------------


async def _render_list(session: AsyncSession, person: Person, now: dt.datetime):
    """Newest first by number, two buttons a campaign (and «return a school's questionnaire» under a school
campaign) in the same places whatever was done to it."""
    items = await campaign_service.municipality_campaigns(session, person.municipality_id)
    kb = InlineKeyboardBuilder()
    if not items:
        kb.button(text=texts.BTN_NEW_CAMPAIGN, callback_data=NewCampaignCb(step="start"))
        return texts.CAMPAIGNS_EMPTY, kb.as_markup()
    lines = [texts.CAMPAIGN_LIST_HEADER]
    for campaign in items[:LISTED]:
        done = await campaign_service.completion(session, campaign)
        if campaign.closed_at:
            state = "закрыта"
        elif now >= campaign.deadline:
            state = "срок прошёл"
        elif now < campaign.opens_at:
            state = "ещё не открыта"
        else:
            state = f"идёт, {human_left(now, campaign.deadline, campaign.timezone)}"
        lines.append(texts.CAMPAIGN_ITEM.format(
            id=campaign.id, title=escape(campaign.survey_version.title), period=escape(campaign.period),
            audience=campaign_service.filter_title(campaign.status_filter), state=state,
            deadline=texts.deadline_text(campaign.deadline, campaign.timezone), completion=escape(done.summary()),
            offsets=", ".join(campaign.reminder_offsets), quiet=campaign.quiet_hours, tz=campaign.timezone,
        ))
        extend = InlineKeyboardButton(text=f"№{campaign.id}: продлить",
                                      callback_data=CampaignCb(a=CampaignAction.EXTEND_MENU, id=campaign.id).pack())
        if campaign.closed_at is None:
            second = InlineKeyboardButton(text=f"№{campaign.id}: закрыть",
                                          callback_data=CampaignCb(a=CampaignAction.CLOSE_ASK, id=campaign.id).pack())
        else:
            second = InlineKeyboardButton(text=f"№{campaign.id}: открыть снова",
                                          callback_data=CampaignCb(a=CampaignAction.REOPEN, id=campaign.id).pack())
        kb.row(extend, second)
        if campaign.audience == Audience.SCHOOL:  # whatever its state: the buttons keep their places
            kb.row(InlineKeyboardButton(text=texts.BTN_RETURN_SCHOOL.format(id=campaign.id),
                                        callback_data=CampaignCb(a=CampaignAction.RETURNS, id=campaign.id).pack()))
    kb.row(InlineKeyboardButton(text=texts.BTN_NEW_CAMPAIGN, callback_data=NewCampaignCb(step="start").pack()))
    if len(items) > LISTED:
        lines.append(texts.CAMPAIGNS_MORE.format(n=len(items) - LISTED))
    return "\n\n".join(lines), kb.as_markup()


async def list_campaigns(message: Message, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    if not is_coordinator(person):
        await message.answer(texts.COORDINATORS_ONLY)
        return
    text, markup = await _render_list(session, person, now)
    await message.answer(text, reply_markup=markup)


async def campaign_button(
    callback: CallbackQuery, callback_data: CampaignCb, session: AsyncSession, person: Person | None,
    now: dt.datetime, reminders: ReminderRunner | None,
) -> None:
    if not is_coordinator(person):
        await callback.answer(texts.COORDINATORS_ONLY, show_alert=True)
        return
    if callback.message is None or callback.message.chat.type != "private":
        await callback.answer(texts.CAMPAIGNS_PRIVATE, show_alert=True)
        return
    campaign = await campaign_service.owned_campaign(session, person.municipality_id, callback_data.id)
    action = callback_data.a
    if action == CampaignAction.EXTEND_MENU:
        kb = InlineKeyboardBuilder()
        for days in campaign_service.EXTEND_DAYS:
            kb.button(text=f"+{days} дн.", callback_data=CampaignCb(a=CampaignAction.EXTEND, id=campaign.id, v=days))
        kb.adjust(4)
        await callback.answer()
        await callback.message.answer(
            texts.EXTEND_ASK.format(id=campaign.id, deadline=texts.deadline_text(campaign.deadline, campaign.timezone)),
            reply_markup=kb.as_markup(),
        )
        return
    if action == CampaignAction.CLOSE_ASK:
        if campaign.closed_at is not None:
            await callback.answer("Кампания уже закрыта.", show_alert=True)
            return
        kb = InlineKeyboardBuilder()
        kb.button(text=texts.BTN_CLOSE_YES, callback_data=CampaignCb(a=CampaignAction.CLOSE, id=campaign.id))
        kb.button(text=texts.BTN_CANCEL, callback_data=CampaignCb(a=CampaignAction.CANCEL, id=campaign.id))
        await callback.answer()
        await callback.message.answer(
            texts.CLOSE_ASK.format(id=campaign.id, title=escape(campaign.survey_version.title), period=escape(campaign.period)),
            reply_markup=kb.as_markup(),
        )
        return
    if action == CampaignAction.RETURNS:
        text, markup = await returns_handlers.school_list(session, person, campaign.id, callback_data.v)
        await callback.answer()
        await callback.message.answer(text, reply_markup=markup)
        return
    if action == CampaignAction.CANCEL:
        await callback.answer(texts.NEW_CANCELLED)
        await callback.message.edit_text(texts.CLOSE_CANCELLED.format(id=campaign.id))
        return
    if action == CampaignAction.EXTEND:  # refusals (ServiceError) go to the errors router; the session rolls back
        await campaign_service.extend_by_days(session, campaign, callback_data.v, now)
        done = texts.EXTENDED.format(id=campaign.id, deadline=texts.deadline_text(campaign.deadline, campaign.timezone))
    elif action == CampaignAction.CLOSE:
        await campaign_service.close_campaign(session, campaign, now)
        done = texts.CLOSED.format(id=campaign.id)
    elif action == CampaignAction.REOPEN:
        await campaign_service.reopen_campaign(session, campaign, now)
        done = texts.REOPENED.format(id=campaign.id)
    else:
        raise ServiceError("Такого действия нет.")
    await callback.answer(done)  # the change is committed before this call (ReleaseBeforeRequest)
    if reminders:
        reminders.kick()
    text, markup = await _render_list(session, person, now)
    await callback.message.answer(done + "\n\n" + text, reply_markup=markup)


# --- a new campaign ------------------------------------------------------------------------


async def new_campaign(message: Message, state: FSMContext, person: Person | None) -> None:
    if not is_coordinator(person):
        await message.answer(texts.COORDINATORS_ONLY)
        return
    await state.clear()
    text, markup = _pack_step()
    await message.answer(text, reply_markup=markup)


def _pack_step():
    kb = InlineKeyboardBuilder()
    for n, name in enumerate(available_packs()):
        kb.button(text=load_pack(name).title, callback_data=NewCampaignCb(step="pack", v=n))
    kb.adjust(1)
    return texts.NEW_PACK, kb.as_markup()


async def new_campaign_button(
    callback: CallbackQuery, callback_data: NewCampaignCb, state: FSMContext, session: AsyncSession,
    person: Person | None, now: dt.datetime, reminders: ReminderRunner | None,
) -> None:
    if not is_coordinator(person):
        await callback.answer(texts.COORDINATORS_ONLY, show_alert=True)
        return
    if callback.message is None or callback.message.chat.type != "private":
        await callback.answer(texts.CAMPAIGNS_PRIVATE, show_alert=True)
        return
    municipality = await session.get(Municipality, person.municipality_id)
    data = await state.get_data()
    step, value = callback_data.step, callback_data.v
    await callback.answer()
    if step == "start":
        await state.clear()
        text, markup = _pack_step()
        await callback.message.answer(text, reply_markup=markup)
    elif step == "pack":
        packs = available_packs()
        if not 0 <= value < len(packs):
            return
        await state.set_data({"pack": packs[value]})
        if load_pack(packs[value]).audience.value == "municipality":
            await _ask_period(callback.message, state, municipality, now)
            return
        kb = InlineKeyboardBuilder()
        for n, f in enumerate(FILTERS):
            kb.button(text=texts.FILTER_BUTTONS[f], callback_data=NewCampaignCb(step="filter", v=n))
        kb.adjust(1)
        await callback.message.answer(texts.NEW_FILTER, reply_markup=kb.as_markup())
    elif step == "filter" and "pack" in data and 0 <= value < len(FILTERS):
        await state.update_data(filter=FILTERS[value])
        await _ask_period(callback.message, state, municipality, now)
    elif step == "period" and "pack" in data and value in (0, 1):
        current = school_year_of(now, municipality.timezone)
        await state.update_data(period=current if value == 0 else next_school_year(current))
        await _ask_deadline(callback.message, state)
    elif step == "deadline" and "period" in data and value in DEADLINE_DAYS:
        local = (now + dt.timedelta(days=value)).astimezone(ZoneInfo(municipality.timezone))
        deadline = local.replace(hour=campaign_service.DATE_ONLY_HOUR, minute=0, second=0, microsecond=0)
        await state.update_data(deadline=deadline.astimezone(dt.UTC).isoformat())
        await _confirm(callback.message, state, municipality)
    elif step == "open" and "deadline" in data:
        survey = load_pack(data["pack"])
        campaign = await campaign_service.create_campaign(  # a refusal goes to the errors router
            session, municipality=municipality, survey=survey, period=data["period"],
            deadline=dt.datetime.fromisoformat(data["deadline"]), status_filter=data.get("filter"), now=now,
        )
        await state.clear()
        await callback.message.answer(texts.CAMPAIGN_OPENED.format(id=campaign.id, title=escape(survey.title)))
        if reminders:
            reminders.kick()
    elif step == "cancel":
        await state.clear()
        await callback.message.answer(texts.NEW_CANCELLED)
    else:
        await callback.message.answer(texts.NEW_STALE)


async def _ask_period(message: Message, state: FSMContext, municipality: Municipality, now: dt.datetime) -> None:
    current = school_year_of(now, municipality.timezone)
    kb = InlineKeyboardBuilder()
    kb.button(text=current, callback_data=NewCampaignCb(step="period", v=0))
    kb.button(text=next_school_year(current), callback_data=NewCampaignCb(step="period", v=1))
    await state.set_state(NewCampaign.period)
    await message.answer(texts.NEW_PERIOD, reply_markup=kb.as_markup())


async def _ask_deadline(message: Message, state: FSMContext) -> None:
    kb = InlineKeyboardBuilder()
    for days in DEADLINE_DAYS:
        kb.button(text=f"через {days} дн.", callback_data=NewCampaignCb(step="deadline", v=days))
    await state.set_state(NewCampaign.deadline)
    await message.answer(texts.NEW_DEADLINE, reply_markup=kb.as_markup())


async def _confirm(message: Message, state: FSMContext, municipality: Municipality) -> None:
    data = await state.get_data()
    await state.set_state(None)
    deadline = dt.datetime.fromisoformat(data["deadline"])
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_OPEN_CAMPAIGN, callback_data=NewCampaignCb(step="open"))
    kb.button(text=texts.BTN_CANCEL, callback_data=NewCampaignCb(step="cancel"))
    await message.answer(
        texts.NEW_CONFIRM.format(
            title=escape(load_pack(data["pack"]).title), audience=campaign_service.filter_title(data.get("filter")),
            period=escape(data["period"]), deadline=texts.deadline_text(deadline, municipality.timezone), tz=municipality.timezone,
        ),
        reply_markup=kb.as_markup(),
    )


async def typed_period(message: Message, state: FSMContext, person: Person | None) -> None:
    if not is_coordinator(person):
        return
    try:
        period = normalize_period(message.text)
    except PeriodError as exc:
        await message.answer(texts.REPROMPT.format(error=escape(str(exc))))
        return
    await state.update_data(period=period)
    await _ask_deadline(message, state)


async def typed_deadline(message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    if not is_coordinator(person):
        return
    municipality = await session.get(Municipality, person.municipality_id)
    try:
        deadline = campaign_service.parse_deadline(message.text or "", municipality.timezone)
    except ServiceError as exc:
        await message.answer(texts.REPROMPT.format(error=escape(str(exc))))
        return
    if deadline <= now:
        await message.answer(texts.NEW_DEADLINE_PAST)
        return
    await state.update_data(deadline=deadline.isoformat())
    await _confirm(message, state, municipality)


async def button_in_group(callback: CallbackQuery) -> None:
    await callback.answer(texts.PRIVATE_BUTTON, show_alert=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())  # the list shows completion: not for any group
    router.callback_query.register(button_in_group, or_f(CampaignCb.filter(), NewCampaignCb.filter()), ~PrivateChat())
    router.message.register(list_campaigns, Command("campaigns"))
    router.message.register(new_campaign, Command("newcampaign"))
    router.message.register(typed_period, NewCampaign.period, TypedText())
    router.message.register(typed_deadline, NewCampaign.deadline, TypedText())
    router.callback_query.register(campaign_button, CampaignCb.filter())
    router.callback_query.register(new_campaign_button, NewCampaignCb.filter())
    return router
