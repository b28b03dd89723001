"""What the bot does for a person, written once for every channel.

Each flow takes the chat it answers (bot.chat.Chat: Telegram's or MAX's), the conversation state
(aiogram's FSMContext over the shared storage, keyed per channel), the handler's session and the
person (None for a stranger), and speaks through the chat: the channel's handlers only read their
update, pick the flow and hand it these. Rules live in the services (storage.registry, storage.privacy,
monitoring.campaigns, monitoring.chase, monitoring.returns, monitoring.calendar, scoring.service, bot.access);
the texts in bot.texts; the flows join them. A refusal a service raises (surveys.errors) is answered by the
channel's error handling, in Russian, with the update's writes rolled back.

The questionnaire itself is not here: each channel's handler calls surveys.answering and renders the
neutral screens (surveys.screens) with its own renderer, the one path where a call saved matters.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.access import set_coordinators_chat, summary_refusal
from bot.callbacks import (
    CalendarAction,
    CalendarCb,
    CampaignAction,
    CampaignCb,
    CardExport,
    CardWord,
    ChaseAction,
    ChaseCb,
    ConsentCb,
    ForgetCb,
    NewCampaignCb,
    OpenSurvey,
    ReturnAction,
    ReturnCb,
)
from bot.chat import Buttons, Chat, rows
from bot.render import split_html
from monitoring import calendar as mc
from monitoring import campaigns as campaign_service
from monitoring.campaigns import STATE_TITLES
from monitoring import chase as chase_service
from monitoring import returns as returns_service
from monitoring.campaigns import campaigns_for
from monitoring.completion import FORM_STATES
from monitoring.schedule import human_left
from scoring.methodology import Methodology
from storage.accounts import CHANNEL_TITLES, accounts_of
from storage.models import CalendarItem, CampaignState, Municipality, Person, Role, School
from storage.privacy import (
    ConsentText,
    consent_text,
    log_access,
    record_consent,
    stored_about,
)
from storage.registry import (
    InviteProblem,
    RegistryError,
    check_invite,
    create_link,
    forget_person,
    link_account,
    normalize_full_name,
    register_person,
)
from surveys.answering import Answering
from surveys.errors import BadInput, Refused, ServiceError
from surveys.loader import available_packs, load_pack
from surveys.model import Audience
from surveys.periods import (
    PeriodError,
    next_school_year,
    normalize_period,
    school_year_of,
)
from surveys.screens import campaigns_screen, local_time, screen_of
from surveys.subjects import is_coordinator, subject_id


class Registration(StatesGroup):
    consent = State()
    full_name = State()


class NewCampaign(StatesGroup):
    period = State()
    deadline = State()


async def describe(session: AsyncSession, person: Person) -> str:
    parts = [texts.ROLE_TITLES.get(person.role, person.role)]
    if person.school_id:
        school = await session.get(School, person.school_id)
        if school:
            parts.append(school.name)
    municipality = await session.get(Municipality, person.municipality_id)
    if municipality:
        parts.append(municipality.name)
    return ", ".join(parts)


def screen_buttons(screen: Any) -> Buttons:
    """A neutral screen's buttons (surveys.screens) as callback data: the campaigns list's «Начать» buttons."""
    return [[(b.label, OpenSurvey(campaign=b.action.campaign)) for b in row] for row in screen.buttons]


# --- registration --------------------------------------------------------------------------


async def start_with_token(chat: Chat, token: str, state: FSMContext, session: AsyncSession, person: Person | None,
                           now: dt.datetime, registered: Any = None) -> None:
    """An invite deep link (Telegram's /start payload, MAX's start payload): the consent first, then the name;
    a one-time link of a second channel attaches this account to its person at once."""
    if person is not None:
        await chat.say(texts.ALREADY_REGISTERED.format(who=escape(await describe(session, person))))
        return
    checked = await check_invite(session, token or "", now)
    if isinstance(checked, InviteProblem):
        await chat.say(texts.INVITE_PROBLEMS[checked.value])
        return
    if checked.person_id is not None:
        linked = await link_account(session, token=checked.token, channel=chat.channel, account_id=chat.user_id,
                                    chat_id=chat.chat_id, now=now)
        if isinstance(linked, InviteProblem):
            await chat.say(texts.INVITE_PROBLEMS[linked.value])
            return
        await session.flush()
        chat.forget_identity()
        await state.clear()
        if registered is not None:
            await registered(linked.role)
        await chat.say(texts.LINKED.format(name=escape(linked.full_name), channel=CHANNEL_TITLES[chat.channel],
                                           who=escape(await describe(session, linked))))
        await show_campaigns(chat, session, linked, now)
        return
    where = ""
    if checked.school_id:
        school = await session.get(School, checked.school_id)
        where = f", {escape(school.name)}" if school else ""
    consent = consent_text(await session.get(Municipality, checked.municipality_id))
    await state.set_state(Registration.consent)
    await state.set_data({"token": checked.token, "role": checked.role, "where": where})
    await chat.say(texts.CONSENT_INTRO.format(role=texts.ROLE_TITLES[checked.role], where=where))
    await chat.say(escape(consent.text), [[(texts.BTN_CONSENT_YES, ConsentCb(ok=True)),
                                            (texts.BTN_CONSENT_NO, ConsentCb(ok=False))]])


async def consent_answer(chat: Chat, ok: bool, state: FSMContext, session: AsyncSession, person: Person | None,
                         now: dt.datetime) -> None:
    data = await state.get_data()
    if person is not None or await state.get_state() != Registration.consent.state or "token" not in data:
        await chat.ack(texts.CONSENT_STALE)
        return
    await chat.ack()
    await chat.drop_buttons()
    if not ok:
        await state.clear()
        await chat.say(texts.CONSENT_DECLINED)
        return
    invite = await check_invite(session, data["token"], now)
    if isinstance(invite, InviteProblem):
        await state.clear()
        await chat.say(texts.INVITE_PROBLEMS[invite.value])
        return
    consent = consent_text(await session.get(Municipality, invite.municipality_id))
    await state.set_state(Registration.full_name)
    await state.update_data(consent=consent.version, consent_text=consent.text, consent_at=now.isoformat())
    await chat.say(texts.ASK_FULL_NAME.format(role=texts.ROLE_TITLES[invite.role], where=data.get("where", "")))


async def full_name(chat: Chat, text: str | None, state: FSMContext, session: AsyncSession, person: Person | None,
                    now: dt.datetime, registered: Any = None, answering: Answering | None = None) -> None:
    if person is not None:
        await state.clear()
        await chat.say(texts.ALREADY_REGISTERED.format(who=escape(await describe(session, person))))
        return
    try:
        name = normalize_full_name(text)
    except RegistryError as exc:
        await chat.say(texts.REPROMPT.format(error=exc))
        return
    data = await state.get_data()
    if "consent" not in data:  # the consent was not given (an old conversation): ask for it first
        await state.clear()
        await chat.say(texts.CONSENT_FIRST)
        return
    done = await register_person(session, token=data.get("token", ""), tg_user_id=chat.user_id, account_id=chat.user_id,
                                 channel=chat.channel, chat_id=chat.chat_id, full_name=name, now=now)
    if isinstance(done, InviteProblem):
        await state.clear()
        await chat.say(texts.INVITE_PROBLEMS[done.value])
        return
    record_consent(session, done, ConsentText(data["consent_text"], data["consent"]),
                   dt.datetime.fromisoformat(data["consent_at"]))
    chat.forget_identity()  # committed before the first reply
    await state.clear()
    if registered is not None:
        await registered(done.role)
    await chat.say(texts.REGISTERED.format(name=escape(name), who=escape(await describe(session, done))))
    await show_campaigns(chat, session, done, now, answering)


async def name_not_text(chat: Chat) -> None:
    await chat.say(texts.REPROMPT.format(error="Напишите ФИО текстом, например: Иванова Мария Петровна."))


# --- the person's own menu -----------------------------------------------------------------


async def show_campaigns(chat: Chat, session: AsyncSession, person: Person, now: dt.datetime,
                         answering: Answering | None = None) -> None:
    """The person's open questionnaires; with `answering` (just registered), a single questionnaire not
    yet started opens at once: its first question follows without a press on «Начать»."""
    from bot.render import html

    entries = await campaigns_for(session, person, now)
    municipality = await session.get(Municipality, person.municipality_id)
    timezone = municipality.timezone if municipality else "UTC"
    if answering is not None and len(entries) == 1 and entries[0].status == "new":
        entry = entries[0]
        await chat.say(texts.STARTING.format(title=escape(entry.title), deadline=local_time(entry.campaign.deadline, timezone)))
        step = await answering.open(person, entry.campaign.id)
        await chat.show(screen_of(step.view))
        return
    screen = campaigns_screen(entries, timezone)
    await chat.say(html(screen.text), screen_buttons(screen) or None)


async def surveys(chat: Chat, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    if person is None:
        await state.clear()
        await chat.say(texts.NOT_REGISTERED)
        return
    await show_campaigns(chat, session, person, now)


async def help_(chat: Chat, person: Person | None) -> None:
    if not chat.private:
        await chat.say(texts.HELP_GROUP)
        return
    await chat.say(texts.HELP[person.role if person else None])


async def whoami(chat: Chat, session: AsyncSession, person: Person | None) -> None:
    if person is None:
        await chat.say(texts.NOT_REGISTERED)
        return
    await chat.say(texts.WHOAMI.format(name=escape(person.full_name), who=escape(await describe(session, person))))


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


async def link(chat: Chat, session: AsyncSession, person: Person | None, now: dt.datetime, links: dict[str, Any]) -> None:
    """/link: a one-time link that attaches the person's account in the other channel (`links`: channel -> a
    function making the start link from a token, for the channels this installation runs)."""
    if person is None:
        await chat.say(texts.NOT_REGISTERED)
        return
    others = [channel for channel in links if channel != chat.channel]
    if not others:
        await chat.say(texts.LINK_NO_OTHER.format(channel=CHANNEL_TITLES[chat.channel]))
        return
    invite = await create_link(session, person, now)
    for other in others:
        await chat.say(texts.LINK_ASK.format(other=CHANNEL_TITLES[other], link=escape(links[other](invite.token))))


# --- coordinators --------------------------------------------------------------------------


async def setchat(chat: Chat, session: AsyncSession, person: Person | None) -> None:
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    if chat.private:
        await chat.say(texts.SETCHAT_IN_GROUP)
        return
    municipality = await session.get(Municipality, person.municipality_id)
    refusal = await set_coordinators_chat(session, municipality, chat.chat_id, chat.channel)
    await chat.say(refusal or texts.SETCHAT_DONE.format(municipality=escape(municipality.name)))


async def _coordinators_municipality(chat: Chat, session: AsyncSession, person: Person | None) -> Municipality | None:
    """The municipality whose summary or report may be given in this chat, or None after saying why not."""
    municipality = await session.get(Municipality, person.municipality_id) if person else None
    refusal = summary_refusal(person, municipality, chat.chat_id, "private" if chat.private else "group", chat.channel)
    if refusal:
        await chat.say(refusal)
        return None
    return municipality


def _log_document(chat: Chat, session: AsyncSession, action: str, municipality: Municipality, person: Person | None,
                  period: str, now: dt.datetime) -> None:
    where = "группа координаторов" if not chat.private else "личный чат"
    log_access(session, action=action, municipality_id=municipality.id, person=person, detail=f"период {period}; {where}",
               now=now)


async def summary(chat: Chat, period: str | None, session: AsyncSession, person: Person | None,
                  methodology: Methodology, now: dt.datetime, split: Any) -> None:
    """/summary [period]: the lines (split by the channel's limit: `split`), the workbook and the charts."""
    from bot.render import html
    from scoring import report, text
    from scoring.service import ScoringError, build_summary

    municipality = await _coordinators_municipality(chat, session, person)
    if municipality is None:
        return
    async with chat.uploading():
        try:
            result = await build_summary(session, municipality, period or None, methodology, now=now)
        except ScoringError as exc:
            await chat.say(escape(str(exc)))
            return
        _log_document(chat, session, "summary", municipality, person, result.period, now)
        workbook, chart, dynamics = await asyncio.gather(
            asyncio.to_thread(report.workbook, result), asyncio.to_thread(report.chart, result),
            asyncio.to_thread(report.dynamics_chart, result),
        )
        for chunk in split([html(line) for line in text.summary_lines(result)]):
            await chat.say(chunk)
        name = f"shnor_{result.period}.xlsx".replace(" ", "_")
        await chat.send_file("document", name, workbook, texts.SUMMARY_WORKBOOK)
        await chat.send_file("photo", "summary.png", chart, texts.SUMMARY_CHART)
        if dynamics is not None:
            await chat.send_file("photo", "dynamics.png", dynamics, texts.SUMMARY_DYNAMICS)


async def report(chat: Chat, period: str | None, session: AsyncSession, person: Person | None,
                 methodology: Methodology, now: dt.datetime) -> None:
    """/report [period]: the analytical report as .docx, with the same access rules as /summary."""
    from scoring import word
    from scoring.service import ScoringError, build_report

    municipality = await _coordinators_municipality(chat, session, person)
    if municipality is None:
        return
    async with chat.uploading():
        try:
            data = await build_report(session, municipality, period or None, methodology, now=now)
        except ScoringError as exc:
            await chat.say(escape(str(exc)))
            return
        _log_document(chat, session, "report", municipality, person, data.summary.period, now)
        document = await asyncio.to_thread(word.report_docx, data)
        name = word.file_name("Справка", municipality.name, data.summary.period)
        await chat.send_file("document", name, document, texts.REPORT_DOCUMENT.format(
            period=escape(data.summary.period), periods=escape(", ".join(h.period for h in data.summary.history))))


# --- deputies: the school card -------------------------------------------------------------


async def _card(session: AsyncSession, person: Person | None, methodology: Methodology, now: dt.datetime, action: str):
    """The deputy's school card, or the refusal to show; a card shown is written to the access log."""
    from scoring.service import (  # report libraries load when a report is made
        ScoringError,
        school_card,
    )

    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        return texts.DEPUTIES_ONLY
    municipality = await session.get(Municipality, person.municipality_id)
    try:
        result, score = await school_card(session, municipality, person.school_id, methodology=methodology, now=now)
    except ScoringError as exc:
        return escape(str(exc))
    log_access(session, action=action, municipality_id=municipality.id, person=person,
               detail=f"{score.school.name}; период {result.period}", now=now)
    return result, score


async def card(chat: Chat, session: AsyncSession, person: Person | None, methodology: Methodology, now: dt.datetime,
               split: Any) -> None:
    result = await _card(session, person, methodology, now, "card")
    if isinstance(result, str):
        await chat.say(result)
        return
    from bot.render import html
    from scoring import text

    found, score = result
    chunks = split([html(line) for line in text.card_lines(found, score)])
    buttons = [[(texts.BTN_CARD_XLSX, CardExport(school=score.school.id)), (texts.BTN_CARD_DOCX, CardWord(school=score.school.id))]]
    for n, chunk in enumerate(chunks):
        await chat.say(chunk, buttons if n == len(chunks) - 1 else None)


async def card_file(chat: Chat, school_id: int, kind: str, session: AsyncSession, person: Person | None,
                    methodology: Methodology, now: dt.datetime) -> None:
    """The card as .xlsx (`kind` xlsx) or a one-page .docx (docx), for the deputy's own school only."""
    if person is None or person.school_id != school_id:
        await chat.ack(texts.NOT_YOURS, alert=True)
        return
    result = await _card(session, person, methodology, now, "card_xlsx" if kind == "xlsx" else "card_docx")
    if isinstance(result, str):
        await chat.ack(result, alert=True)
        return
    from scoring import report, word

    await chat.ack()
    found, score = result
    if kind == "xlsx":
        data = await asyncio.to_thread(report.card_workbook, found, score)
        caption = texts.CARD_WORKBOOK.format(school=escape(score.school.name), period=escape(found.period))
    else:
        data = await asyncio.to_thread(word.card_docx, found, score)
        caption = texts.CARD_DOCUMENT.format(school=escape(score.school.name), period=escape(found.period))
    await chat.send_file("document", report.card_file_name(found, score, kind), data, caption)


# --- coordinators manage campaigns ---------------------------------------------------------

FILTERS = (None, "shnro", "shnsu", "risk_zone", "shnro,shnsu")
DEADLINE_DAYS = (7, 14, 30)
LISTED = 15


async def _campaign_list(session: AsyncSession, person: Person, now: dt.datetime) -> tuple[str, Buttons]:
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
        state = STATE_TITLES[campaign.state(now)]
        if campaign.state(now) is CampaignState.OPEN:
            state += f", {human_left(now, campaign.deadline, campaign.timezone)}"
        lines.append(texts.CAMPAIGN_ITEM.format(
            id=campaign.id, title=escape(campaign.survey_version.title), period=escape(campaign.period),
            audience=campaign_service.filter_title(campaign.status_filter), state=state,
            deadline=texts.deadline_text(campaign.deadline, campaign.timezone), completion=escape(done.summary()),
            offsets=", ".join(campaign.reminder_offsets), quiet=campaign.quiet_hours, tz=campaign.timezone,
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
    return "\n\n".join(lines), board + [[new]]


async def list_campaigns(chat: Chat, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    text, buttons = await _campaign_list(session, person, now)
    await chat.say(text, buttons)


async def campaign_button(chat: Chat, data: CampaignCb, session: AsyncSession, person: Person | None,
                          now: dt.datetime, reminders: Any) -> None:
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
            texts.CLOSE_ASK.format(id=campaign.id, title=escape(campaign.survey_version.title), period=escape(campaign.period)),
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
    if reminders:
        reminders.kick()
    text, buttons = await _campaign_list(session, person, now)
    await chat.say(done + "\n\n" + text, buttons)


RETURN_PAGE = 30  # schools a page of the coordinator's return list


async def return_school_list(session: AsyncSession, person: Person | None, campaign_id: int,
                             page: int = 0) -> tuple[str, Buttons]:
    """A coordinator's school campaign: the schools that submitted, a button each, RETURN_PAGE a page (from /campaigns)."""
    campaign, found = await returns_service.submitted_schools(session, person, campaign_id)
    fields = {"id": campaign.id, "title": escape(campaign.survey_version.title), "period": escape(campaign.period)}
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


async def new_campaign(chat: Chat, state: FSMContext, person: Person | None) -> None:
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    await state.clear()
    await chat.say(*_pack_step())


async def new_campaign_button(chat: Chat, data: NewCampaignCb, state: FSMContext, session: AsyncSession,
                              person: Person | None, now: dt.datetime, reminders: Any) -> None:
    if not is_coordinator(person):
        await chat.ack(texts.COORDINATORS_ONLY, alert=True)
        return
    if not chat.private:
        await chat.ack(texts.CAMPAIGNS_PRIVATE, alert=True)
        return
    municipality = await session.get(Municipality, person.municipality_id)
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
        await chat.say(texts.CAMPAIGN_OPENED.format(id=campaign.id, title=escape(survey.title)))
        if reminders:
            reminders.kick()
    elif step == "cancel":
        await state.clear()
        await chat.say(texts.NEW_CANCELLED)
    else:
        await chat.say(texts.NEW_STALE)


async def _ask_period(chat: Chat, state: FSMContext, municipality: Municipality, now: dt.datetime) -> None:
    current = school_year_of(now, municipality.timezone)
    await state.set_state(NewCampaign.period)
    await chat.say(texts.NEW_PERIOD, [[(current, NewCampaignCb(step="period", v=0)),
                                       (next_school_year(current), NewCampaignCb(step="period", v=1))]])


async def _ask_deadline(chat: Chat, state: FSMContext) -> None:
    await state.set_state(NewCampaign.deadline)
    await chat.say(texts.NEW_DEADLINE, [[(f"через {days} дн.", NewCampaignCb(step="deadline", v=days)) for days in DEADLINE_DAYS]])


async def _confirm(chat: Chat, state: FSMContext, municipality: Municipality) -> None:
    stored = await state.get_data()
    await state.set_state(None)
    deadline = dt.datetime.fromisoformat(stored["deadline"])
    await chat.say(
        texts.NEW_CONFIRM.format(
            title=escape(load_pack(stored["pack"]).title), audience=campaign_service.filter_title(stored.get("filter")),
            period=escape(stored["period"]), deadline=texts.deadline_text(deadline, municipality.timezone), tz=municipality.timezone,
        ),
        [[(texts.BTN_OPEN_CAMPAIGN, NewCampaignCb(step="open")), (texts.BTN_CANCEL, NewCampaignCb(step="cancel"))]],
    )


async def typed_period(chat: Chat, text: str | None, state: FSMContext, person: Person | None) -> None:
    if not is_coordinator(person):
        return
    try:
        period = normalize_period(text)
    except PeriodError as exc:
        await chat.say(texts.REPROMPT.format(error=escape(str(exc))))
        return
    await state.update_data(period=period)
    await _ask_deadline(chat, state)


async def typed_deadline(chat: Chat, text: str | None, state: FSMContext, session: AsyncSession, person: Person | None,
                         now: dt.datetime) -> None:
    if not is_coordinator(person):
        return
    municipality = await session.get(Municipality, person.municipality_id)
    try:
        deadline = campaign_service.parse_deadline(text or "", municipality.timezone)
    except ServiceError as exc:
        await chat.say(texts.REPROMPT.format(error=escape(str(exc))))
        return
    if deadline <= now:
        await chat.say(texts.NEW_DEADLINE_PAST)
        return
    await state.update_data(deadline=deadline.isoformat())
    await _confirm(chat, state, municipality)


# --- deputies chase their school (/missing) ------------------------------------------------

NAMES_SHOWN = (40, 10)  # names of a list in the /missing message; the fewer when long names would not fit
MISSING_LIMIT = 4000  # characters of the /missing message: within Telegram's 4,096 and MAX's 4,000
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
        out.append(escape(t.name) + (f" ({'; '.join(marks)})" if marks else ""))
    more = len(teachers) - shown
    return ", ".join(out) + (f" и ещё {more}" if more > 0 else "")


def _registration(view: chase_service.SchoolChase) -> str:
    registered = len(view.teachers)
    if view.declared is None:
        return texts.MISSING_UNDECLARED.format(registered=registered)
    if view.not_registered:
        return texts.MISSING_NOT_REGISTERED.format(n=view.not_registered, declared=view.declared, registered=registered)
    return texts.MISSING_ALL_REGISTERED.format(declared=view.declared, registered=registered)


def _missing_screen(view: chase_service.SchoolChase, school_name: str, now: dt.datetime) -> tuple[str, Buttons]:
    campaign = view.campaign
    for shown in NAMES_SHOWN:
        text = texts.MISSING_HEADER.format(school=escape(school_name)) + "\n\n" + texts.MISSING_CAMPAIGN.format(
            title=escape(campaign.survey_version.title), period=escape(campaign.period),
            left=human_left(now, campaign.deadline, campaign.timezone), completion=escape(view.completion.text()),
            registration=_registration(view),
            not_started=len(view.not_started), not_started_names=_chase_names(view.not_started, view.day, shown),
            drafts=len(view.drafts), draft_names=_chase_names(view.drafts, view.day, shown),
            submitted=len(view.submitted), form=FORM_STATES.get(view.form, FORM_STATES[None]),
        )
        if len(text) <= MISSING_LIMIT:
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


async def missing(chat: Chat, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    """/missing: for each open teacher questionnaire of the deputy's school, who has not registered, started, sent."""
    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        await chat.say(texts.MISSING_DEPUTIES_ONLY)
        return
    if await state.get_state() is not None:
        await state.clear()  # a return left waiting for its comment: /missing starts over
    school, views = await chase_service.school_view(session, person, now)
    if not views:
        await chat.say(texts.MISSING_HEADER.format(school=escape(school.name)) + "\n\n" + texts.MISSING_NO_CAMPAIGN,
                       [[(texts.BTN_INVITE, ChaseCb(a=ChaseAction.INVITE, c=0))]])
        return
    for view in views:
        await chat.say(*_missing_screen(view, school.name, now))


def _pages(board: Buttons, page: int, total: int, at: Any) -> None:
    """«← Назад» / «Далее →» under a paged list; `at(page)` is the callback data of a page."""
    nav = []
    if page > 0:
        nav.append((texts.BTN_PREVIOUS_PAGE, at(page - 1)))
    if (page + 1) * CHASE_PAGE < total:
        nav.append((texts.BTN_NEXT_PAGE, at(page + 1)))
    if nav:
        board.append(nav)


def _when(due_at: dt.datetime, timezone: str, quiet: str, now: dt.datetime) -> str:
    """When a message asked for now goes out: now, or after the campaign's quiet hours."""
    if due_at <= now:
        return texts.NUDGE_NOW
    local = due_at.astimezone(ZoneInfo(timezone))
    return texts.NUDGE_LATER.format(time=f"{local:%H:%M %d.%m}", quiet=quiet)


def _listed(teachers: tuple[chase_service.Teacher, ...]) -> str:
    return ", ".join(escape(t.name) for t in teachers)


async def chase_button(chat: Chat, data: ChaseCb, session: AsyncSession, person: Person | None, now: dt.datetime,
                       reminders: Any) -> None:
    """The /missing buttons. Refusals (surveys.errors.Refused) are answered by the channel's errors: nothing written."""
    if person is None:
        await chat.ack(texts.NOT_REGISTERED, alert=True)
        return
    action = data.a
    if action == ChaseAction.INVITE:
        await _teacher_invite(chat, session, person, now)
        return
    if action in (ChaseAction.NUDGE_ALL, ChaseAction.NUDGE):
        result = await chase_service.nudge(session, person, data.c, data.p if action == ChaseAction.NUDGE else None, now)
        when = _when(result.due_at, result.timezone, result.quiet, now)
        lines = [texts.NUDGE_QUEUED.format(when=when, names=_listed(result.queued))]
        if result.already:
            lines.append(texts.NUDGE_ALREADY.format(day=f"{result.day:%d.%m}", names=_listed(result.already)))
        if result.unreachable:
            lines.append(texts.NUDGE_UNREACHABLE.format(names=_listed(result.unreachable)))
        await chat.ack(texts.NUDGE_QUEUED_SHORT.format(when=when, n=len(result.queued)))  # committed before the answer
        await chat.say("\n".join(lines))
        if reminders:
            reminders.kick()
        return
    view = await chase_service.deputy_campaign(session, person, data.c, now)
    campaign = view.campaign
    title, period = escape(campaign.survey_version.title), escape(campaign.period)
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
        municipality = await session.get(Municipality, person.municipality_id)
        text = texts.NUDGE_PICK.format(title=title, period=period, n=len(people), tz=municipality.timezone,
                                       day=f"{view.day:%d.%m}")
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


async def _teacher_invite(chat: Chat, session: AsyncSession, person: Person, now: dt.datetime) -> None:
    """The school's teacher invite as a message to forward, with its start link in the deputy's channel."""
    school, invite = await chase_service.teacher_invite(session, person, now)
    await chat.ack()
    if invite is None:
        await chat.say(texts.INVITE_NONE)
        return
    municipality = await session.get(Municipality, person.municipality_id)
    expires = f"{invite.expires_at.astimezone(ZoneInfo(municipality.timezone)):%d.%m.%Y}"
    link = await chat.start_link(invite.token)
    await chat.say(texts.INVITE_FOR_TEACHERS.format(school=escape(school.name), link=link, expires=expires))
    plain = texts.INVITE_FOR_TEACHERS.format(school=school.name, link=link, expires=expires)
    await chat.say(texts.INVITE_FORWARD[chat.channel].format(left=invite.max_uses - invite.uses, expires=expires),
                   [[chat.share_button(link, plain)]])


# --- returning a questionnaire for correction ----------------------------------------------


class ReturnFlow(StatesGroup):
    comment = State()  # data: {"return": response id, "comment": the text typed, once typed}


def _return_what(target: returns_service.Target) -> str:
    kind = subject_id(target.response.subject)[0]
    return texts.RETURN_WHAT["school" if kind == "school" else "person"].format(label=escape(target.label))


async def return_button(chat: Chat, data: ReturnCb, state: FSMContext, session: AsyncSession, person: Person | None,
                        now: dt.datetime, answering: Any, reminders: Any) -> None:
    """A questionnaire picked (the comment is asked for), the return confirmed or cancelled. Refusals (Refused)
    are answered by the channel's errors: nothing written. Only the confirmation returns it."""
    if person is None:
        await chat.ack(texts.NOT_REGISTERED, alert=True)
        return
    response_id, action = data.r, data.a
    if action == ReturnAction.ASK:
        target = await returns_service.check_return(session, person, response_id, now)
        campaign = target.campaign
        await state.set_state(ReturnFlow.comment)
        await state.set_data({"return": response_id})
        await chat.ack()
        await chat.say(
            texts.RETURN_ASK.format(
                what=_return_what(target), title=escape(campaign.survey_version.title), period=escape(campaign.period),
                min=returns_service.COMMENT_MIN, max=returns_service.COMMENT_MAX,
                deadline=texts.deadline_text(campaign.deadline, campaign.timezone),
            ),
            [[(texts.BTN_CANCEL, ReturnCb(a=ReturnAction.CANCEL, r=response_id))]],
        )
        return
    stored = await state.get_data()
    ours = stored.get("return") == response_id and await state.get_state() == ReturnFlow.comment.state
    if action == ReturnAction.CANCEL:
        if ours:
            await state.clear()
        await chat.ack(texts.RETURN_CANCELLED)
        await chat.edit(texts.RETURN_CANCELLED)
        return
    if not ours or "comment" not in stored:  # CONFIRM: an old confirmation, or one of another conversation
        await chat.ack(texts.RETURN_STALE, alert=True)
        return
    done = await returns_service.return_response(session, person, response_id, stored["comment"], now)
    await state.clear()
    answering.forget([response_id])  # this process's cached state of it is stale (the version moved on too)
    campaign = done.target.campaign
    text = texts.RETURN_DONE.format(what=_return_what(done.target),
                                    when=_when(done.due_at, campaign.timezone, campaign.quiet_hours, now))
    await chat.ack(text[:200])
    await chat.drop_buttons()  # the confirmation has been done
    await chat.say(text)
    if reminders:
        reminders.kick()


async def typed_comment(chat: Chat, text: str | None, state: FSMContext, session: AsyncSession, person: Person | None,
                        now: dt.datetime) -> None:
    """The comment: checked (a Russian reprompt when empty or too long), then shown back for confirmation."""
    response_id = (await state.get_data()).get("return")
    if person is None or response_id is None:
        await state.clear()
        await chat.say(texts.RETURN_STALE)
        return
    try:
        comment = returns_service.clean_comment(text)
    except BadInput as exc:  # reprompted by the channel's errors; the state stays, and the way out is said
        raise BadInput(f"{exc.message} {texts.RETURN_HOW_TO_CANCEL}") from None
    try:
        target = await returns_service.check_return(session, person, response_id, now)
    except Refused:
        await state.clear()  # returned by someone else meanwhile, the deadline passed...: this return is over
        raise
    await state.update_data(comment=comment)
    await chat.say(
        texts.RETURN_CONFIRM.format(what=_return_what(target), comment=escape(comment),
                                    recipients=escape(", ".join(p.full_name for p in target.recipients))),
        [[(texts.BTN_RETURN_YES, ReturnCb(a=ReturnAction.CONFIRM, r=response_id)),
          (texts.BTN_CANCEL, ReturnCb(a=ReturnAction.CANCEL, r=response_id))]],
    )


async def comment_not_text(chat: Chat) -> None:
    await chat.say(texts.RETURN_NOT_TEXT)


# --- coordinators plan the school year (/calendar) -----------------------------------------


class CalendarShift(StatesGroup):
    date = State()


def _plan_messages(view: mc.PlanView, limit: int, note: str | None = None) -> tuple[list[str], Buttons]:
    """The plan as messages under the channel's limit, and its buttons: a row a line (shift, skip), the plan's own."""
    tz = view.timezone
    lines = [note, ""] if note else []
    lines += [escape(text) for text in texts.calendar_head(view)] + [""]
    board: Buttons = []
    for line in view.lines:
        lines += [escape(text) for text in texts.calendar_line(line, view.period, tz)] + [""]
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
    return split_html(lines, limit), board


async def _send_plan(chat: Chat, view: mc.PlanView, note: str | None = None) -> None:
    chunks, board = _plan_messages(view, chat.limit, note)
    for chunk in chunks[:-1]:
        await chat.say(chunk)
    await chat.say(chunks[-1], board or None)


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


async def show_calendar(chat: Chat, args: str | None, state: FSMContext, session: AsyncSession, person: Person | None,
                        now: dt.datetime, calendar: mc.CalendarDef) -> None:
    """/calendar [school year]: the plan (or the methodology's calendar, with a button that makes the plan)."""
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    await state.clear()
    municipality = await session.get(Municipality, person.municipality_id)
    try:
        period = normalize_period(args) if (args or "").strip() else mc.default_year(calendar, municipality.timezone, now)
    except PeriodError as exc:
        await chat.say(escape(str(exc)))
        return
    await _send_plan(chat, await mc.plan_view(session, calendar, municipality, period, now))


async def calendar_button(chat: Chat, data: CalendarCb, state: FSMContext, session: AsyncSession, person: Person | None,
                          now: dt.datetime, calendar: mc.CalendarDef) -> None:
    """Make the plan, shift an item (the date is typed next), skip one (after a confirmation). Refusals are the
    service's Russian messages (ServiceError), answered by the channel's errors: nothing changed."""
    if not is_coordinator(person):
        await chat.ack(texts.COORDINATORS_ONLY, alert=True)
        return
    municipality = await session.get(Municipality, person.municipality_id)
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
    what = escape(texts.CALENDAR_WHAT[item.kind].format(pack_title=line.pack_title))
    tz = municipality.timezone
    if action == CalendarAction.SHIFT_ASK:
        await mc.ensure_shiftable(session, municipality, item)
        await state.set_state(CalendarShift.date)
        await state.set_data({"item": item.id})
        example = max(item.opens_at, now) + dt.timedelta(days=7)
        await chat.ack()
        await chat.say(texts.CALENDAR_SHIFT_ASK.format(
            what=what, title=escape(item.title), opens=texts.local_time(item.opens_at, tz),
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
            n=line.number, what=what, title=escape(item.title), opens=texts.local_time(item.opens_at, tz),
            consequence=texts.CALENDAR_SKIP_CONSEQUENCE[item.kind].format(period=escape(item.period)),
        ), [[(texts.BTN_CALENDAR_SKIP_YES, CalendarCb(a=CalendarAction.SKIP, id=item.id)),
             (texts.BTN_CANCEL, CalendarCb(a=CalendarAction.SKIP_CANCEL, id=item.id))]])
    elif action == CalendarAction.SKIP:
        await mc.skip_item(session, item, now)
        done = texts.CALENDAR_SKIPPED.format(n=line.number, what=what)
        await chat.ack(done)
        await _send_plan(chat, await mc.plan_view(session, calendar, municipality, item.period, now), done)
    elif action == CalendarAction.SKIP_CANCEL:
        await chat.ack()
        await chat.edit(texts.CALENDAR_NOT_SKIPPED.format(n=line.number))


async def typed_date(chat: Chat, text: str | None, state: FSMContext, session: AsyncSession, person: Person | None,
                     now: dt.datetime, calendar: mc.CalendarDef) -> None:
    """The new date of the item being shifted; a date that does not do is asked again, nothing changes."""
    if not is_coordinator(person):
        await state.clear()
        return
    municipality = await session.get(Municipality, person.municipality_id)
    item_id = (await state.get_data()).get("item")
    item = await session.get(CalendarItem, item_id) if isinstance(item_id, int) else None
    if item is None or item.municipality_id != municipality.id:
        await state.clear()
        await chat.say(texts.CALENDAR_STALE)
        return
    try:
        await mc.ensure_shiftable(session, municipality, item)
    except ServiceError as exc:  # done meanwhile (opened, sent): nothing to shift any more
        await state.clear()
        await chat.say(escape(exc.message))
        return
    try:
        when = campaign_service.parse_local(text or "", municipality.timezone, calendar.opening_time.hour)
        await mc.shift_item(session, municipality, item, when, now)
    except ServiceError as exc:
        await chat.say(texts.REPROMPT.format(error=escape(exc.message)))
        return
    await state.clear()
    view = await mc.plan_view(session, calendar, municipality, item.period, now)
    line = view.line(item.id)
    done = texts.CALENDAR_SHIFTED.format(
        n=line.number, what=escape(texts.CALENDAR_WHAT[item.kind].format(pack_title=line.pack_title)),
        opens=texts.local_time(item.opens_at, municipality.timezone), deadline=texts.local_time(item.deadline, municipality.timezone),
    )
    await _send_plan(chat, view, done)


__all__ = ["CalendarShift", "NewCampaign", "Registration", "ReturnFlow"]
