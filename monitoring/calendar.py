"""The monitoring calendar as data (monitoring/calendar.yaml) and a municipality's plan for one school year.

The calendar names, for each monitoring of the methodology, the months it falls in and what happens then:
a questionnaire opens (one of surveys/packs) or the coordinators are reminded what to do. A plan
(`make_plan`) writes one `CalendarItem` per calendar item with its local dates; the scheduler's job opens the
campaigns that fall due (`open_item`, through monitoring.campaigns.create_campaign and its reminders) and says
in the coordinators' chat, once, what was opened, reminded, or is due and not opened. The database is the
source of truth: an item leaves «planned» in one conditional update, so two processes, a restart or a second
run open it once; every notice is a `CalendarMessage` row with a unique key, written before it is sent.

One questionnaire opens once per school year: the summary of a period counts the answers of every campaign
of a pack in that period together, so a second campaign would count a teacher twice. Of the two months of a
monitoring one opens the questionnaire; the other is a reminder to the coordinators.

No aiogram here, and nothing commits: the caller does (the CLI's helper, the handler's session, the job).
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.campaigns import coordinator_chats, create_campaign
from monitoring.schedule import (
    QuietHours,
    ScheduleError,
    after_quiet,
    parse_offsets,
    zone,
)
from storage.accounts import Contact, reachable_clause
from storage.models import (
    CalendarItem,
    CalendarMessage,
    CalendarState,
    Campaign,
    CampaignState,
    Municipality,
    Person,
    Role,
    SurveyVersion,
)
from surveys.errors import ServiceError
from surveys.loader import available_packs, load_pack
from surveys.periods import (
    PeriodError,
    next_school_year,
    normalize_period,
    previous_school_year,
    school_year_of,
)

DEFAULT_FILE = Path(__file__).with_name("calendar.yaml")
SCHOOL_YEAR_STARTS = 9
# A campaign whose date passed while it could not be opened (the bot was down, the plan came later) still
# opens while at least this much of its time is left; otherwise it is named in the chat as not opened.
LATE_MARGIN = dt.timedelta(days=1)
LATE_NOTE = dt.timedelta(hours=1)  # opened this much after its date: the notice says it opened late
PLACEHOLDERS = frozenset({"municipality", "period", "previous_period", "end_year", "end_year_2"})
METHODS = ("regional_lists", "criteria", "sverdlovsk")
CAMPAIGN, TASK = "campaign", "task"


class CalendarError(ValueError):
    """The calendar file is wrong; the message is Russian and names the file and the item."""


# --- the calendar file ---------------------------------------------------------------------


class ItemDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    opens: str | None = None
    task: str | None = None
    task_by_method: dict[str, str] | None = None
    deadline_days: int = Field(ge=1, le=120)
    purpose: str = Field(min_length=1, max_length=600)

    @model_validator(mode="after")
    def _one_action(self) -> ItemDef:
        actions = [a for a in (self.opens, self.task, self.task_by_method) if a]
        if len(actions) != 1:
            raise ValueError(f"{self.key}: нужно ровно одно из opens (анкета), task или task_by_method (напоминание)")
        if self.opens and self.opens not in available_packs():
            raise ValueError(f"{self.key}: анкеты «{self.opens}» нет (есть: {', '.join(available_packs())})")
        if self.task_by_method:
            if set(self.task_by_method) != set(METHODS):
                raise ValueError(f"{self.key}: task_by_method задаёт текст для каждого метода: {', '.join(METHODS)}")
        for text in (self.task, *(self.task_by_method or {}).values()):
            if text:
                unknown = {name for _, name, _, _ in string.Formatter().parse(text) if name} - PLACEHOLDERS
                if unknown:
                    raise ValueError(f"{self.key}: неизвестная подстановка {{{sorted(unknown)[0]}}} "
                                     f"(есть: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))})")
        try:
            dt.date(2027, self.month, self.day)  # a year without 29 February: the day exists every year
        except ValueError:
            raise ValueError(f"{self.key}: дня {self.day:02d}.{self.month:02d} бывает не каждый год") from None
        return self


class MonitoringDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    title: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=300)
    items: tuple[ItemDef, ...] = Field(min_length=1)


class CalendarDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    opening_time: dt.time
    deadline_time: dt.time
    reminder_offsets: tuple[str, ...]
    quiet_hours: str
    monitorings: tuple[MonitoringDef, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _settings(self) -> CalendarDef:
        try:
            parse_offsets(self.reminder_offsets)
            QuietHours.parse(self.quiet_hours)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
        keys = [item.key for m in self.monitorings for item in m.items]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"пункт {twice[0]} встречается дважды")
        opened = [item.opens for m in self.monitorings for item in m.items if item.opens]
        again = sorted({p for p in opened if opened.count(p) > 1})
        if again:
            raise ValueError(f"анкета {again[0]} открывается дважды за учебный год: ответы двух кампаний одного "
                             "периода считались бы вместе; второй месяц сделайте напоминанием (task)")
        return self

    def entries(self) -> list[Entry]:
        """Every item with its monitoring, in the order of the school year (September first)."""
        flat = [Entry(item, monitoring, n) for n, (monitoring, item) in
                enumerate((m, i) for m in self.monitorings for i in m.items)]
        return sorted(flat, key=lambda e: ((e.item.month - SCHOOL_YEAR_STARTS) % 12, e.item.day, e.order))

    def entry(self, key: str) -> Entry | None:
        return next((e for e in self.entries() if e.item.key == key), None)


@dataclass(frozen=True, slots=True)
class Entry:
    item: ItemDef
    monitoring: MonitoringDef
    order: int

    @property
    def kind(self) -> str:
        return CAMPAIGN if self.item.opens else TASK

    def dates(self, calendar: CalendarDef, period: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """(opens at, deadline) in UTC: the item's day of the school year at the opening time, local time."""
        tz = zone(timezone)
        start = int(period[:4])
        day = dt.date(start if self.item.month >= SCHOOL_YEAR_STARTS else start + 1, self.item.month, self.item.day)
        opens = dt.datetime.combine(day, calendar.opening_time, tz)
        deadline = dt.datetime.combine(day + dt.timedelta(days=self.item.deadline_days), calendar.deadline_time, tz)
        return opens.astimezone(dt.UTC), deadline.astimezone(dt.UTC)

    def task_text(self, municipality: Municipality, period: str) -> str:
        template = self.item.task or (self.item.task_by_method or {}).get(municipality.identification_method) \
            or next(iter((self.item.task_by_method or {}).values()), "")
        end = int(period[-4:])
        values = {"municipality": municipality.id, "period": period, "previous_period": previous_school_year(period),
                  "end_year": end, "end_year_2": end - 2}
        return " ".join(template.format(**values).split())


