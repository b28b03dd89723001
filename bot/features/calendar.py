"""Coordinators plan the school year (/calendar): the plan, shifting an item to a typed date, skipping one."""

import datetime as dt

from bot import texts
from bot.callbacks import (
    CalendarAction,
    CalendarCb,
)
from bot.chat import Buttons, Chat
from bot.context import Context
from monitoring import calendar as mc
from monitoring import campaigns as campaign_service
from storage.registry import places
from surveys.errors import ServiceError
from surveys.periods import (
    PeriodError,
    normalize_period,
)
from surveys.screens import Rich, plain
from surveys.subjects import is_coordinator


class CalendarShift:
    """The step of a shift: the new date typed as the next message (bot.conversation)."""

    date = "CalendarShift:date"


def _plan_lines(view: mc.PlanView, note: str | None = None) -> tuple[list[Rich], Buttons]:
    """The plan's lines, and its buttons: a row a line (shift, skip), the plan's own."""
    tz = view.timezone
    lines = [note, ""] if note else []
    lines += [*texts.calendar_head(view), ""]
    board: Buttons = []
    for line in view.lines:
        lines += [*texts.calendar_line(line, view.period, tz), ""]
        row = []
        if line.can_shift:
            row.append((texts.BTN_CALENDAR_SHIFT.format(n=line.number), CalendarCb(a=CalendarAction.SHIFT_ASK, id=line.item_id)))
        if line.can_skip:
            row.append((texts.BTN_CALENDAR_SKIP.format(n=line.number), CalendarCb(a=CalendarAction.SKIP_ASK, id=line.item_id)))
        if row:
            board.append(row)
    lines.append(texts.CALENDAR_FOOTER)
    if not view.planned and not view.ended:
        board.append([(texts.BTN_CALENDAR_PLAN.format(period=view.period),
                       CalendarCb(a=CalendarAction.PLAN, id=int(view.period[:4])))])
    return [plain(text) for text in lines], board


async def _send_plan(chat: Chat, view: mc.PlanView, note: str | None = None) -> None:
    """The plan in messages within the channel's limit, the buttons under the last."""
    lines, board = _plan_lines(view, note)
    await chat.say_lines(lines, board or None)


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


async def show_calendar(ctx: Context, args: str) -> None:
    """/calendar [school year]: the plan (or the methodology's calendar, with a button that makes the plan)."""
    chat, state, session, person, now, calendar = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now, ctx.services.calendar
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    await state.clear()
    municipality = ctx.municipality  # read only: the plan shown in its timezone
    try:
        period = normalize_period(args) if (args or "").strip() else mc.default_year(calendar, municipality.timezone, now)
    except PeriodError as exc:
        await chat.say(str(exc))
        return
    await _send_plan(chat, await mc.plan_view(session, calendar, municipality, period, now))


