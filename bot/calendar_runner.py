"""The monitoring calendar's job (an APScheduler job beside the reminders'): open the campaigns that fall due,
remind the coordinators, name what is due and not opened, and send those notices.

Every decision is made in the database (monitoring.calendar): an item is opened in the transaction
that moves it out of «planned», so a second run, a second process or a restart never opens it again, and a
refused opening rolls back whole. Each notice is a CalendarMessage row written before it is sent and marked
as soon as the channel accepts it; a restart sends what was not sent. A notice goes to the coordinators' chat
in its channel (or to each coordinator where they are written to), through that channel's outlet (bot.outlet):
a process sends the notices of the channels it runs, another process on the same database the rest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.outlet import Outlet, outlets_of
from bot.reminders import ReminderRunner
from bot.render import html_of
from bot.sender import Outcome, Sender, Tries
from monitoring import calendar as mc
from monitoring.schedule import QuietHours, ScheduleError, zone
from storage.models import CalendarMessage, DeliveryState, Municipality
from surveys.errors import DomainError

log = logging.getLogger(__name__)
STATES = {Outcome.SENT: DeliveryState.SENT, Outcome.UNREACHABLE: DeliveryState.UNREACHABLE, Outcome.FAILED: DeliveryState.FAILED,
          Outcome.SUPERSEDED: DeliveryState.SKIPPED}
INTERNAL_ERROR = "внутренняя ошибка бота при открытии (подробности — в журнале бота)"


def render_message(message: CalendarMessage, municipality: Municipality) -> str:
    """The text of one calendar notice (HTML, as the outlets send it), from what its row recorded when the decision
    was made."""
    d: dict[str, Any] = message.detail or {}
    tz = municipality.timezone

    def at(key: str) -> str:
        return texts.local_time(dt.datetime.fromisoformat(d[key]), tz) if d.get(key) else ""

    fields = {
        "period": message.period, "title": d.get("title") or "", "pack_title": d.get("pack_title") or "",
        "opens": at("opens_at"), "deadline": at("deadline"), "campaign": d.get("campaign_id"),
        "error": (d.get("error") or "").rstrip("."), "municipality": municipality.id,
    }
    return html_of(_plain_text(message, d, fields))


def _plain_text(message: CalendarMessage, d: dict[str, Any], fields: dict[str, Any]) -> str:
    if message.kind == "opened":
        return texts.CALENDAR_OPENED.format(**fields) + (texts.CALENDAR_OPENED_LATE.format(**fields) if d.get("late") else "")
    if message.kind == "existing":
        return texts.CALENDAR_EXISTING_NOTICE.format(**fields)
    if message.kind == "task":
        return texts.CALENDAR_TASK_NOTICE.format(task=d.get("task") or "", **fields)
    return texts.CALENDAR_OVERDUE[d.get("reason", "late")].format(**fields)


class CalendarRunner:
    def __init__(
        self,
        bot: Bot | None,
        session_factory: async_sessionmaker[AsyncSession],
        sender: Sender | None,
        clock: Callable[[], dt.datetime],
        calendar: mc.CalendarDef,
        *,
        reminders: ReminderRunner | None = None,
        outlets: Iterable[Outlet] = (),
    ) -> None:
        self.outlets = outlets_of(bot, sender, outlets)
        self.session_factory = session_factory
        self.clock = clock
        self.calendar = calendar
        self.reminders = reminders
        self._lock = asyncio.Lock()
        self._stopping = False
        self._halt = asyncio.Event()  # set by stop(): a notice waiting out an outage stays pending

    async def tick(self) -> None:
        """One pass: open what is due, name what is not, send the notices; a tick that finds another running returns.
        Each step has its own transactions: one that fails (logged) does not hold back the others."""
        if self._lock.locked() or self._stopping:
            return
        async with self._lock:
            now = self.clock()
            opened = 0
            try:
                async with self.session_factory() as session:
                    due = await mc.due_items(session, now)
                for item_id in due:
                    if self._stopping:
                        return
                    opened += await self._act(item_id, now)
            except Exception:
                log.exception("calendar: opening the due items failed")
            try:
                async with self.session_factory.begin() as session:
                    await mc.name_unplanned(session, self.calendar, now)
            except Exception:
                log.exception("calendar: naming what is due and not planned failed")
            try:
                await self._send()
            except Exception:
                log.exception("calendar: sending the notices failed")
            if opened and self.reminders is not None:
                self.reminders.kick()  # the opening notices go out now, not at the reminders' next tick

    async def _act(self, item_id: int, now: dt.datetime) -> int:
        """Open (or remind, or record) one due item in its own transaction; 1 when a campaign was opened."""
        try:
            async with self.session_factory.begin() as session:
                outcome = await mc.open_item(session, self.calendar, item_id, now)
            if outcome.what == "opened":
                log.info("calendar: item %s opened campaign %s", item_id, outcome.campaign.id)
            return int(outcome.what == "opened")
        except DomainError as exc:
            reason = exc.message
        except ScheduleError as exc:
            reason = str(exc)
        except Exception:  # noqa: BLE001 - recorded and named in the chat; tried again at the next tick
            log.exception("calendar: opening item %s failed", item_id)
            reason = INTERNAL_ERROR
        async with self.session_factory.begin() as session:
            new = await mc.record_failure(session, item_id, reason, now)
        if new:
            log.warning("calendar: item %s was not opened: %s", item_id, reason)
        return 0

    async def _send(self) -> None:
        async with self.session_factory() as session:
            pending = await mc.pending_messages(session, self.clock(), self.outlets)
            towns = await mc.municipalities(session, (p.municipality_id for p in pending))
        for message in pending:
            if self._stopping:
                return
            town = towns.get(message.municipality_id)
            if town is None:
                continue
            quiet = QuietHours.parse((message.detail or {}).get("quiet") or self.calendar.quiet_hours)
            if quiet.contains(self.clock().astimezone(zone(town.timezone)).time().replace(tzinfo=None)):
                continue  # a notice held over quiet hours (the bot was down at its time) waits for the morning
            await self._send_one(message, town)

    async def _send_one(self, message: CalendarMessage, town: Municipality) -> None:
        async with self.session_factory.begin() as session:
            mine = await mc.claim_message(session, message.id, self.clock())
        if not mine:
            return  # another process took it (a handover of the scheduler), or it was sent meanwhile

        async def remember(ambiguous: int, in_flight: bool) -> None:  # a crash in flight: the lease brings it back
            if ambiguous != message.ambiguous:
                message.ambiguous = ambiguous
                async with self.session_factory.begin() as session:
                    await mc.mark_message_ambiguous(session, message.id, ambiguous)

        text = render_message(message, town)
        outlet = self.outlets[message.channel]
        tries = Tries(message.ambiguous, remember)
        send = partial(outlet.send_text, message.chat_id, text)
        result = await outlet.sender.send(message.chat_id, send, tries=tries, halt=self._halt)
        while result.outcome == Outcome.AMBIGUOUS:  # tried again when the channel sends again (bot.sender)
            result = await outlet.sender.send(message.chat_id, send, tries=tries, halt=self._halt)
        if result.outcome == Outcome.DEFERRED:
            return  # halted: still pending, due again when its lease ends
        async with self.session_factory.begin() as session:
            await mc.mark_message(session, message.id, STATES[result.outcome], self.clock(), result.error)

    def resume(self) -> None:
        self._stopping = False
        self._halt.clear()

    async def stop(self) -> None:
        self._stopping = True
        self._halt.set()
        async with self._lock:
            pass
