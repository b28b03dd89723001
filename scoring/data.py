"""Loading a municipality's period from the database into the plain inputs of the scoring code."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.completion import TeacherCompletion
from monitoring.returns import history as return_history
from scoring.development import Tally, report_questions
from scoring.dynamics import period_sort_key
from scoring.identification import Exam, Status
from scoring.indicators import PeriodData, SchoolInfo, TeacherCounts
from scoring.summary import Completion
from storage.models import (
    Answer,
    Campaign,
    CampaignState,
    ExamResult,
    Person,
    Response,
    ResponseStatus,
    Role,
    School,
    SchoolPeriod,
    SchoolStatus,
    SurveyVersion,
    campaign_state,
)
from surveys.facts import STAFF_QUESTION
from surveys.subjects import subject_id

RAW_ROWS = 100_000  # answers listed in the summary workbook; `shnor export` writes them all


@dataclass
class LoadedPeriod:
    data: PeriodData
    completion: Completion
    raw: list[dict[str, Any]]  # the first RAW_ROWS answers (RAW_KEYS)
    raw_truncated: bool = False  # the period has more answers than RAW_ROWS
    surveys: dict[int, Any] = field(default_factory=dict)  # survey version id -> Survey, for the raw answers
    windows: list[tuple[str, dt.datetime, dt.datetime, dt.datetime | None]] = field(default_factory=list)  # the period's
    # campaigns: (audience, opens_at, deadline, closed_at)

    def _open(self, now: dt.datetime) -> list[tuple[str, dt.datetime]]:
        return [(audience, deadline) for audience, opens, deadline, closed in self.windows
                if campaign_state(closed, opens, deadline, now) is CampaignState.OPEN]

    def open_until(self, now: dt.datetime) -> dt.datetime | None:
        """The latest deadline of the period's campaigns still collecting at `now`; None: none is."""
        return max((deadline for _, deadline in self._open(now)), default=None)

    def collecting(self, now: dt.datetime) -> frozenset[str]:
        """The audiences (teacher, school, municipality) whose questionnaire is still collecting at `now`."""
        return frozenset(audience for audience, _ in self._open(now))


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
        r.school_id: Status(r.shnro, r.shnsu, r.risk_zone, r.project_500, r.support_group, r.details or {}, r.pilot)
        for r in rows
    }


async def sites_for(session: AsyncSession, municipality_id: int, period: str) -> dict[int, SchoolPeriod]:
    """The internship-site facts the registry set for the period (a school without a row has neither)."""
    rows = await session.scalars(
        select(SchoolPeriod).join(School).where(School.municipality_id == municipality_id, SchoolPeriod.period == period)
    )
    return {r.school_id: r for r in rows}


async def schools_of(session: AsyncSession, municipality_id: int) -> list[School]:
    return list(await session.scalars(select(School).where(School.municipality_id == municipality_id).order_by(School.name)))


async def exams_of(session: AsyncSession, municipality_id: int) -> dict[int, list[Exam]]:
    """Exam results by school (plain rows, not ORM objects: a country has millions of them)."""
    rows = await session.execute(
        select(ExamResult.school_id, ExamResult.year, ExamResult.procedure, ExamResult.subject, ExamResult.grade,
               ExamResult.school_mean, ExamResult.regional_mean)
        .join(School).where(School.municipality_id == municipality_id)
    )
    out: dict[int, list[Exam]] = defaultdict(list)
    for school_id, *fields in rows:
        out[school_id].append(Exam(*fields))
    return dict(out)


def _campaigns(municipality_id: int, period: str):
    return (
        select(Campaign.id, SurveyVersion.audience, SurveyVersion.survey_key, Campaign.opens_at, Campaign.deadline,
               Campaign.closed_at, Campaign.status_filter)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .where(Campaign.municipality_id == municipality_id, Campaign.period == period)
    )


# A yes: the JSON text of "yes", or of a non-empty list (a multiple choice with something picked).
_VALUE = cast(Answer.value, Text)
_IS_YES = or_(_VALUE == '"yes"', and_(_VALUE.like("[%"), _VALUE != "[]"))


