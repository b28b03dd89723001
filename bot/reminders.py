"""Sending the campaign reminders that fall due: the worker behind the APScheduler job.

Each tick asks the outbox (surveys.campaigns) what is due, then sends the pending deliveries
through the rate-limited Sender. Every delivery is marked in the database as soon as
Telegram has accepted it, and a send is never interrupted between Telegram's answer and that
mark (it is shielded from cancellation; stop() lets the ones in flight finish).
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
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.callbacks import OpenSurvey
from bot.sender import Outcome, Sender, SendResult
from bot.render import messages, split_html
from storage.models import Campaign, Delivery, DeliveryState, Municipality, Person, Reminder, School
from surveys import campaigns, chase, returns
from surveys.completion import FORM_STATES
from surveys.schedule import QuietHours, human_left, zone

log = logging.getLogger(__name__)
NAMES_SHOWN = 60
OUTCOME_STATES = {
    Outcome.SENT: DeliveryState.SENT, Outcome.UNREACHABLE: DeliveryState.UNREACHABLE, Outcome.FAILED: DeliveryState.FAILED,
    Outcome.UNCERTAIN: DeliveryState.UNCERTAIN, Outcome.SUPERSEDED: DeliveryState.SKIPPED,
}


def _deadline(campaign: Campaign) -> str:
    return texts.deadline_text(campaign.deadline, campaign.timezone)


def _title(campaign: Campaign) -> str:
    return campaign.survey_version.title


def _names(names: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(escape(n) for n in names[:NAMES_SHOWN])
    return shown + (f" и ещё {len(names) - NAMES_SHOWN}" if len(names) > NAMES_SHOWN else "")


class ReminderRunner:
    def __init__(
        self,
        bot: Bot,
        session_factory: async_sessionmaker[AsyncSession],
        sender: Sender,
        clock: Callable[[], dt.datetime],
        *,
        methodology: Any = None,
        workers: int = 8,
        progress_every: float = 5.0,
        progress_min: int = 20,
    ) -> None:
        self.bot = bot
        self.session_factory = session_factory
        self.sender = sender
        self.clock = clock
        self.methodology = methodology
        self.workers = workers
        self.progress_every = progress_every
        self.progress_min = progress_min
        self._lock = asyncio.Lock()
        self._stopping = False
        self._in_flight: set[asyncio.Task[Any]] = set()

    # --- lifecycle -----------------------------------------------------------------------

    async def tick(self) -> None:
        """One pass over the outbox; a tick that finds another running returns at once."""
        if self._lock.locked() or self._stopping:
            return
        async with self._lock:
            try:
                async with self.session_factory() as session:
                    ids = await campaigns.fire_due(session, self.clock())
                    await session.commit()  # the recipients are fixed before anything is sent
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

    async def drain(self) -> None:
        """Wait for the ticks and sends started so far (tests, and before a planned stop)."""
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    async def stop(self) -> None:
        """Stop taking new deliveries and wait for the ones in flight."""
        self._stopping = True
        async with self._lock:
            pass
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    # --- one reminder --------------------------------------------------------------------

    async def _deliver(self, reminder_id: int) -> None:
        async with self.session_factory() as session:
            reminder = await session.get(Reminder, reminder_id)
            campaign = reminder.campaign
            pending = await campaigns.pending_deliveries(session, reminder_id)
            counts = await campaigns.delivery_counts(session, reminder_id)
        total = sum(counts.values())
        progress = None
        if reminder.kind in ("open", "offset") and total >= self.progress_min:
            progress = asyncio.create_task(self._progress(reminder, campaign, total))
        try:
            people = [d for d in pending if d.kind in campaigns.PERSON_DELIVERIES]
            reports = [d for d in pending if d.kind not in campaigns.PERSON_DELIVERIES]
            deferred = await self._run(people, reminder, campaign)
            if not deferred:
                deferred = await self._run(reports, reminder, campaign)
        finally:
            if progress:
                progress.cancel()
                with suppress(asyncio.CancelledError):
                    await progress
        async with self.session_factory() as session:
            finished = await campaigns.finish_reminder(session, reminder_id, self.clock())
            await session.commit()
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
                await asyncio.shield(task)

        await asyncio.gather(*(worker() for _ in range(min(self.workers, max(1, len(deliveries))))))
        return deferred

    async def _one(self, delivery: Delivery, reminder: Reminder, campaign: Campaign) -> None:
        try:
            async with self.session_factory() as session:
                message = await self._render(session, delivery, reminder, campaign)
            if message is None:
                async with self.session_factory() as session:
                    await campaigns.mark_delivery(session, delivery.id, DeliveryState.SKIPPED, self.clock())
                    await session.commit()
                return
            result = await self._send(delivery, reminder, campaign, message)
            async with self.session_factory() as session:
                if result.outcome == Outcome.UNREACHABLE and delivery.person_id:
                    await campaigns.mark_unreachable(session, delivery.person_id)
                await campaigns.mark_delivery(session, delivery.id, OUTCOME_STATES[result.outcome], self.clock(), result.error)
                await session.commit()
        except Exception:
            log.exception("delivery %s failed", delivery.id)

    async def _send(self, delivery: Delivery, reminder: Reminder, campaign: Campaign,
                    message: list[tuple[str, Any]]) -> SendResult:
        """Send the parts of one delivery (texts, then files); the first part that does not go decides."""
        chat_id = delivery.chat_id

        async def remember(ambiguous: int) -> None:  # kept across a restart: never a third copy
            delivery.ambiguous = ambiguous
            async with self.session_factory() as session:
                await campaigns.mark_ambiguous(session, delivery.id, ambiguous)
                await session.commit()

        async def wanted() -> bool:  # asked after an outage: is it still to go?
            async with self.session_factory() as session:
                return await self._render(session, delivery, reminder, campaign) is not None

        result = SendResult(Outcome.SENT)
        for kind, payload in message:
            if kind == "text":
                text, markup = payload
                call = partial(self.bot.send_message, chat_id, text, reply_markup=markup)
            elif kind == "document":
                name, data, caption = payload
                call = partial(self.bot.send_document, chat_id, BufferedInputFile(data, name), caption=caption)
            else:
                name, data, caption = payload
                call = partial(self.bot.send_photo, chat_id, BufferedInputFile(data, name), caption=caption)
            result = await self.sender.send(chat_id, call, ambiguous=delivery.ambiguous, on_ambiguous=remember,
                                            wanted=wanted)
            if result.outcome != Outcome.SENT:
                return result
        return result

    # --- what each recipient gets --------------------------------------------------------

    async def _render(
        self, session: AsyncSession, delivery: Delivery, reminder: Reminder, campaign: Campaign
    ) -> list[tuple[str, Any]] | None:
        now = self.clock()
        if reminder.kind in ("open", "offset") and await campaigns.superseded(session, reminder, now):
            return None  # the campaign ended, or a later reminder went out meanwhile (a long outage)
        fields = {
            "title": escape(_title(campaign)), "period": escape(campaign.period),
            "deadline": _deadline(campaign), "left": human_left(now, campaign.deadline, campaign.timezone),
        }
        if delivery.kind == "respondent":
            person = await session.get(Person, delivery.person_id)
            if person is None or person.unreachable:
                return None
            status = await campaigns.response_status(session, campaign, person)
            if status == "submitted":
                return None  # answered in the meantime: nothing more
            template = texts.REMINDER_OPEN if reminder.kind == "open" else texts.REMINDER_OFFSET
            button = texts.BTN_CONTINUE if status == "draft" else texts.BTN_START
            kb = InlineKeyboardBuilder()
            kb.button(text=button, callback_data=OpenSurvey(campaign=campaign.id))
            return [("text", (template.format(**fields), kb.as_markup()))]
        if delivery.kind == "nudge":
            return await self._nudge(session, delivery, reminder, campaign, fields)
        if delivery.kind == "returned":
            return await self._returned(session, delivery, reminder, campaign, fields)
        if delivery.kind == "deputy":
            school = await session.get(School, delivery.school_id)
            rows = [c for c in (await campaigns.completion(session, campaign)).schools if c.school_id == delivery.school_id]
            if school is None or not rows or not rows[0].missing:
                return None
            row = rows[0]
            text = texts.REMINDER_DEPUTY.format(
                school=escape(school.name), completion=row.text(), names=_names(row.missing),
                form=FORM_STATES.get(row.form, FORM_STATES[None]), **fields,
            )
            return [("text", (text, None))]
        done = await campaigns.completion(session, campaign)
        if delivery.kind == "notice":
            return [("text", (texts.REOPENED_NOTICE.format(id=campaign.id, completion=done.summary(), **fields), None))]
        header = (texts.REMINDER_DIGEST_HEADER if delivery.kind == "digest" else texts.REMINDER_FINAL_HEADER).format(
            completion=done.summary(), **fields
        )
        lines = [header] + [f"• {escape(r.name)}: {r.text()}" for r in done.schools]
        unreachable = await campaigns.unreachable_people(session, campaign)
        if unreachable:
            lines.append(texts.REMINDER_UNREACHABLE.format(names=_names([p.full_name for p in unreachable])))
        parts: list[tuple[str, Any]] = [("text", (chunk, None)) for chunk in split_html(lines)]
        if delivery.kind == "final":
            parts += await self._summary_parts(session, campaign)
        return parts

    async def _nudge(self, session: AsyncSession, delivery: Delivery, reminder: Reminder, campaign: Campaign,
                     fields: dict[str, str]) -> list[tuple[str, Any]] | None:
        """A deputy's personal nudge; nothing once the teacher has sent the questionnaire or the campaign has ended."""
        person = await session.get(Person, delivery.person_id)
        found = await chase.nudge_of(session, reminder.id, delivery.person_id)
        if person is None or person.unreachable or found is None or not campaign.is_open(self.clock()):
            return None
        status = await campaigns.response_status(session, campaign, person)
        if status == "submitted":
            return None
        _, by = found
        school = await session.get(School, delivery.school_id) if delivery.school_id else None
        kb = InlineKeyboardBuilder()
        kb.button(text=texts.BTN_CONTINUE if status == "draft" else texts.BTN_START, callback_data=OpenSurvey(campaign=campaign.id))
        text = texts.NUDGE.format(by=escape(by.full_name) if by else "Заместитель директора",
                                  school=escape(school.name) if school else "вашей школы", **fields)
        return [("text", (text, kb.as_markup()))]

    async def _returned(self, session: AsyncSession, delivery: Delivery, reminder: Reminder, campaign: Campaign,
                        fields: dict[str, str]) -> list[tuple[str, Any]] | None:
        """A questionnaire returned for correction: the comment and a button that opens it (its review screen)."""
        found = await returns.notice_of(session, reminder.id)
        person = await session.get(Person, delivery.person_id) if delivery.person_id else None
        if found is None or person is None or person.unreachable:
            return None
        record, by, kind = found
        if record.resubmitted_at is not None:
            return None  # sent again before the notice went out (a long outage): nothing to fix
        kb = InlineKeyboardBuilder()
        late = not campaign.is_open(self.clock())
        if not late:
            kb.button(text=texts.BTN_OPEN_RETURNED, callback_data=OpenSurvey(campaign=campaign.id))
        text = texts.RETURNED_NOTICE.format(
            what=texts.RETURNED_WHAT.get(kind, texts.RETURNED_WHAT["person"]), by=escape(by), comment=escape(record.comment), **fields,
        ) + (texts.RETURNED_TOO_LATE if late else "")
        return [("text", (text, None if late else kb.as_markup()))]

    async def _summary_parts(self, session: AsyncSession, campaign: Campaign) -> list[tuple[str, Any]]:
        """The scoring summary of the campaign's period, where the scoring module is present."""
        from scoring import report, text  # report libraries load when a report is made
        from scoring.service import ScoringError, build_summary

        try:
            municipality = await session.get(Municipality, campaign.municipality_id)
            summary = await build_summary(session, municipality, campaign.period, self.methodology)
        except ScoringError:
            return []
        workbook, chart = await asyncio.gather(
            asyncio.to_thread(report.workbook, summary), asyncio.to_thread(report.chart, summary)
        )
        parts: list[tuple[str, Any]] = [("text", (chunk, None)) for chunk in messages(text.summary_lines(summary))]
        parts.append(("document", (f"shnor_{summary.period}.xlsx".replace(" ", "_"), workbook, texts.SUMMARY_WORKBOOK)))
        parts.append(("photo", ("summary.png", chart, texts.SUMMARY_CHART)))
        return parts

    # --- progress in the coordinators' chat ----------------------------------------------

    async def _progress_chat(self, reminder: Reminder) -> int | None:
        async with self.session_factory() as session:
            chats = await campaigns.coordinator_chats(session, reminder.campaign.municipality_id)
        return chats[0] if chats else None

    async def _progress(self, reminder: Reminder, campaign: Campaign, total: int) -> None:
        chat_id = reminder.progress_chat_id or await self._progress_chat(reminder)
        if chat_id is None:
            return
        message_id = reminder.progress_message_id
        last = None
        while True:
            async with self.session_factory() as session:
                counts = await campaigns.delivery_counts(session, reminder.id)
            done = total - counts.get(DeliveryState.PENDING, 0)
            text = texts.PROGRESS.format(title=escape(_title(campaign)), done=f"{done:,}".replace(",", " "), total=f"{total:,}".replace(",", " "))
            if text != last:
                if message_id is None:
                    result = await self.sender.send(chat_id, lambda: self.bot.send_message(chat_id, text))
                    if result.outcome == Outcome.SENT:
                        message_id = result.value.message_id
                        async with self.session_factory() as session:
                            stored = await session.get(Reminder, reminder.id)
                            stored.progress_chat_id, stored.progress_message_id = chat_id, message_id
                            await session.commit()
                        reminder.progress_chat_id, reminder.progress_message_id = chat_id, message_id
                else:
                    with suppress(TelegramAPIError):
                        await self.sender.send(chat_id, lambda: self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id))
                last = text
            await asyncio.sleep(self.progress_every)

    async def _progress_done(self, reminder: Reminder, campaign: Campaign, total: int, counts: dict[str, int]) -> None:
        async with self.session_factory() as session:
            stored = await session.get(Reminder, reminder.id)
            twice = await campaigns.possibly_twice(session, reminder.id)
        if stored.progress_message_id is None:
            return
        extra = ""
        if counts.get(DeliveryState.UNREACHABLE):
            extra += f", недоступны {counts[DeliveryState.UNREACHABLE]}"
        if counts.get(DeliveryState.FAILED):
            extra += f", Telegram отказал {counts[DeliveryState.FAILED]}"
        if counts.get(DeliveryState.UNCERTAIN):
            extra += (f", не удалось подтвердить {counts[DeliveryState.UNCERTAIN]} (Telegram дважды не ответил; "
                      "возможно, уведомление дошло)")
        if twice:
            extra += f"; у {twice} адресатов уведомление могло прийти дважды (Telegram не подтвердил первую отправку)"
        if counts.get(DeliveryState.SKIPPED):
            extra += f", уже ответили {counts[DeliveryState.SKIPPED]}"
        text = texts.PROGRESS_DONE.format(title=escape(_title(campaign)), sent=counts.get(DeliveryState.SENT, 0), total=total, extra=extra)
        chat_id, message_id = stored.progress_chat_id, stored.progress_message_id
        await self.sender.send(chat_id, lambda: self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id))


