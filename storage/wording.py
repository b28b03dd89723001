"""Russian number wording shared by every text the product writes: percentages and plurals."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction


def percent(share: Fraction | float | None) -> str:
    """0.697 -> «69,7 %»; None -> «—»."""
    if share is None:
        return "—"
    return f"{float(share) * 100:.1f} %".replace(".", ",")


def plural(n: int, one: str, few: str, many: str) -> str:
    """The form of a noun after n: 1 день, 2 дня, 5 дней (11-14 take the third form)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return few
    return many


def count(n: int, one: str, few: str, many: str) -> str:
    return f"{n} {plural(n, one, few, many)}"


def zone_label(timezone: str, at: dt.datetime) -> str:
    """A time zone as people read it: «UTC+5» (Asia/Yekaterinburg), «UTC+3» (Europe/Moscow), «UTC+5:30», «UTC»;
    `at` is the moment whose offset is meant (a zone's offset may change)."""
    from zoneinfo import ZoneInfo

    offset = at.astimezone(ZoneInfo(timezone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
