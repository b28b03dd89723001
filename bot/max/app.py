"""The MAX bot: updates through the inbox, one person's in order, each to its flow.

An update is recorded in the inbox (storage.inbox, channel "max") before MAX is told it arrived (the
next long poll's `marker`, saved with the batch) or before the webhook answers 200; it is marked
done in the same transaction as what its handling wrote, so a redelivered update is skipped and one
recorded but not handled (a crash, a restart) is handled at the next start.

What a person does is routed here and done by the shared flows (bot.features) and services: the
questionnaire through surveys.answering with MAX's renderer (a press answered by one POST /answers
that changes the pressed message and shows the note), everything else through MaxChat.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from html import escape
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import features, texts
from bot.callbacks import (
    Q_KINDS,
    R_KINDS,
    CalendarCb,
    CampaignCb,
    CardExport,
    CardWord,
    ChaseCb,
    ConsentCb,
    ForgetCb,
    NewCampaignCb,
    OpenSurvey,
    QuestionCb,
    ReturnCb,
    ReviewCb,
)
from bot.max.chat import MaxChat, call
from bot.max.client import MaxClient
from bot.max.render import screen_body, split
from bot.max.updates import Event
from bot.people import People
from bot.unit_of_work import commit_before_reply, run_update
from storage.accounts import start_link
from storage.clock import Clock
from storage.inbox import Inbox, done_statement
from storage.models import MAX, Person
from storage.writer import Sql, Writer
from surveys.answering import Answering
from surveys.errors import BadInput, DomainError
from surveys.questionnaire import Action, Kind
from surveys.screens import screen_of

log = logging.getLogger(__name__)

COMMANDS = [  # MAX has one menu for everybody (PATCH /me/commands): the commands people use most
    ("surveys", "Мои анкеты"), ("card", "Карточка школы (заместителям)"),
    ("missing", "Кто из педагогов не ответил (заместителям)"), ("summary", "Сводка (координаторам)"),
    ("report", "Справка в Word (координаторам)"), ("campaigns", "Кампании (координаторам)"),
    ("newcampaign", "Новая кампания (координаторам)"), ("calendar", "Календарь мониторинга (координаторам)"),
    ("setchat", "Назначить чат координаторов"), ("link", "Подключить второй мессенджер"), ("mydata", "Мои данные"),
    ("help", "Справка"),
]
PRIVATE_ONLY = {"/surveys", "/card", "/campaigns", "/newcampaign", "/calendar", "/missing", "/mydata", "/forget", "/link"}
# a button of these pressed in a group (a forwarded keyboard): refused there, what it says (nothing changes)
PRIVATE_BUTTONS = {CampaignCb: texts.PRIVATE_BUTTON, NewCampaignCb: texts.PRIVATE_BUTTON, ChaseCb: texts.CHASE_PRIVATE,
                   ReturnCb: texts.CHASE_PRIVATE, CalendarCb: texts.CALENDAR_PRIVATE}
CALLBACKS = {"o": OpenSurvey, "q": QuestionCb, "r": ReviewCb, "pd": ConsentCb, "fg": ForgetCb, "cx": CardExport, "cw": CardWord,
             "c": CampaignCb, "n": NewCampaignCb, "ch": ChaseCb, "rt": ReturnCb, "k": CalendarCb}
UPDATE_TYPES = ["message_created", "message_callback", "bot_started", "bot_stopped", "dialog_removed"]
STALE = "Эта кнопка уже неактуальна."


@dataclass(slots=True)
class Mark:
    """The update's inbox mark: written once, with the first write that takes it."""

    bot_id: int
    key: int
    marked: bool = False

    def take(self) -> list[tuple[Sql, dict[str, Any]]]:
        if self.marked:
            return []
        self.marked = True
        return [done_statement(self.bot_id, self.key, MAX)]


