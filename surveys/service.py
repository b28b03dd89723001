"""Survey versions, opening a campaign, and the questionnaires a person can answer now.

Answering a questionnaire is surveys.answering (in process, over surveys.questionnaire).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, Campaign, Municipality, Person, Response, SurveyVersion
from surveys.errors import Refused
from surveys.model import Survey
from surveys.periods import PeriodError, normalize_period
from surveys.subjects import ROLE_AUDIENCE, subject_of


class ServiceError(Refused):
    """An admin action that cannot be done; the message is Russian (shown as a dialog in the chat)."""

    def __init__(self, message: str, *, alert: bool = True) -> None:
        super().__init__(message, alert=alert)


@dataclass(frozen=True, slots=True)
class CampaignEntry:
    campaign: Campaign
    title: str
    status: str  # "new", "draft", "submitted"


# --- survey versions and campaigns ---------------------------------------------------------


async def store_survey_version(session: AsyncSession, survey: Survey) -> SurveyVersion:
    definition = survey.model_dump(mode="json")
    checksum = hashlib.sha256(json.dumps(definition, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    existing = await session.scalar(
        select(SurveyVersion).where(SurveyVersion.survey_key == survey.id, SurveyVersion.checksum == checksum)
    )
    if existing:
        return existing
    version = SurveyVersion(
        survey_key=survey.id,
        version=survey.version,
        title=survey.title,
        audience=survey.audience.value,
        checksum=checksum,
        definition=definition,
    )
    session.add(version)
    await session.flush()
    return version


async def open_campaign(
    session: AsyncSession,
    *,
    municipality: Municipality,
    survey: Survey,
    period: str,
    deadline: dt.datetime,
    now: dt.datetime,
    opens_at: dt.datetime | None = None,
) -> Campaign:
    opens_at = opens_at or now
    try:
        period = normalize_period(period)
    except PeriodError as exc:
        raise ServiceError(str(exc)) from None
    if deadline <= now:
        raise ServiceError("Срок сдачи уже прошёл.")
    if deadline <= opens_at:
        raise ServiceError("Срок сдачи должен быть позже открытия.")
    clash = await session.scalar(
        select(Campaign.id)
        .join(SurveyVersion)
        .where(
            Campaign.municipality_id == municipality.id,
            Campaign.period == period,
            SurveyVersion.survey_key == survey.id,
            Campaign.closed_at.is_(None),
        )
    )
    if clash:
        raise ServiceError(f"Кампания «{survey.title}» за период {period} уже открыта (№{clash}).")
    version = await store_survey_version(session, survey)
    campaign = Campaign(
        municipality_id=municipality.id,
        survey_version_id=version.id,
        period=period,
        audience=survey.audience.value,
        opens_at=opens_at,
        deadline=deadline,
        timezone=municipality.timezone,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def campaigns_for(session: AsyncSession, person: Person, now: dt.datetime) -> list[CampaignEntry]:
    audience = ROLE_AUDIENCE.get(person.role)
    if audience is None:
        return []
    campaigns = list(
        await session.scalars(
            select(Campaign)
            .where(
                Campaign.municipality_id == person.municipality_id,
                Campaign.audience == audience,
                Campaign.closed_at.is_(None),
                Campaign.opens_at <= now,
                Campaign.deadline > now,
            )
            .order_by(Campaign.deadline)
        )
    )
    subject = subject_of(person, audience)
    if not campaigns or subject is None:
        return []
    responses = {
        r.campaign_id: r
        for r in await session.scalars(
            select(Response).where(Response.subject == subject, Response.campaign_id.in_([c.id for c in campaigns]))
        )
    }
    entries = []
    for campaign in campaigns:
        response = responses.get(campaign.id)
        title = f"{campaign.survey_version.title} ({campaign.period})"
        if response is None:
            entries.append(CampaignEntry(campaign, title, "new"))
        else:
            entries.append(CampaignEntry(campaign, title, response.status))
    return entries


async def responses_of_campaign(session: AsyncSession, campaign_id: int) -> dict[str, dict[str, Any]]:
    """{subject: answers} of every response of a campaign (for exports and tests)."""
    rows = await session.execute(
        select(Response.subject, Answer.question, Answer.value)
        .join(Answer, Answer.response_id == Response.id)
        .where(Response.campaign_id == campaign_id)
    )
    out: dict[str, dict[str, Any]] = {}
    for subject, question, value in rows:
        out.setdefault(subject, {})[question] = value
    return out


__all__ = ["CampaignEntry", "ServiceError", "campaigns_for", "open_campaign", "responses_of_campaign", "store_survey_version"]