async def calendar_button(ctx: Context, data: CalendarCb) -> None:
    """Make the plan, shift an item (the date is typed next), skip one (after a confirmation). Refusals are the
    service's Russian messages (ServiceError), answered by the pipeline: nothing changed."""
    chat, state, session, person, now, calendar = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now, ctx.services.calendar
    if not is_coordinator(person):
        await chat.ack(texts.COORDINATORS_ONLY, alert=True)
        return
    municipality, _ = await places(session, person.municipality_id)  # read now: the plan is written
    action = data.a
    if action == CalendarAction.PLAN:
        start = data.id
        try:
            period = normalize_period(f"{start}-{start + 1}")
        except PeriodError as exc:
            raise ServiceError(str(exc)) from None
        result = await mc.make_plan(session, calendar, municipality, period, now)
        await chat.ack()
        await _send_plan(chat, result.view, _plan_note(result, municipality.timezone))
        return
    item = await mc.plan_item(session, municipality, data.id)
    view = await mc.plan_view(session, calendar, municipality, item.period, now)
    line = view.line(item.id)
    what = texts.CALENDAR_WHAT[item.kind].format(pack_title=line.pack_title)
    tz = municipality.timezone
    if action == CalendarAction.SHIFT_ASK:
        await mc.ensure_shiftable(session, municipality, item)
        await state.set_state(CalendarShift.date)
        await state.set_data({"item": item.id})
        example = max(item.opens_at, now) + dt.timedelta(days=7)
        await chat.ack()
        await chat.say(texts.CALENDAR_SHIFT_ASK.format(
            what=what, title=item.title, opens=texts.local_time(item.opens_at, tz),
            deadline=texts.local_time(item.deadline, tz), example=texts.local_time(example, tz)[:10] + " 10:00",
            hour=calendar.opening_time.strftime("%H:%M"),
        ), [[(texts.BTN_CANCEL, CalendarCb(a=CalendarAction.SHIFT_CANCEL, id=item.id))]])
    elif action == CalendarAction.SHIFT_CANCEL:
        await state.clear()
        await chat.ack(texts.CALENDAR_SHIFT_CANCELLED)
        await chat.edit(texts.CALENDAR_SHIFT_CANCELLED)
    elif action == CalendarAction.SKIP_ASK:
        await mc.ensure_skippable(session, item)
        await chat.ack()
        await chat.say(texts.CALENDAR_SKIP_ASK.format(
            n=line.number, what=what, title=item.title, opens=texts.local_time(item.opens_at, tz),
            consequence=texts.CALENDAR_SKIP_CONSEQUENCE[item.kind].format(period=item.period),
        ), [[(texts.BTN_CALENDAR_SKIP_YES, CalendarCb(a=CalendarAction.SKIP, id=item.id)),
             (texts.BTN_CANCEL, CalendarCb(a=CalendarAction.SKIP_CANCEL, id=item.id))]])
    elif action == CalendarAction.SKIP:
        await mc.skip_item(session, item, now)
        done = texts.CALENDAR_SKIPPED.format(n=line.number, what=texts.CALENDAR_WHAT[item.kind].format(pack_title=line.pack_title))
        await chat.ack(done)
        await _send_plan(chat, await mc.plan_view(session, calendar, municipality, item.period, now), done)
    elif action == CalendarAction.SKIP_CANCEL:
        await chat.ack()
        await chat.edit(texts.CALENDAR_NOT_SKIPPED.format(n=line.number))


async def typed_date(ctx: Context, text: str | None) -> None:
    """The new date of the item being shifted; a date that does not do is asked again, nothing changes."""
    chat, state, session, person, now, calendar = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now, ctx.services.calendar
    if not is_coordinator(person):
        await state.clear()
        return
    municipality, _ = await places(session, person.municipality_id)  # read now: the plan is written
    item = await mc.find_item(session, municipality.id, (await state.get_data()).get("item"))
    if item is None:
        await state.clear()
        await chat.say(texts.CALENDAR_STALE)
        return
    try:
        await mc.ensure_shiftable(session, municipality, item)
    except ServiceError as exc:  # done meanwhile (opened, sent): nothing to shift any more
        await state.clear()
        await chat.say(exc.message)
        return
    try:
        when = campaign_service.parse_local(text or "", municipality.timezone, calendar.opening_time.hour)
        await mc.shift_item(session, municipality, item, when, now)
    except ServiceError as exc:
        await chat.say(texts.REPROMPT.format(error=exc.message))
        return
    await state.clear()
    view = await mc.plan_view(session, calendar, municipality, item.period, now)
    line = view.line(item.id)
    done = texts.CALENDAR_SHIFTED.format(
        n=line.number, what=texts.CALENDAR_WHAT[item.kind].format(pack_title=line.pack_title),
        opens=texts.local_time(item.opens_at, municipality.timezone), deadline=texts.local_time(item.deadline, municipality.timezone),
    )
    await _send_plan(chat, view, done)