async def load_period(session: AsyncSession, municipality_id: int, period: str, *, with_raw: bool = True) -> LoadedPeriod:
    """One period of a municipality; teachers' answers are counted by the database, not loaded."""
    schools = await schools_of(session, municipality_id)
    statuses = await statuses_for(session, municipality_id, period)
    sites = await sites_for(session, municipality_id, period)
    completion = Completion()
    campaigns = (await session.execute(_campaigns(municipality_id, period))).all()
    completion.audiences = frozenset(audience for _, audience, *_ in campaigns)
    completion.returns = await return_history(session, municipality_id, period)
    scored_teacher_ids = [cid for cid, audience, key, *_ in campaigns if audience == "teacher" and key == "teacher"]
    submitted = Response.status == ResponseStatus.SUBMITTED

    # teachers: answered (per school and state) and asked (registered by the campaign's end)
    teachers_submitted: dict[int, int] = defaultdict(int)
    teachers_draft: dict[int, int] = defaultdict(int)
    respondents: dict[int, int] = defaultdict(int)
    asked: dict[int, int] = {}
    if scored_teacher_ids:
        rows = await session.execute(
            select(Response.school_id, Response.status, func.count())
            .where(Response.campaign_id.in_(scored_teacher_ids), Response.school_id.is_not(None))
            .group_by(Response.school_id, Response.status)
        )
        for school_id, status, n in rows:
            (teachers_submitted if status == ResponseStatus.SUBMITTED else teachers_draft)[school_id] += n
            if status == ResponseStatus.SUBMITTED:
                respondents[school_id] += n
        asked = await _teachers_asked(session, municipality_id, [s.id for s in schools], scored_teacher_ids, statuses)

    yes_rows: list[tuple[int, str, int]] = []
    if scored_teacher_ids:
        yes_rows = [
            (int(sid), question, int(n))
            for sid, question, n in await session.execute(
                select(Response.school_id, Answer.question, func.count())
                .join(Response, Answer.response_id == Response.id)
                .where(Response.campaign_id.in_(scored_teacher_ids), submitted, Response.school_id.is_not(None), _IS_YES)
                .group_by(Response.school_id, Answer.question)
            )
        ]

    # the school and municipality questionnaires: few, loaded whole
    form_ids = {cid: (audience, key) for cid, audience, key, *_ in campaigns if audience in ("school", "municipality")}
    school_answers: dict[int, dict[str, Any]] = {}
    municipality_answers: dict[str, Any] | None = None
    if form_ids:
        forms = (await session.execute(
            select(Response.id, Response.campaign_id, Response.subject, Response.status).where(Response.campaign_id.in_(form_ids))
        )).all()
        given: dict[int, dict[str, Any]] = defaultdict(dict)
        scored = [rid for rid, cid, _, status in forms if status == ResponseStatus.SUBMITTED and form_ids[cid][0] == form_ids[cid][1]]
        for start in range(0, len(scored), 20_000):
            rows = await session.execute(
                select(Answer.response_id, Answer.question, Answer.value).where(Answer.response_id.in_(scored[start : start + 20_000]))
            )
            for rid, question, value in rows:
                given[rid][question] = value
        for rid, cid, subject, status in forms:
            audience, key = form_ids[cid]
            if audience == "school" and subject.startswith("school:"):
                completion.school_form[subject_id(subject)[1]] = status
            elif audience == "municipality":
                completion.municipality_form = status
            if status != ResponseStatus.SUBMITTED or audience != key:
                continue
            if audience == "school":
                school_answers[subject_id(subject)[1]] = given.get(rid, {})
            else:
                municipality_answers = given.get(rid, {})

    raw: list[dict[str, Any]] = []
    raw_truncated = False
    surveys: dict[int, Any] = {}
    if with_raw and campaigns:
        raw = await _raw_answers(session, [c.id for c in campaigns])
        raw_truncated = len(raw) > RAW_ROWS
        del raw[RAW_ROWS:]
        surveys = await survey_definitions(session, [c.id for c in campaigns])

    for sid, registered in asked.items():
        declared = (school_answers.get(sid) or {}).get(STAFF_QUESTION)
        completion.teachers[sid] = TeacherCompletion(
            declared if isinstance(declared, int) and declared > 0 else None,
            registered, teachers_submitted.get(sid, 0), teachers_draft.get(sid, 0),
        )

    infos = [
        SchoolInfo(
            s.id,
            s.name,
            s.short_name,
            statuses.get(s.id, Status()),
            bool(sites[s.id].municipal_internship_site) if s.id in sites else False,
            bool(sites[s.id].regional_internship_site) if s.id in sites else False,
        )
        for s in schools
    ]
    teachers = TeacherCounts.from_counts(respondents.items(), yes_rows)
    data = PeriodData(period, infos, school_answers, teachers, municipality_answers)
    windows = [(c.audience, c.opens_at, c.deadline, c.closed_at) for c in campaigns]
    school_filters = [c.status_filter for c in campaigns if c.audience == "school"]
    if school_filters:
        completion.school_audience = frozenset(addressed([s.id for s in schools], school_filters, statuses))
    return LoadedPeriod(data, completion, raw, raw_truncated, surveys, windows)


