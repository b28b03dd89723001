"""Scoring use cases over the database: imports, identification, the summary and the school card.

SQL in, plain data out (scoring.summary); the renderers (scoring.text, scoring.report, scoring.word)
read only that data and never import this module."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.data import (
    development_tallies,
    exams_of,
    load_period,
    periods_on_record,
    schools_of,
    statuses_for,
    stop_counts,
)
from scoring.dynamics import (
    PRODUCTIVE_QUESTION,
    SchoolDynamics,
    Share,
    period_dynamics,
    period_year,
)
from scoring.errors import ScoringError
from scoring.identification import Method, Status, sverdlovsk, twelve_criteria
from scoring.indicators import PeriodScores, SchoolScore, score_period
from scoring.methodology import Methodology, load_methodology
from scoring.stops import pack_stops
from scoring.summary import ReportInput, Summary, default_period
from storage.importers import (
    ExamRow,
    GroupRow,
    ImportFailed,
    ImportProblem,
    StatusRow,
    name_key,
)
from storage.models import (
    ExamResult,
    Municipality,
    Person,
    RegionalGroup,
    Role,
    School,
    SchoolStatus,
)
from storage.registry import bump_versions
from surveys.periods import PeriodError, normalize_period, school_year_of

RISK_QUESTIONS = ("risk_internet", "risk_computers", "risk_staff")


# --- imports -------------------------------------------------------------------------------


async def _resolve(session: AsyncSession, municipality: Municipality, rows: list[Any]) -> dict[int, School]:
    """Row number -> school, matching the name or the short name (case, spaces and invisible characters
    aside); a school not in the registry, or a name that is one school's name and another's short name,
    fails the file."""
    index: dict[str, dict[int, School]] = defaultdict(dict)
    for school in await schools_of(session, municipality.id):
        index[name_key(school.name)][school.id] = school
        index[name_key(school.short_name)][school.id] = school
    problems = []
    out = {}
    for row in rows:
        found = list(index.get(name_key(row.school), {}).values())
        if not found:
            problems.append(ImportProblem(row.row, f"школа «{row.school}» не найдена в реестре муниципалитета"))
        elif len(found) > 1:
            listed = "; ".join(f"«{s.name}» (кратко «{s.short_name}»)" for s in sorted(found, key=lambda s: s.name))
            problems.append(ImportProblem(row.row, f"«{row.school}» подходит к нескольким школам реестра: {listed}; "
                                                   "напишите полное название школы"))
        else:
            out[row.row] = found[0]
    if problems:
        raise ImportFailed(problems)
    return out


def _duplicates(rows: list[Any], schools: dict[int, School], key: Any) -> None:
    seen: dict[Any, int] = {}
    problems = []
    for row in rows:
        k = key(row, schools[row.row])
        if k in seen:
            problems.append(ImportProblem(row.row, f"повтор строки {seen[k]}"))
        seen.setdefault(k, row.row)
    if problems:
        raise ImportFailed(problems)


async def _store_statuses(session: AsyncSession, period: str, method: str, statuses: dict[int, Status]) -> None:
    if not statuses:
        return
    await bump_versions(session, list(statuses), period)  # questionnaires open in process read the new facts
    await session.execute(delete(SchoolStatus).where(SchoolStatus.period == period, SchoolStatus.school_id.in_(list(statuses))))
    session.add_all(
        SchoolStatus(
            school_id=sid, period=period, method=method, shnro=s.shnro, shnsu=s.shnsu, risk_zone=s.risk_zone,
            project_500=s.project_500, support_group=s.support_group, details=s.details, pilot=s.pilot,
        )
        for sid, s in statuses.items()
    )
    await session.flush()


async def import_statuses(session: AsyncSession, municipality: Municipality, period: str, rows: list[StatusRow]) -> int:
    schools = await _resolve(session, municipality, rows)
    _duplicates(rows, schools, lambda r, s: s.id)
    statuses = {schools[r.row].id: Status(r.shnro, r.shnsu, r.risk_zone, r.project_500) for r in rows}
    await _store_statuses(session, period, Method.REGIONAL_LISTS, statuses)
    return len(statuses)


async def import_exams(session: AsyncSession, municipality: Municipality, rows: list[ExamRow]) -> int:
    schools = await _resolve(session, municipality, rows)
    _duplicates(rows, schools, lambda r, s: (s.id, r.year, r.procedure, r.subject, r.grade))
    for row in rows:
        sid = schools[row.row].id
        await session.execute(
            delete(ExamResult).where(
                ExamResult.school_id == sid, ExamResult.year == row.year, ExamResult.procedure == row.procedure,
                ExamResult.subject == row.subject, ExamResult.grade == row.grade,
            )
        )
        session.add(ExamResult(
            school_id=sid, year=row.year, procedure=row.procedure, subject=row.subject, grade=row.grade,
            school_mean=row.school_mean, regional_mean=row.regional_mean,
        ))
    await session.flush()
    return len(rows)


async def import_groups(session: AsyncSession, municipality: Municipality, period: str, rows: list[GroupRow]) -> int:
    schools = await _resolve(session, municipality, rows)
    _duplicates(rows, schools, lambda r, s: s.id)
    ids = [schools[r.row].id for r in rows]
    await session.execute(delete(RegionalGroup).where(RegionalGroup.period == period, RegionalGroup.school_id.in_(ids)))
    session.add_all(
        RegionalGroup(school_id=schools[r.row].id, period=period, quality_group=r.quality_group, isbsh_group=r.isbsh_group, pilot=r.pilot)
        for r in rows
    )
    await session.flush()
    return len(rows)


# --- identification ------------------------------------------------------------------------


async def identify(session: AsyncSession, municipality: Municipality, period: str) -> dict[int, Status]:
    """Compute and store the period's statuses by the municipality's method; returns them."""
    method = Method(municipality.identification_method)
    if method == Method.REGIONAL_LISTS:
        return await statuses_for(session, municipality.id, period)
    schools = await schools_of(session, municipality.id)
    if method == Method.SVERDLOVSK:
        groups = {
            g.school_id: g
            for g in await session.scalars(
                select(RegionalGroup).join(School).where(School.municipality_id == municipality.id, RegionalGroup.period == period)
            )
        }
        if not groups:
            raise ScoringError(f"За период {period} нет групп Свердловской области: сначала shnor import groups.")
        statuses = {sid: sverdlovsk(g.quality_group, g.isbsh_group, g.pilot) for sid, g in groups.items()}
    else:
        year = period_year(period)
        if year is None:
            raise ScoringError(f"В периоде «{period}» нет года: для критериев нужен период вроде 2025-2026.")
        exams = await exams_of(session, municipality.id)
        loaded = await load_period(session, municipality.id, period, with_raw=False)
        statuses = {}
        for school in schools:
            answers = loaded.data.school_answers.get(school.id, {})
            risks = tuple((answers.get(q) == "yes") if q in answers else None for q in RISK_QUESTIONS)
            statuses[school.id] = twelve_criteria(exams.get(school.id, []), risks, year)
    await _store_statuses(session, period, method, statuses)
    return statuses


# --- the summary ---------------------------------------------------------------------------




async def build_summary(
    session: AsyncSession, municipality: Municipality, period: str | None = None, methodology: Methodology | None = None,
    *, now: dt.datetime, light: bool = False, memo: Any = None,
) -> Summary:
    """`now` decides the current school year (the default period).

    `light`: what the dashboard shows (scoring.dashboard), without the raw answers, the exam dynamics, the
    development tallies and where people stop (their lists stay empty). `memo` (with `light`): a period's loaded data
    and scores kept by the caller, `memo.get(period)` -> (loaded, scores) or None, `memo.put(period, (loaded, scores))`; the caller keys them
    by the fingerprint of that period's data (scoring.dashboard.data_version)."""
    methodology = methodology or load_methodology()
    periods = await periods_on_record(session, municipality.id)
    if not periods:
        raise ScoringError("Данных ещё нет: не открыто ни одной кампании и не загружено ни одного статуса.")
    current_year = school_year_of(now, municipality.timezone)
    if period is None:
        period = default_period(periods, current_year)
    else:
        try:
            period = normalize_period(period)
        except PeriodError as exc:
            raise ScoringError(str(exc)) from None
        if period not in periods:
            raise ScoringError(f"За период {period} данных нет. Есть: {', '.join(periods)}.")
    exams = await exams_of(session, municipality.id) if not light else {}
    history: list[PeriodScores] = []
    dynamics: list[tuple[str, dict[str, Share]]] = []
    school_dynamics: list[SchoolDynamics] = []
    current = None
    for p in periods[: periods.index(period) + 1]:
        kept = memo.get(p) if memo is not None and light else None
        if kept is not None:
            loaded, scores = kept
        else:
            loaded = await load_period(session, municipality.id, p, with_raw=p == period and not light)
            loaded.data.collecting = loaded.collecting(now)
            # pure CPU (half a second for a region): in a worker thread, so the bot's loop answers meanwhile
            scores = await asyncio.to_thread(score_period, methodology, loaded.data)
            if memo is not None and light:
                memo.put(p, (loaded, scores))
        history.append(scores)
        statuses = {s.id: s.status for s in loaded.data.schools}
        if light:
            if p == period:
                current = (loaded, scores, statuses)
            continue
        teachers = loaded.data.teachers
        # while teachers answer, P1 counts the schools where some teacher has; after the deadline, as M2.4.5, every school
        answered = {int(sid) for sid, n in teachers.respondents.items() if n} if "teacher" in loaded.data.collecting else None
        shares, per_school = period_dynamics(p, statuses, exams, teachers.schools_with_yes(PRODUCTIVE_QUESTION), answered)
        dynamics.append((p, shares))
        school_dynamics.extend(per_school)
        if p == period:
            current = (loaded, scores, statuses)
    loaded, scores, statuses = current
    zone = ZoneInfo(municipality.timezone)
    open_until = loaded.open_until(now)
    return Summary(
        municipality, period, methodology, scores, loaded.completion, statuses, history, dynamics, school_dynamics, loaded.raw,
        loaded.raw_truncated, periods, current_year, loaded.surveys,
        await development_tallies(session, municipality.id, period) if not light else [],
        as_of=now.astimezone(zone), open_until=open_until.astimezone(zone) if open_until else None,
        stops=[pack_stops(c) for c in await stop_counts(session, municipality.id, period)] if not light else [],
    )


