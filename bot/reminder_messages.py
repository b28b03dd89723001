"""What each delivery of a reminder says: the notice to a respondent, a deputy's list of missing teachers, a
nudge, a questionnaire returned for correction, the coordinators' digest and final report (with the summary).

The texts are plain or the product's rich text; what goes into the outbox is HTML (`_html`), which both channels'
outlets send as it is (MAX reads the same HTML as Telegram)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import OpenSurvey
from bot.render import html, html_of
from monitoring import campaigns, chase, returns
from monitoring.completion import FORM_STATES
from monitoring.schedule import human_left
from storage.accounts import reachable_on
from storage.models import (
    Campaign,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Reminder,
    ReminderKind,
)
from storage.registry import person_by_id, places

NAMES_SHOWN = 60


def progress_report(counts: dict[str, int], repeated: dict[int, int], name: str) -> str:
    """What a finished mailing came to besides the confirmed sends: `counts` by state, `repeated` the confirmed ones
    by their ambiguous failures before (monitoring.campaigns.repeated_deliveries), `name` the messenger's."""
    parts = [template.format(n=counts[state], name=name) for state, template in (
        (DeliveryState.UNREACHABLE, texts.PROGRESS_UNREACHABLE), (DeliveryState.FAILED, texts.PROGRESS_FAILED),
        (DeliveryState.SKIPPED, texts.PROGRESS_SKIPPED), (DeliveryState.ENDED, texts.PROGRESS_ENDED),
        (DeliveryState.UNCERTAIN, texts.PROGRESS_UNCONFIRMED),
    ) if counts.get(state)]
    if repeated.get(1):
        parts.append(texts.PROGRESS_TWICE.format(n=repeated[1], name=name))
    if more := sum(n for failures, n in repeated.items() if failures > 1):
        parts.append(texts.PROGRESS_MORE.format(n=more, most=max(repeated) + 1, name=name))
    return "".join(f"; {part}" for part in parts)


def _deadline(campaign: Campaign) -> str:
    return texts.deadline_text(campaign.deadline, campaign.timezone)


