"""Sending the campaign reminders that fall due: the worker behind the APScheduler job.

Each tick asks the outbox (monitoring.campaigns) what is due, then sends the pending deliveries
through the rate-limited Sender of each delivery's channel (an outlet: bot.outlet, bot.max.outlet).
Every delivery is marked in the database as soon as the channel has accepted it, and a send is never
interrupted between the channel's answer and that mark (it is shielded from cancellation; stop() lets
the ones in flight finish and halts the ones waiting out an outage, which stay pending). A delivery
ends confirmed, refused, or when its campaign ends (or a later reminder goes out): one that failed
ambiguously goes back behind the others and is offered again, its tries kept in its row
(storage.models.Delivery.attempts), so that a restart, even a crash in the middle of a call, counts
every try that may have arrived. A process sends the deliveries of the channels it has outlets for; a
reminder is done when no delivery of any channel is pending (another process, running the other
channel on the same database, sends and finishes the rest).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from contextlib import suppress
from functools import partial
from html import escape
from typing import Any

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.chat import albums
from bot.outlet import Outlet, outlets_of
from bot.reminder_messages import message_of, progress_report
from bot.sender import Outcome, Sender, SendResult, Tries
from monitoring import campaigns
from monitoring.schedule import QuietHours, zone
from storage.accounts import CHANNEL_TITLES
from storage.models import (
    Campaign,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Reminder,
    ReminderKind,
)

log = logging.getLogger(__name__)
OUTCOME_STATES = {
    Outcome.SENT: DeliveryState.SENT, Outcome.UNREACHABLE: DeliveryState.UNREACHABLE, Outcome.FAILED: DeliveryState.FAILED,
}


class ReminderRunner:
    def __init__(
        self,
        bot: Bot | None,
        session_factory: async_sessionmaker[AsyncSession],
        sender: Sender | None,
        clock: Callable[[], dt.datetime],
        *,
        methodology: Any = None,
        workers: int = 8,
        progress_every: float = 5.0,
        progress_min: int = 20,
        outlets: list[Outlet] = (),
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.sender = sender
        self.outlets: dict[str, Outlet] = outlets_of(bot, sender, outlets)
        self.clock = clock
        self.methodology = methodology
        self.workers = workers
        self.progress_every = progress_every
        self.progress_min = progress_min
        self._lock = asyncio.Lock()
        self._stopping = False
        self._halt = asyncio.Event()  # set by stop(): sends waiting out an outage return, their deliveries pending
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._parts: dict[int, int] = {}  # delivery id -> its parts confirmed so far (a part that failed is tried again)

    # --- lifecycle -----------------------------------------------------------------------

    async def tick(self) -> None:
        """One pass over the outbox; a tick that finds another running returns at once."""
        if self._lock.locked() or self._stopping:
            return
        async with self._lock:
            try:
                async with self.session_factory.begin() as session:  # the recipients are fixed before anything is sent
                    ids = await campaigns.fire_due(session, self.clock())
                for reminder_id in ids:
                    if self._stopping:
                        break
                    await self._deliver(reminder_id)
            except Exception:
                log.exception("reminder tick failed")

    def kick(self) -> None:
        """Run a tick soon (after a campaign was opened or changed from the chat)."""
        task = asyncio.create_task(self.tick())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    def resume(self) -> None:
        """Accept ticks again after stop() (a process that becomes the leader again)."""
        self._stopping = False
        self._halt.clear()

    async def drain(self) -> None:
        """Wait for the ticks and sends started so far (tests, and before a planned stop)."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def stop(self) -> None:
        """Stop taking new deliveries and wait for the ones in flight (those waiting out an outage stay pending)."""
        self._stopping = True
        self._halt.set()
        async with self._lock:
            pass
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    # --- one reminder --------------------------------------------------------------------

    async def _deliver(self, reminder_id: int) -> None:
        async with self.session_factory() as session:
            reminder = await campaigns.reminder_of(session, reminder_id)
            campaign = reminder.campaign
            pending = [d for d in await campaigns.pending_deliveries(session, reminder_id) if d.channel in self.outlets]
            counts = await campaigns.delivery_counts(session, reminder_id)
        total = sum(counts.values())
        progress = None
        if reminder.kind in (ReminderKind.OPEN, ReminderKind.OFFSET) and total >= self.progress_min and pending:
            progress = asyncio.create_task(self._progress(reminder, campaign, total))
        try:
            people = [d for d in pending if DeliveryKind(d.kind).to_person]
            reports = [d for d in pending if not DeliveryKind(d.kind).to_person]
            deferred = await self._run(people, reminder, campaign)
            if not deferred:
                deferred = await self._run(reports, reminder, campaign)
        finally:
            if progress:
                progress.cancel()
                with suppress(asyncio.CancelledError):
                    await progress
        async with self.session_factory.begin() as session:
            finished = await campaigns.finish_reminder(session, reminder_id, self.clock())
            counts = await campaigns.delivery_counts(session, reminder_id)
        if progress and finished:
            await self._progress_done(reminder, campaign, total, counts)

    async def _run(self, deliveries: list[Delivery], reminder: Reminder, campaign: Campaign) -> bool:
        """Send with a pool of workers; returns True when quiet hours stopped the sending."""
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        for delivery in deliveries:
            queue.put_nowait(delivery)
        quiet = QuietHours.parse(campaign.quiet_hours)
        tz = zone(campaign.timezone)
        deferred = False

        async def worker() -> None:
            nonlocal deferred
            while not queue.empty() and not self._stopping and not deferred:
                if quiet.contains(self.clock().astimezone(tz).time().replace(tzinfo=None)):
                    deferred = True
                    return
                delivery = queue.get_nowait()
                task = asyncio.ensure_future(self._one(delivery, reminder, campaign))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
                if not await asyncio.shield(task):  # failed ambiguously: offered again, behind the others
                    queue.put_nowait(delivery)

        await asyncio.gather(*(worker() for _ in range(min(self.workers, max(1, len(deliveries))))))
        return deferred

    async def _one(self, delivery: Delivery, reminder: Reminder, campaign: Campaign) -> bool:
        """Send one delivery and mark it; False: it failed ambiguously and stays pending, to be offered again."""
        gone = {"ended": False}
        try:
            if delivery.attempts > delivery.ambiguous:  # a call was out when a process died: it may have arrived
                await self._keep(delivery, delivery.attempts, False)
            async with self.session_factory() as session:
                message = await self._render(session, delivery, reminder, campaign)
                if message is None:
                    gone["ended"] = await self._ended(session, reminder)
            result = SendResult(Outcome.SUPERSEDED) if message is None else await self._send(
                delivery, reminder, campaign, message, gone)
            if result.outcome == Outcome.AMBIGUOUS:
                return False
            self._parts.pop(delivery.id, None)
            if result.outcome == Outcome.DEFERRED:
                return True  # halted while it waited: pending, for the next tick
            if result.outcome == Outcome.SUPERSEDED:
                state = DeliveryState.SKIPPED
                if gone["ended"]:  # tried ambiguously and never confirmed, or never tried
                    state = DeliveryState.UNCERTAIN if delivery.ambiguous else DeliveryState.ENDED
            else:
                state = OUTCOME_STATES[result.outcome]
            async with self.session_factory.begin() as session:
                if result.outcome == Outcome.UNREACHABLE and delivery.person_id:
                    await campaigns.mark_unreachable(session, delivery.person_id, delivery.channel)
                await campaigns.mark_delivery(session, delivery.id, state, self.clock(), result.error)
        except Exception:
            log.exception("delivery %s failed", delivery.id)
        return True

    async def _keep(self, delivery: Delivery, ambiguous: int, in_flight: bool) -> None:
        """Keep a delivery's tries in its row (bot.sender.Tries): a restart counts every try that may have arrived."""
        attempts = ambiguous + int(in_flight)
        if (delivery.ambiguous, delivery.attempts) == (ambiguous, attempts):
            return
        delivery.ambiguous, delivery.attempts = ambiguous, attempts
        async with self.session_factory.begin() as session:
            await campaigns.keep_tries(session, delivery.id, ambiguous, attempts)

    async def _ended(self, session: AsyncSession, reminder: Reminder) -> bool:
        """Whether a campaign notice is no longer to go because its campaign ended or a later reminder went out."""
        return reminder.kind in (ReminderKind.OPEN, ReminderKind.OFFSET) and await campaigns.superseded(
            session, reminder, self.clock())

    async def _send(self, delivery: Delivery, reminder: Reminder, campaign: Campaign,
                    message: list[tuple[str, Any]], gone: dict[str, bool]) -> SendResult:
        """Send the parts of one delivery (texts, then files) not yet confirmed; the first that does not go decides."""
        chat_id = delivery.chat_id
        outlet = self.outlets[delivery.channel]
        tries = Tries(delivery.ambiguous, partial(self._keep, delivery))

        async def wanted() -> bool:  # asked after waiting (an outage): is it still to go?
            async with self.session_factory() as session:
                if await self._render(session, delivery, reminder, campaign) is not None:
                    return True
                gone["ended"] = await self._ended(session, reminder)
                return False

        result = SendResult(Outcome.SENT)
        calls = []
        for kind, payload in message:
            if kind == "text":
                text, buttons = payload
                calls.append(partial(outlet.send_text, chat_id, text, buttons))
            elif kind == "lines":  # split by the channel's length limit
                calls += [partial(outlet.send_text, chat_id, chunk) for chunk in outlet.split(payload)]
            elif kind == "album":  # pictures, as many albums as they need
                photos, caption = payload
                calls += [partial(outlet.send_photos, chat_id, album, caption if n == 0 else None)
                          for n, album in enumerate(albums(photos))]
            else:  # document, photo
                name, data, caption = payload
                calls.append(partial(outlet.send_file, chat_id, kind, name, data, caption))
        for done, call in enumerate(calls[self._parts.get(delivery.id, 0):], self._parts.get(delivery.id, 0)):
            result = await outlet.sender.send(chat_id, call, tries=tries, wanted=wanted, halt=self._halt)
            if result.outcome != Outcome.SENT:
                return result
            self._parts[delivery.id] = done + 1
        return result

    async def _render(
        self, session: AsyncSession, delivery: Delivery, reminder: Reminder, campaign: Campaign
    ) -> list[tuple[str, Any]] | None:
        return await message_of(session, delivery, reminder, campaign, now=self.clock(), methodology=self.methodology)

    # --- progress in the coordinators' chat ----------------------------------------------

    async def _progress_chat(self, reminder: Reminder):
        async with self.session_factory() as session:
            chats = await campaigns.coordinator_chats(session, reminder.campaign.municipality_id)
        return chats[0] if chats and chats[0].channel in self.outlets else None

    @staticmethod
    def _progress_message(reminder: Reminder) -> tuple[str, Any]:
        channel = reminder.progress_channel or "telegram"
        return channel, (reminder.progress_message_id if channel == "telegram" else reminder.progress_mid)

    async def _progress(self, reminder: Reminder, campaign: Campaign, total: int) -> None:
        channel, message_id = self._progress_message(reminder)
        chat_id = reminder.progress_chat_id
        if chat_id is None:
            contact = await self._progress_chat(reminder)
            if contact is None:
                return
            channel, chat_id = contact.channel, contact.chat_id
        outlet = self.outlets.get(channel)
        if outlet is None:
            return
        last = None
        while True:
            async with self.session_factory() as session:
                counts = await campaigns.delivery_counts(session, reminder.id)
            done = total - counts.get(DeliveryState.PENDING, 0)
            text = texts.PROGRESS.format(title=escape(campaign.survey_version.title), done=f"{done:,}".replace(",", " "), total=f"{total:,}".replace(",", " "))
            if text != last:
                if message_id is None:
                    result = await outlet.sender.send(chat_id, partial(outlet.send_text, chat_id, text), halt=self._halt)
                    if result.outcome == Outcome.SENT:
                        message_id = result.value
                        async with self.session_factory.begin() as session:
                            stored = await campaigns.reminder_of(session, reminder.id)
                            self._keep_progress(stored, channel, chat_id, message_id)
                        self._keep_progress(reminder, channel, chat_id, message_id)
                else:
                    await outlet.sender.send(chat_id, partial(outlet.edit_text, chat_id, message_id, text), halt=self._halt)
                last = text
            await asyncio.sleep(self.progress_every)

    @staticmethod
    def _keep_progress(reminder: Reminder, channel: str, chat_id: int, message_id: Any) -> None:
        reminder.progress_chat_id = chat_id
        reminder.progress_channel = None if channel == "telegram" else channel
        if channel == "telegram":
            reminder.progress_message_id = message_id
        else:
            reminder.progress_mid = str(message_id)

    async def _progress_done(self, reminder: Reminder, campaign: Campaign, total: int, counts: dict[str, int]) -> None:
        async with self.session_factory() as session:
            stored = await campaigns.reminder_of(session, reminder.id)
            repeated = await campaigns.repeated_deliveries(session, reminder.id)
            used = await campaigns.delivery_channels(session, reminder.id)
        channel, message_id = self._progress_message(stored)
        outlet = self.outlets.get(channel)
        if message_id is None or outlet is None:
            return
        # whose answers: the messenger by name when the reminder went through one only
        name = CHANNEL_TITLES[used.pop()] if len(used) == 1 else "мессенджер"
        text = texts.PROGRESS_DONE.format(title=escape(campaign.survey_version.title), sent=counts.get(DeliveryState.SENT, 0),
                                          total=total, extra=progress_report(counts, repeated, name))
        chat_id = stored.progress_chat_id
        edit = partial(outlet.edit_text, chat_id, message_id, text)
        for _ in range(10):  # an edit is the same however often it arrives; the sender waits out the outage between
            if (await outlet.sender.send(chat_id, edit, halt=self._halt)).outcome != Outcome.AMBIGUOUS:
                return
