"""What the bot does for a person, written once for every channel.

Each flow takes the chat it answers (bot.chat.Chat: Telegram's or MAX's), the conversation state
(aiogram's FSMContext over the shared storage, keyed per channel), the handler's session and the
person (None for a stranger), and speaks through the chat: the channel's handlers only read their
update, pick the flow and hand it these. Rules live in the services (storage.registry, storage.privacy,
surveys.campaigns, scoring.service, bot.access); the texts in bot.texts; the flows join them.

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
from aiogram.utils.text_decorations import html_decoration as hd
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.access import set_coordinators_chat, summary_refusal
from bot.callbacks import (
    CampaignAction,
    CampaignCb,
    CardExport,
    CardWord,
    ConsentCb,
    ForgetCb,
    NewCampaignCb,
    OpenSurvey,
    ReturnAction,
    ReturnCb,
)
from bot.chat import Buttons, Chat, rows
from scoring.methodology import Methodology
from storage.accounts import CHANNEL_TITLES, accounts_of, find_person
from storage.models import Municipality, Person, Role, School
from storage.privacy import ConsentText, consent_text, log_access, record_consent, stored_about
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
from surveys import campaigns as campaign_service
from surveys import returns as returns_service
from surveys.answering import Answering
from surveys.loader import available_packs, load_pack
from surveys.model import Audience
from surveys.periods import PeriodError, next_school_year, normalize_period, school_year_of
from surveys.schedule import human_left
from surveys.screens import campaigns_screen, local_time, screen_of
from surveys.service import ServiceError, campaigns_for
from surveys.subjects import is_coordinator


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
        await chat.say(texts.ALREADY_REGISTERED.format(who=hd.quote(await describe(session, person))))
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
        await chat.say(texts.LINKED.format(name=hd.quote(linked.full_name), channel=CHANNEL_TITLES[chat.channel],
                                           who=hd.quote(await describe(session, linked))))
        await show_campaigns(chat, session, linked, now)
        return
    where = ""
    if checked.school_id:
        school = await session.get(School, checked.school_id)
        where = f", {hd.quote(school.name)}" if school else ""
    consent = consent_text(await session.get(Municipality, checked.municipality_id))
    await state.set_state(Registration.consent)
    await state.set_data({"token": checked.token, "role": checked.role, "where": where})
    await chat.say(texts.CONSENT_INTRO.format(role=texts.ROLE_TITLES[checked.role], where=where))
    await chat.say(hd.quote(consent.text), [[(texts.BTN_CONSENT_YES, ConsentCb(ok=True)),
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
        await chat.say(texts.ALREADY_REGISTERED.format(who=hd.quote(await describe(session, person))))
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
    await chat.say(texts.REGISTERED.format(name=hd.quote(name), who=hd.quote(await describe(session, done))))
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
    await chat.say(texts.WHOAMI.format(name=hd.quote(person.full_name), who=hd.quote(await describe(session, person))))


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


async def summary(chat: Chat, period: str | None, session: AsyncSession, person: Person | None,
                  methodology: Methodology, now: dt.datetime, split: Any) -> None:
    """/summary [period]: the lines (split by the channel's limit: `split`), the workbook and the charts."""
    from scoring import report, text
    from scoring.service import ScoringError, build_summary

    from bot.render import html

    municipality = await session.get(Municipality, person.municipality_id) if person else None
    refusal = summary_refusal(person, municipality, chat.chat_id, "private" if chat.private else "group", chat.channel)
    if refusal:
        await chat.say(refusal)
        return
    async with chat.uploading():
        try:
            result = await build_summary(session, municipality, period or None, methodology, now)
        except ScoringError as exc:
            await chat.say(escape(str(exc)))
            return
        where = "группа координаторов" if not chat.private else "личный чат"
        log_access(session, action="summary", municipality_id=municipality.id, person=person,
                   detail=f"период {result.period}; {where}", now=now)
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

    municipality = await session.get(Municipality, person.municipality_id) if person else None
    refusal = summary_refusal(person, municipality, chat.chat_id, "private" if chat.private else "group", chat.channel)
    if refusal:
        await chat.say(refusal)
        return
    async with chat.uploading():
        try:
            data = await build_report(session, municipality, period or None, methodology, now)
        except ScoringError as exc:
            await chat.say(escape(str(exc)))
            return
        where = "группа координаторов" if not chat.private else "личный чат"
        log_access(session, action="report", municipality_id=municipality.id, person=person,
                   detail=f"период {data.summary.period}; {where}", now=now)
        document = await asyncio.to_thread(word.report_docx, data)
        name = word.file_name("Справка", municipality.name, data.summary.period)
        await chat.send_file("document", name, document, texts.REPORT_DOCUMENT.format(
            period=escape(data.summary.period), periods=escape(", ".join(h.period for h in data.summary.history))))


# --- deputies: the school card -------------------------------------------------------------


async def _card(session: AsyncSession, person: Person | None, methodology: Methodology, now: dt.datetime, action: str):
    """The deputy's school card, or the refusal to show; a card shown is written to the access log."""
    from scoring.service import ScoringError, school_card  # report libraries load when a report is made

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
    from scoring import text

    from bot.render import html

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


__all__ = ["NewCampaign", "Registration", "find_person"]
