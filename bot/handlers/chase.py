"""Deputies chase their school from the chat: /missing (who has not registered, not started, not sent), a
nudge to one teacher or to all of them through the outbox, the school's teacher invite to forward, and the
submitted questionnaires to return for correction (bot.handlers.returns). Thin over surveys.chase.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from urllib.parse import quote

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import ChaseAction, ChaseCb, ReturnAction, ReturnCb
from bot.filters import PrivateChat
from bot.reminders import ReminderRunner
from storage.models import Municipality, Person, Role
from surveys import chase
from surveys.completion import FORM_STATES
from surveys.schedule import human_left, zone

NAMES_SHOWN = (40, 10)  # names of a list in the /missing message; the fewer when long names would pass 4096 characters
MESSAGE_LIMIT = 4000
PAGE = 20  # teachers a page of buttons


def _names(teachers: tuple[chase.Teacher, ...], day: dt.date, shown: int) -> str:
    if not teachers:
        return texts.MISSING_NOBODY
    out = []
    for t in teachers[:shown]:
        marks = []
        if not t.reachable:
            marks.append(texts.MISSING_MARK_UNREACHABLE)
        elif t.nudged is not None:
            marks.append(texts.MISSING_MARK_NUDGED.format(day=f"{day:%d.%m}"))
        out.append(escape(t.name) + (f" ({'; '.join(marks)})" if marks else ""))
    more = len(teachers) - shown
    return ", ".join(out) + (f" и ещё {more}" if more > 0 else "")


def _registration(view: chase.SchoolChase) -> str:
    registered = len(view.teachers)
    if view.declared is None:
        return texts.MISSING_UNDECLARED.format(registered=registered)
    if view.not_registered:
        return texts.MISSING_NOT_REGISTERED.format(n=view.not_registered, declared=view.declared, registered=registered)
    return texts.MISSING_ALL_REGISTERED.format(declared=view.declared, registered=registered)


def _campaign_screen(view: chase.SchoolChase, school_name: str, now: dt.datetime) -> tuple[str, InlineKeyboardMarkup]:
    campaign = view.campaign
    for shown in NAMES_SHOWN:
        text = texts.MISSING_HEADER.format(school=escape(school_name)) + "\n\n" + texts.MISSING_CAMPAIGN.format(
            title=escape(campaign.survey_version.title), period=escape(campaign.period),
            left=human_left(now, campaign.deadline, campaign.timezone), completion=escape(view.completion.text()),
            registration=_registration(view),
            not_started=len(view.not_started), not_started_names=_names(view.not_started, view.day, shown),
            drafts=len(view.drafts), draft_names=_names(view.drafts, view.day, shown),
            submitted=len(view.submitted), form=FORM_STATES.get(view.form, FORM_STATES[None]),
        )
        if len(text) <= MESSAGE_LIMIT:
            break
    kb = InlineKeyboardBuilder()
    if view.missing:
        n, m = len(view.can_nudge), len(view.missing)
        label = texts.BTN_NUDGE_ALL.format(n=m) if n == m else texts.BTN_NUDGE_REST.format(n=n, m=m)
        kb.button(text=label, callback_data=ChaseCb(a=ChaseAction.NUDGE_ALL, c=campaign.id))
        kb.button(text=texts.BTN_NUDGE_PICK, callback_data=ChaseCb(a=ChaseAction.PICK, c=campaign.id))
    if view.submitted:
        kb.button(text=texts.BTN_RETURN_PICK, callback_data=ChaseCb(a=ChaseAction.SUBMITTED, c=campaign.id))
    kb.button(text=texts.BTN_INVITE, callback_data=ChaseCb(a=ChaseAction.INVITE, c=0))
    kb.adjust(1)
    return text, kb.as_markup()


async def missing(message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        await message.answer(texts.MISSING_DEPUTIES_ONLY)
        return
    if await state.get_state() is not None:
        await state.clear()  # a return left waiting for its comment: /missing starts over
    school, views = await chase.school_view(session, person, now)
    if not views:
        kb = InlineKeyboardBuilder()
        kb.button(text=texts.BTN_INVITE, callback_data=ChaseCb(a=ChaseAction.INVITE, c=0))
        await message.answer(texts.MISSING_HEADER.format(school=escape(school.name)) + "\n\n" + texts.MISSING_NO_CAMPAIGN,
                             reply_markup=kb.as_markup())
        return
    for view in views:
        text, markup = _campaign_screen(view, school.name, now)
        await message.answer(text, reply_markup=markup)


def _pages(kb: InlineKeyboardBuilder, action: ChaseAction, campaign_id: int, page: int, total: int) -> None:
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton(text=texts.BTN_PREVIOUS_PAGE,
                                        callback_data=ChaseCb(a=action, c=campaign_id, v=page - 1).pack()))
    if (page + 1) * PAGE < total:
        nav.append(InlineKeyboardButton(text=texts.BTN_NEXT_PAGE,
                                        callback_data=ChaseCb(a=action, c=campaign_id, v=page + 1).pack()))
    if nav:
        kb.row(*nav)


def _when(result: chase.NudgeResult, now: dt.datetime) -> str:
    if result.due_at <= now:
        return texts.NUDGE_NOW
    local = result.due_at.astimezone(zone(result.timezone))
    return texts.NUDGE_LATER.format(time=f"{local:%H:%M %d.%m}", quiet=result.quiet)


def _listed(teachers: tuple[chase.Teacher, ...]) -> str:
    return ", ".join(escape(t.name) for t in teachers)


async def chase_button(
    callback: CallbackQuery, callback_data: ChaseCb, bot: Bot, session: AsyncSession, person: Person | None,
    now: dt.datetime, reminders: ReminderRunner | None,
) -> None:
    """Refusals (surveys.errors.Refused) go to the errors router: answered as an alert, nothing written."""
    if person is None:
        await callback.answer(texts.NOT_REGISTERED, show_alert=True)
        return
    action = callback_data.a
    if action == ChaseAction.INVITE:
        await _invite(callback, bot, session, person, now)
        return
    if action in (ChaseAction.NUDGE_ALL, ChaseAction.NUDGE):
        result = await chase.nudge(session, person, callback_data.c,
                                   callback_data.p if action == ChaseAction.NUDGE else None, now)
        when = _when(result, now)
        lines = [texts.NUDGE_QUEUED.format(when=when, names=_listed(result.queued))]
        if result.already:
            lines.append(texts.NUDGE_ALREADY.format(day=f"{result.day:%d.%m}", names=_listed(result.already)))
        if result.unreachable:
            lines.append(texts.NUDGE_UNREACHABLE.format(names=_listed(result.unreachable)))
        await callback.answer(texts.NUDGE_QUEUED_SHORT.format(when=when, n=len(result.queued)))
        await callback.message.answer("\n".join(lines))
        if reminders:
            reminders.kick()
        return
    view = await chase.deputy_campaign(session, person, callback_data.c, now)
    campaign = view.campaign
    title, period = escape(campaign.survey_version.title), escape(campaign.period)
    page = callback_data.v
    kb = InlineKeyboardBuilder()
    if action == ChaseAction.PICK:
        people = view.missing
        if not people:
            await callback.answer()
            await callback.message.answer(texts.NUDGE_PICK_NOBODY.format(title=title, period=period))
            return
        for t in people[page * PAGE:(page + 1) * PAGE]:
            label = ("✓ " if t.nudged else "") + t.name
            if t.state == "draft":
                label += " · начал(а)"
            if not t.reachable:
                label += " · бот не может написать"
            kb.row(InlineKeyboardButton(text=label, callback_data=ChaseCb(a=ChaseAction.NUDGE, c=campaign.id, p=t.id).pack()))
        _pages(kb, action, campaign.id, page, len(people))
        municipality = await session.get(Municipality, person.municipality_id)
        text = texts.NUDGE_PICK.format(title=title, period=period, n=len(people), tz=municipality.timezone,
                                       day=f"{view.day:%d.%m}")
    else:  # SUBMITTED: which questionnaire to return for correction
        people = view.submitted
        if not people:
            await callback.answer()
            await callback.message.answer(texts.RETURN_NO_TEACHERS.format(title=title, period=period))
            return
        for t in people[page * PAGE:(page + 1) * PAGE]:
            kb.row(InlineKeyboardButton(text=t.name, callback_data=ReturnCb(a=ReturnAction.ASK, r=t.response_id).pack()))
        _pages(kb, action, campaign.id, page, len(people))
        text = texts.RETURN_PICK_TEACHER.format(title=title, period=period, n=len(people))
    await callback.answer()
    await callback.message.answer(text, reply_markup=kb.as_markup())


async def _invite(callback: CallbackQuery, bot: Bot, session: AsyncSession, person: Person, now: dt.datetime) -> None:
    school, invite = await chase.teacher_invite(session, person, now)
    await callback.answer()
    if invite is None:
        await callback.message.answer(texts.INVITE_NONE)
        return
    municipality = await session.get(Municipality, person.municipality_id)
    expires = f"{invite.expires_at.astimezone(zone(municipality.timezone)):%d.%m.%Y}"
    link = await create_start_link(bot, invite.token)
    text = texts.INVITE_FOR_TEACHERS.format(school=escape(school.name), link=link, expires=expires)
    await callback.message.answer(text)
    plain = texts.INVITE_FOR_TEACHERS.format(school=school.name, link=link, expires=expires)
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_SHARE_INVITE, url=f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(plain, safe='')}")
    await callback.message.answer(texts.INVITE_FORWARD.format(left=invite.max_uses - invite.uses, expires=expires),
                                  reply_markup=kb.as_markup())


async def button_in_group(callback: CallbackQuery) -> None:
    await callback.answer(texts.CHASE_PRIVATE, show_alert=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.register(button_in_group, ChaseCb.filter(), ~PrivateChat())
    router.message.register(missing, Command("missing"))
    router.callback_query.register(chase_button, ChaseCb.filter())
    return router
