"""Registration by an invite (consent first, then the name), a second channel linked by /link, and the person's own
menu: /start, /surveys, /help, /whoami."""

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import (
    ConsentCb,
)
from bot.chat import Chat
from bot.context import Context
from bot.features.common import addressed, describe, screen_buttons
from monitoring.campaigns import campaigns_for
from storage.accounts import CHANNEL_TITLES
from storage.models import Municipality, Person, Role
from storage.privacy import (
    ConsentText,
    consent_text,
    operator_of,
    record_consent,
    set_operator_command,
)
from storage.registry import (
    InviteProblem,
    RegistryError,
    check_invite,
    create_link,
    link_account,
    normalize_full_name,
    places,
    register_person,
)
from surveys.answering import Answering
from surveys.screens import campaigns_screen, local_time, screen_of


class Registration:
    """The steps of registration (bot.conversation)."""

    consent = "Registration:consent"
    full_name = "Registration:full_name"


def _app_url(ctx: Context) -> str | None:
    """The dashboard's address for the menu button of a coordinator or a deputy (bot.webapp); None: no dashboard."""
    return ctx.services.webapp.url if ctx.services.webapp is not None else None


async def start(ctx: Context, token: str) -> None:
    """/start: with an invite's token (Telegram's /start payload, MAX's start payload) registration begins, without
    one the person's questionnaires are shown."""
    if token:
        await start_with_token(ctx, token)
    else:
        await surveys(ctx)


async def start_with_token(ctx: Context, token: str) -> None:
    """An invite deep link: the consent first, then the name; a one-time link of a second channel attaches this
    account to its person at once."""
    chat, state, session, person, now = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now
    if person is not None:
        await chat.say(texts.ALREADY_REGISTERED.format(who=describe(person, ctx.municipality, ctx.school)))
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
        ctx.forget_person()
        await state.clear()
        await chat.show_menu(linked.role, _app_url(ctx))
        municipality, school = await places(session, linked.municipality_id, linked.school_id)
        await chat.say(texts.LINKED.format(name=addressed(linked.full_name), channel=CHANNEL_TITLES[chat.channel],
                                           who=describe(linked, municipality, school)))
        await show_campaigns(chat, session, linked, now, municipality.timezone if municipality else "UTC")
        return
    municipality, school = await places(session, checked.municipality_id, checked.school_id)
    if operator_of(municipality) is None:  # a consent names who processes the data: nobody registers before
        await chat.say(_registration_closed(municipality, checked.role))
        return
    where = f", {school.short_name}" if school else ""  # plain text, kept in the conversation for the next step
    consent = consent_text(municipality)
    await state.set_state(Registration.consent)
    await state.set_data({"token": checked.token, "role": checked.role, "where": where})
    await chat.say(texts.consent_intro(texts.ROLE_TITLES[checked.role], where))
    await chat.say(consent.text, [[(texts.BTN_CONSENT_YES, ConsentCb(ok=True)),
                                            (texts.BTN_CONSENT_NO, ConsentCb(ok=False))]])


def _registration_closed(municipality: Municipality, role: str) -> str:
    """Why registration waits, in one line; a coordinator's invite also says what the administrator runs."""
    text = texts.REGISTRATION_CLOSED
    if role in (Role.COORDINATOR, Role.ADMIN):
        text += " " + texts.REGISTRATION_CLOSED_HOW.format(command=set_operator_command(municipality))
    return text


async def consent_answer(ctx: Context, answer: ConsentCb) -> None:
    chat, state, session, person, now, ok = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now, answer.ok
    data = await state.get_data()
    if person is not None or await state.get_state() != Registration.consent or "token" not in data:
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
    municipality = (await places(session, invite.municipality_id))[0]
    if operator_of(municipality) is None:  # the operator was cleared since the consent was shown
        await state.clear()
        await chat.say(_registration_closed(municipality, invite.role))
        return
    consent = consent_text(municipality)
    await state.set_state(Registration.full_name)
    await state.update_data(consent=consent.version, consent_text=consent.text, consent_at=now.isoformat())
    await chat.say(texts.ask_full_name(texts.ROLE_TITLES[invite.role], data.get("where", "")))


async def full_name(ctx: Context, text: str | None) -> None:
    chat, state, session, person, now = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now
    if person is not None:
        await state.clear()
        await chat.say(texts.ALREADY_REGISTERED.format(who=describe(person, ctx.municipality, ctx.school)))
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
    ctx.forget_person()  # committed before the first reply
    await state.clear()
    await chat.show_menu(done.role, _app_url(ctx))
    municipality, school = await places(session, done.municipality_id, done.school_id)
    await chat.say(texts.REGISTERED.format(name=addressed(name), who=describe(done, municipality, school)))
    await show_campaigns(chat, session, done, now, municipality.timezone if municipality else "UTC", ctx.services.answering)


async def name_not_text(ctx: Context) -> None:
    await ctx.chat.say(texts.REPROMPT.format(error="Напишите ФИО текстом, например: Иванова Мария Петровна."))


# --- the person's own menu -----------------------------------------------------------------


async def show_campaigns(chat: Chat, session: AsyncSession, person: Person, now: dt.datetime, timezone: str,
                         answering: Answering | None = None) -> None:
    """The person's open questionnaires; with `answering` (just registered), a single questionnaire not
    yet started opens at once: its first question follows without a press on «Начать» (`timezone`: the
    municipality's, for the deadlines shown)."""
    entries = await campaigns_for(session, person, now)
    if answering is not None and len(entries) == 1 and entries[0].status == "new":
        entry = entries[0]
        await chat.say(texts.STARTING.format(title=entry.title, deadline=local_time(entry.campaign.deadline, timezone)))
        step = await answering.open(person, entry.campaign.id)
        await chat.show(screen_of(step.view))
        return
    screen = campaigns_screen(entries, timezone)
    await chat.say(screen.text, screen_buttons(screen) or None)


async def surveys(ctx: Context) -> None:
    if ctx.person is None:
        await ctx.state.clear()
        await ctx.chat.say(texts.NOT_REGISTERED)
        return
    await show_campaigns(ctx.chat, ctx.session, ctx.person, ctx.now, ctx.municipality.timezone if ctx.municipality else "UTC")


async def help_(ctx: Context) -> None:
    chat, person = ctx.chat, ctx.person
    if not chat.private:
        await chat.say(texts.HELP_GROUP)
        return
    await chat.say(texts.HELP[person.role if person else None])


async def whoami(ctx: Context) -> None:
    chat, person = ctx.chat, ctx.person
    if person is None:
        await chat.say(texts.NOT_REGISTERED)
        return
    await chat.say(texts.WHOAMI.format(name=person.full_name, who=describe(person, ctx.municipality, ctx.school)))


async def link(ctx: Context) -> None:
    """/link: a one-time link that attaches the person's account in the other channel (`links`: channel -> a
    function making the start link from a token, for the channels this installation runs)."""
    chat, session, person, now, links = ctx.chat, ctx.session, ctx.person, ctx.now, ctx.services.links
    if person is None:
        await chat.say(texts.NOT_REGISTERED)
        return
    others = [channel for channel in links if channel != chat.channel]
    if not others:
        await chat.say(texts.LINK_NO_OTHER.format(channel=CHANNEL_TITLES[chat.channel]))
        return
    invite = await create_link(session, person, now)
    for other in others:
        await chat.say(texts.LINK_ASK.format(other=CHANNEL_TITLES[other], link=links[other](invite.token)))