async def school_card(
    session: AsyncSession, municipality: Municipality, school_id: int, period: str | None = None,
    methodology: Methodology | None = None, *, now: dt.datetime,
) -> tuple[Summary, SchoolScore]:
    summary = await build_summary(session, municipality, period, methodology, now=now)
    for score in summary.scores.schools:
        if score.school.id == school_id:
            return summary, score
    raise ScoringError("Школа не найдена.")


async def deputies_of(session: AsyncSession, municipality_id: int) -> dict[int, list[str]]:
    """School id -> the full names of its deputies registered in the bot."""
    rows = await session.execute(
        select(Person.school_id, Person.full_name)
        .where(Person.municipality_id == municipality_id, Person.role == Role.DEPUTY, Person.school_id.is_not(None))
        .order_by(Person.id)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for school_id, name in rows:
        out[school_id].append(name)
    return dict(out)


async def build_report(
    session: AsyncSession, municipality: Municipality, period: str | None = None, methodology: Methodology | None = None,
    *, now: dt.datetime,
) -> ReportInput:
    """What the Word report is made of (scoring.summary.ReportInput): the summary with every period on record
    up to `period`, the schools' deputies and the municipality's date of today."""
    summary = await build_summary(session, municipality, period, methodology, now=now)
    today = now.astimezone(ZoneInfo(municipality.timezone)).date()
    return ReportInput(summary, await deputies_of(session, municipality.id), today)
