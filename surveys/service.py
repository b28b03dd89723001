"""Questionnaire use cases over the database: the one place handlers call for surveys.

Every answer is committed before the reply that follows it is sent. A stale or foreign
request (an old button, another person's response, a closed campaign) changes nothing and
comes back as a `Refusal` with the notice to show.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from surveys import engine
from surveys.engine import AnswerError
from surveys.model import Audience, Question, QuestionType, Survey
from surveys.engine import Facts
from surveys.periods import PeriodError, normalize_period
from storage.queries import school_facts
from storage.models import (
    Answer,
    Campaign,
    Municipality,
    Person,
    Response,
    ResponseStatus,
    Role,
    SurveyVersion,
    utcnow,
)

ROLE_AUDIENCE = {
    Role.TEACHER.value: Audience.TEACHER.value,
    Role.DEPUTY.value: Audience.SCHOOL.value,
    Role.COORDINATOR.value: Audience.MUNICIPALITY.value,
}


class ServiceError(ValueError):
    """An admin action that cannot be done; the message is Russian."""


STALE_QUESTION = "Этот вопрос уже неактуален. Текущий вопрос — ниже; если его не видно, нажмите /surveys."


@dataclass(frozen=True, slots=True)
class Refusal:
    notice: str


@dataclass(frozen=True, slots=True)
class QuestionView:
    response_id: int
    campaign_id: int
    survey_title: str
    question: Question
    index: int
    position: int
    total: int
    current: Any = None
    has_current: bool = False
    selection: tuple[str, ...] = ()
    can_back: bool = False
    notice: str | None = None
    answered: tuple[str, str] | None = None  # (label, answer) of the question just answered


@dataclass(frozen=True, slots=True)
class ReviewItem:
    index: int
    question: Question
    text: str


@dataclass(frozen=True, slots=True)
class ReviewView:
    response_id: int
    campaign_id: int
    survey_title: str
    items: tuple[ReviewItem, ...]
    submitted: bool
    deadline: dt.datetime
    timezone: str
    notice: str | None = None
    answered: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class CampaignEntry:
    campaign: Campaign
    title: str
    status: str  # "new", "draft", "submitted"


Screen = QuestionView | ReviewView


# --- survey versions and campaigns ---------------------------------------------------------

_survey_cache: dict[int, Survey] = {}


async def survey_of(session: AsyncSession, version_id: int) -> Survey:
    """Survey versions never change, so each is read and validated once per process."""
    survey = _survey_cache.get(version_id)
    if survey is None:
        definition = await session.scalar(select(SurveyVersion.definition).where(SurveyVersion.id == version_id))
        survey = Survey.model_validate(definition)
        _survey_cache[version_id] = survey
    return survey


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
    opens_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    now = now or utcnow()
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


def subject_of(person: Person, audience: str) -> str | None:
    """Whose questionnaire this person fills in for a campaign of the audience, if any."""
    if ROLE_AUDIENCE.get(person.role) != audience:
        return None
    if audience == Audience.TEACHER:
        return f"person:{person.id}"
    if audience == Audience.SCHOOL:
        return f"school:{person.school_id}" if person.school_id else None
    return f"municipality:{person.municipality_id}"


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


# --- the questionnaire ---------------------------------------------------------------------


async def _answers(session: AsyncSession, response_id: int) -> dict[str, Any]:
    rows = await session.execute(select(Answer.question, Answer.value).where(Answer.response_id == response_id))
    return {q: v for q, v in rows}


async def _load(
    session: AsyncSession, person: Person, response_id: int, now: dt.datetime
) -> tuple[Response, Survey, dict[str, Any], Facts] | Refusal:
    response = await session.get(Response, response_id)
    if response is None or subject_of(person, response.campaign.audience) != response.subject:
        return Refusal("Эта анкета вам недоступна.")
    campaign = response.campaign
    if campaign.closed_at is not None or now >= campaign.deadline:
        return Refusal("Приём ответов по этой анкете завершён.")
    return (
        response,
        await survey_of(session, campaign.survey_version_id),
        await _answers(session, response.id),
        await school_facts(session, response.school_id, campaign.period),
    )


def _current(survey: Survey, response: Response, answers: dict[str, Any], facts: Facts) -> Question | None:
    if response.cursor and survey.has_question(response.cursor):
        question = survey.question(response.cursor)
        if engine.is_relevant(question, answers, facts):
            return question
    return engine.next_question(survey, answers, facts)


def _screen(
    survey: Survey,
    response: Response,
    answers: dict[str, Any],
    facts: Facts,
    timezone: str,
    *,
    selection: tuple[str, ...] | None = None,
    notice: str | None = None,
    answered: tuple[str, str] | None = None,
) -> Screen:
    question = _current(survey, response, answers, facts)
    if question is None:
        items = tuple(
            ReviewItem(survey.index(q.name), q, engine.format_value(q, answers.get(q.name)))
            for q in engine.visible_questions(survey, answers, facts)
        )
        return ReviewView(
            response.id,
            response.campaign_id,
            survey.title,
            items,
            response.status == ResponseStatus.SUBMITTED,
            response.campaign.deadline,
            timezone,
            notice,
            answered,
        )
    position, total = engine.progress(survey, answers, question, facts)
    has_current = question.name in answers
    current = answers.get(question.name)
    if selection is None:
        selection = tuple(current) if question.type == QuestionType.MULTIPLE and isinstance(current, list) else ()
    return QuestionView(
        response_id=response.id,
        campaign_id=response.campaign_id,
        survey_title=survey.title,
        question=question,
        index=survey.index(question.name),
        position=position,
        total=total,
        current=current,
        has_current=has_current,
        selection=selection,
        can_back=engine.previous_question(survey, answers, question.name, facts) is not None,
        notice=notice,
        answered=answered,
    )


async def start(session: AsyncSession, person: Person, campaign_id: int, now: dt.datetime) -> Screen | Refusal:
    """Open (or resume) the person's questionnaire of a campaign; commits."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.municipality_id != person.municipality_id:
        return Refusal("Эта анкета вам недоступна.")
    subject = subject_of(person, campaign.audience)
    if subject is None:
        return Refusal("Эта анкета предназначена для другой роли.")
    if campaign.closed_at is not None or now >= campaign.deadline:
        return Refusal("Приём ответов по этой анкете завершён.")
    if now < campaign.opens_at:
        return Refusal("Эта анкета ещё не открыта.")
    response = await session.scalar(
        select(Response).where(Response.campaign_id == campaign.id, Response.subject == subject)
    )
    if response is None:
        response = Response(
            campaign_id=campaign.id,
            subject=subject,
            person_id=person.id,
            school_id=person.school_id,
            status=ResponseStatus.DRAFT,
            started_at=now,
            updated_at=now,
        )
        session.add(response)
        await session.flush()
        await session.refresh(response, ["campaign"])
    else:
        response.cursor = None
    await session.commit()
    survey = await survey_of(session, campaign.survey_version_id)
    answers = await _answers(session, response.id)
    facts = await school_facts(session, response.school_id, campaign.period)
    return _screen(survey, response, answers, facts, campaign.timezone)


