"""Deputies chase their school (/missing): who has not registered, started or sent; nudges, returns, the invite."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import (
    ChaseAction,
    ChaseCb,
    ReturnAction,
    ReturnCb,
)
from bot.chat import Buttons, Chat
from bot.context import Context
from bot.features.common import when_sent
from monitoring import chase as chase_service
from monitoring.completion import FORM_STATES
from monitoring.schedule import human_left
from storage.models import Person, Role
from storage.wording import count
from surveys.screens import Rich, lines

NAMES_SHOWN = (40, 10)  # names of a list in the /missing message; the fewer when long names would not fit
CHASE_PAGE = 20  # teachers a page of buttons


def _chase_names(teachers: tuple[chase_service.Teacher, ...], day: dt.date, shown: int) -> str:
    if not teachers:
        return texts.MISSING_NOBODY
    out = []
    for t in teachers[:shown]:
        marks = []
        if not t.reachable:
            marks.append(texts.MISSING_MARK_UNREACHABLE)
        elif t.nudged is not None:
            marks.append(texts.MISSING_MARK_NUDGED.format(day=f"{day:%d.%m}"))
        out.append(t.name + (f" ({'; '.join(marks)})" if marks else ""))
    more = len(teachers) - shown
    return ", ".join(out) + (f" и ещё {more}" if more > 0 else "")


def _registration(view: chase_service.SchoolChase) -> str:
    registered = len(view.teachers)
    if view.declared is None:
        return texts.MISSING_UNDECLARED.format(registered=registered)
    if view.not_registered:
        return texts.MISSING_NOT_REGISTERED.format(n=view.not_registered, declared=view.declared, registered=registered)
    return texts.MISSING_ALL_REGISTERED.format(declared=view.declared, registered=registered)


def _missing_screen(view: chase_service.SchoolChase, school_name: str, now: dt.datetime, limit: int) -> tuple[Rich, Buttons]:
    """The school's /missing message, as many names shown as one message of the channel (`limit` characters) holds."""
    campaign = view.campaign
    for shown in NAMES_SHOWN:
        text = lines(texts.missing_header(school_name), "", texts.missing_campaign(
            title=campaign.survey_version.title, period=campaign.period,
            left=human_left(now, campaign.deadline, campaign.timezone), completion=view.completion.text(),
            registration=_registration(view),
            not_started=len(view.not_started), not_started_names=_chase_names(view.not_started, view.day, shown),
            drafts=len(view.drafts), draft_names=_chase_names(view.drafts, view.day, shown),
            submitted=len(view.submitted), form=FORM_STATES.get(view.form, FORM_STATES[None]),
        ))
        if len(text.plain_text) <= limit:
            break
    board: Buttons = []
    if view.missing:
        n, m = len(view.can_nudge), len(view.missing)
        label = texts.BTN_NUDGE_ALL.format(n=m) if n == m else texts.BTN_NUDGE_REST.format(n=n, m=m)
        board.append([(label, ChaseCb(a=ChaseAction.NUDGE_ALL, c=campaign.id))])
        board.append([(texts.BTN_NUDGE_PICK, ChaseCb(a=ChaseAction.PICK, c=campaign.id))])
    if view.submitted:
        board.append([(texts.BTN_RETURN_PICK, ChaseCb(a=ChaseAction.SUBMITTED, c=campaign.id))])
    board.append([(texts.BTN_INVITE, ChaseCb(a=ChaseAction.INVITE, c=0))])
    return text, board


async def missing(ctx: Context) -> None:
    """/missing: for each open teacher questionnaire of the deputy's school, who has not registered, started, sent."""
    chat, state, session, person, now = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now
    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        await chat.say(texts.MISSING_DEPUTIES_ONLY)
        return
    if await state.get_state() is not None:
        await state.clear()  # a return left waiting for its comment: /missing starts over
    school, views = await chase_service.school_view(session, person, now)
    if not views:
        await chat.say(lines(texts.missing_header(school.short_name), "", texts.MISSING_NO_CAMPAIGN),
                       [[(texts.BTN_INVITE, ChaseCb(a=ChaseAction.INVITE, c=0))]])
        return
    for view in views:
        await chat.say(*_missing_screen(view, school.short_name, now, chat.limit))


