"""Monitoring periods: a period is a school year written «2026-2027» (two consecutive years).

People type it in many ways («2026/2027», «2026–2027», «2026-27», «2026/27 уч. год»); every
place that takes a period (the chat, the command line, the services) goes through
`normalize_period`, so one school year is always one period.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

EXAMPLE = "2026-2027"
SCHOOL_YEAR_STARTS = 9  # September

_PERIOD_RE = re.compile(
    r"^(?P<start>\d{4})\s*[-–—/\\.]\s*(?P<end>\d{4}|\d{2})"
    r"(?:\s*(?:(?:уч(?:ебный|\.)?)\s*(?:г(?:од|\.)?)?|г(?:од|\.)?))?\.?$",
    re.IGNORECASE,
)


class PeriodError(ValueError):
    """A period that is not a school year; the message is Russian and shows the expected form."""


def normalize_period(text: str | None) -> str:
    """«2026/27 уч. год» -> «2026-2027»; raises PeriodError for anything that is not one school year."""
    raw = " ".join(str(text or "").split())
    match = _PERIOD_RE.match(raw)
    if not match:
        shown = raw[:40] or "пусто"
        raise PeriodError(f"Период «{shown}» не похож на учебный год. Напишите так: {EXAMPLE}.")
    start = int(match["start"])
    end_text = match["end"]
    end = int(end_text) if len(end_text) == 4 else start - start % 100 + int(end_text)
    if len(end_text) == 2 and end < start:
        end += 100  # «2099/00»
    if end != start + 1 or not 2000 <= start <= 2100:
        raise PeriodError(
            f"Период «{raw[:40]}»: учебный год — это два соседних года, например {start}-{start + 1}."
            if 2000 <= start <= 2100 else f"Период «{raw[:40]}»: год вне разумных пределов. Напишите так: {EXAMPLE}."
        )
    return f"{start}-{end}"


def school_year_of(moment: dt.datetime, timezone: str) -> str:
    """The school year a moment falls in, by the local date (September starts a new one)."""
    local = moment.astimezone(ZoneInfo(timezone))
    start = local.year if local.month >= SCHOOL_YEAR_STARTS else local.year - 1
    return f"{start}-{start + 1}"


def next_school_year(period: str) -> str:
    start = int(normalize_period(period)[:4]) + 1
    return f"{start}-{start + 1}"


def previous_school_year(period: str) -> str:
    start = int(normalize_period(period)[:4]) - 1
    return f"{start}-{start + 1}"