async def show(session: AsyncSession, person: Person, response_id: int, now: dt.datetime) -> Screen | Refusal:
    loaded = await _load(session, person, response_id, now)
    if isinstance(loaded, Refusal):
        return loaded
    response, survey, answers, facts = loaded
    return _screen(survey, response, answers, facts, response.campaign.timezone)


async def _check_current(
    session: AsyncSession, person: Person, response_id: int, index: int, now: dt.datetime
) -> tuple[Response, Survey, dict[str, Any], Facts, Question] | Refusal:
    loaded = await _load(session, person, response_id, now)
    if isinstance(loaded, Refusal):
        return loaded
    response, survey, answers, facts = loaded
    question = _current(survey, response, answers, facts)
    if question is None or not 0 <= index < len(survey.questions) or survey.questions[index].name != question.name:
        return Refusal(STALE_QUESTION)
    return response, survey, answers, facts, question


@functools.cache
def _upsert_statement(dialect: str):
    """INSERT ... ON CONFLICT (response, question) DO UPDATE, built once per dialect."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Answer)
    return stmt.on_conflict_do_update(
        index_elements=["response_id", "question"],
        set_={"value": stmt.excluded.value, "answered_by": stmt.excluded.answered_by, "answered_at": stmt.excluded.answered_at},
    )


async def _upsert_answer(
    session: AsyncSession, response_id: int, question: str, value: Any, person_id: int, now: dt.datetime
) -> None:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    await session.execute(
        _upsert_statement(dialect),
        {"response_id": response_id, "question": question, "value": value, "answered_by": person_id, "answered_at": now},
    )


async def _record(
    session: AsyncSession,
    person: Person,
    response: Response,
    survey: Survey,
    answers: dict[str, Any],
    facts: Facts,
    question: Question,
    value: Any,
    now: dt.datetime,
    change: engine.AnswerChange,
) -> Screen:
    await _upsert_answer(session, response.id, question.name, value, person.id, now)
    if change.dropped:
        await session.execute(
            delete(Answer).where(Answer.response_id == response.id, Answer.question.in_(change.dropped))
        )
    response.cursor = None
    response.updated_at = now
    notices = []
    if change.dropped:
        labels = ", ".join(f"«{survey.question(n).label[:60]}»" for n in change.dropped)
        notices.append(f"Ответы, которые больше не нужны, удалены: {labels}.")
    if response.status == ResponseStatus.SUBMITTED:
        if engine.is_complete(survey, change.answers, facts):
            notices.append("Изменение сохранено, анкета остаётся отправленной.")
        else:
            response.status = ResponseStatus.DRAFT
            notices.append("Из-за этого ответа появились новые вопросы: ответьте на них и отправьте анкету снова.")
    else:
        before = len(engine.visible_questions(survey, answers, facts))
        after = len(engine.visible_questions(survey, change.answers, facts))
        if after > before:
            notices.append(f"Из-за этого ответа добавились уточняющие вопросы: теперь их {after}.")
        elif after < before:
            notices.append(f"После этого ответа часть вопросов не нужна: теперь их {after}.")
    await session.commit()
    return _screen(
        survey,
        response,
        change.answers,
        facts,
        response.campaign.timezone,
        notice="\n".join(notices) or None,
        answered=(question.label, engine.format_value(question, value)),
    )


async def answer_text(
    session: AsyncSession, person: Person, response_id: int, raw: str, now: dt.datetime
) -> Screen | Refusal | AnswerError:
    """Typed input for the current question. Bad input comes back as AnswerError; nothing is written."""
    loaded = await _load(session, person, response_id, now)
    if isinstance(loaded, Refusal):
        return loaded
    response, survey, answers, facts = loaded
    question = _current(survey, response, answers, facts)
    if question is None:
        if response.status == ResponseStatus.SUBMITTED:
            return AnswerError("Анкета уже отправлена. Чтобы изменить ответ, нажмите его номер под сводкой ответов.")
        return AnswerError("Все вопросы отвечены: проверьте ответы и нажмите «Отправить» под сводкой.")
    try:
        value = engine.parse_text(question, raw)
        engine.check_value(question, value, answers, facts)
    except AnswerError as exc:
        return exc
    change = engine.apply_answer(survey, answers, question.name, value, facts)
    return await _record(session, person, response, survey, answers, facts, question, value, now, change)


async def answer_file(
    session: AsyncSession, person: Person, response_id: int, file_id: str, file_name: str | None, now: dt.datetime
) -> Screen | Refusal | AnswerError:
    loaded = await _load(session, person, response_id, now)
    if isinstance(loaded, Refusal):
        return loaded
    response, survey, answers, facts = loaded
    question = _current(survey, response, answers, facts)
    if question is None or question.type != QuestionType.FILE:
        return AnswerError("Сейчас файл не нужен: ответьте на вопрос текстом или кнопкой.")
    value = {"file_id": file_id, "file_name": (file_name or "документ")[:200]}
    change = engine.apply_answer(survey, answers, question.name, value, facts)
    return await _record(session, person, response, survey, answers, facts, question, value, now, change)


async def choose(
    session: AsyncSession, person: Person, response_id: int, index: int, choice: int, now: dt.datetime
) -> Screen | Refusal:
    """A button of a yes/no or single-choice question."""
    checked = await _check_current(session, person, response_id, index, now)
    if isinstance(checked, Refusal):
        return checked
    response, survey, answers, facts, question = checked
    if question.type == QuestionType.YESNO and choice in (0, 1):
        value: Any = ("yes", "no")[choice]
    elif question.type == QuestionType.SINGLE and 0 <= choice < len(question.choices):
        value = question.choices[choice].name
    else:
        return Refusal("Этот вариант неактуален.")
    try:
        engine.check_value(question, value, answers, facts)
    except AnswerError as exc:
        return Refusal(str(exc))
    change = engine.apply_answer(survey, answers, question.name, value, facts)
    return await _record(session, person, response, survey, answers, facts, question, value, now, change)


async def toggle(
    session: AsyncSession,
    person: Person,
    response_id: int,
    index: int,
    choice: int,
    selection: tuple[str, ...],
    now: dt.datetime,
) -> QuestionView | Refusal:
    """Flip one option of a multiple-choice question; the selection is kept by the caller until Done."""
    checked = await _check_current(session, person, response_id, index, now)
    if isinstance(checked, Refusal):
        return checked
    response, survey, answers, facts, question = checked
    if question.type != QuestionType.MULTIPLE or not 0 <= choice < len(question.choices):
        return Refusal("Этот вариант неактуален.")
    name = question.choices[choice].name
    chosen = set(selection) ^ {name}
    screen = _screen(survey, response, answers, facts, "UTC", selection=tuple(engine.order_selection(question, chosen)))
    assert isinstance(screen, QuestionView)
    return screen


async def done(
    session: AsyncSession, person: Person, response_id: int, index: int, selection: tuple[str, ...], now: dt.datetime
) -> Screen | Refusal:
    checked = await _check_current(session, person, response_id, index, now)
    if isinstance(checked, Refusal):
        return checked
    response, survey, answers, facts, question = checked
    if question.type != QuestionType.MULTIPLE:
        return Refusal("Этот вопрос уже неактуален.")
    value = engine.order_selection(question, [s for s in selection if question.choice(s)])
    try:
        engine.check_value(question, value, answers, facts)
    except AnswerError as exc:
        return Refusal(str(exc))
    change = engine.apply_answer(survey, answers, question.name, value, facts)
    return await _record(session, person, response, survey, answers, facts, question, value, now, change)


async def skip(session: AsyncSession, person: Person, response_id: int, index: int, now: dt.datetime) -> Screen | Refusal:
    checked = await _check_current(session, person, response_id, index, now)
    if isinstance(checked, Refusal):
        return checked
    response, survey, answers, facts, question = checked
    try:
        change = engine.skip(survey, answers, question, facts)
    except AnswerError as exc:
        return Refusal(str(exc))
    return await _record(session, person, response, survey, answers, facts, question, None, now, change)


async def keep(session: AsyncSession, person: Person, response_id: int, index: int, now: dt.datetime) -> Screen | Refusal:
    """Leave the current answer as it is (after Back or Edit) and go on."""
    checked = await _check_current(session, person, response_id, index, now)
    if isinstance(checked, Refusal):
        return checked
    response, survey, answers, facts, question = checked
    if question.name not in answers:
        return Refusal("На этот вопрос ещё нет ответа.")
    response.cursor = None
    await session.commit()
    return _screen(survey, response, answers, facts, response.campaign.timezone)


async def back(session: AsyncSession, person: Person, response_id: int, index: int | None, now: dt.datetime) -> Screen | Refusal:
    """Go to the question before the current one (index None: back from the review screen)."""
    loaded = await _load(session, person, response_id, now)
    if isinstance(loaded, Refusal):
        return loaded
    response, survey, answers, facts = loaded
    current = _current(survey, response, answers, facts)
    if index is None:
        if current is not None:
            return Refusal("Этот экран уже неактуален.")
    elif current is None or not 0 <= index < len(survey.questions) or survey.questions[index].name != current.name:
        return Refusal(STALE_QUESTION)
    previous = engine.previous_question(survey, answers, current.name if current else None, facts)
    if previous is None:
        return Refusal("Это первый вопрос.")
    response.cursor = previous.name
    await session.commit()
    return _screen(survey, response, answers, facts, response.campaign.timezone)


async def edit(session: AsyncSession, person: Person, response_id: int, index: int, now: dt.datetime) -> Screen | Refusal:
    """From the review screen: go to one question to change its answer."""
    loaded = await _load(session, person, response_id, now)
    if isinstance(loaded, Refusal):
        return loaded
    response, survey, answers, facts = loaded
    if _current(survey, response, answers, facts) is not None:
        return Refusal("Этот экран уже неактуален.")
    if not 0 <= index < len(survey.questions) or not engine.is_relevant(survey.questions[index], answers, facts):
        return Refusal("Такого вопроса в анкете нет.")
    response.cursor = survey.questions[index].name
    await session.commit()
    return _screen(survey, response, answers, facts, response.campaign.timezone)


async def submit(session: AsyncSession, person: Person, response_id: int, now: dt.datetime) -> ReviewView | Refusal:
    loaded = await _load(session, person, response_id, now)
    if isinstance(loaded, Refusal):
        return loaded
    response, survey, answers, facts = loaded
    if _current(survey, response, answers, facts) is not None or not engine.is_complete(survey, answers, facts):
        return Refusal("Сначала ответьте на все обязательные вопросы.")
    if response.status == ResponseStatus.SUBMITTED:
        return Refusal("Анкета уже отправлена.")
    response.status = ResponseStatus.SUBMITTED
    response.submitted_at = now
    response.updated_at = now
    response.person_id = person.id
    await session.commit()
    screen = _screen(survey, response, answers, facts, response.campaign.timezone)
    assert isinstance(screen, ReviewView)
    return screen


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


__all__ = [
    "CampaignEntry",
    "QuestionView",
    "Refusal",
    "ReviewItem",
    "ReviewView",
    "ServiceError",
    "answer_file",
    "answer_text",
    "back",
    "campaigns_for",
    "choose",
    "done",
    "edit",
    "keep",
    "open_campaign",
    "responses_of_campaign",
    "show",
    "skip",
    "start",
    "store_survey_version",
    "submit",
    "toggle",
]

