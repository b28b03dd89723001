"""Coordinators manage campaigns: /campaigns (extend, close, reopen, return a school's questionnaire) and the
/newcampaign wizard."""

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import (
    CampaignAction,
    CampaignCb,
    NewCampaignCb,
    ReturnAction,
    ReturnCb,
)
from bot.chat import Buttons, Chat, rows
from bot.context import Context
from bot.conversation import Conversation
from monitoring import campaigns as campaign_service
from monitoring import returns as returns_service
from monitoring.schedule import DEFAULT_OFFSETS, DEFAULT_QUIET, days_left, offsets_text, quiet_text
from storage.models import Campaign, CampaignState, Municipality, Person
from storage.privacy import operator_of, set_operator_command
from storage.registry import places
from storage.wording import zone_label
from surveys.errors import ServiceError
from surveys.loader import available_packs, load_pack
from surveys.model import Audience
from surveys.periods import (
    PeriodError,
    next_school_year,
    normalize_period,
    school_year_of,
)
from surveys.screens import Rich, join
from surveys.subjects import is_coordinator


class NewCampaign:
    """The wizard's steps where a value is typed (bot.conversation)."""

    period = "NewCampaign:period"
    deadline = "NewCampaign:deadline"


FILTERS = (None, "shnro", "shnsu", "risk_zone", "shnro,shnsu")
DEADLINE_DAYS = (7, 14, 30)
LISTED = 15


async def _campaign_list(session: AsyncSession, person: Person, now: dt.datetime) -> tuple[Rich | str, Buttons]:
    """Newest first by number, two buttons a campaign (and «return a school's questionnaire» under a school
    campaign) in the same places whatever was done to it."""
    items = await campaign_service.municipality_campaigns(session, person.municipality_id)
    new = (texts.BTN_NEW_CAMPAIGN, NewCampaignCb(step="start"))
    if not items:
        return texts.CAMPAIGNS_EMPTY, [[new]]
    lines = [texts.CAMPAIGN_LIST_HEADER]
    board: Buttons = []
    for campaign in items[:LISTED]:
        done = await campaign_service.completion(session, campaign)
        where = campaign.state(now)
        lines.append(texts.campaign_item(
            id=campaign.id, title=campaign.survey_version.title, period=campaign.period,
            audience=campaign_service.audience_title(campaign.audience, campaign.status_filter),
            when=_when(campaign, where, now), completion=done.summary(),
            reminders=_reminders(campaign.reminder_offsets, campaign.quiet_hours)
            if where in (CampaignState.NOT_YET, CampaignState.OPEN) else None,
        ))
        extend = (f"№{campaign.id}: продлить", CampaignCb(a=CampaignAction.EXTEND_MENU, id=campaign.id))
        if campaign.closed_at is None:
            board.append([extend, (f"№{campaign.id}: закрыть", CampaignCb(a=CampaignAction.CLOSE_ASK, id=campaign.id))])
        else:
            board.append([extend, (f"№{campaign.id}: открыть снова", CampaignCb(a=CampaignAction.REOPEN, id=campaign.id))])
        if campaign.audience == Audience.SCHOOL:  # whatever its state: the buttons keep their places
            board.append([(texts.BTN_RETURN_SCHOOL.format(id=campaign.id), CampaignCb(a=CampaignAction.RETURNS, id=campaign.id))])
    if len(items) > LISTED:
        lines.append(texts.CAMPAIGNS_MORE.format(n=len(items) - LISTED))
    return join(lines, "\n\n"), board + [[new]]


def _when(campaign: Campaign, where: CampaignState, now: dt.datetime) -> str:
    """The campaign's state with its deadline, said once, in its time zone."""
    tz = campaign.timezone
    return texts.CAMPAIGN_WHEN[where.value].format(
        opens=texts.deadline_text(campaign.opens_at, tz), deadline=texts.deadline_text(campaign.deadline, tz),
        closed=texts.deadline_text(campaign.closed_at, tz) if campaign.closed_at else "",
        zone=zone_label(tz, campaign.deadline), left=days_left(now, campaign.deadline, tz),
    )


def _reminders(offsets: list[str] | tuple[str, ...], quiet: str) -> str:
    return f"{offsets_text(offsets)}; {quiet_text(quiet)}"


async def list_campaigns(ctx: Context) -> None:
    chat, session, person, now = ctx.chat, ctx.session, ctx.person, ctx.now
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    text, buttons = await _campaign_list(session, person, now)
    municipality, _ = await places(session, person.municipality_id)  # read now: the person's copy may be a minute old
    if municipality is not None and operator_of(municipality) is None:  # nobody can register: say so where it is seen
        text = join([texts.OPERATOR_MISSING.format(command=set_operator_command(municipality)), text], "\n\n")
    await chat.say(text, buttons)


