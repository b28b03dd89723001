"""A copy for the respondent: what they submitted and when, as a message after «Отправить» and as a Word file the
school keeps (surveys.copy_docx).

Only the questionnaire's own respondent gets it: the teacher for a teacher's questionnaire, any deputy of the
school for the school's, a coordinator of the municipality for the municipality's (surveys.subjects: the one place
that says whose questionnaire a response is). Only a submitted questionnaire has a copy; it shows the answers stored
now, with when it was sent and, when an answer changed after that while it stayed sent, when it last changed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Answer, Campaign, Municipality, Person, Response, ResponseStatus, School, SurveyVersion
from storage.privacy import ROLE_NAMES
from surveys.errors import Refused
from surveys.model import Audience, QuestionType, Survey
from surveys.screens import Rich, bold, italic, plain
from surveys.subjects import ROLE_AUDIENCE, subject_of
from surveys.types import TYPES

NOT_YOURS = "Эта анкета вам недоступна."
NOT_SENT = "Эта анкета сейчас не отправлена: копия будет, когда вы её отправите."
NONE_SENT = "У вас пока нет отправленных анкет: копия появится, когда вы отправите анкету."
SKIPPED = "вопрос пропущен"
NOTHING_CHOSEN = "ничего не выбрано"


@dataclass(frozen=True, slots=True)
class Item:
    """One question and its answer: a line per value (a multiple choice's each option), none when it was skipped."""

    number: int
    question: str
    values: tuple[str, ...]
    listed: bool = False  # a multiple choice: each option a bulleted line, however many


@dataclass(frozen=True, slots=True)
class RespondentCopy:
    response_id: int
    title: str  # the questionnaire
    version: str  # the questionnaire's version
    period: str
    audience: str
    respondent: str | None  # the teacher's full name (a teacher's questionnaire)
    sent_by: str | None  # who pressed «Отправить», with their role: «Заместителева Ирина Олеговна, заместитель директора по УВР»
    school_short: str | None
    school_name: str | None  # the legal name, for the document
    municipality: str
    submitted_at: dt.datetime
    changed_at: dt.datetime | None  # the last answer changed after it was sent (it stayed sent)
    timezone: str  # the campaign's
    items: tuple[Item, ...]

    def local(self, moment: dt.datetime) -> str:
        return moment_text(moment, self.timezone)


def moment_text(moment: dt.datetime, timezone: str) -> str:
    """«23.11.2026 10:42 (UTC+5)»: the local time and the zone's offset, so the moment is exact anywhere."""
    local = moment.astimezone(ZoneInfo(timezone))
    offset = local.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"{local:%d.%m.%Y %H:%M} (UTC{sign}{hours}{f':{rest:02d}' if rest else ''})"


def values_of(question: Any, value: Any) -> tuple[str, ...]:
    """An answer as the lines it is read in: each chosen option on its own line; none for a skip."""
    if value is None:
        return ()
    if question.type == QuestionType.MULTIPLE:
        return tuple(question.choice_label(v) for v in value) or (NOTHING_CHOSEN,)
    return (TYPES[question.type].format(question, value),)


def items_of(survey: Survey, answers: dict[str, Any]) -> tuple[Item, ...]:
    """The answered questions in the questionnaire's order (the stored answers are exactly the relevant ones)."""
    asked = [q for q in survey.questions if q.name in answers]
    return tuple(Item(n, q.label, values_of(q, answers[q.name]), q.type == QuestionType.MULTIPLE and bool(answers[q.name]))
                 for n, q in enumerate(asked, start=1))


# --- reading -------------------------------------------------------------------------------


def _subjects(person: Any) -> list[str]:
    audience = ROLE_AUDIENCE.get(person.role)
    subject = subject_of(person, audience) if audience else None
    return [subject] if subject else []


async def last_submitted(session: AsyncSession, person: Any) -> int | None:
    """The person's questionnaire sent last (their own, or their school's or municipality's for its respondents)."""
    subjects = _subjects(person)
    if not subjects:
        return None
    return await session.scalar(
        select(Response.id).join(Campaign, Response.campaign_id == Campaign.id)
        .where(Response.subject.in_(subjects), Response.status == ResponseStatus.SUBMITTED,
               Campaign.municipality_id == person.municipality_id)
        .order_by(Response.submitted_at.desc(), Response.id.desc()).limit(1)
    )


async def load(session: AsyncSession, person: Any, response_id: int | None) -> RespondentCopy:
    """The copy of a submitted questionnaire of this person (None: the one they sent last); Refused otherwise."""
    if person is None:
        raise Refused(NOT_YOURS, alert=True)
    if response_id is None:
        response_id = await last_submitted(session, person)
        if response_id is None:
            raise Refused(NONE_SENT)
    row = (await session.execute(
        select(Response.subject, Response.status, Response.submitted_at, Response.person_id, Response.school_id,
               Campaign.municipality_id, Campaign.period, Campaign.audience, Campaign.timezone,
               SurveyVersion.title, SurveyVersion.version, SurveyVersion.definition)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .where(Response.id == response_id)
    )).one_or_none()
    if row is None:
        raise Refused(NOT_YOURS, alert=True)
    (subject, status, submitted_at, sender_id, school_id, municipality_id, period, audience, timezone, title, version,
     definition) = row
    if municipality_id != person.municipality_id or subject_of(person, audience) != subject:
        raise Refused(NOT_YOURS, alert=True)
    if status != ResponseStatus.SUBMITTED or submitted_at is None:
        raise Refused(NOT_SENT, alert=True)
    answers = dict((await session.execute(
        select(Answer.question, Answer.value).where(Answer.response_id == response_id))).all())
    changed = await session.scalar(select(func.max(Answer.answered_at)).where(Answer.response_id == response_id))
    school = await session.get(School, school_id) if school_id is not None else None
    municipality = await session.get(Municipality, municipality_id)
    sender = await session.get(Person, sender_id) if sender_id is not None else None
    respondent = None
    if audience == Audience.TEACHER:
        respondent = sender.full_name if sender is not None else person.full_name
    sent_by = None
    if audience != Audience.TEACHER and sender is not None:
        sent_by = f"{sender.full_name}, {ROLE_NAMES.get(sender.role, sender.role)}"
    return RespondentCopy(
        response_id=response_id, title=title, version=version, period=period, audience=audience, respondent=respondent,
        sent_by=sent_by, school_short=school.short_name if school else None, school_name=school.name if school else None,
        municipality=municipality.name, submitted_at=submitted_at,
        changed_at=changed if changed is not None and changed > submitted_at else None, timezone=timezone,
        items=items_of(Survey.model_validate(definition), answers),
    )


async def read(session_factory: async_sessionmaker[AsyncSession], person: Any, response_id: int | None) -> RespondentCopy:
    """`load` in a read-only session of its own (the answer path has no session of the update's)."""
    async with session_factory() as session:
        return await load(session, person, response_id)


# --- the message ---------------------------------------------------------------------------

ASK_FILE = "Файл Word с этими ответами, который школа может хранить, — кнопкой ниже или командой /copy."


def whose(copy: RespondentCopy, *, legal: bool = False) -> str:
    """Whose questionnaire it is in a line: the chat says the school's short name, the document its legal name."""
    school = (copy.school_name if legal else copy.school_short) or ""
    if copy.audience == Audience.TEACHER:
        return ", ".join(filter(None, [copy.respondent, school]))
    if copy.audience == Audience.SCHOOL:
        return school
    return copy.municipality


def lines(copy: RespondentCopy) -> list[Rich]:
    """The copy as lines of a message (a channel splits them within its length limit): question, then its answer,
    a line for each chosen option."""
    out: list[Rich] = [
        bold(f"📄 Копия ваших ответов: «{copy.title}», период {copy.period}"),
        plain(f"{whose(copy)} — анкета отправлена ✅ {copy.local(copy.submitted_at)}"
              + (f"; изменена после отправки {copy.local(copy.changed_at)}" if copy.changed_at else "")
              + (f"; отправил(а) {copy.sent_by}" if copy.sent_by else "")),
        plain(""),
    ]
    for item in copy.items:
        answer = [bold(f"{'•' if item.listed else '—'} {v}") for v in item.values]
        if not item.values:
            answer = [italic(f"— {SKIPPED}")]
        text = plain(f"{item.number}. {item.question}")
        for part in answer:
            text = text + "\n" + part
        out.append(text)
    out += [plain(""), plain(ASK_FILE)]
    return out


def file_name(copy: RespondentCopy) -> str:
    """«Копия_Анкета_педагога_2026-2027_СОШ_1.docx»: safe for any file system."""
    stem = re.sub(r"[^\w\-]+", "_", f"Копия {copy.title} {copy.period} {whose(copy)}").strip("_")
    return f"{stem[:90]}.docx"
