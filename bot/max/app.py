"""The MAX bot: updates through the inbox, one person's in order, each into the one pipeline (bot.pipeline); they
come by long polling (bot.max.polling) or the webhook (bot.max.webhook), and are handled in tasks (`Handling`).

An update is recorded in the inbox (storage.inbox, channel "max") before MAX is told it arrived (the
next long poll's `marker`, saved with the batch) or before the webhook answers 200; it is marked
done in the same transaction as what its handling wrote, so a redelivered update is skipped and one
recorded but not handled (a crash, a restart) is handled at the next start.

Here MAX's events (bot.max.updates) become the product's (bot.events) and MaxChat answers them; what is
done is the route table's (bot.routes), the same as Telegram's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from cachetools import LRUCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.context import Services
from bot.events import EventKind, Incoming, typed
from bot.max.chat import MaxChat
from bot.max.client import MaxClient
from bot.max.updates import Event, parse
from bot.people import People
from bot.pipeline import Pipeline
from bot.unit_of_work import Mark
from storage import outage
from storage.accounts import start_link
from storage.clock import Clock
from storage.inbox import Inbox, Received
from storage.models import MAX
from storage.outage import Unavailable
from storage.writer import Sql, Writer
from surveys.answering import Answering

log = logging.getLogger(__name__)
SEEN = 100_000  # update keys remembered in process

COMMANDS = [  # MAX has one menu for everybody (PATCH /me/commands): the commands people use most
    ("surveys", "Мои анкеты"), ("copy", "Копия отправленной анкеты (Word)"), ("card", "Карточка школы (заместителям)"),
    ("missing", "Кто из педагогов не ответил (заместителям)"), ("summary", "Сводка (координаторам)"),
    ("app", "Панель: школы и показатели"),
    ("report", "Справка в Word (координаторам)"), ("campaigns", "Кампании (координаторам)"),
    ("newcampaign", "Новая кампания (координаторам)"), ("calendar", "Календарь мониторинга (координаторам)"),
    ("setchat", "Назначить чат координаторов"), ("link", "Подключить второй мессенджер"), ("mydata", "Мои данные"),
    ("help", "Справка"),
]
UNREACHABLE = Sql("UPDATE account SET unreachable = :yes WHERE channel = :channel AND account_id = :account_id")
UPDATE_TYPES = ["message_created", "message_callback", "bot_started", "bot_stopped", "dialog_removed"]


class MaxApp:
    """MAX's adapter: its updates into the one pipeline, its menu, its start links."""

    def __init__(self, client: MaxClient, session_factory: async_sessionmaker[AsyncSession], writer: Writer, *,
                 storage: BaseStorage, isolation: BaseEventIsolation | None = None, clock: Clock,
                 services: Services | None = None, methodology: Any = None, reminders: Any = None,
                 links: dict[str, Callable[[str], str]] | None = None, calendar: Any = None,
                 people: People | None = None) -> None:
        from monitoring.calendar import load_calendar
        from scoring.methodology import load_methodology

        self.client = client
        self.session_factory = session_factory
        self.writer = writer
        self.clock = clock
        self.services = services or Services(
            session_factory, clock, Answering(session_factory, writer, clock), people or People(session_factory),
            methodology or load_methodology(), calendar or load_calendar(), reminders, links if links is not None else {})
        self.pipeline = Pipeline(self.services, storage, isolation or SimpleEventIsolation())
        self.inbox: Inbox | None = None

    @property
    def bot_id(self) -> int:
        assert self.client.id is not None, "start() first"
        return self.client.id

    async def start(self) -> None:
        await self.client.me()
        self.inbox = Inbox(self.writer, self.session_factory, self.bot_id, self.clock, channel=MAX)
        self.services.links.setdefault(MAX, partial(start_link, MAX, self.client.username))
        try:
            await self.client.set_commands(COMMANDS)
        except Exception as exc:  # noqa: BLE001 - the menu is a convenience
            log.warning("PATCH /me/commands failed: %s", type(exc).__name__)

    # --- one update ------------------------------------------------------------------------

    async def handle(self, key: int, event: Event | None) -> None:
        """Handle one recorded update (its mark written with its work, or alone when it wrote nothing)."""
        mark = Mark(self.bot_id, key, MAX)
        try:
            if event is not None:
                await self.pipeline.handle(incoming(event), MaxChat(self.client, event), mark)
        except Unavailable:
            mark.marked = True  # not done: the database or Redis is gone, the update is handled again (Handling)
            raise
        except Exception as exc:  # noqa: BLE001 - one update's failure never stops the bot
            log.error("MAX update %s failed: %s", key, type(exc).__name__, exc_info=exc)
        finally:
            if not mark.marked:
                mark.marked = True
                await self.inbox.mark_done(key)