def _names(names: list[str] | tuple[str, ...]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    return shown + (f" и ещё {len(names) - NAMES_SHOWN}" if len(names) > NAMES_SHOWN else "")


async def message_of(session: AsyncSession, delivery: Delivery, reminder: Reminder, campaign: Campaign, *,
                     now: dt.datetime, methodology: Any = None) -> list[tuple[str, Any]] | None:
    """What one delivery says, in parts (text with buttons, lines, a document, an album of pictures); None: nothing any more
    (answered meanwhile, unreachable, superseded by a later reminder or by the campaign's end)."""
    if reminder.kind in (ReminderKind.OPEN, ReminderKind.OFFSET) and await campaigns.superseded(session, reminder, now):
        return None  # the campaign ended, or a later reminder went out meanwhile (a long outage)
    fields = {
        "title": campaign.survey_version.title, "period": campaign.period,
        "deadline": _deadline(campaign), "left": human_left(now, campaign.deadline, campaign.timezone),
    }
    if delivery.kind == DeliveryKind.RESPONDENT:
        person = await person_by_id(session, delivery.person_id)
        if person is None or not await reachable_on(session, person, delivery.channel):
            return None
        status = await campaigns.response_status(session, campaign, person)
        if status == "submitted":
            return None  # answered in the meantime: nothing more
        template = texts.REMINDER_OPEN if reminder.kind == ReminderKind.OPEN else texts.REMINDER_OFFSET
        button = texts.BTN_CONTINUE if status == "draft" else texts.BTN_START
        return [("text", (html_of(template.format(**fields)), [[(button, OpenSurvey(campaign=campaign.id))]]))]
    if delivery.kind == DeliveryKind.NUDGE:
        return await _nudge(session, delivery, reminder, campaign, fields, now)
    if delivery.kind == DeliveryKind.RETURNED:
        return await _returned(session, delivery, reminder, campaign, fields, now)
    if delivery.kind == DeliveryKind.DEPUTY:
        _, school = await places(session, None, delivery.school_id)
        rows = [c for c in (await campaigns.completion(session, campaign)).schools if c.school_id == delivery.school_id]
        if school is None or not rows or not rows[0].missing:
            return None
        row = rows[0]
        text = texts.REMINDER_DEPUTY.format(
            school=school.short_name, completion=row.text(), names=_names(row.missing),
            form=FORM_STATES.get(row.form, FORM_STATES[None]), **fields,
        )
        return [("text", (html_of(text), None))]
    done = await campaigns.completion(session, campaign)
    if delivery.kind == DeliveryKind.NOTICE:
        return [("text", (html_of(texts.REOPENED_NOTICE.format(id=campaign.id, completion=done.summary(), **fields)), None))]
    header = (texts.REMINDER_DIGEST_HEADER if delivery.kind == DeliveryKind.DIGEST else texts.REMINDER_FINAL_HEADER).format(
        completion=done.summary(), **fields
    )
    lines = [header] + [f"• {r.name}: {r.text()}" for r in done.schools]
    unreachable = await campaigns.unreachable_people(session, campaign)
    if unreachable:
        lines.append(texts.REMINDER_UNREACHABLE.format(names=_names([p.full_name for p in unreachable])))
    parts: list[tuple[str, Any]] = [("lines", [html_of(line) for line in lines])]
    if delivery.kind == DeliveryKind.FINAL:
        parts += await _summary_parts(session, campaign, now, methodology)
    return parts

async def _nudge(session: AsyncSession, delivery: Delivery, reminder: Reminder, campaign: Campaign,
                 fields: dict[str, str], now: dt.datetime) -> list[tuple[str, Any]] | None:
    """A deputy's personal nudge; nothing once the teacher has sent the questionnaire or the campaign has ended."""
    person = await person_by_id(session, delivery.person_id)
    found = await chase.nudge_of(session, reminder.id, delivery.person_id)
    if (person is None or found is None or not campaign.is_open(now)
            or not await reachable_on(session, person, delivery.channel)):
        return None
    status = await campaigns.response_status(session, campaign, person)
    if status == "submitted":
        return None
    _, by = found
    _, school = await places(session, None, delivery.school_id)
    button = texts.BTN_CONTINUE if status == "draft" else texts.BTN_START
    text = texts.NUDGE.format(by=by.full_name if by else "Заместитель директора",
                              school=school.short_name if school else "вашей школы", **fields)
    return [("text", (html_of(text), [[(button, OpenSurvey(campaign=campaign.id))]]))]

async def _returned(session: AsyncSession, delivery: Delivery, reminder: Reminder, campaign: Campaign,
                    fields: dict[str, str], now: dt.datetime) -> list[tuple[str, Any]] | None:
    """A questionnaire returned for correction: the comment and a button that opens it (its review screen)."""
    found = await returns.notice_of(session, reminder.id)
    person = await person_by_id(session, delivery.person_id)
    if found is None or person is None or not await reachable_on(session, person, delivery.channel):
        return None
    record, by, kind = found
    if record.resubmitted_at is not None:
        return None  # sent again before the notice went out (a long outage): nothing to fix
    late = not campaign.is_open(now)
    text = texts.returned_notice(
        what=texts.RETURNED_WHAT.get(kind, texts.RETURNED_WHAT["person"]), by=by, comment=record.comment, **fields,
    ) + (texts.RETURNED_TOO_LATE if late else "")
    return [("text", (html(text), None if late else [[(texts.BTN_OPEN_RETURNED, OpenSurvey(campaign=campaign.id))]]))]

async def _summary_parts(session: AsyncSession, campaign: Campaign, now: dt.datetime,
                         methodology: Any) -> list[tuple[str, Any]]:
    """The scoring summary of the campaign's period, where the scoring module is present."""
    from scoring import charts, report, text  # report libraries load when a report is made
    from scoring.service import ScoringError, build_summary

    try:
        municipality, _ = await places(session, campaign.municipality_id)
        summary = await build_summary(session, municipality, campaign.period, methodology, now=now)
    except ScoringError:
        return []
    workbook, albums = await asyncio.gather(
        asyncio.to_thread(report.workbook, summary), asyncio.to_thread(charts.images, summary)
    )
    parts: list[tuple[str, Any]] = [("lines", [html(line) for line in text.summary_lines(summary)])]
    parts.append(("document", (f"shnor_{summary.period}.xlsx".replace(" ", "_"), workbook, texts.SUMMARY_WORKBOOK)))
    parts += [("album", (photos, html_of(caption))) for caption, photos in albums]
    return parts
