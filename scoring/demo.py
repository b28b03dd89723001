"""A sample municipality with answers for several periods, to see the product without Telegram.

Used by `shnor demo` and by the benchmarks (which scale it up). Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.dynamics import period_year
from storage.db import now_of
from storage.models import (
    Answer,
    Campaign,
    ExamResult,
    Municipality,
    Person,
    Response,
    ResponseStatus,
    Role,
    School,
    SchoolPeriod,
    SchoolStatus,
)
from surveys.engine import apply_answer, next_question
from surveys.loader import load_pack
from surveys.model import Survey
from surveys.store import store_survey_version
from surveys.types import TYPES

DEMO_PERIODS = ("2023-2024", "2024-2025", "2025-2026")
SCHOOL_KINDS = ("СОШ", "ООШ", "Гимназия", "Лицей", "СОШ")
VILLAGES = ("Патрушевская", "Бобровская", "Кашинская", "Щелкунская", "Черданская", "Верхнесысертская", "Октябрьская")


def _answer_all(
    survey: Survey, rng: random.Random, yes_rate: float, overrides: dict[str, Any] | None = None,
    facts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Walk the survey like a respondent would, so that skip logic holds in the sample too."""
    answers: dict[str, Any] = {}
    overrides = overrides or {}
    facts = facts or {}
    while (question := next_question(survey, answers, facts)) is not None:
        if question.name in overrides:
            value = overrides[question.name]
        elif not question.required and rng.random() < 0.3:
            value = None
        else:
            value = TYPES[question.type].sample(question, rng, yes_rate)
        answers = apply_answer(survey, answers, question.name, value, facts).answers
    return answers


DEMO_OPERATOR = "Управление образования Администрации Демонстрационного городского округа"