async def _teachers_asked(
    session: AsyncSession, municipality_id: int, school_ids: list[int], campaign_ids: list[int], statuses: dict[int, Status]
) -> dict[int, int]:
    """School id -> teachers registered by the end of the period's teacher campaign, for the schools
    in its audience: who was asked then, whoever registered since."""
    rows = (await session.execute(
        select(Campaign.deadline, Campaign.closed_at, Campaign.status_filter).where(Campaign.id.in_(campaign_ids))
    )).all()
    end = max(closed or deadline for deadline, closed, _ in rows)
    filters = [f for _, _, f in rows]
    answered = select(Response.person_id).where(Response.campaign_id.in_(campaign_ids), Response.person_id.is_not(None))
    counts = dict((await session.execute(
        select(Person.school_id, func.count())
        .where(Person.municipality_id == municipality_id, Person.role == Role.TEACHER, Person.school_id.is_not(None),
               or_(Person.registered_at <= end, Person.id.in_(answered)))
        .group_by(Person.school_id)
    )).all())
    return {sid: int(counts.get(sid, 0)) for sid in addressed(school_ids, filters, statuses)}


def addressed(school_ids: list[int], filters: list[str | None], statuses: dict[int, Status]) -> list[int]:
    """The schools the campaigns with these status filters asked ("shnro,shnsu"; None: every school)."""
    def asked(sid: int) -> bool:
        status = statuses.get(sid, Status())
        return any(f is None or any(getattr(status, part) for part in f.split(",")) for f in filters)

    return [sid for sid in school_ids if asked(sid)]


RAW_KEYS = ("survey", "respondent", "school_id", "question", "value", "response_id", "version_id", "submitted_at", "period")


def raw_answers_query(campaign_ids: list[int], *, by_response: bool = False):
    """Every submitted answer of these campaigns, in a stable order (RAW_KEYS): survey, respondent, school,
    question, value, response id, survey version id, submitted at, period. By default in the order they
    were given in (an index walk, no sort of millions); `by_response` keeps each questionnaire's answers
    together (the export's one row per respondent)."""
    return (
        select(SurveyVersion.survey_key, Response.subject, Response.school_id, Answer.question, Answer.value,
               Response.id, Campaign.survey_version_id, Response.submitted_at, Campaign.period)
        .join(Response, Answer.response_id == Response.id)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .where(Response.campaign_id.in_(campaign_ids), Response.status == ResponseStatus.SUBMITTED)
        .order_by(*((Answer.response_id, Answer.id) if by_response else (Answer.id,)))
    )


async def survey_definitions(session: AsyncSession, campaign_ids: list[int]) -> dict[int, Any]:
    """Survey version id -> its Survey, for these campaigns: question texts and answer labels."""
    from surveys.model import Survey

    # the ids made distinct, not the definitions: PostgreSQL has no equality for the json type (SELECT DISTINCT fails)
    ids = select(Campaign.survey_version_id).where(Campaign.id.in_(campaign_ids)).distinct()
    rows = await session.execute(select(SurveyVersion.id, SurveyVersion.definition).where(SurveyVersion.id.in_(ids)))
    return {vid: Survey.model_validate(definition) for vid, definition in rows}


async def _raw_answers(session: AsyncSession, campaign_ids: list[int]) -> list[dict[str, Any]]:
    """The first RAW_ROWS + 1 answers (one more tells that there are more; counting them all costs seconds)."""
    rows = await session.execute(raw_answers_query(campaign_ids).limit(RAW_ROWS + 1))
    return [dict(zip(RAW_KEYS, row)) for row in rows]