def _pages(board: Buttons, page: int, total: int, at: Any) -> None:
    """«← Назад» / «Далее →» under a paged list; `at(page)` is the callback data of a page."""
    nav = []
    if page > 0:
        nav.append((texts.BTN_PREVIOUS_PAGE, at(page - 1)))
    if (page + 1) * CHASE_PAGE < total:
        nav.append((texts.BTN_NEXT_PAGE, at(page + 1)))
    if nav:
        board.append(nav)


def _listed(teachers: tuple[chase_service.Teacher, ...]) -> str:
    return ", ".join(t.name for t in teachers)


async def chase_button(ctx: Context, data: ChaseCb) -> None:
    """The /missing buttons. Refusals (surveys.errors.Refused) are answered by the pipeline: nothing written."""
    chat, session, person, now = ctx.chat, ctx.session, ctx.person, ctx.now
    if person is None:
        await chat.ack(texts.NOT_REGISTERED, alert=True)
        return
    action = data.a
    if action == ChaseAction.INVITE:
        await _teacher_invite(chat, session, person, now, ctx.municipality.timezone)
        return
    if action in (ChaseAction.NUDGE_ALL, ChaseAction.NUDGE):
        result = await chase_service.nudge(session, person, data.c, data.p if action == ChaseAction.NUDGE else None, now)
        when = when_sent(result.due_at, result.timezone, result.quiet, now)
        lines = [texts.NUDGE_QUEUED.format(when=when, names=_listed(result.queued))]
        if result.already:
            lines.append(texts.NUDGE_ALREADY.format(day=f"{result.day:%d.%m}", names=_listed(result.already)))
        if result.unreachable:
            lines.append(texts.NUDGE_UNREACHABLE.format(names=_listed(result.unreachable)))
        await chat.ack(texts.NUDGE_QUEUED_SHORT.format(when=when, n=len(result.queued)))  # committed before the answer
        await chat.say("\n".join(lines))
        ctx.wake_outbox()
        return
    view = await chase_service.deputy_campaign(session, person, data.c, now)
    campaign = view.campaign
    title, period = campaign.survey_version.title, campaign.period
    page = data.v
    board: Buttons = []
    if action == ChaseAction.PICK:
        people = view.missing
        if not people:
            await chat.ack()
            await chat.say(texts.NUDGE_PICK_NOBODY.format(title=title, period=period))
            return
        for t in people[page * CHASE_PAGE:(page + 1) * CHASE_PAGE]:
            label = ("✓ " if t.nudged else "") + t.name
            if t.state == "draft":
                label += " · начал(а)"
            if not t.reachable:
                label += " · бот не может написать"
            board.append([(label, ChaseCb(a=ChaseAction.NUDGE, c=campaign.id, p=t.id))])
        _pages(board, page, len(people), lambda v: ChaseCb(a=action, c=campaign.id, v=v))
        text = texts.NUDGE_PICK.format(title=title, period=period, n=len(people), day=f"{view.day:%d.%m}")
    else:  # SUBMITTED: which questionnaire to return for correction
        people = view.submitted
        if not people:
            await chat.ack()
            await chat.say(texts.RETURN_NO_TEACHERS.format(title=title, period=period))
            return
        for t in people[page * CHASE_PAGE:(page + 1) * CHASE_PAGE]:
            board.append([(t.name, ReturnCb(a=ReturnAction.ASK, r=t.response_id))])
        _pages(board, page, len(people), lambda v: ChaseCb(a=action, c=campaign.id, v=v))
        text = texts.RETURN_PICK_TEACHER.format(title=title, period=period, n=len(people))
    await chat.ack()
    await chat.say(text, board)


async def _teacher_invite(chat: Chat, session: AsyncSession, person: Person, now: dt.datetime, timezone: str) -> None:
    """The school's teacher invite as a message to forward, with its start link in the deputy's channel."""
    school, invite = await chase_service.teacher_invite(session, person, now)
    await chat.ack()
    if invite is None:
        await chat.say(texts.INVITE_NONE)
        return
    expires = f"{invite.expires_at.astimezone(ZoneInfo(timezone)):%d.%m.%Y}"
    link = await chat.start_link(invite.token)
    invitation = texts.INVITE_FOR_TEACHERS.format(school=school.short_name, link=link, expires=expires)
    await chat.say(invitation)
    left = invite.max_uses - invite.uses
    await chat.say(texts.INVITE_FORWARD[chat.channel].format(left=count(left, "человек", "человека", "человек"), expires=expires),
                   [[chat.share_button(link, invitation)]])