async def build_demo(
    session: AsyncSession,
    *,
    name: str = "Демонстрационный городской округ",
    schools: int = 20,
    teachers_per_school: int = 15,
    periods: tuple[str, ...] = DEMO_PERIODS,
    seed: int = 2026,
    response_rate: float = 0.85,
) -> Municipality:
    rng = random.Random(seed)
    now = now_of(session)
    registered_at = dt.datetime((period_year(periods[0]) or 2000) - 1, 9, 1, tzinfo=dt.UTC)  # before the first campaign
    municipality = Municipality(name=name, timezone="Asia/Yekaterinburg", identification_method="regional_lists")
    municipality.pd_operator = DEMO_OPERATOR  # the consent names it: the demo's invites register people
    # the protocol's requisites, so the demo's protocol is whole (a municipality sets them: shnor municipality requisites)
    municipality.body_name = DEMO_OPERATOR
    municipality.head_title = "Начальник Управления образования"
    municipality.head_name = "А.А. Демонстрова"
    session.add(municipality)
    await session.flush()

    school_rows = []
    for n in range(schools):
        village = VILLAGES[n % len(VILLAGES)]
        kind = SCHOOL_KINDS[n % len(SCHOOL_KINDS)]
        school_rows.append({
            "municipality_id": municipality.id,
            "name": f"МОУ {kind} № {n + 1}" if n % 3 else f"МКОУ {village} {kind} № {n + 1}",
            "short_name": f"{kind} {n + 1}",
            "rural": n % 3 == 0,
        })
    school_ids = list(
        await session.scalars(insert(School).returning(School.id, sort_by_parameter_order=True), school_rows)
    )
    # quality of each school: drives its answers, statuses and exam trends
    quality = {sid: rng.random() for sid in school_ids}

    people = [
        {"tg_user_id": -(sid * 1000 + t + 1), "chat_id": -(sid * 1000 + t + 1), "full_name": f"Педагог {sid}-{t + 1:03d}",
         "role": Role.TEACHER.value, "municipality_id": municipality.id, "school_id": sid, "registered_at": registered_at}
        for sid in school_ids
        for t in range(teachers_per_school)
    ]
    person_ids = list(await session.scalars(insert(Person).returning(Person.id, sort_by_parameter_order=True), people))
    teachers = [(pid, row["school_id"]) for pid, row in zip(person_ids, people)]

    packs = {key: load_pack(key) for key in ("teacher", "school", "municipality")}
    versions = {key: await store_survey_version(session, survey) for key, survey in packs.items()}

    last_year = max(period_year(p) or 0 for p in periods)
    exam_rows = []
    for sid in school_ids:
        q = quality[sid]
        has_ege = rng.random() < 0.7
        for year in range(last_year - 4, last_year + 1):
            drift = (year - last_year) * (0.8 if q > 0.5 else -0.6)
            for procedure, subject, grade, base in (
                ("ОГЭ", "russian", 9, 60), ("ОГЭ", "math", 9, 55), ("ЕГЭ", "russian", 11, 68), ("ЕГЭ", "math", 11, 56),
                ("КДР", "reading", 4, 50), ("КДР", "reading", 6, 48), ("КДР", "science", 8, 45),
                *[("ВПР", s, g, 52) for s in ("russian", "math") for g in range(4, 9)],
            ):
                if procedure == "ЕГЭ" and not has_ege:
                    continue
                school_mean = round(base + (q - 0.5) * 16 + drift + rng.uniform(-2, 2), 1)
                exam_rows.append({"school_id": sid, "year": year, "procedure": procedure, "subject": subject,
                                  "grade": grade, "school_mean": school_mean, "regional_mean": float(base)})
    await session.execute(insert(ExamResult), exam_rows)

    for index, period in enumerate(periods):
        status_rows = []
        for sid in school_ids:
            q = quality[sid] + index * 0.05  # things get a little better each period
            status_rows.append({
                "school_id": sid, "period": period, "method": "regional_lists",
                "shnro": q < 0.25, "shnsu": 0.15 < q < 0.35, "risk_zone": 0.35 <= q < 0.55,
                "project_500": q < 0.2, "support_group": None, "details": {}, "updated_at": now,
            })
        await session.execute(insert(SchoolStatus), status_rows)
        risk_zone = {row["school_id"]: row["risk_zone"] for row in status_rows}
        await session.execute(insert(SchoolPeriod), [
            {"school_id": sid, "period": period, "municipal_internship_site": n % 7 == 1 or (index > 0 and n % 9 == 4),
             "regional_internship_site": n % 11 == 2}
            for n, sid in enumerate(school_ids)
        ])
        year = period_year(period) or 2000
        deadline = dt.datetime(year, 6, 1, 13, 0, tzinfo=dt.UTC)
        campaigns = {}
        for key in packs:
            campaign = Campaign(
                municipality_id=municipality.id, survey_version_id=versions[key].id, period=period,
                audience=packs[key].audience.value, opens_at=deadline - dt.timedelta(days=30), deadline=deadline,
                closed_at=None,
            )
            session.add(campaign)
            campaigns[key] = campaign
        await session.flush()

        responses: list[dict[str, Any]] = []
        answers_of: list[dict[str, Any]] = []
        for pid, sid in teachers:
            if rng.random() > response_rate:
                continue
            responses.append({"campaign_id": campaigns["teacher"].id, "subject": f"person:{pid}", "person_id": pid,
                              "school_id": sid, "status": ResponseStatus.SUBMITTED.value, "started_at": deadline,
                              "updated_at": deadline, "submitted_at": deadline})
            answers_of.append(_answer_all(packs["teacher"], rng, 0.35 + 0.5 * quality[sid] + index * 0.05))
        for sid in school_ids:
            if rng.random() > 0.95:
                continue
            responses.append({"campaign_id": campaigns["school"].id, "subject": f"school:{sid}", "person_id": None,
                              "school_id": sid, "status": ResponseStatus.SUBMITTED.value, "started_at": deadline,
                              "updated_at": deadline, "submitted_at": deadline})
            overrides = {"ped_workers": teachers_per_school + rng.randint(0, 3)}
            facts = {"risk_zone": risk_zone[sid]}
            answers_of.append(_answer_all(packs["school"], rng, 0.3 + 0.6 * quality[sid], overrides, facts))
        responses.append({"campaign_id": campaigns["municipality"].id, "subject": f"municipality:{municipality.id}",
                          "person_id": None, "school_id": None, "status": ResponseStatus.SUBMITTED.value,
                          "started_at": deadline, "updated_at": deadline, "submitted_at": deadline})
        answers_of.append(_answer_all(packs["municipality"], rng, 0.6 + index * 0.1))
        response_ids = list(
            await session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), responses)
        )
        answer_rows = [
            {"response_id": rid, "question": q, "value": v, "answered_by": None, "answered_at": deadline}
            for rid, given in zip(response_ids, answers_of)
            for q, v in given.items()
        ]
        for start in range(0, len(answer_rows), 5000):
            await session.execute(insert(Answer), answer_rows[start : start + 5000])
    await session.flush()
    return municipality