def load_calendar(path: str | Path | None = None) -> CalendarDef:
    path = Path(path) if path else DEFAULT_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CalendarError(f"Календарь {path}: файл не читается ({exc}).") from None
    try:
        return CalendarDef.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise CalendarError(f"Календарь {path}: {where + ': ' if where else ''}{message}") from None


# --- the school year -----------------------------------------------------------------------


def school_year_bounds(period: str, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """1 September 00:00 of the first year to 1 September 00:00 of the next, local time, as UTC."""
    tz = zone(timezone)
    start = int(period[:4])
    return (dt.datetime(start, 9, 1, tzinfo=tz).astimezone(dt.UTC), dt.datetime(start + 1, 9, 1, tzinfo=tz).astimezone(dt.UTC))


def default_year(calendar: CalendarDef, timezone: str, now: dt.datetime) -> str:
    """The school year /calendar shows by default: the current one, or the next once nothing of the current is ahead
    (in the summer a coordinator plans September)."""
    current = school_year_of(now, timezone)
    if all(entry.dates(calendar, current, timezone)[1] <= now for entry in calendar.entries()):
        return next_school_year(current)
    return current


def _period(text: str) -> str:
    try:
        return normalize_period(text)
    except PeriodError as exc:
        raise ServiceError(str(exc)) from None


def _local(moment: dt.datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime("%d.%m.%Y %H:%M")


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def window_open(kind: str, deadline: dt.datetime, now: dt.datetime) -> bool:
    """Whether a due item can still be acted on: a campaign while a day of it is left, a reminder until its date."""
    return now < (deadline - LATE_MARGIN if kind == CAMPAIGN else deadline)


async def pack_campaigns(session: AsyncSession, municipality_id: int, period: str) -> dict[str, Campaign]:
    """Survey key -> the latest campaign of that survey in the period (open or closed)."""
    rows = await session.execute(
        select(SurveyVersion.survey_key, Campaign)
        .join(Campaign, Campaign.survey_version_id == SurveyVersion.id)
        .where(Campaign.municipality_id == municipality_id, Campaign.period == period)
        .order_by(Campaign.id)
    )
    return {key: campaign for key, campaign in rows}


@lru_cache(maxsize=32)
def _pack(name: str) -> Any:
    return load_pack(name)


def _survey_key(pack: str) -> str:
    return _pack(pack).id


# --- what a plan looks like ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One line of a plan (or of the calendar, where no plan was made) and its state now.

    status: planned | due | failing | overdue | duplicate | opened | existing | skipped | done | missed
    (a plan's items), not_planned | not_planned_past | not_planned_existing (the calendar without a plan).
    """

    number: int
    key: str
    kind: str
    pack: str | None
    pack_title: str | None
    title: str
    purpose: str
    source: str
    opens_at: dt.datetime
    deadline: dt.datetime
    planned_opens_at: dt.datetime
    status: str
    item_id: int | None = None
    campaign_id: int | None = None
    campaign_state: CampaignState | None = None  # of the campaign it opened or found
    error: str | None = None
    changed_at: dt.datetime | None = None

    @property
    def shifted(self) -> bool:
        return self.opens_at != self.planned_opens_at

    @property
    def can_shift(self) -> bool:
        return self.item_id is not None and self.status in ("planned", "due", "failing", "overdue", "skipped", "missed")

    @property
    def can_skip(self) -> bool:
        return self.item_id is not None and self.status in ("planned", "due", "failing", "overdue", "duplicate")


@dataclass(frozen=True, slots=True)
class PlanView:
    municipality: Municipality
    period: str
    planned: bool  # a plan was made for this school year
    lines: list[PlanLine]
    made_at: dt.datetime | None = None
    ended: bool = False  # the school year is over: nothing to plan any more

    @property
    def timezone(self) -> str:
        return self.municipality.timezone

    def line(self, item_id: int) -> PlanLine | None:
        return next((line for line in self.lines if line.item_id == item_id), None)


def _pack_title(pack: str | None) -> str | None:
    return _pack(pack).title if pack else None


async def plan_view(session: AsyncSession, calendar: CalendarDef, municipality: Municipality, period: str,
                    now: dt.datetime) -> PlanView:
    period = _period(period)
    rows = list(await session.scalars(
        select(CalendarItem).where(CalendarItem.municipality_id == municipality.id, CalendarItem.period == period)
        .order_by(CalendarItem.planned_opens_at, CalendarItem.id)
    ))
    by_pack = await pack_campaigns(session, municipality.id, period)
    entries = {e.item.key: e for e in calendar.entries()}
    ended = now >= school_year_bounds(period, municipality.timezone)[1]
    lines: list[PlanLine] = []
    if rows:
        for number, row in enumerate(rows, start=1):
            entry = entries.get(row.key)
            existing = by_pack.get(_survey_key(row.pack)) if row.pack else None
            linked = await session.get(Campaign, row.campaign_id) if row.campaign_id else None
            status = row.state
            if row.state == CalendarState.PLANNED:
                if row.kind == CAMPAIGN and existing is not None:
                    status, linked = "duplicate", existing
                elif row.opens_at > now:
                    status = "planned"
                elif window_open(row.kind, row.deadline, now):
                    status = "failing" if row.last_error else "due"
                else:
                    status = "overdue"
            lines.append(PlanLine(
                number, row.key, row.kind, row.pack, _pack_title(row.pack), row.title,
                entry.item.purpose if entry else "", entry.monitoring.source if entry else "",
                row.opens_at, row.deadline, row.planned_opens_at, status, row.id,
                linked.id if linked else None, linked.state(now) if linked else None, row.last_error, row.changed_at,
            ))
        return PlanView(municipality, period, True, lines, min(r.created_at for r in rows), ended)
    for number, entry in enumerate(calendar.entries(), start=1):
        opens, deadline = entry.dates(calendar, period, municipality.timezone)
        existing = by_pack.get(_survey_key(entry.item.opens)) if entry.item.opens else None
        if existing is not None:
            status = "not_planned_existing"
        elif opens <= now and entry.kind == CAMPAIGN:
            status = "not_planned_past"
        else:
            status = "not_planned"
        lines.append(PlanLine(
            number, entry.item.key, entry.kind, entry.item.opens, _pack_title(entry.item.opens), entry.monitoring.title,
            entry.item.purpose, entry.monitoring.source, opens, deadline, opens, status, None,
            existing.id if existing else None, existing.state(now) if existing else None,
        ))
    return PlanView(municipality, period, False, lines, None, ended)


# --- making and changing a plan ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanResult:
    view: PlanView
    added: int  # items written now (0: the plan was there already)
    already: bool  # a plan for this school year existed before


async def make_plan(session: AsyncSession, calendar: CalendarDef, municipality: Municipality, period: str,
                    now: dt.datetime) -> PlanResult:
    """Write the school year's plan; a second call adds only items the calendar gained since (none: nothing changes).

    An item whose campaign already exists (opened by hand) is recorded as such and never duplicated; one
    whose time passed before the plan was made is recorded as missed (it can be shifted to a later date).
    """
    period = _period(period)
    start, end = school_year_bounds(period, municipality.timezone)
    if now >= end:
        current = school_year_of(now, municipality.timezone)
        raise ServiceError(f"Учебный год {period} уже закончился (31.08.{period[-4:]}): составить план можно на текущий "
                           f"({current}) или следующий учебный год.")
    have = set(await session.scalars(
        select(CalendarItem.key).where(CalendarItem.municipality_id == municipality.id, CalendarItem.period == period)
    ))
    by_pack = await pack_campaigns(session, municipality.id, period)
    added = 0
    for entry in calendar.entries():
        if entry.item.key in have:
            continue
        opens, deadline = entry.dates(calendar, period, municipality.timezone)
        existing = by_pack.get(_survey_key(entry.item.opens)) if entry.item.opens else None
        state, error = CalendarState.PLANNED, None
        if existing is not None:
            state = CalendarState.EXISTING
        elif opens <= now and not window_open(entry.kind, deadline, now):
            state, error = CalendarState.MISSED, "план составлен после срока"
        session.add(CalendarItem(
            municipality_id=municipality.id, period=period, key=entry.item.key, kind=entry.kind, pack=entry.item.opens,
            title=entry.monitoring.title, planned_opens_at=opens, opens_at=opens, deadline=deadline,
            reminder_offsets=list(calendar.reminder_offsets), quiet_hours=calendar.quiet_hours, state=state,
            campaign_id=existing.id if existing else None, last_error=error, created_at=now,
        ))
        added += 1
    await session.flush()
    return PlanResult(await plan_view(session, calendar, municipality, period, now), added, bool(have))


async def plan_item(session: AsyncSession, municipality: Municipality, item_id: int) -> CalendarItem:
    item = await session.get(CalendarItem, item_id)
    if item is None or item.municipality_id != municipality.id:
        raise ServiceError("Это не ваши данные.")
    return item


async def find_item(session: AsyncSession, municipality_id: int, item_id: Any) -> CalendarItem | None:
    """The municipality's plan item of this id (an int kept in a conversation), or None: not there, not theirs."""
    item = await session.get(CalendarItem, item_id) if isinstance(item_id, int) else None
    return item if item is not None and item.municipality_id == municipality_id else None


async def municipalities(session: AsyncSession, ids: Iterable[int]) -> dict[int, Municipality]:
    """The municipalities of these ids that exist, by id (the towns of the notices to send)."""
    found = [await session.get(Municipality, i) for i in set(ids)]
    return {m.id: m for m in found if m is not None}


async def item_by_number(session: AsyncSession, municipality: Municipality, period: str, number: int) -> CalendarItem:
    """The item shown under this number in the plan (`shnor calendar shift|skip --item N`)."""
    period = _period(period)
    rows = list(await session.scalars(
        select(CalendarItem).where(CalendarItem.municipality_id == municipality.id, CalendarItem.period == period)
        .order_by(CalendarItem.planned_opens_at, CalendarItem.id)
    ))
    if not rows:
        raise ServiceError(f"План на {period} не составлен: shnor calendar plan --municipality {municipality.id} --year {period}.")
    if not 1 <= number <= len(rows):
        raise ServiceError(f"В плане на {period} пункты с 1 по {len(rows)}, пункта {number} нет.")
    return rows[number - 1]


def _what(item: CalendarItem) -> str:
    return f"«{_pack_title(item.pack)}»" if item.pack else f"напоминание «{item.title}»"


async def _refuse_finished(session: AsyncSession, item: CalendarItem, doing: str) -> None:
    tz = (await session.get(Municipality, item.municipality_id)).timezone
    if item.state == CalendarState.OPENED:
        raise ServiceError(f"{_what(item)} уже открыта по календарю (кампания №{item.campaign_id}): {doing} нечего. "
                           "Срок кампании меняется и она закрывается в /campaigns.")
    if item.state == CalendarState.EXISTING:
        raise ServiceError(f"{_what(item)} за {item.period} уже собирается в кампании №{item.campaign_id} (открыта вручную): "
                           f"календарь её не открывает, {doing} нечего.")
    if item.state == CalendarState.DONE:
        raise ServiceError(f"Напоминание «{item.title}» уже отправлено {_local(item.changed_at or item.opens_at, tz)}: {doing} нечего.")


async def ensure_shiftable(session: AsyncSession, municipality: Municipality, item: CalendarItem) -> None:
    """Refuse to shift what is done (opened, found opened by hand, sent) or what a campaign made pointless."""
    await _refuse_finished(session, item, "сдвигать")
    if item.pack:
        existing = (await pack_campaigns(session, municipality.id, item.period)).get(_survey_key(item.pack))
        if existing is not None:
            raise ServiceError(f"Кампания №{existing.id} «{_pack_title(item.pack)}» за {item.period} уже есть (открыта "
                               "вручную): календарь вторую не откроет, сдвигать нечего. Пропустите этот пункт.")


async def shift_item(session: AsyncSession, municipality: Municipality, item: CalendarItem, when: dt.datetime,
                     now: dt.datetime) -> CalendarItem:
    """Move an item's opening to `when` (UTC); the deadline keeps its number of days and its local time.

    A skipped or missed item shifted to a future date is planned again.
    """
    await ensure_shiftable(session, municipality, item)
    tz = municipality.timezone
    if when <= now:
        raise ServiceError(f"{_local(when, tz)} уже прошло: напишите будущие дату и время, например "
                           f"{_local(now + dt.timedelta(days=1), tz)[:10]} 09:00.")
    start, end = school_year_bounds(item.period, tz)
    if not start <= when < end:
        raise ServiceError(f"{_local(when, tz)[:10]} — вне учебного года {item.period} (01.09.{item.period[:4]}–"
                           f"31.08.{item.period[-4:]}): анкета собирает факты этого года. Для другого года составьте его план.")
    local_open, local_deadline = item.opens_at.astimezone(zone(tz)), item.deadline.astimezone(zone(tz))
    days = (local_deadline.date() - local_open.date()).days
    new_open = when.astimezone(zone(tz))
    deadline = dt.datetime.combine(new_open.date() + dt.timedelta(days=days), local_deadline.time(), zone(tz))
    if deadline <= new_open:
        deadline = new_open + (item.deadline - item.opens_at)
    item.opens_at = when
    item.deadline = deadline.astimezone(dt.UTC)
    item.state = CalendarState.PLANNED
    item.last_error = None
    item.changed_at = now
    await session.flush()
    return item


async def ensure_skippable(session: AsyncSession, item: CalendarItem) -> None:
    await _refuse_finished(session, item, "пропускать")
    if item.state == CalendarState.SKIPPED:
        raise ServiceError(f"«{_pack_title(item.pack)}» уже пропущена." if item.pack else f"Напоминание «{item.title}» уже пропущено.")
    if item.state == CalendarState.MISSED:
        raise ServiceError(f"Пункт ({_what(item)}) не состоялся в срок: {item.last_error}. Пропускать нечего; "
                           "чтобы провести его, сдвиньте пункт на новую дату.")


async def skip_item(session: AsyncSession, item: CalendarItem, now: dt.datetime) -> CalendarItem:
    await ensure_skippable(session, item)
    item.state = CalendarState.SKIPPED
    item.changed_at = now
    await session.flush()
    return item


# --- the job: open what is due, name what is not -------------------------------------------


async def due_items(session: AsyncSession, now: dt.datetime) -> list[int]:
    return list(await session.scalars(
        select(CalendarItem.id).where(CalendarItem.state == CalendarState.PLANNED, CalendarItem.opens_at <= now)
        .order_by(CalendarItem.opens_at, CalendarItem.id)
    ))


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the job did with a due item: opened | existing | task | missed | waiting (no one to tell yet) | gone."""

    what: str
    campaign: Campaign | None = None


async def _notify(session: AsyncSession, municipality: Municipality, period: str, item_key: str, key: str, kind: str,
                  detail: dict[str, Any], quiet: str, now: dt.datetime, chats: list[Contact] | None = None) -> int:
    """Write one message per coordinators' chat, unless this notice was written before; returns how many."""
    done = await session.scalar(select(CalendarMessage.id).where(
        CalendarMessage.municipality_id == municipality.id, CalendarMessage.period == period,
        CalendarMessage.item_key == item_key, CalendarMessage.key == key).limit(1))
    if done is not None:
        return 0
    chats = chats if chats is not None else await coordinator_chats(session, municipality.id)
    due = after_quiet(now, zone(municipality.timezone), QuietHours.parse(quiet))
    detail = {**detail, "quiet": quiet}
    for chat in chats:
        session.add(CalendarMessage(municipality_id=municipality.id, period=period, item_key=item_key, key=key, kind=kind,
                                    channel=chat.channel, chat_id=chat.chat_id, detail=detail, due_at=due, state="pending",
                                    created_at=now))
    await session.flush()
    return len(chats)


def _detail(item: CalendarItem, **extra: Any) -> dict[str, Any]:
    return {"title": item.title, "pack": item.pack, "pack_title": _pack_title(item.pack), "opens_at": item.opens_at.isoformat(),
            "deadline": item.deadline.isoformat(), **extra}


async def open_item(session: AsyncSession, calendar: CalendarDef, item_id: int, now: dt.datetime) -> Outcome:
    """Act on one due item, exactly once: it leaves «planned» in a conditional update that a second process (or a
    second run) finds already done. A refusal of create_campaign propagates: the caller rolls back (the item stays
    planned) and calls `record_failure`."""
    claimed = await session.execute(
        update(CalendarItem)
        .where(CalendarItem.id == item_id, CalendarItem.state == CalendarState.PLANNED, CalendarItem.opens_at <= now)
        .values(state=CalendarState.OPENED, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return Outcome("gone")
    item = await session.get(CalendarItem, item_id, populate_existing=True)
    municipality = await session.get(Municipality, item.municipality_id)
    if item.kind == TASK:
        if not window_open(TASK, item.deadline, now):
            item.state, item.last_error = CalendarState.MISSED, "бот не работал до срока напоминания"
            return Outcome("missed")
        chats = await coordinator_chats(session, municipality.id)
        if not chats:
            item.state = CalendarState.PLANNED  # nobody to remind yet: tried again at the next run
            return Outcome("waiting")
        entry = calendar.entry(item.key)
        task = entry.task_text(municipality, item.period) if entry else ""
        item.state = CalendarState.DONE
        await _notify(session, municipality, item.period, item.key, f"task@{_stamp(item.opens_at)}", "task",
                      _detail(item, task=task), item.quiet_hours, now, chats)
        return Outcome("task")
    existing = (await pack_campaigns(session, municipality.id, item.period)).get(_survey_key(item.pack))
    if existing is not None:
        item.state, item.campaign_id = CalendarState.EXISTING, existing.id
        await _notify(session, municipality, item.period, item.key, f"existing@{existing.id}", "existing",
                      _detail(item, campaign_id=existing.id), item.quiet_hours, now)
        return Outcome("existing", existing)
    if not window_open(CAMPAIGN, item.deadline, now):
        item.state = CalendarState.MISSED
        item.last_error = item.last_error or "срок по плану прошёл до открытия (бот не работал)"
        await _notify(session, municipality, item.period, item.key, f"overdue@{_stamp(item.opens_at)}", "overdue",
                      _detail(item, reason="late", error=item.last_error), item.quiet_hours, now)
        return Outcome("missed")
    campaign = await create_campaign(
        session, municipality=municipality, survey=load_pack(item.pack), period=item.period, deadline=item.deadline,
        opens_at=now, offsets=tuple(item.reminder_offsets), quiet_hours=item.quiet_hours, timezone=municipality.timezone,
        now=now,
    )
    item.campaign_id = campaign.id
    item.last_error = None
    await _notify(session, municipality, item.period, item.key, f"opened@{campaign.id}", "opened",
                  _detail(item, campaign_id=campaign.id, late=now - item.opens_at > LATE_NOTE), item.quiet_hours, now)
    return Outcome("opened", campaign)


async def record_failure(session: AsyncSession, item_id: int, error: str, now: dt.datetime) -> bool:
    """The opening was refused (in a transaction rolled back): keep the reason, and name the item in the chat once.
    Returns whether the reason is new (worth a line in the log)."""
    item = await session.get(CalendarItem, item_id)
    if item is None or item.state != CalendarState.PLANNED:
        return False
    new = item.last_error != error[:300]
    item.last_error = error[:300]
    municipality = await session.get(Municipality, item.municipality_id)
    await _notify(session, municipality, item.period, item.key, f"overdue@{_stamp(item.opens_at)}", "overdue",
                  _detail(item, reason="failed", error=item.last_error), item.quiet_hours, now)
    return new


async def name_unplanned(session: AsyncSession, calendar: CalendarDef, now: dt.datetime) -> int:
    """Municipalities without a plan for their current school year: each calendar questionnaire whose date has
    passed (since the municipality was set up) and that has no campaign of its pack in the period is named in
    the coordinators' chat, once. Returns the messages written."""
    municipalities = list(await session.scalars(select(Municipality).order_by(Municipality.id)))
    if not municipalities:
        return 0
    planned = {tuple(r) for r in await session.execute(select(CalendarItem.municipality_id, CalendarItem.period).distinct())}
    periods = {m.id: school_year_of(now, m.timezone) for m in municipalities}
    have = {tuple(r) for r in await session.execute(
        select(Campaign.municipality_id, Campaign.period, SurveyVersion.survey_key)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .where(Campaign.period.in_(sorted(set(periods.values()))))
    )}
    named = {tuple(r) for r in await session.execute(
        select(CalendarMessage.municipality_id, CalendarMessage.period, CalendarMessage.item_key, CalendarMessage.key)
        .where(CalendarMessage.kind == "overdue", CalendarMessage.period.in_(sorted(set(periods.values()))))
    )}
    # whom a notice can reach: a coordinators' group, or a reachable coordinator (monitoring.campaigns.coordinator_chats)
    reachable = {m.id for m in municipalities if m.coordinators_chat_id} | set(await session.scalars(
        select(Person.municipality_id).where(Person.role.in_([Role.COORDINATOR, Role.ADMIN]), reachable_clause())
        .distinct()
    ))
    entries = [e for e in calendar.entries() if e.kind == CAMPAIGN]
    written = 0
    for municipality in municipalities:
        period = periods[municipality.id]
        if (municipality.id, period) in planned or municipality.id not in reachable:
            continue
        for entry in entries:
            opens, deadline = entry.dates(calendar, period, municipality.timezone)
            if opens > now or opens < municipality.created_at:
                continue
            if (municipality.id, period, _survey_key(entry.item.opens)) in have:
                continue
            key = f"overdue@{_stamp(opens)}"
            if (municipality.id, period, entry.item.key, key) in named:
                continue
            detail = {"title": entry.monitoring.title, "pack": entry.item.opens, "pack_title": _pack_title(entry.item.opens),
                      "opens_at": opens.isoformat(), "deadline": deadline.isoformat(), "reason": "no_plan"}
            written += await _notify(session, municipality, period, entry.item.key, key, "overdue", detail,
                                     calendar.quiet_hours, now)
    return written


# --- the calendar's outbox -----------------------------------------------------------------


async def pending_messages(session: AsyncSession, now: dt.datetime, channels: Iterable[str]) -> list[CalendarMessage]:
    """The due messages to the chats of `channels` (a process sends in the channels it runs; another, on the same
    database, sends the rest)."""
    return list(await session.scalars(
        select(CalendarMessage).where(CalendarMessage.state == "pending", CalendarMessage.due_at <= now,
                                      CalendarMessage.channel.in_(list(channels)))
        .order_by(CalendarMessage.due_at, CalendarMessage.id)
    ))


SEND_LEASE = dt.timedelta(minutes=5)


async def claim_message(session: AsyncSession, message_id: int, now: dt.datetime) -> bool:
    """Take a due message for sending: its due time moves SEND_LEASE ahead in one conditional update, so a second
    process finds it not due; if this one dies before marking it, the message falls due again after the lease."""
    claimed = await session.execute(
        update(CalendarMessage)
        .where(CalendarMessage.id == message_id, CalendarMessage.state == "pending", CalendarMessage.due_at <= now)
        .values(due_at=now + SEND_LEASE)
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


async def mark_message(session: AsyncSession, message_id: int, state: str, now: dt.datetime, error: str | None = None) -> None:
    await session.execute(
        update(CalendarMessage).where(CalendarMessage.id == message_id, CalendarMessage.state == "pending")
        .values(state=state, sent_at=now if state == "sent" else None, error=(error or None) and error[:300])
    )


async def mark_message_ambiguous(session: AsyncSession, message_id: int, ambiguous: int) -> None:
    await session.execute(update(CalendarMessage).where(CalendarMessage.id == message_id).values(ambiguous=ambiguous))
