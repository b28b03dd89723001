"""Helpers of the /missing and return-for-correction tests: teachers and questionnaires seeded in the
database (answered the way a respondent would, skip logic and all), and a snapshot of the outbox."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select

from scoring.demo import _answer_all
from storage.models import (
    Answer,
    Delivery,
    Nudge,
    Person,
    Reminder,
    Response,
    ResponseReturn,
    Role,
)
from surveys.store import school_facts, survey_of
from tests.harness import World, snapshot


async def add_teacher(session_factory, world: World, tg_id: int, name: str, school: int = 0) -> Person:
    async with session_factory() as session:
        person = Person(tg_user_id=tg_id, chat_id=tg_id, full_name=name, role=Role.TEACHER,
                        municipality_id=world.municipality.id, school_id=world.schools[school].id,
                        registered_at=world.campaigns["teacher"].opens_at)
        session.add(person)
        await session.commit()
        return person


async def seed_response(session_factory, campaign_id: int, subject: str, *, school_id: int, person_id: int | None,
                        status: str, now: dt.datetime, overrides: dict[str, Any] | None = None) -> int:
    """A complete questionnaire (every question a respondent would be asked), as a draft or submitted."""
    from storage.models import Campaign, SurveyVersion

    async with session_factory() as session:
        campaign = await session.get(Campaign, campaign_id)
        version = await session.get(SurveyVersion, campaign.survey_version_id)
        survey = await survey_of(session, version.id, version.checksum)
        facts = await school_facts(session, school_id, campaign.period)
        answers = _answer_all(survey, random.Random(subject), 0.6, overrides, facts)
        response = Response(campaign_id=campaign_id, subject=subject, person_id=person_id, school_id=school_id,
                            status=status, started_at=now, updated_at=now,
                            submitted_at=now if status == "submitted" else None)
        session.add(response)
        await session.flush()
        session.add_all(Answer(response_id=response.id, question=q, value=v, answered_by=person_id, answered_at=now)
                        for q, v in answers.items())
        await session.commit()
        return response.id


async def outbox(session_factory) -> dict[str, Any]:
    """The user-visible state (conftest.snapshot) and every row of the outbox, of nudges and of returns."""
    state = await snapshot(session_factory)
    async with session_factory() as session:
        for model in (Reminder, Delivery, Nudge, ResponseReturn):
            state[model.__tablename__] = await session.scalar(select(func.count()).select_from(model))
        state["delivery_states"] = sorted((await session.execute(select(Delivery.id, Delivery.state))).all())
    return state


async def delivery_states(session_factory, kind: str) -> dict[int, list[str]]:
    """Person id -> the states of their deliveries of this kind, oldest first."""
    async with session_factory() as session:
        rows = await session.execute(select(Delivery.person_id, Delivery.state).where(Delivery.kind == kind).order_by(Delivery.id))
    out: dict[int, list[str]] = {}
    for person_id, state in rows:
        out.setdefault(person_id, []).append(state)
    return out
