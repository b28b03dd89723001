"""Loading a municipality's period from the database into the plain inputs of the scoring code."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.dynamics import period_sort_key
from scoring.identification import Exam, Status
from scoring.indicators import PeriodData, SchoolInfo
from storage.models import (
    Answer,
    Campaign,
    ExamResult,
    Person,
    Response,
    ResponseStatus,
    Role,
    School,
    SchoolStatus,
    SurveyVersion,
)


@dataclass
class Completion:
    """Who has answered: per school, teachers registered / submitted / started, and the school form."""

    teachers_registered: dict[int, int] = field(default_factory=dict)
    teachers_submitted: dict[int, int] = field(default_factory=dict)
    teachers_draft: dict[int, int] = field(default_factory=dict)
    school_form: dict[int, str] = field(default_factory=dict)  # school id -> submitted | draft
    municipality_form: str | None = None


@dataclass
class LoadedPeriod:
    data: PeriodData
    completion: Completion
    raw: list[dict[str, Any]]  # one row per answer: survey, respondent, school, question, value


async def periods_on_record(session: AsyncSession, municipality_id: int) -> list[str]:
    campaign_periods = await session.scalars(
        select(Campaign.period).where(Campaign.municipality_id == municipality_id).distinct()
    )
    status_periods = await session.scalars(
        select(SchoolStatus.period).join(School).where(School.municipality_id == municipality_id).distinct()
    )
    return sorted(set(campaign_periods) | set(status_periods), key=period_sort_key)


async def statuses_for(session: AsyncSession, municipality_id: int, period: str) -> dict[int, Status]:
    rows = await session.scalars(
        select(SchoolStatus).join(School).where(School.municipality_id == municipality_id, SchoolStatus.period == period)
    )
    return {
        r.school_id: Status(r.shnro, r.shnsu, r.risk_zone, r.project_500, r.support_group, r.details or {}) for r in rows
    }


async def schools_of(session: AsyncSession, municipality_id: int) -> list[School]:
    return list(await session.scalars(select(School).where(School.municipality_id == municipality_id).order_by(School.name)))


async def exams_of(session: AsyncSession, municipality_id: int) -> dict[int, list[Exam]]:
    rows = await session.scalars(select(ExamResult).join(School).where(School.municipality_id == municipality_id))
    out: dict[int, list[Exam]] = defaultdict(list)
    for r in rows:
        out[r.school_id].append(Exam(r.year, r.procedure, r.subject, r.grade, r.school_mean, r.regional_mean))
    return dict(out)


async def load_period(session: AsyncSession, municipality_id: int, period: str, *, with_raw: bool = True) -> LoadedPeriod:
    schools = await schools_of(session, municipality_id)
    statuses = await statuses_for(session, municipality_id, period)
    registered = dict(
        (await session.execute(
            select(Person.school_id, func.count())
            .where(Person.municipality_id == municipality_id, Person.role == Role.TEACHER, Person.school_id.is_not(None))
            .group_by(Person.school_id)
        )).all()
    )
    completion = Completion(teachers_registered={s.id: int(registered.get(s.id, 0)) for s in schools})

    responses = (
        await session.execute(
            select(Response.id, Response.subject, Response.school_id, Response.status, SurveyVersion.audience, SurveyVersion.survey_key)
            .join(Campaign, Response.campaign_id == Campaign.id)
            .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
            .where(Campaign.municipality_id == municipality_id, Campaign.period == period)
        )
    ).all()
    submitted: dict[int, tuple[str, int | None, str, str]] = {}
    teachers_submitted: dict[int, int] = defaultdict(int)
    teachers_draft: dict[int, int] = defaultdict(int)
    for rid, subject, school_id, status, audience, key in responses:
        if audience == "teacher" and school_id is not None:
            (teachers_submitted if status == ResponseStatus.SUBMITTED else teachers_draft)[school_id] += 1
        elif audience == "school" and subject.startswith("school:"):
            completion.school_form[int(subject.split(":")[1])] = status
        elif audience == "municipality":
            completion.municipality_form = status
        if status == ResponseStatus.SUBMITTED:
            submitted[rid] = (subject, school_id, audience, key)
    completion.teachers_submitted = dict(teachers_submitted)
    completion.teachers_draft = dict(teachers_draft)

    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    if submitted:
        ids = list(submitted)
        for start in range(0, len(ids), 20_000):
            chunk = ids[start : start + 20_000]
            rows = await session.execute(
                select(Answer.response_id, Answer.question, Answer.value).where(Answer.response_id.in_(chunk))
            )
            for rid, question, value in rows:
                answers[rid][question] = value

    school_answers: dict[int, dict[str, Any]] = {}
    teacher_rows: list[dict[str, Any]] = []
    municipality_answers: dict[str, Any] | None = None
    raw: list[dict[str, Any]] = []
    for rid, (subject, school_id, audience, key) in submitted.items():
        given = answers.get(rid, {})
        if audience == "teacher" and key == "teacher" and school_id is not None:
            teacher_rows.append({"school_id": school_id, **given})
        elif audience == "school" and key == "school":
            school_answers[int(subject.split(":")[1])] = given
        elif audience == "municipality" and key == "municipality":
            municipality_answers = given
        if with_raw:
            for question, value in given.items():
                raw.append({"survey": key, "respondent": subject, "school_id": school_id, "question": question, "value": value})

    teacher_frame = pd.DataFrame.from_records(teacher_rows) if teacher_rows else pd.DataFrame({"school_id": pd.Series(dtype="int64")})
    infos = [
        SchoolInfo(
            s.id,
            s.name,
            s.short_name,
            statuses.get(s.id, Status()),
            s.municipal_internship_site,
            s.regional_internship_site,
            completion.teachers_registered.get(s.id, 0),
        )
        for s in schools
    ]
    data = PeriodData(period, infos, school_answers, teacher_frame, municipality_answers)
    return LoadedPeriod(data, completion, raw)