async def development_tallies(session: AsyncSession, municipality_id: int, period: str) -> list[Tally]:
    """The period's scoring.development tallies, in the order of the questionnaire (of its latest version in the period)."""
    from surveys.model import Survey

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
        .where(Campaign.id.in_(await _teacher_campaigns(session, municipality_id, period)),
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


async def _teacher_campaigns(session: AsyncSession, municipality_id: int, period: str) -> list[int]:
    return list(await session.scalars(
        select(Campaign.id).join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .where(Campaign.municipality_id == municipality_id, Campaign.period == period, SurveyVersion.survey_key == "teacher")
    ))


async def stop_counts(session: AsyncSession, municipality_id: int, period: str) -> list[Any]:
    """Per questionnaire of the period, what scoring.stops needs, counted by the database: answers per question,
    drafts per last screen, the answers' seconds per question (capped at an hour), questionnaires begun and sent."""
    from scoring.stops import HOUR, PackCounts
    from surveys.model import Survey

    versions = (await session.execute(
        select(SurveyVersion.survey_key, SurveyVersion.id, SurveyVersion.title, SurveyVersion.definition)
        .join(Campaign, Campaign.survey_version_id == SurveyVersion.id)
        .where(Campaign.municipality_id == municipality_id, Campaign.period == period)
        .order_by(SurveyVersion.id.desc())
    )).all()
    if not versions:
        return []
    packs: dict[str, dict[str, Any]] = {}
    for key, _vid, title, definition in versions:  # the newest version first: its order and labels lead
        pack = packs.setdefault(key, {"title": title, "questions": {}})
        for question in Survey.model_validate(definition).questions:
            pack["questions"].setdefault(question.name, question.label)
    key_of = SurveyVersion.survey_key
    # a questionnaire sent once counts as sent: one a coordinator returned went through every screen, and its
    # draft's last screen (the review) is the return's doing, not a stop
    status = case((Response.submitted_at.is_not(None), ResponseStatus.SUBMITTED), else_=Response.status).label("status")
    scope = (select(Response.id.label("rid"), key_of.label("key"), status, Response.screen)
             .join(Campaign, Response.campaign_id == Campaign.id)
             .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
             .where(Campaign.municipality_id == municipality_id, Campaign.period == period)).subquery()
    answered: dict[str, dict[str, int]] = defaultdict(dict)
    for key, question, n in await session.execute(
        select(scope.c.key, Answer.question, func.count()).join(Answer, Answer.response_id == scope.c.rid)
        .group_by(scope.c.key, Answer.question)
    ):
        answered[key][question] = n
    capped = case((Answer.seconds > HOUR, HOUR), else_=Answer.seconds)
    seconds: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for key, question, value, n in await session.execute(
        select(scope.c.key, Answer.question, capped, func.count()).join(Answer, Answer.response_id == scope.c.rid)
        .where(Answer.seconds.is_not(None)).group_by(scope.c.key, Answer.question, capped)
    ):
        seconds[key][question][int(value)] = n
    stopped: dict[str, dict[str, int]] = defaultdict(dict)
    stopped_answered: dict[str, dict[str, int]] = defaultdict(dict)
    there = Answer.__table__.alias("there")
    for key, screen, n, had in await session.execute(
        select(scope.c.key, scope.c.screen, func.count(), func.count(there.c.id))
        .outerjoin(there, and_(there.c.response_id == scope.c.rid, there.c.question == scope.c.screen))
        .where(scope.c.status == ResponseStatus.DRAFT, scope.c.screen.is_not(None))
        .group_by(scope.c.key, scope.c.screen)
    ):
        stopped[key][screen] = n
        stopped_answered[key][screen] = had
    states: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, status, known, n in await session.execute(
        select(scope.c.key, scope.c.status, scope.c.screen.is_not(None), func.count())
        .group_by(scope.c.key, scope.c.status, scope.c.screen.is_not(None))
    ):
        states[key][status] += n
        if status == ResponseStatus.DRAFT and not known:
            states[key]["unknown"] += n
    return [
        PackCounts(key, pack["title"], tuple(pack["questions"].items()), answered.get(key, {}), stopped.get(key, {}),
                   stopped_answered.get(key, {}), {q: dict(h) for q, h in seconds.get(key, {}).items()},
                   submitted=states[key].get(ResponseStatus.SUBMITTED, 0), drafts=states[key].get(ResponseStatus.DRAFT, 0),
                   unknown=states[key].get("unknown", 0))
        for key, pack in sorted(packs.items(), key=lambda kv: (PACK_ORDER.get(kv[0], len(PACK_ORDER)), kv[0]))
    ]


PACK_ORDER = {"teacher": 0, "school": 1, "municipality": 2}  # the methodology's own packs first, in this order
