"""Coordinators see and change the monitoring calendar: /calendar [school year], private chat only.

The same plan `shnor calendar plan` prints: what is planned, opened, skipped, overdue; a button shifts an item
(the new date is typed as the next message) or skips it (after a confirmation); without a plan, a button
makes it. Thin over surveys.monitoring_calendar; refusals are the service's Russian messages.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import CalendarAction, CalendarCb
from bot.filters import PrivateChat, TypedText
from bot.render import split_html
from storage.models import CalendarItem, Municipality, Person
from surveys import monitoring_calendar as mc
from surveys.campaigns import parse_local
from surveys.periods import PeriodError, normalize_period
from surveys.service import ServiceError
from surveys.subjects import is_coordinator


class CalendarShift(StatesGroup):
    date = State()


def _view_messages(view: mc.PlanView, note: str | None = None) -> tuple[list[str], InlineKeyboardMarkup | None]:
    tz = view.timezone
    lines = [note, ""] if note else []
    lines += [escape(text) for text in texts.calendar_head(view)] + [""]
    kb = InlineKeyboardBuilder()
    for line in view.lines:
        lines += [escape(text) for text in texts.calendar_line(line, view.period, tz)] + [""]
        if line.can_shift:
            kb.button(text=texts.BTN_CALENDAR_SHIFT.format(n=line.number),
                      callback_data=CalendarCb(a=CalendarAction.SHIFT_ASK, id=line.item_id))
        if line.can_skip:
            kb.button(text=texts.BTN_CALENDAR_SKIP.format(n=line.number),
                      callback_data=CalendarCb(a=CalendarAction.SKIP_ASK, id=line.item_id))
    lines.append(texts.CALENDAR_FOOTER)
    sizes = [int(line.can_shift) + int(line.can_skip) for line in view.lines]
    if not view.planned and not view.ended:
        kb.button(text=texts.BTN_CALENDAR_PLAN.format(period=view.period),
                  callback_data=CalendarCb(a=CalendarAction.PLAN, id=int(view.period[:4])))
        sizes.append(1)
    sizes = [n for n in sizes if n]
    if not sizes:
        return split_html(lines), None
    kb.adjust(*sizes)
    return split_html(lines), kb.as_markup()


async def _send_view(message: Message, view: mc.PlanView, note: str | None = None) -> None:
    chunks, markup = _view_messages(view, note)
    for chunk in chunks[:-1]:
        await message.answer(chunk)
    await message.answer(chunks[-1], reply_markup=markup)


async def show_calendar(
    message: Message, command: CommandObject, state: FSMContext, session: AsyncSession, person: Person | None,
    now: dt.datetime, calendar: mc.CalendarDef,
) -> None:
    if not is_coordinator(person):
        await message.answer(texts.COORDINATORS_ONLY)
        return
    await state.clear()
    municipality = await session.get(Municipality, person.municipality_id)
    try:
        period = normalize_period(command.args) if (command.args or "").strip() else mc.default_year(calendar, municipality.timezone, now)
    except PeriodError as exc:
        await message.answer(escape(str(exc)))
        return
    await _send_view(message, await mc.plan_view(session, calendar, municipality, period, now))


async def calendar_button(
    callback: CallbackQuery, callback_data: CalendarCb, state: FSMContext, session: AsyncSession, person: Person | None,
    now: dt.datetime, calendar: mc.CalendarDef,
) -> None:
    if not is_coordinator(person):
        await callback.answer(texts.COORDINATORS_ONLY, show_alert=True)
        return
    municipality = await session.get(Municipality, person.municipality_id)
    action = callback_data.a
    if action == CalendarAction.PLAN:
        start = callback_data.id
        try:
            period = normalize_period(f"{start}-{start + 1}")
        except PeriodError as exc:
            raise ServiceError(str(exc)) from None
        result = await mc.make_plan(session, calendar, municipality, period, now)  # a refusal goes to the errors router
        await callback.answer()
        await _send_view(callback.message, result.view, _plan_note(result, municipality.timezone))
        return
    item = await mc.plan_item(session, municipality, callback_data.id)
    view = await mc.plan_view(session, calendar, municipality, item.period, now)
    line = view.line(item.id)
    what = escape(texts.CALENDAR_WHAT[item.kind].format(pack_title=line.pack_title))
    tz = municipality.timezone
    if action == CalendarAction.SHIFT_ASK:
        await mc.ensure_shiftable(session, municipality, item)
        await state.set_state(CalendarShift.date)
        await state.set_data({"item": item.id})
        kb = InlineKeyboardBuilder()
        kb.button(text=texts.BTN_CANCEL, callback_data=CalendarCb(a=CalendarAction.SHIFT_CANCEL, id=item.id))
        example = (max(item.opens_at, now) + dt.timedelta(days=7))
        await callback.answer()
        await callback.message.answer(texts.CALENDAR_SHIFT_ASK.format(
            what=what, title=escape(item.title), opens=texts.local_time(item.opens_at, tz),
            deadline=texts.local_time(item.deadline, tz), example=texts.local_time(example, tz)[:10] + " 10:00",
            hour=calendar.opening_time.strftime("%H:%M"),
        ), reply_markup=kb.as_markup())
    elif action == CalendarAction.SHIFT_CANCEL:
        await state.clear()
        await callback.answer(texts.CALENDAR_SHIFT_CANCELLED)
        await callback.message.edit_text(texts.CALENDAR_SHIFT_CANCELLED)
    elif action == CalendarAction.SKIP_ASK:
        await mc.ensure_skippable(session, item)
        kb = InlineKeyboardBuilder()
        kb.button(text=texts.BTN_CALENDAR_SKIP_YES, callback_data=CalendarCb(a=CalendarAction.SKIP, id=item.id))
        kb.button(text=texts.BTN_CANCEL, callback_data=CalendarCb(a=CalendarAction.SKIP_CANCEL, id=item.id))
        await callback.answer()
        await callback.message.answer(texts.CALENDAR_SKIP_ASK.format(
            n=line.number, what=what, title=escape(item.title), opens=texts.local_time(item.opens_at, tz),
            consequence=texts.CALENDAR_SKIP_CONSEQUENCE[item.kind].format(period=escape(item.period)),
        ), reply_markup=kb.as_markup())
    elif action == CalendarAction.SKIP:
        await mc.skip_item(session, item, now)
        done = texts.CALENDAR_SKIPPED.format(n=line.number, what=what)
        await callback.answer(done)
        await _send_view(callback.message, await mc.plan_view(session, calendar, municipality, item.period, now), done)
    elif action == CalendarAction.SKIP_CANCEL:
        await callback.answer()
        await callback.message.edit_text(texts.CALENDAR_NOT_SKIPPED.format(n=line.number))


def _plan_note(result: mc.PlanResult, timezone: str) -> str:
    view = result.view
    if not result.already:
        kinds = [line.kind for line in view.lines]
        return texts.CALENDAR_PLANNED_NOW.format(period=view.period, added=result.added, campaigns=kinds.count(mc.CAMPAIGN),
                                                 tasks=kinds.count(mc.TASK))
    made = texts.local_time(view.made_at, timezone)
    if result.added:
        return texts.CALENDAR_PLANNED_MORE.format(period=view.period, made=made, added=result.added)
    return texts.CALENDAR_PLANNED_AGAIN.format(period=view.period, made=made)


async def typed_date(
    message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime,
    calendar: mc.CalendarDef,
) -> None:
    """The new date of the item being shifted; a date that does not do is asked again, nothing changes."""
    if not is_coordinator(person):
        await state.clear()
        return
    municipality = await session.get(Municipality, person.municipality_id)
    item_id = (await state.get_data()).get("item")
    item = await session.get(CalendarItem, item_id) if isinstance(item_id, int) else None
    if item is None or item.municipality_id != municipality.id:
        await state.clear()
        await message.answer(texts.CALENDAR_STALE)
        return
    try:
        await mc.ensure_shiftable(session, municipality, item)
    except ServiceError as exc:  # done meanwhile (opened, sent): nothing to shift any more
        await state.clear()
        await message.answer(escape(exc.message))
        return
    try:
        when = parse_local(message.text or "", municipality.timezone, calendar.opening_time.hour)
        await mc.shift_item(session, municipality, item, when, now)
    except ServiceError as exc:
        await message.answer(texts.REPROMPT.format(error=escape(exc.message)))
        return
    await state.clear()
    view = await mc.plan_view(session, calendar, municipality, item.period, now)
    line = view.line(item.id)
    done = texts.CALENDAR_SHIFTED.format(
        n=line.number, what=escape(texts.CALENDAR_WHAT[item.kind].format(pack_title=line.pack_title)),
        opens=texts.local_time(item.opens_at, municipality.timezone), deadline=texts.local_time(item.deadline, municipality.timezone),
    )
    await _send_view(message, view, done)


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
