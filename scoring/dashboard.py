"""The dashboard's data (the Mini App, bot.webapp): plain rows from a Summary, and the Summary kept while the data
behind it stay the same. No messenger, no HTML: bot.webapp.views renders these.

Every value becomes words through scoring.shown (the one place that says «нет данных» with its reason, «балл не
определён», «не применяется»), a school's actions come from scoring.card's plan, completion from
monitoring.completion: the page says what the chat, the workbook and the Word documents say.

Ranking «who needs a methodical landing first»: the summary's own order of the lowest scorers (Summary.lowest: the
ratio of points to the points decided, lowest first, by name), then the schools whose questionnaire the period asked
for and did not get (their points are incomplete, so they are not ranked among the lowest).

The cache (SummaryCache): the region's summary takes seconds to build (every period on record is read and scored),
the page must answer within 1 s. So the dashboard builds the summary light (scoring.service.build_summary(light=True):
no raw answers, exam dynamics or development tallies, which the page does not show) and keeps it with the fingerprint
of everything it is made of (`data_version`): per period, its campaigns and their state at `now` (a deadline passing
changes what is still collecting), their responses (count, versions: every answer, submit and return bumps a
response's version; the latest update), returns, the period's statuses and registry flags; shared by every period, the
municipality's own settings, its schools and the people registered. A request reads the fingerprint (a few aggregate
queries) and rebuilds when it differs, so every number shown is the database's now; only «по состоянию на» is set
to now. Each period's loaded data and scores are kept under that period's fingerprint too: an answer in this year's
collection rebuilds this year only, the years before are taken as they were.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import logging
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.completion import TeacherCompletion, form_state
from scoring import card, shown
from scoring.indicators import SchoolScore, Value
from scoring.methodology import Indicator
from scoring.summary import Summary
from storage.models import (
    Campaign,
    Municipality,
    Person,
    Response,
    ResponseReturn,
    School,
    SchoolPeriod,
    SchoolStatus,
    campaign_state,
)

STATUSES = {  # the status filter: key -> (words, test)
    "shnro": ("ШНРО", lambda s: s.shnro),
    "shnsu": ("ШНСУ", lambda s: s.shnsu),
    "risk_zone": ("зона риска", lambda s: s.risk_zone),
    "none": ("нет статуса", lambda s: not (s.shnro or s.shnsu or s.risk_zone)),
}
SORTS = {
    "need": "меньше баллов — выше",
    "best": "больше баллов — выше",
    "name": "по названию",
    "completion": "меньше ответивших — выше",
}
PAGE = 30  # rows of the matrix a page

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Cell:
    mark: str  # ok | zero | nodata | pending | info | na: the cell's colour
    text: str  # what the cell shows: «1», «0», «н/д», «?», «—»
    title: str  # the value in words (scoring.shown)


def mark(value: Value | None) -> str:
    if value is None or not value.applies:
        return "na"
    if value.value is None:  # «нет данных», a point or not: its own mark, never a 0
        return "nodata"
    if value.informational:
        return "info"
    if value.pending:
        return "pending"
    return "ok" if value.points else "zero"


SHORT = {"na": "—", "info": "i", "pending": "?", "nodata": "н/д"}


def cell(value: Value | None) -> Cell:
    m = mark(value)
    if value is None or not value.applies:
        return Cell(m, SHORT[m], shown.NOT_APPLICABLE)
    text = SHORT.get(m) or str(value.points)
    words = shown.with_reason(value)
    points = shown.points(value)
    return Cell(m, text, f"{words}; {points}" if points else words)


@dataclass(frozen=True, slots=True)
class Row:
    """A school in the matrix."""

    id: int
    name: str
    short_name: str
    status: str
    total: str  # «12 из 20 баллов; нет данных по 7 показателям»
    points: int
    maximum: int
    sent: bool  # its questionnaire is in (or the period asked for none)
    cells: list[Cell]
    teachers: TeacherCompletion | None


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = ""  # a STATUSES key, or "" for every school
    below: int | None = None  # total points below this
    zero: str = ""  # an indicator's code: schools where it scored a decided 0
    sort: str = "need"
    page: int = 0

    @classmethod
    def parse(cls, query: dict[str, str]) -> Filters:
        below = query.get("below", "").strip()
        page = query.get("page", "").strip()
        return cls(
            status=query.get("status", "") if query.get("status", "") in STATUSES else "",
            below=int(below) if below.isdigit() and len(below) < 4 else None,
            zero=query.get("zero", "")[:12],
            sort=query.get("sort", "need") if query.get("sort", "need") in SORTS else "need",
            page=min(int(page), 1000) if page.isdigit() and len(page) < 5 else 0,
        )


def ranked(summary: Summary) -> list[SchoolScore]:
    """Every school, those that most need help first (the module's rule)."""
    unsent = {s.school.id for s in summary.unsent()}
    lowest = summary.lowest(len(summary.scores.schools))
    rest = sorted((s for s in summary.scores.schools if s.school.id in unsent), key=lambda s: s.school.name)
    return lowest + rest


def _completion_key(summary: Summary, score: SchoolScore) -> tuple[float, str]:
    teachers = summary.completion.teachers.get(score.school.id)
    share = teachers.share if teachers is not None else None
    return (float(share) if share is not None else 2.0, score.school.name)


def _sorted(summary: Summary, sort: str) -> list[SchoolScore]:
    if sort == "best":
        return list(reversed(ranked(summary)))
    if sort == "name":
        return sorted(summary.scores.schools, key=lambda s: s.school.name)
    if sort == "completion":
        return sorted(summary.scores.schools, key=lambda s: _completion_key(summary, s))
    return ranked(summary)


def _keep(score: SchoolScore, filters: Filters) -> bool:
    if filters.status and not STATUSES[filters.status][1](score.school.status):
        return False
    if filters.below is not None and score.total >= filters.below:
        return False
    if filters.zero:
        value = score.values.get(filters.zero)
        if value is None or not value.scored or value.points:
            return False
    return True


def row(summary: Summary, score: SchoolScore) -> Row:
    sent = not summary.school_form_expected or summary.form_sent(score.school.id)
    return Row(
        score.school.id, score.school.name, score.school.short_name, score.school.status.title(),
        shown.total(score.total, score.maximum, len(score.no_data), len(score.pending)), score.total, score.maximum, sent,
        [cell(score.values.get(i.code)) for i in summary.methodology.school_indicators],
        summary.completion.teachers.get(score.school.id),
    )


def matrix(summary: Summary, filters: Filters, page: int = PAGE) -> tuple[list[Row], int]:
    """The rows of this page of the filtered, sorted matrix, and how many schools pass the filters."""
    kept = [s for s in _sorted(summary, filters.sort) if _keep(s, filters)]
    start = filters.page * page
    return [row(summary, s) for s in kept[start:start + page]], len(kept)


def status_counts(summary: Summary) -> list[tuple[str, str, int]]:
    """(filter key, words, schools) for each status; a school may have two (ШНРО and the risk zone)."""
    return [(key, words, sum(1 for s in summary.scores.schools if test(s.school.status)))
            for key, (words, test) in STATUSES.items()]


@dataclass(frozen=True, slots=True)
class CompletionLine:
    id: int
    name: str
    declared: int | None
    registered: int | None  # None: the school was not asked (outside the teacher campaign's audience)
    answered: int | None
    share: str  # «40,0 %», or «—»
    form: str  # the school questionnaire in words


def completion(summary: Summary) -> list[CompletionLine]:
    """Completion by school, the fewest answers against the declared staff first (monitoring.completion's counts)."""
    from storage.wording import percent

    c = summary.completion
    returned = c.returned_forms
    lines = []
    for score in sorted(summary.scores.schools, key=lambda s: _completion_key(summary, s)):
        t = c.teachers.get(score.school.id)
        form = form_state(c.school_form.get(score.school.id), score.school.id in returned) \
            if summary.school_form_expected else "—"
        lines.append(CompletionLine(score.school.id, score.school.short_name, t.declared if t else None,
                                    t.registered if t else None, t.submitted if t else None,
                                    percent(t.share) if t is not None and t.share is not None else "—", form))
    return lines


@dataclass(frozen=True, slots=True)
class HistoryLine:
    indicator: Indicator
    rule: str  # the threshold in words
    cells: list[tuple[Cell, str]]  # per period: the cell and the value in words


def municipal_history(summary: Summary) -> tuple[list[str], list[HistoryLine]]:
    """The municipal indicators in every period on record up to the summary's, against their thresholds."""
    periods = [scores.period for scores in summary.history]
    lines = []
    for indicator in summary.methodology.municipal_indicators:
        values = [scores.municipal.get(indicator.code) for scores in summary.history]
        if all(v is None or not v.applies for v in values):
            continue
        lines.append(HistoryLine(indicator, shown.threshold(indicator),
                                 [(cell(v), shown.value(v)) for v in values]))
    return periods, lines


def municipal_series(summary: Summary) -> list[tuple[Indicator, list[tuple[str, float | None]]]]:
    """The municipal shares with a threshold, per period (None: no data): the chart's lines."""
    out = []
    for indicator in summary.methodology.municipal_indicators:
        if indicator.threshold is None:
            continue
        points = []
        for scores in summary.history:
            v = scores.municipal.get(indicator.code)
            points.append((scores.period, float(v.value) if v is not None and v.applies and v.value is not None
                           and not isinstance(v.value, bool) else None))
        out.append((indicator, points))
    return out


@dataclass
class SchoolPage:
    score: SchoolScore
    title: str
    subtitle: str
    state: str
    total: str
    main: list[str]  # «Главное»: the card's first three actions
    zeros: list[str]  # the indicators that scored 0 in the period, in words
    municipality: list[str]  # what the municipality decides (not the school)
    periods: list[str]
    rows: list[tuple[Indicator, list[tuple[Cell, str]]]]  # every indicator that applies in some period: per period its
    # cell (the colour) and the card's words for it («58,8 % (1)», «нет данных», «—»)
    totals: list[tuple[str, int, int]]  # (period, points, maximum) for the chart
    teachers: str  # its teachers' completion, counts only (no names)
    form: str


def school_page(summary: Summary, school_id: int) -> SchoolPage | None:
    score = next((s for s in summary.scores.schools if s.school.id == school_id), None)
    if score is None:
        return None
    state = card.school_state(summary, score)
    plan = card.plan(summary, score, state)
    p = card.phrases()
    history = []
    for scores in summary.history:
        found = next((s for s in scores.schools if s.school.id == school_id), None)
        if found is not None:
            history.append((scores.period, found))
    rows = []
    for indicator in summary.methodology.school_indicators:
        values = [found.values.get(indicator.code) for _, found in history]
        if all(v is None or not v.applies for v in values):
            continue
        rows.append((indicator, [(cell(v), card.cell(v)) for v in values]))
    methodology = summary.methodology
    zeros = [f"{methodology.indicator(v.code).label}: {shown.with_reason(v)}" for v in score.zeros]
    teachers = summary.completion.teachers.get(school_id)
    returned = school_id in summary.completion.returned_forms
    return SchoolPage(
        score, card.title(score, state),
        p["subtitle"].format(municipality=summary.municipality.name, period=summary.period, status=score.school.status.title()),
        card.state_line(state), card.total_line(summary, score),
        [a.line() for a in plan.main], zeros, plan.municipality_lines(methodology),
        [period for period, _ in history], rows, [(period, s.total, s.maximum) for period, s in history],
        teachers.text() if teachers is not None else "педагогов в этом периоде не опрашивали",
        form_state(summary.completion.school_form.get(school_id), returned) if summary.school_form_expected
        else "анкету школы в этом периоде не собирали",
    )


# --- the summary kept while its data stay the same ---------------------------------------------------------------


def _digest(parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Version:
    """The fingerprint of a municipality's data: what every period shares (the municipality's settings, its schools,
    its people) and, per period, that period's own (its campaigns and their state at `now`, their responses and
    returns, the statuses and registry flags of the period)."""

    shared: str
    periods: dict[str, str]

    @property
    def whole(self) -> str:
        return _digest((self.shared, sorted(self.periods.items())))

    def of(self, period: str) -> str:
        return _digest((self.shared, self.periods.get(period, "")))


async def data_version(session: AsyncSession, municipality: Municipality, now: dt.datetime) -> Version:
    """The fingerprint of everything the dashboard's summary is made of (the module's list), at `now`."""
    mid = municipality.id
    shared: list[Any] = [municipality.name, municipality.timezone, municipality.identification_method,
                         getattr(municipality, "complete_at", None)]
    periods: dict[str, list[Any]] = defaultdict(list)
    campaigns = (await session.execute(
        select(Campaign.id, Campaign.period, Campaign.audience, Campaign.opens_at, Campaign.deadline, Campaign.closed_at,
               Campaign.status_filter).where(Campaign.municipality_id == mid).order_by(Campaign.id))).all()
    period_of = {c.id: c.period for c in campaigns}
    for c in campaigns:
        periods[c.period].append((*c, campaign_state(c.closed_at, c.opens_at, c.deadline, now)))
    if period_of:
        ids = list(period_of)
        for row in (await session.execute(
                select(Response.campaign_id, func.count(Response.id), func.sum(Response.version),
                       func.max(Response.updated_at), func.count(Response.submitted_at))
                .where(Response.campaign_id.in_(ids)).group_by(Response.campaign_id))).all():
            periods[period_of[row[0]]].append(tuple(row))
        for row in (await session.execute(
                select(Response.campaign_id, func.count(ResponseReturn.id), func.max(ResponseReturn.id),
                       func.count(ResponseReturn.resubmitted_at))
                .join(Response, ResponseReturn.response_id == Response.id).where(Response.campaign_id.in_(ids))
                .group_by(Response.campaign_id))).all():
            periods[period_of[row[0]]].append(("returns", *row))
    schools = select(School.id).where(School.municipality_id == mid)
    shared += [tuple(r) for r in (await session.execute(
        select(School.id, School.name, School.short_name).where(School.municipality_id == mid).order_by(School.id))).all()]
    for row in (await session.execute(
            select(SchoolPeriod.period, SchoolPeriod.school_id, SchoolPeriod.municipal_internship_site,
                   SchoolPeriod.regional_internship_site).where(SchoolPeriod.school_id.in_(schools))
            .order_by(SchoolPeriod.id))).all():
        periods[row[0]].append(tuple(row))
    for row in (await session.execute(
            select(SchoolStatus.period, func.count(SchoolStatus.id), func.max(SchoolStatus.id),
                   func.max(SchoolStatus.updated_at))
            .where(SchoolStatus.school_id.in_(schools)).group_by(SchoolStatus.period))).all():
        periods[row[0]].append(("statuses", *row))
    shared += list((await session.execute(
        select(func.count(Person.id), func.max(Person.id), func.sum(Person.school_id), func.max(Person.registered_at))
        .where(Person.municipality_id == mid))).one())
    return Version(_digest(shared), {p: _digest(parts) for p, parts in periods.items()})


class _Periods:
    """The periods kept for one build (scoring.service.build_summary's `memo`): by the fingerprint of each."""

    def __init__(self, store: dict[tuple[Any, ...], tuple[str, Any]], key: tuple[Any, ...], version: Version) -> None:
        self.store, self.key, self.version = store, key, version

    def get(self, period: str) -> Any:
        kept = self.store.get((*self.key, period))
        return kept[1] if kept is not None and kept[0] == self.version.of(period) else None

    def put(self, period: str, value: Any) -> None:
        self.store[(*self.key, period)] = (self.version.of(period), value)


STALE_FOR = 600.0  # seconds: a kept summary this young is shown while a newer one is built (the class's rule)


class SummaryCache:
    """The last summaries built (at most `size`), each with the fingerprint of its data (the module's rule); and each
    period's loaded data and scores, so that an answer in this year's collection rebuilds this year only.

    While the data have changed since a summary was built, and its numbers were last seen to be current (its `as_of`)
    less than `stale_for` seconds ago, it is shown at once, as of that moment (its state line says it;
    `Summary.refreshing` marks it) while a newer one is built in the background with a session of its own (`session_factory`); the page asks
    again a moment later. In a collection answers land every few seconds, and a region's year takes over a second to
    read and score: a coordinator gets the last build's true numbers at once instead of waiting for every answer's.
    An older summary, or without a `session_factory`, is built again before it is shown."""

    def __init__(self, size: int = 8, session_factory: Any = None, stale_for: float = STALE_FOR) -> None:
        self.size = size
        self.session_factory = session_factory
        self.stale_for = dt.timedelta(seconds=stale_for)
        self._kept: OrderedDict[tuple[Any, ...], tuple[str, Summary]] = OrderedDict()
        self._periods: dict[tuple[Any, ...], tuple[str, Any]] = {}
        self._building: dict[tuple[Any, ...], asyncio.Lock] = {}  # one build a key: requests at once wait for it
        self._refreshing: dict[tuple[Any, ...], asyncio.Task] = {}  # the background builds running
        self.built = 0  # summaries built (the rest were kept ones): tests and the benchmark read it

    async def settled(self) -> None:
        """Wait for the background builds (tests, the benchmark, stopping)."""
        while running := [t for t in self._refreshing.values() if not t.done()]:
            await asyncio.gather(*running, return_exceptions=True)

    async def warm(self, methodology: Any, now: dt.datetime) -> None:
        """Build every municipality's current summary in the background (at start: the first view need not wait)."""
        if self.session_factory is None:
            return
        async with self.session_factory() as session:
            ids = list(await session.scalars(select(Municipality.id).order_by(Municipality.id)))
        for mid in ids:
            self._refresh((mid, "", None, id(methodology)), mid, None, methodology, now)

    def _refresh(self, key: tuple[Any, ...], municipality_id: int, period: str | None, methodology: Any,
                 now: dt.datetime) -> None:
        task = self._refreshing.get(key)
        if self.session_factory is None or (task is not None and not task.done()):
            return
        self._refreshing[key] = asyncio.get_running_loop().create_task(
            self._rebuild(municipality_id, period, methodology, now))

    async def _rebuild(self, municipality_id: int, period: str | None, methodology: Any, now: dt.datetime) -> None:
        try:
            async with self.session_factory() as session:
                municipality = await session.get(Municipality, municipality_id)
                if municipality is not None:
                    await self.get(session, municipality, period, methodology, now=now, wait=True)
        except Exception:  # noqa: BLE001 - a request builds it then; the cause is in the log
            log.exception("dashboard: building the summary of municipality %s in the background failed", municipality_id)

    def keep(self, municipality: Municipality, period: str | None, methodology: Any, summary: Summary, version: Version,
             now: dt.datetime) -> None:
        """Keep a summary built elsewhere (/summary builds one; its button opens the dashboard next) under `version`,
        the fingerprint read BEFORE it was built: a change in between makes the next request build again, never the
        other way round. Kept without what the dashboard does not show (the raw answers, dynamics, tallies)."""
        from surveys.periods import school_year_of

        key = (municipality.id, period or "", school_year_of(now, municipality.timezone), id(methodology))
        self._kept[key] = (version.whole, dataclasses.replace(summary, raw=[], raw_truncated=False, surveys={},
                                                               dynamics=[], school_dynamics=[], development=[], stops=[]))
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)

    async def get(self, session: AsyncSession, municipality: Municipality, period: str | None, methodology: Any,
                  *, now: dt.datetime, wait: bool = False) -> Summary:
        """The summary, true as of its `as_of` (the class's rule); `wait`: never the kept one while data changed."""
        from surveys.periods import school_year_of

        key = (municipality.id, period or "", school_year_of(now, municipality.timezone), id(methodology))
        kept = self._kept.get(key)
        if not wait and kept is not None and self.session_factory is not None and now - kept[1].as_of <= self.stale_for:
            version = await data_version(session, municipality, now)
            if kept[0] == version.whole:  # the same data: true now, and known to be so since now
                current = dataclasses.replace(kept[1], as_of=now.astimezone(ZoneInfo(municipality.timezone)))
                self._kept[key] = (kept[0], current)
                self._kept.move_to_end(key)
                return current
            self._refresh(key, municipality.id, period, methodology, now)
            return dataclasses.replace(kept[1], refreshing=True)
        try:
            return await self._get(session, key, municipality, period, methodology, now)
        finally:
            if key not in self._kept:  # a period that is not on record: no lock left behind for it
                self._building.pop(key, None)

    async def _get(self, session: AsyncSession, key: tuple[Any, ...], municipality: Municipality, period: str | None,
                   methodology: Any, now: dt.datetime) -> Summary:
        from scoring.service import build_summary

        async with self._building.setdefault(key, asyncio.Lock()):
            version = await data_version(session, municipality, now)
            kept = self._kept.get(key)
            if kept is not None and kept[0] == version.whole:
                current = dataclasses.replace(kept[1], as_of=now.astimezone(ZoneInfo(municipality.timezone)))
                self._kept[key] = (kept[0], current)
                self._kept.move_to_end(key)
                return current
            memo = _Periods(self._periods, (municipality.id, id(methodology)), version)
            summary = await build_summary(session, municipality, period, methodology, now=now, light=True, memo=memo)
            self.built += 1
            self._kept[key] = (version.whole, summary)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                dropped, _ = self._kept.popitem(last=False)
                self._building.pop(dropped, None)
            kept_municipalities = {k[0] for k in self._kept}
            for k in [k for k in self._periods if k[0] not in kept_municipalities]:
                del self._periods[k]
            return summary
