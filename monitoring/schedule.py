"""When reminders fall due: offsets before a deadline, the deadline's morning, quiet hours, time zones.

Pure functions over aware datetimes; everything is stored in UTC and computed in the
campaign's own time zone (Sverdlovsk oblast UTC+5, Krasnoyarsk krai UTC+7, ...).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from storage.wording import plural

DEFAULT_OFFSETS = ("7d", "3d", "1d", "morning")
DEFAULT_QUIET = "21:00-08:00"
DEFAULT_TIMEZONE = "Asia/Yekaterinburg"
MORNING = "morning"

_OFFSET_RE = re.compile(r"^(\d{1,3})([dh])$")


class ScheduleError(ValueError):
    """A bad offset, quiet-hours or time-zone setting; the message is Russian."""


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: dt.time
    end: dt.time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        try:
            start_text, end_text = (part.strip() for part in text.split("-"))
            start = dt.datetime.strptime(start_text, "%H:%M").time()
            end = dt.datetime.strptime(end_text, "%H:%M").time()
        except ValueError:
            raise ScheduleError(f"Тихие часы «{text}» нужно задать как ЧЧ:ММ-ЧЧ:ММ, например 21:00-08:00.") from None
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, local: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_allowed(self, moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
        """`moment` itself when outside quiet hours, else the end of this quiet period (in UTC)."""
        local = moment.astimezone(tz)
        if not self.contains(local.time().replace(tzinfo=None)):
            return moment
        end_day = local.date() if local.time() < self.end else local.date() + dt.timedelta(days=1)
        end = dt.datetime.combine(end_day, self.end, tzinfo=tz)
        return end.astimezone(dt.UTC)


def zone(name: str) -> ZoneInfo:
    from zoneinfo import ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"Неизвестный часовой пояс «{name}» (пример: Asia/Yekaterinburg).") from None


def parse_offsets(items: list[str] | tuple[str, ...] | str) -> tuple[str, ...]:
    """"7d,3d,1d,morning" -> ("7d", "3d", "1d", "morning"), validated, latest last."""
    if isinstance(items, str):
        items = [i for i in items.replace(" ", "").split(",") if i]
    out = []
    for item in items:
        item = item.strip().lower()
        if item != MORNING and not _OFFSET_RE.match(item):
            raise ScheduleError(f"Непонятное напоминание «{item}»: нужно вроде 7d (дни), 12h (часы) или morning.")
        if item not in out:
            out.append(item)
    return tuple(out)


def offsets_text(items: list[str] | tuple[str, ...]) -> str:
    """The reminders of a campaign in people's words: ("7d", "3d", "1d", "morning") -> «за 7 дней, за 3 дня, за день
    до срока и утром в день срока»; "12h" -> «за 12 часов»; none -> «нет»."""
    before = sorted((i for i in items if i != MORNING), key=offset_delta, reverse=True)
    parts = []
    for item in before:
        number, unit = _OFFSET_RE.match(item).groups()
        n = int(number)
        if unit == "d":
            parts.append("за день" if n == 1 else f"за {n} {plural(n, 'день', 'дня', 'дней')}")
        else:
            parts.append("за час" if n == 1 else f"за {n} {plural(n, 'час', 'часа', 'часов')}")
    text = ", ".join(parts) + (" до срока" if parts else "")
    if MORNING in items:
        text += (" и " if parts else "") + "утром в день срока"
    return text or "нет"


def quiet_text(quiet: str) -> str:
    """Quiet hours in people's words: «21:00-08:00» -> «с 21:00 до 08:00 сообщения не отправляются»."""
    hours = QuietHours.parse(quiet)
    if hours.start == hours.end:
        return "сообщения отправляются в любое время суток"
    return f"с {hours.start:%H:%M} до {hours.end:%H:%M} сообщения не отправляются"


def days_left(now: dt.datetime, deadline: dt.datetime, timezone: str) -> str:
    """How long is left in calendar days of the zone, without the deadline itself: «осталось 7 дней», «срок завтра»,
    «срок сегодня», «срок прошёл» (for a line that states the deadline once)."""
    tz = zone(timezone)
    if deadline <= now:
        return "срок прошёл"
    days = (deadline.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days == 0:
        return "срок сегодня"
    if days == 1:
        return "срок завтра"
    return f"осталось {days} {plural(days, 'день', 'дня', 'дней')}"


def offset_delta(item: str) -> dt.timedelta:
    number, unit = _OFFSET_RE.match(item).groups()
    return dt.timedelta(days=int(number)) if unit == "d" else dt.timedelta(hours=int(number))


def nominal_time(item: str, deadline: dt.datetime, tz: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """When an offset would fire before quiet hours are applied ("morning": the deadline day's morning)."""
    if item == MORNING:
        local_deadline = deadline.astimezone(tz)
        return dt.datetime.combine(local_deadline.date(), quiet.end, tzinfo=tz).astimezone(dt.UTC)
    return deadline - offset_delta(item)


def due_time(item: str, deadline: dt.datetime, tz: ZoneInfo, quiet: QuietHours) -> dt.datetime | None:
    """When the reminder goes out, moved out of quiet hours; None if that is not before the deadline."""
    moment = quiet.next_allowed(nominal_time(item, deadline, tz, quiet), tz)
    return moment if moment < deadline else None


def reminder_times(
    offsets: tuple[str, ...], deadline: dt.datetime, tz: ZoneInfo, quiet: QuietHours
) -> dict[str, dt.datetime]:
    """{offset: due time} for the offsets that fit before the deadline; several landing on one
    moment (say 1d at 22:00 and the morning both move to 08:00) collapse into the latest offset."""
    times: dict[str, dt.datetime] = {}
    for item in offsets:
        due = due_time(item, deadline, tz, quiet)
        if due is not None:
            times[item] = due
    by_moment: dict[dt.datetime, str] = {}
    for item, due in sorted(times.items(), key=lambda kv: nominal_time(kv[0], deadline, tz, quiet)):
        by_moment[due] = item  # the later nominal offset wins the shared moment
    return {item: due for due, item in by_moment.items()}


def after_quiet(moment: dt.datetime, tz: ZoneInfo, quiet: QuietHours) -> dt.datetime:
    return quiet.next_allowed(moment, tz)


def human_left(now: dt.datetime, deadline: dt.datetime, timezone: str = "UTC") -> str:
    """How long is left, in whole calendar days of the campaign's time zone (a reminder sent 7 days
    before says 7, not 6): «осталось 7 дней, срок до 15.12.2026 18:00», «срок завтра, 15.12.2026 до
    18:00», «срок сегодня до 18:00»."""
    tz = zone(timezone)
    local_now, local_deadline = now.astimezone(tz), deadline.astimezone(tz)
    if deadline <= now:
        return f"срок истёк {local_deadline:%d.%m.%Y %H:%M}"
    days = (local_deadline.date() - local_now.date()).days
    if days == 0:
        return f"срок сегодня до {local_deadline:%H:%M}"
    if days == 1:
        return f"срок завтра, {local_deadline:%d.%m.%Y} до {local_deadline:%H:%M}"
    return f"осталось {days} {plural(days, 'день', 'дня', 'дней')}, срок до {local_deadline:%d.%m.%Y %H:%M}"
