"""The working group's meetings: what the next protocol offers (the last meeting's people, place and agenda, the
next number, today's date) and the record of a meeting whose protocol was made.

A meeting's details are per document (scoring.protocol.Meeting); the last one is kept (storage.models.Meeting,
migration 0015) only to offer it again, so that a coordinator's next /report takes a tap, not a page of typing.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.protocol import Meeting
from storage.models import Meeting as MeetingRow


async def last_meeting(session: AsyncSession, municipality_id: int) -> tuple[Meeting, dt.date | None] | None:
    """The latest meeting whose protocol was made, and its date; None before the first."""
    row = await session.scalar(select(MeetingRow).where(MeetingRow.municipality_id == municipality_id)
                               .order_by(MeetingRow.made_at.desc(), MeetingRow.id.desc()).limit(1))
    if row is None:
        return None
    return Meeting.model_validate(row.details), row.held_on


def next_number(number: str) -> str:
    """«12» → «13», «4/2026» → «5/2026»; a number without digits is not guessed at."""
    found = re.match(r"^(\D*)(\d+)(.*)$", number.strip())
    if not found:
        return ""
    head, digits, tail = found.groups()
    return f"{head}{int(digits) + 1}{tail}"


async def draft(session: AsyncSession, municipality_id: int, today: dt.date) -> tuple[Meeting, Meeting | None]:
    """The next meeting as the last one was (people, place, agenda, speakers), numbered after it and dated today;
    and the last one (None before the first). A protocol made again for a meeting of today or later (a typo
    mended) offers that meeting as it was."""
    found = await last_meeting(session, municipality_id)
    if found is None:
        return Meeting(date=today), None
    last, held_on = found
    if held_on is not None and held_on >= today:
        return last, last
    return last.model_copy(update={"number": next_number(last.number), "date": today}), last


def record(session: AsyncSession, municipality_id: int, period: str, meeting: Meeting, now: dt.datetime,
           person_id: int | None = None) -> None:
    """Keep the meeting whose protocol is being made (in the caller's transaction)."""
    session.add(MeetingRow(municipality_id=municipality_id, period=period, number=meeting.number, held_on=meeting.date,
                           details=meeting.stored(), made_at=now, made_by=person_id))
