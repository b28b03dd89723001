"""«Профессиональное развитие педагогов»: the teacher questions no indicator reads, tallied.

A pack marks such a question `purpose: report` (surveys/packs/teacher.yaml): the kinds of
deficits diagnosed, the ИОМ's state, the forms of support, membership of a municipal methodical
association, municipal internships, courses, positions and subjects. Here they are counted over
the period's submitted teacher questionnaires, per school and for the municipality: how many
teachers answered the question, and how many chose each answer (a multiple choice counts each
option picked). The summary workbook shows them on a sheet of their own.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Answer, Campaign, Response, ResponseStatus, SurveyVersion
from surveys.model import Question, QuestionType, Survey

TALLIED = (QuestionType.YESNO, QuestionType.SINGLE, QuestionType.MULTIPLE)


def report_questions(survey: Survey) -> list[Question]:
    """The questions of a pack that its report tallies."""
    return [q for q in survey.questions if q.purpose == "report" and q.type in TALLIED]


def answer_options(question: Question) -> list[tuple[str, str]]:
    """(value, label) of the answers a tally counts: «да» alone for a yes/no question."""
    if question.type == QuestionType.YESNO:
        return [("yes", "да")]
    return [(c.name, c.label) for c in question.choices]


@dataclass
class Tally:
    question: Question
    answered: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # school id -> teachers who answered
    chosen: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def total_answered(self) -> int:
        return sum(self.answered.values())

    def total_chosen(self, value: str) -> int:
        return sum(self.chosen[value].values())


async def tally(session: AsyncSession, municipality_id: int, period: str) -> list[Tally]:
    """The period's tallies, in the order of the questionnaire (of its latest version in the period)."""
    versions = (await session.execute(
        select(SurveyVersion.id, SurveyVersion.definition)
        .join(Campaign, Campaign.survey_version_id == SurveyVersion.id)
        .where(Campaign.municipality_id == municipality_id, Campaign.period == period, SurveyVersion.survey_key == "teacher")
        .order_by(SurveyVersion.id.desc())
    )).all()
    if not versions:
        return []
    survey = Survey.model_validate(versions[0][1])
    tallies = {q.name: Tally(q) for q in report_questions(survey)}
    if not tallies:
        return []
    rows = await session.execute(
        select(Response.school_id, Answer.question, cast(Answer.value, Text), func.count())
        .join(Response, Answer.response_id == Response.id)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .where(Campaign.id.in_(await _campaigns(session, municipality_id, period)),
               Response.status == ResponseStatus.SUBMITTED, Response.school_id.is_not(None),
               Answer.question.in_(list(tallies)))
        .group_by(Response.school_id, Answer.question, cast(Answer.value, Text))
    )
    for school_id, question, text, n in rows:
        value: Any = json.loads(text) if text is not None else None
        if value is None:  # skipped
            continue
        entry = tallies[question]
        entry.answered[school_id] += n
        for picked in value if isinstance(value, list) else [value]:
            entry.chosen[str(picked)][school_id] += n
    return list(tallies.values())


async def _campaigns(session: AsyncSession, municipality_id: int, period: str) -> list[int]:
    return list(await session.scalars(
        select(Campaign.id).join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .where(Campaign.municipality_id == municipality_id, Campaign.period == period, SurveyVersion.survey_key == "teacher")
    ))
