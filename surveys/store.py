"""Responses and their answers: loading a response's state, and the guarded writes of one action.

Every write of an action goes through the response's version: the guard updates the
response row only if its version is the one the state was read at and its campaign still
accepts answers, so a state cached in one process can never overwrite what another process
(or an admin command) changed; the caller reloads and tries again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    Campaign,
    Response,
    ResponseStatus,
    School,
    SchoolPeriod,
    SchoolStatus,
    SurveyVersion,
)
from storage.writer import Sql, Unit
from surveys.facts import STAFF_QUESTION
from surveys.model import Survey
from surveys.questionnaire import CampaignWindow, CarryView, Change, QuestionView, ResponseState, View
from surveys.subjects import school_subject

_OPEN_CAMPAIGN = (
    "EXISTS (SELECT 1 FROM campaign WHERE campaign.id = response.campaign_id AND campaign.closed_at IS NULL "
    "AND campaign.opens_at <= :now AND campaign.deadline > :now)"
)
_SET = ("version = version + 1, cursor = :cursor, status = :status, updated_at = :now, actor_id = :actor, "
        "screen = COALESCE(:screen, screen)")
GUARD = Sql(f"UPDATE response SET {_SET} WHERE id = :id AND version = :version AND {_OPEN_CAMPAIGN}")
GUARD_SUBMIT = Sql(
    f"UPDATE response SET {_SET}, submitted_at = :now, person_id = :actor "
    f"WHERE id = :id AND version = :version AND {_OPEN_CAMPAIGN}"
)
_UPSERT = (
    "INSERT INTO answer (response_id, question, value, answered_by, answered_at, seconds) "
    "VALUES (:response_id, :question, {value}, :answered_by, :answered_at, :seconds) "
    "ON CONFLICT (response_id, question) DO UPDATE SET value = excluded.value, "
    "answered_by = excluded.answered_by, answered_at = excluded.answered_at, seconds = excluded.seconds"
)
UPSERT_ANSWER = Sql(_UPSERT.format(value=":value"), postgresql=_UPSERT.format(value="CAST(:value AS JSON)"),
                    json_params=("value",))
REVIEW_SCREEN = ":review"  # response.screen of the review (a question's name never starts with «:»)
DELETE_ANSWER = Sql("DELETE FROM answer WHERE response_id = :response_id AND question = :question")
# A submit closes the return that made the response a draft again (monitoring.returns): its history says when it came back.
MARK_RESUBMITTED = Sql(
    "UPDATE response_return SET resubmitted_at = :now, resubmitted_by = :actor "
    "WHERE response_id = :id AND resubmitted_at IS NULL"
)


CREATE = Sql(
    "INSERT INTO response (campaign_id, subject, person_id, actor_id, school_id, status, version, started_at, updated_at) "
    "VALUES (:campaign_id, :subject, :person_id, :person_id, :school_id, 'draft', 0, :now, :now) "
    "ON CONFLICT (campaign_id, subject) DO NOTHING"
)


def create_unit(campaign_id: int, subject: str, person: Any, now: dt.datetime) -> Unit:
    """A new draft response (two devices opening it at once make one)."""
    unit = Unit()
    unit.add(CREATE, {"campaign_id": campaign_id, "subject": subject, "person_id": person.id, "school_id": person.school_id,
                      "now": now})
    return unit


def touch(state: ResponseState) -> Change:
    """No answer, but the person is on this response now (it is where their typed answers go)."""
    return Change(cursor=state.cursor)


def screen_name(view: View) -> str:
    """What response.screen records of a view: the question on screen (the carry screen's first), or the review."""
    if isinstance(view, QuestionView):  # a checklist is shown as its first question (its choices are its questions)
        return view.question.choices[0].name if view.checklist is not None else view.question.name
    if isinstance(view, CarryView):
        return view.items[0].question.name
    return REVIEW_SCREEN


def seconds_between(shown_at: dt.datetime | None, now: dt.datetime) -> int | None:
    """Whole seconds a screen shown at `shown_at` was open until `now`; None when that moment is not known."""
    if shown_at is None:
        return None
    return max(0, int((now - shown_at).total_seconds()))


def write_unit(state: ResponseState, change: Change, actor: int, now: dt.datetime, *, screen: str | None = None,
               seconds: int | None = None) -> Unit:
    """The guarded writes of one action on `state` (read at state.version). `screen` is what the person is shown
    after it (screen_name; None: leave it); `seconds`, how long the screen the action was taken on had been open:
    it goes with the first answer written (the question on that screen; none when change.timed says the first
    answer written is another: the carry screen's first fact was the one changed), the others were answered on its screen."""
    params = {"id": state.id, "version": state.version, "cursor": change.cursor, "now": now, "actor": actor,
              "status": change.status or state.status, "screen": screen}
    unit = Unit(guard=(GUARD_SUBMIT if change.submitted_at else GUARD, params))
    if change.upsert:
        unit.add(UPSERT_ANSWER, [
            {"response_id": state.id, "question": q, "value": v, "answered_by": actor, "answered_at": now,
             "seconds": seconds if n == 0 and change.timed else None}
            for n, (q, v) in enumerate(change.upsert)
        ])
    if change.delete:
        unit.add(DELETE_ANSWER, [{"response_id": state.id, "question": q} for q in change.delete])
    if change.submitted_at:
        unit.add(MARK_RESUBMITTED, {"id": state.id, "now": now, "actor": actor})
    return unit


# --- reading -------------------------------------------------------------------------------

_surveys: dict[str, Survey] = {}


async def survey_of(session: AsyncSession, version_id: int, checksum: str) -> Survey:
    """Survey versions never change, so each is read and validated once per process; the cache is keyed by
    the definition's checksum, not the row id, so that no other database's version 4 is ever taken for ours."""
    survey = _surveys.get(checksum)
    if survey is None:
        definition = await session.scalar(select(SurveyVersion.definition).where(SurveyVersion.id == version_id))
        survey = _surveys[checksum] = Survey.model_validate(definition)
    return survey


async def load_state(session: AsyncSession, response_id: int) -> ResponseState | None:
    row = (await session.execute(
        select(Response.id, Response.version, Response.subject, Response.status, Response.cursor, Response.school_id,
               Campaign.id, SurveyVersion.title, Campaign.period, Campaign.audience, Campaign.opens_at, Campaign.deadline,
               Campaign.closed_at, Campaign.timezone, Campaign.survey_version_id, SurveyVersion.checksum)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .where(Response.id == response_id)
    )).one_or_none()
    if row is None:
        return None
    (rid, version, subject, status, cursor, school_id, cid, title, period, audience, opens_at, deadline, closed_at,
     timezone, version_id, checksum) = row
    answers = dict((await session.execute(
        select(Answer.question, Answer.value).where(Answer.response_id == rid)
    )).all())
    survey = await survey_of(session, version_id, checksum)
    previous_period, previous = await _previous_answers(session, survey, subject, cid, period)
    return ResponseState(
        id=rid, version=version, subject=subject, status=status, cursor=cursor, answers=answers,
        campaign=CampaignWindow(cid, title, period, audience, opens_at, deadline, closed_at, timezone),
        survey=survey,
        facts=await school_facts(session, school_id, period),
        previous=previous,
        previous_period=previous_period,
    )


async def _previous_answers(session: AsyncSession, survey: Survey, subject: str, campaign_id: int,
                            period: str) -> tuple[str | None, dict[str, Any]]:
    """The answers to the carried-over questions that this subject submitted to the same pack in the
    municipality's latest earlier period (none when the pack carries nothing over)."""
    carried = [q.name for q in survey.questions if q.carry_over]
    if not carried:
        return None, {}
    this = select(Campaign.municipality_id, SurveyVersion.survey_key).join(
        SurveyVersion, Campaign.survey_version_id == SurveyVersion.id).where(Campaign.id == campaign_id).subquery()
    row = (await session.execute(
        select(Response.id, Campaign.period)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .join(this, (Campaign.municipality_id == this.c.municipality_id) & (SurveyVersion.survey_key == this.c.survey_key))
        .where(Response.subject == subject, Response.status == ResponseStatus.SUBMITTED, Campaign.period < period)
        .order_by(Campaign.period.desc(), Response.submitted_at.desc())
        .limit(1)
    )).one_or_none()
    if row is None:
        return None, {}
    answers = dict((await session.execute(
        select(Answer.question, Answer.value).where(Answer.response_id == row[0], Answer.question.in_(carried))
    )).all())
    return (row[1], answers) if answers else (None, {})


async def find_response(session: AsyncSession, campaign_id: int, subject: str) -> int | None:
    return await session.scalar(select(Response.id).where(Response.campaign_id == campaign_id, Response.subject == subject))


async def active_response(session: AsyncSession, person_id: int, now: dt.datetime) -> int | None:
    """The response this person acted on last, while its campaign accepts answers: where typed answers go."""
    return await session.scalar(
        select(Response.id)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .where(Response.actor_id == person_id, Campaign.closed_at.is_(None), Campaign.opens_at <= now, Campaign.deadline > now)
        .order_by(Response.updated_at.desc(), Response.id.desc())
        .limit(1)
    )


async def shown_at(session: AsyncSession, response_id: int) -> dt.datetime | None:
    """When the response's current screen was shown: its last write (every action that shows a screen writes)."""
    return await session.scalar(select(Response.updated_at).where(Response.id == response_id))


def is_submitted(status: Any) -> bool:
    return status == ResponseStatus.SUBMITTED


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