def incoming(event: Event) -> Incoming:
    """MAX's event as the product's: a start (MAX's «Начать», with a start link's payload) is «/start <payload>».
    Its chat is the conversation's (`Event.conversation`: the person in a dialog, whatever the update carries);
    MaxChat answers where MAX says."""
    chat = event.conversation
    if event.kind == "start":
        return Incoming(EventKind.COMMAND, event.user_id, chat, True, text=event.payload or "", command="/start")
    if event.kind == "callback":
        return Incoming(EventKind.BUTTON, event.user_id, chat, event.private, payload=event.payload or "")
    return typed(event.user_id, chat, event.private, event.text, event.file)


def log_poison(received: Received) -> None:
    if received.poison:
        log.error("MAX update %s cannot be read (%s): kept as poison and skipped", received.update_id, received.poison)


class Handling:
    """Recorded updates handled in tasks, many at once (one person's in order: the app's isolation), each at most
    once in this process; `stopped` updates mark the person unreachable instead of going to the app."""

    def __init__(self, app: MaxApp, *, concurrency: int = 50,
                 on_handled: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.app = app
        self.on_handled = on_handled
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: LRUCache[int, None] = LRUCache(SEEN)  # keys taken in this process (in hand, or just handled)

    async def spawn(self, key: int, event: Event | None) -> None:
        if key in self._seen:
            return
        self._seen[key] = None
        await self._slots.acquire()
        task = asyncio.create_task(self._one(key, event))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _one(self, key: int, event: Event | None) -> None:
        waits = outage.backoff()
        try:
            while True:
                try:
                    if event is not None and event.kind == "stopped":
                        await self.stopped(key, event)
                    else:
                        await self.app.handle(key, event)
                    break
                except Unavailable:  # recorded, not done: handled again once the database or Redis is back
                    await outage.pause(waits)
        except Exception as exc:  # noqa: BLE001 - one update never stops the channel
            log.error("MAX update %s failed: %s", key, type(exc).__name__, exc_info=exc)
        finally:
            if self.on_handled is not None:
                await self.on_handled(key)

    async def stopped(self, key: int, event: Event) -> None:
        """The person stopped the bot (or deleted the dialog): unreachable now, not at the next failed send."""
        await self.app.inbox.mark_done(key, also=[(UNREACHABLE, {"yes": True, "channel": MAX, "account_id": event.user_id})])
        self.app.services.people.forget(MAX, event.user_id)  # read again when they come back (bot_started): reachable then
        log.info("MAX: user %s stopped the bot: unreachable", event.user_id)

    async def resume(self) -> None:
        pending = await self.app.inbox.pending()
        if pending:
            log.info("MAX: handling %d updates recorded before the last stop", len(pending))
        for key, raw in sorted(pending, key=lambda item: (_stamp(item[1]), item[0])):
            received, event = parse(raw)
            if received.poison:
                await self.app.inbox.mark_done(key)
                continue
            await self.spawn(key, event)

    async def wait(self, timeout: float = 30) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def _stamp(raw: Any) -> int:
    stamp = raw.get("timestamp") if isinstance(raw, dict) else None
    return stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0