async def campaign_button(ctx: Context, data: CampaignCb) -> None:
    chat, session, person, now = ctx.chat, ctx.session, ctx.person, ctx.now
    if not is_coordinator(person):
        await chat.ack(texts.COORDINATORS_ONLY, alert=True)
        return
    if not chat.private:
        await chat.ack(texts.CAMPAIGNS_PRIVATE, alert=True)
        return
    campaign = await campaign_service.owned_campaign(session, person.municipality_id, data.id)
    action = data.a
    if action == CampaignAction.EXTEND_MENU:
        await chat.ack()
        choices = [(f"+{days} дн.", CampaignCb(a=CampaignAction.EXTEND, id=campaign.id, v=days))
                   for days in campaign_service.EXTEND_DAYS]
        await chat.say(texts.EXTEND_ASK.format(id=campaign.id, deadline=texts.deadline_text(campaign.deadline, campaign.timezone)),
                       rows(choices, 4))
        return
    if action == CampaignAction.CLOSE_ASK:
        if campaign.closed_at is not None:
            await chat.ack("Кампания уже закрыта.", alert=True)
            return
        await chat.ack()
        await chat.say(
            texts.CLOSE_ASK.format(id=campaign.id, title=campaign.survey_version.title, period=campaign.period),
            [[(texts.BTN_CLOSE_YES, CampaignCb(a=CampaignAction.CLOSE, id=campaign.id)),
              (texts.BTN_CANCEL, CampaignCb(a=CampaignAction.CANCEL, id=campaign.id))]],
        )
        return
    if action == CampaignAction.RETURNS:
        text, buttons = await return_school_list(session, person, campaign.id, data.v)
        await chat.ack()
        await chat.say(text, buttons or None)
        return
    if action == CampaignAction.CANCEL:
        await chat.ack(texts.NEW_CANCELLED)
        await chat.edit(texts.CLOSE_CANCELLED.format(id=campaign.id))
        return
    if action == CampaignAction.EXTEND:  # refusals (ServiceError) go to the errors handler; the session rolls back
        await campaign_service.extend_by_days(session, campaign, data.v, now)
        done = texts.EXTENDED.format(id=campaign.id, deadline=texts.deadline_text(campaign.deadline, campaign.timezone))
    elif action == CampaignAction.CLOSE:
        await campaign_service.close_campaign(session, campaign, now)
        done = texts.CLOSED.format(id=campaign.id)
    elif action == CampaignAction.REOPEN:
        await campaign_service.reopen_campaign(session, campaign, now)
        done = texts.REOPENED.format(id=campaign.id)
    else:
        raise ServiceError("Такого действия нет.")
    await chat.ack(done)  # the change is committed before this call
    ctx.wake_outbox()
    text, buttons = await _campaign_list(session, person, now)
    await chat.say(join([done, text], "\n\n"), buttons)


RETURN_PAGE = 30  # schools a page of the coordinator's return list


async def return_school_list(session: AsyncSession, person: Person | None, campaign_id: int,
                             page: int = 0) -> tuple[str, Buttons]:
    """A coordinator's school campaign: the schools that submitted, a button each, RETURN_PAGE a page (from /campaigns)."""
    campaign, found = await returns_service.submitted_schools(session, person, campaign_id)
    fields = {"id": campaign.id, "title": campaign.survey_version.title, "period": campaign.period}
    if not found:
        return texts.RETURN_NO_SCHOOLS.format(**fields), []
    board: Buttons = [[(name, ReturnCb(a=ReturnAction.ASK, r=response_id))]
                      for response_id, name in found[page * RETURN_PAGE:(page + 1) * RETURN_PAGE]]
    nav = []
    if page > 0:
        nav.append((texts.BTN_PREVIOUS_PAGE, CampaignCb(a=CampaignAction.RETURNS, id=campaign.id, v=page - 1)))
    if (page + 1) * RETURN_PAGE < len(found):
        nav.append((texts.BTN_NEXT_PAGE, CampaignCb(a=CampaignAction.RETURNS, id=campaign.id, v=page + 1)))
    if nav:
        board.append(nav)
    return texts.RETURN_PICK_SCHOOL.format(n=len(found), **fields), board


def _pack_step() -> tuple[str, Buttons]:
    return texts.NEW_PACK, [[(load_pack(name).title, NewCampaignCb(step="pack", v=n))] for n, name in enumerate(available_packs())]


async def new_campaign(ctx: Context) -> None:
    chat, state, person = ctx.chat, ctx.state, ctx.person
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    await state.clear()
    await chat.say(*_pack_step())