class MaxApp:
    """MAX's updates through the same flows as Telegram's (bot.features): commands, buttons, typed answers."""

    def __init__(self, client: MaxClient, session_factory: async_sessionmaker[AsyncSession], writer: Writer, *,
                 storage: BaseStorage, isolation: BaseEventIsolation | None = None,
                 clock: Clock, methodology: Any = None, reminders: Any = None,
                 answering: Answering | None = None, links: dict[str, Callable[[str], str]] | None = None,
                 calendar: Any = None, people: People | None = None) -> None:
        from monitoring.calendar import load_calendar
        from scoring.methodology import load_methodology

        self.client = client
        self.session_factory = session_factory
        self.writer = writer
        self.storage = storage
        self.isolation = isolation or SimpleEventIsolation()
        self.clock = clock
        self.methodology = methodology or load_methodology()
        self.calendar = calendar or load_calendar()
        self.reminders = reminders
        self.answering = answering or Answering(session_factory, writer, clock)
        self.links = links if links is not None else {}
        self.people = people or People(session_factory)  # shared with Telegram's dispatcher when one process runs both
        self.inbox: Inbox | None = None

    @property
    def bot_id(self) -> int:
        assert self.client.id is not None, "start() first"
        return self.client.id

    async def start(self) -> None:
        await self.client.me()
        self.inbox = Inbox(self.writer, self.session_factory, self.bot_id, self.clock, channel=MAX)
        self.links.setdefault(MAX, partial(start_link, MAX, self.client.username))
        try:
            await self.client.set_commands(COMMANDS)
        except Exception as exc:  # noqa: BLE001 - the menu is a convenience
            log.warning("PATCH /me/commands failed: %s", type(exc).__name__)

    # --- people ----------------------------------------------------------------------------

    def forget(self, user_id: int) -> None:
        self.people.forget(MAX, user_id)

    async def person(self, user_id: int) -> Person | None:
        return await self.people.get(MAX, user_id)

    # --- one update ------------------------------------------------------------------------

    async def handle(self, key: int, event: Event | None) -> None:
        """Handle one recorded update (its mark written with its work, or alone when it wrote nothing)."""
        mark = Mark(self.bot_id, key)
        try:
            if event is not None:
                state_key = StorageKey(bot_id=self.bot_id, chat_id=event.conversation, user_id=event.user_id, destiny=MAX)
                async with self.isolation.lock(state_key):
                    await self._route(event, mark, state_key)
        except Exception as exc:  # noqa: BLE001 - one update's failure never stops the bot
            log.error("MAX update %s failed: %s", key, type(exc).__name__, exc_info=exc)
        finally:
            if not mark.marked:
                mark.marked = True
                await self.inbox.mark_done(key)

    async def _route(self, event: Event, mark: Mark, state_key: StorageKey) -> None:
        person = await self.person(event.user_id)
        state = FSMContext(storage=self.storage, key=state_key)
        chat = MaxChat(self.client, event, forget=lambda: self.forget(event.user_id))
        try:
            if event.kind == "callback":
                await self._callback(event, chat, person, state, mark)
            elif event.kind == "start":
                await self._in_session(mark, chat, lambda s: features.start_with_token(
                    chat, event.payload or "", state, s, person, self.clock()) if event.payload else
                    features.surveys(chat, state, s, person, self.clock()))
            else:
                await self._message(event, chat, person, state, mark)
        except DomainError as exc:  # a refusal or bad input raised by a service: nothing was changed
            chat.before_reply = None
            if event.kind == "callback" and len(exc.message) <= 200 and not chat.answered:
                await chat.ack(exc.message, alert=exc.alert)
            elif event.kind == "callback":
                await chat.say(f"⚠️ {escape(exc.message)}")
            else:
                message = escape(exc.message)
                await chat.say(texts.REPROMPT.format(error=message) if isinstance(exc, BadInput) else message)
        except Exception:
            chat.before_reply = None
            log.exception("MAX update of user %s failed", event.user_id)
            await chat.say(texts.ERROR)
        finally:
            chat.before_reply = None
            await chat.flush()

    async def _in_session(self, mark: Mark, chat: MaxChat, work: Callable[[AsyncSession], Awaitable[Any]]) -> None:
        """A flow's unit of work (bot.unit_of_work.run_update, as Telegram's HandlerSession): the update's mark
        first, committed before any reply and at the end; rolled back (and raised) on failure; a database that
        stays locked makes the work run again."""
        chat.before_reply = commit_before_reply
        try:
            await run_update(self.session_factory, mark.take(), work)
        finally:
            chat.before_reply = None

    # --- messages --------------------------------------------------------------------------

    async def _message(self, event: Event, chat: MaxChat, person: Person | None, state: FSMContext, mark: Mark) -> None:
        now = self.clock()
        command = event.command
        if command is not None:
            name, args = command
            if name in PRIVATE_ONLY and not event.private:
                await chat.say(texts.PRIVATE_COMMAND)
                return
            handlers: dict[str, Callable[[AsyncSession], Awaitable[Any]]] = {
                "/start": lambda s: (features.start_with_token(chat, args, state, s, person, now) if args
                                     else features.surveys(chat, state, s, person, now)),
                "/surveys": lambda s: features.surveys(chat, state, s, person, now),
                "/help": lambda s: features.help_(chat, person),
                "/whoami": lambda s: features.whoami(chat, s, person),
                "/link": lambda s: features.link(chat, s, person, now, self.links),
                "/mydata": lambda s: features.my_data(chat, s, person),
                "/forget": lambda s: features.forget_ask(chat, person),
                "/setchat": lambda s: features.setchat(chat, s, person),
                "/summary": lambda s: features.summary(chat, args, s, person, self.methodology, now, split),
                "/report": lambda s: features.report(chat, args, s, person, self.methodology, now),
                "/card": lambda s: features.card(chat, s, person, self.methodology, now, split),
                "/campaigns": lambda s: features.list_campaigns(chat, s, person, now),
                "/newcampaign": lambda s: features.new_campaign(chat, state, person),
                "/calendar": lambda s: features.show_calendar(chat, args, state, s, person, now, self.calendar),
                "/missing": lambda s: features.missing(chat, state, s, person, now),
            }
            if name == "/start" and not event.private:  # as in Telegram: a group's /start is not for the bot
                return
            handler = handlers.get(name)
            if handler is not None:
                await self._in_session(mark, chat, handler)
            elif event.private:
                await chat.say(texts.UNKNOWN_INPUT if person else texts.NOT_REGISTERED)
            return
        if not event.private:
            return  # a group's talk is not for the bot
        current = await state.get_state()
        if current == features.Registration.full_name.state:
            if event.text:
                await self._in_session(mark, chat, lambda s: features.full_name(chat, event.text, state, s, person, now,
                                                                             answering=self.answering))
            else:
                await features.name_not_text(chat)
            return
        if current == features.NewCampaign.period.state and event.text:
            await features.typed_period(chat, event.text, state, person)
            return
        if current == features.NewCampaign.deadline.state and event.text:
            await self._in_session(mark, chat, lambda s: features.typed_deadline(chat, event.text, state, s, person, now))
            return
        if current == features.ReturnFlow.comment.state:  # what to fix in a questionnaire being returned
            if event.text:
                await self._in_session(mark, chat, lambda s: features.typed_comment(chat, event.text, state, s, person, now))
            else:
                await features.comment_not_text(chat)
            return
        if current == features.CalendarShift.date.state and event.text:  # the new date of a calendar item
            await self._in_session(mark, chat, lambda s: features.typed_date(chat, event.text, state, s, person, now,
                                                                          self.calendar))
            return
        if person is None:
            await chat.say(texts.NOT_REGISTERED)
            return
        if current is None and event.text:
            step = await self.answering.typed(person, Action(Kind.TEXT, text=event.text), mark.take)
        elif current is None and event.file is not None:
            step = await self.answering.typed(person, Action(Kind.FILE, file=event.file), mark.take)
        else:
            await chat.say(texts.UNKNOWN_INPUT)
            return
        await call(lambda: self.client.send(event.chat_id, screen_body(screen_of(step.view))), self.client.retry_after)

    # --- buttons ---------------------------------------------------------------------------

    async def _callback(self, event: Event, chat: MaxChat, person: Person | None, state: FSMContext, mark: Mark) -> None:
        now = self.clock()
        payload = event.payload or ""
        prefix = payload.split(":", 1)[0]
        try:
            data = CALLBACKS[prefix].unpack(payload)
        except (KeyError, ValueError, TypeError, ValidationError):
            await chat.ack(STALE)  # unknown, spoiled, forged or too long: nothing happens
            return
        if type(data) in PRIVATE_BUTTONS and not event.private:
            await chat.ack(PRIVATE_BUTTONS[type(data)], alert=True)
            return
        if not event.private:
            await chat.ack(texts.NOT_REGISTERED if person is None else STALE)
            return
        if isinstance(data, (OpenSurvey, QuestionCb, ReviewCb)):
            if person is None:
                await chat.ack(texts.NOT_REGISTERED, alert=True)
                return
            await self._questionnaire(event, chat, person, data, mark)
            return
        flow: Callable[[AsyncSession], Awaitable[Any]]
        if isinstance(data, ConsentCb):
            flow = lambda s: features.consent_answer(chat, data.ok, state, s, person, now)  # noqa: E731
        elif isinstance(data, ForgetCb):
            flow = lambda s: features.forget_answer(chat, data.ok, s, person, state, self.answering, now)  # noqa: E731
        elif isinstance(data, (CardExport, CardWord)):
            kind = "xlsx" if isinstance(data, CardExport) else "docx"
            flow = lambda s: features.card_file(chat, data.school, kind, s, person, self.methodology, now)  # noqa: E731
        elif isinstance(data, CampaignCb):
            flow = lambda s: features.campaign_button(chat, data, s, person, now, self.reminders)  # noqa: E731
        elif isinstance(data, ChaseCb):
            flow = lambda s: features.chase_button(chat, data, s, person, now, self.reminders)  # noqa: E731
        elif isinstance(data, ReturnCb):
            flow = lambda s: features.return_button(chat, data, state, s, person, now, self.answering, self.reminders)  # noqa: E731
        elif isinstance(data, CalendarCb):
            flow = lambda s: features.calendar_button(chat, data, state, s, person, now, self.calendar)  # noqa: E731
        else:
            flow = lambda s: features.new_campaign_button(chat, data, state, s, person, now, self.reminders)  # noqa: E731
        await self._in_session(mark, chat, flow)

    async def _questionnaire(self, event: Event, chat: MaxChat, person: Person, data: Any, mark: Mark) -> None:
        if isinstance(data, OpenSurvey):
            step = await self.answering.open(person, data.campaign, mark.take)
            await chat.flush()
            await call(lambda: self.client.send(event.chat_id, screen_body(screen_of(step.view))), self.client.retry_after)
            return
        if isinstance(data, QuestionCb):
            action = Action(Q_KINDS[data.a], data.i, data.c, data.m)
        else:
            kind = R_KINDS[data.a]
            action = Action(kind, None if kind == Kind.BACK else data.i)
        step = await self.answering.act(person, data.r, action, mark.take)
        screen = screen_of(step.view)
        await chat.replace(screen_body(screen), screen.notice)  # one call: the pressed message becomes the next screen
