"""Read-only queries that several services share (the facts of a school in a period, ...)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, Campaign, Response, ResponseStatus, School, SchoolPeriod, SchoolStatus
from surveys.facts import STAFF_QUESTION
from surveys.subjects import school_subject


async def school_facts(session: AsyncSession, school_id: int | None, period: str) -> dict[str, Any]:
    """The facts of one school in one period; a respondent without a school (the municipality) has none."""
    if school_id is None:
        return {}
    school = await session.get(School, school_id)
    if school is None:
        return {}
    status = await session.scalar(select(SchoolStatus).where(SchoolStatus.school_id == school_id, SchoolStatus.period == period))
    sites = await session.scalar(select(SchoolPeriod).where(SchoolPeriod.school_id == school_id, SchoolPeriod.period == period))
    before = await session.scalar(
        select(Answer.value)
        .join(Response, Answer.response_id == Response.id)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .where(
            Response.subject == school_subject(school_id),
            Response.status == ResponseStatus.SUBMITTED,
            Campaign.period < period,
            Answer.question == STAFF_QUESTION,
        )
        .order_by(Campaign.period.desc())
        .limit(1)
    )
    return {
        "risk_zone": bool(status and status.risk_zone),
        "shnro": bool(status and status.shnro),
        "shnsu": bool(status and status.shnsu),
        "project_500": bool(status and status.project_500),
        "pilot": bool(status and status.pilot),
        "rural": bool(school.rural),
        "municipal_internship_site": bool(sites and sites.municipal_internship_site),
        "regional_internship_site": bool(sites and sites.regional_internship_site),
        "ped_workers_before": before if isinstance(before, int) else None,
    }