async def new_campaign_button(ctx: Context, data: NewCampaignCb) -> None:
    chat, state, session, person, now = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now
    if not is_coordinator(person):
        await chat.ack(texts.COORDINATORS_ONLY, alert=True)
        return
    if not chat.private:
        await chat.ack(texts.CAMPAIGNS_PRIVATE, alert=True)
        return
    municipality, _ = await places(session, person.municipality_id)  # read now: a campaign may be created
    stored = await state.get_data()
    step, value = data.step, data.v
    await chat.ack()
    if step == "start":
        await state.clear()
        await chat.say(*_pack_step())
    elif step == "pack":
        packs = available_packs()
        if not 0 <= value < len(packs):
            return
        await state.set_data({"pack": packs[value]})
        if load_pack(packs[value]).audience.value == "municipality":
            await _ask_period(chat, state, municipality, now)
            return
        await chat.say(texts.NEW_FILTER, [[(texts.FILTER_BUTTONS[f], NewCampaignCb(step="filter", v=n))] for n, f in enumerate(FILTERS)])
    elif step == "filter" and "pack" in stored and 0 <= value < len(FILTERS):
        await state.update_data(filter=FILTERS[value])
        await _ask_period(chat, state, municipality, now)
    elif step == "period" and "pack" in stored and value in (0, 1):
        current = school_year_of(now, municipality.timezone)
        await state.update_data(period=current if value == 0 else next_school_year(current))
        await _ask_deadline(chat, state)
    elif step == "deadline" and "period" in stored and value in DEADLINE_DAYS:
        local = (now + dt.timedelta(days=value)).astimezone(ZoneInfo(municipality.timezone))
        deadline = local.replace(hour=campaign_service.DATE_ONLY_HOUR, minute=0, second=0, microsecond=0)
        await state.update_data(deadline=deadline.astimezone(dt.UTC).isoformat())
        await _confirm(chat, state, municipality)
    elif step == "open" and "deadline" in stored:
        survey = load_pack(stored["pack"])
        campaign = await campaign_service.create_campaign(  # a refusal goes to the errors handler
            session, municipality=municipality, survey=survey, period=stored["period"],
            deadline=dt.datetime.fromisoformat(stored["deadline"]), status_filter=stored.get("filter"), now=now,
        )
        await state.clear()
        await chat.say(texts.CAMPAIGN_OPENED.format(id=campaign.id, title=survey.title))
        ctx.wake_outbox()
    elif step == "cancel":
        await state.clear()
        await chat.say(texts.NEW_CANCELLED)
    else:
        await chat.say(texts.NEW_STALE)


async def _ask_period(chat: Chat, state: Conversation, municipality: Municipality, now: dt.datetime) -> None:
    current = school_year_of(now, municipality.timezone)
    await state.set_state(NewCampaign.period)
    await chat.say(texts.NEW_PERIOD, [[(current, NewCampaignCb(step="period", v=0)),
                                       (next_school_year(current), NewCampaignCb(step="period", v=1))]])


async def _ask_deadline(chat: Chat, state: Conversation) -> None:
    await state.set_state(NewCampaign.deadline)
    await chat.say(texts.NEW_DEADLINE, [[(f"через {days} дн.", NewCampaignCb(step="deadline", v=days)) for days in DEADLINE_DAYS]])


async def _confirm(chat: Chat, state: Conversation, municipality: Municipality) -> None:
    stored = await state.get_data()
    await state.set_state(None)
    deadline = dt.datetime.fromisoformat(stored["deadline"])
    survey = load_pack(stored["pack"])
    await chat.say(
        texts.new_confirm(
            title=survey.title, audience=campaign_service.audience_title(survey.audience, stored.get("filter")),
            period=stored["period"], deadline=texts.deadline_text(deadline, municipality.timezone),
            zone=zone_label(municipality.timezone, deadline), reminders=_reminders(DEFAULT_OFFSETS, DEFAULT_QUIET),
        ),
        [[(texts.BTN_OPEN_CAMPAIGN, NewCampaignCb(step="open")), (texts.BTN_CANCEL, NewCampaignCb(step="cancel"))]],
    )


async def typed_period(ctx: Context, text: str | None) -> None:
    chat, state, person = ctx.chat, ctx.state, ctx.person
    if not is_coordinator(person):
        return
    try:
        period = normalize_period(text)
    except PeriodError as exc:
        await chat.say(texts.REPROMPT.format(error=str(exc)))
        return
    await state.update_data(period=period)
    await _ask_deadline(chat, state)


async def typed_deadline(ctx: Context, text: str | None) -> None:
    chat, state, person, now = ctx.chat, ctx.state, ctx.person, ctx.now
    if not is_coordinator(person):
        return
    municipality = ctx.municipality  # read only: its timezone
    try:
        deadline = campaign_service.parse_deadline(text or "", municipality.timezone)
    except ServiceError as exc:
        await chat.say(texts.REPROMPT.format(error=str(exc)))
        return
    if deadline <= now:
        await chat.say(texts.NEW_DEADLINE_PAST)
        return
    await state.update_data(deadline=deadline.isoformat())
    await _confirm(chat, state, municipality)
