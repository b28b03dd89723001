"""Returning a submitted questionnaire for correction, and the history of returns. Nothing here commits.

Who may return what:
- a deputy: the teacher questionnaires of their own school;
- a coordinator (or admin): the school questionnaires of their own municipality.

A return makes the response a draft again (so the scoring, which reads submitted responses only, leaves
it out until it is sent again), bumps its version (a state cached by the answer path is read again),
writes the history row and queues the notice in the outbox: to the teacher, or to every deputy of the
school the bot can write to. Only a response of a campaign that accepts answers now can be returned: after
the deadline or the close nobody could send it again, so the campaign is to be extended (or reopened) first.
The submit that follows closes the history row (surveys.store.MARK_RESUBMITTED).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.schedule import QuietHours, after_quiet, zone
from storage.accounts import Contact, contacts
from storage.models import (
    Campaign,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Person,
    Reminder,
    ReminderKind,
    ReminderState,
    Response,
    ResponseReturn,
    ResponseStatus,
    Role,
    School,
    SurveyVersion,
)
from surveys.errors import BadInput, Refused
from surveys.model import Audience
from surveys.subjects import COORDINATOR_ROLES, subject_id

COMMENT_MIN = 3
COMMENT_MAX = 500
NOT_YOURS = "Это не ваши данные."
WHO_MAY = ("Вернуть анкету на доработку могут заместитель директора (анкеты педагогов своей школы) "
           "и муниципальный координатор (анкеты школ своего муниципалитета).")


@dataclass(frozen=True, slots=True)
class Target:
    """A submitted response the actor may return now, and who will be told."""

    response: Response
    campaign: Campaign
    label: str  # the teacher's full name, or the school's name
    recipients: tuple[Person, ...]
    contacts: dict[int, Contact]  # person id -> where the notice goes (one channel each: storage.accounts.contacts)


@dataclass(frozen=True, slots=True)
class Returned:
    record: ResponseReturn
    target: Target
    due_at: dt.datetime  # when the notice goes out (after the campaign's quiet hours)


def clean_comment(text: str | None) -> str:
    """The comment as the respondent will read it; BadInput (a Russian reprompt) when empty, too short or too long."""
    comment = (text or "").strip()
    if len(comment) < COMMENT_MIN or not any(ch.isalnum() for ch in comment):
        raise BadInput(f"Комментарий пустой или слишком короткий: напишите, что именно нужно исправить "
                       f"(от {COMMENT_MIN} до {COMMENT_MAX} знаков).")
    if len(comment) > COMMENT_MAX:
        raise BadInput(f"Комментарий длиннее {COMMENT_MAX} знаков (в нём {len(comment)}): сократите его и отправьте снова.")
    return comment


def _may_return(actor: Person | None) -> Person:
    if actor is None or not (actor.role == Role.DEPUTY and actor.school_id or actor.role in COORDINATOR_ROLES):
        raise Refused(WHO_MAY, alert=True)
    return actor


async def check_return(session: AsyncSession, actor: Person | None, response_id: int, now: dt.datetime) -> Target:
    """The response if this person may return it now; Refused saying why not (nothing is changed)."""
    actor = _may_return(actor)
    response = await session.get(Response, response_id)
    if response is None or response.campaign.municipality_id != actor.municipality_id:
        raise Refused(NOT_YOURS, alert=True)
    campaign = response.campaign
    deputy = actor.role == Role.DEPUTY
    if deputy and (campaign.audience != Audience.TEACHER or response.school_id != actor.school_id):
        raise Refused("Заместитель директора возвращает на доработку только анкеты педагогов своей школы.", alert=True)
    if not deputy and campaign.audience != Audience.SCHOOL:
        raise Refused("Координатор возвращает на доработку анкеты школ; анкету педагога возвращает заместитель директора "
                      "его школы.", alert=True)
    if response.status != ResponseStatus.SUBMITTED:
        raise Refused("Эта анкета сейчас не отправлена (черновик или уже возвращена на доработку): вернуть можно только "
                      "отправленную. Ничего не изменено.", alert=True)
    if campaign.closed_at is not None or now >= campaign.deadline:
        why = "кампания закрыта" if campaign.closed_at is not None else "срок кампании прошёл"
        fix = ("сначала продлите срок или откройте кампанию снова (/campaigns), затем верните анкету"
               if not deputy else "попросите координатора продлить срок, затем верните анкету")
        raise Refused(f"Вернуть нельзя: {why}, и исправленную анкету не смогут отправить. Чтобы вернуть, {fix}.", alert=True)
    kind, number = subject_id(response.subject)
    if kind == "person":
        teacher = await session.get(Person, number)
        label = teacher.full_name if teacher else "педагог"
        candidates = [teacher] if teacher else []
        nobody = (f"{label} не получает сообщений бота (заблокировал(а) бота или удалил(а) свои данные): "
                  "вернуть нельзя — исправить анкету будет некому.")
    else:
        school = await session.get(School, number)
        label = school.short_name if school else "школа"
        candidates = list(await session.scalars(
            select(Person).where(Person.role == Role.DEPUTY, Person.school_id == number).order_by(Person.id)
        ))
        nobody = (f"У школы «{label}» нет заместителя директора, которому бот может написать: вернуть нельзя — "
                  "исправить анкету будет некому.")
    reach = await contacts(session, candidates)  # in any channel the person uses and has not blocked the bot in
    recipients = tuple(p for p in candidates if p.id in reach)
    if not recipients:
        raise Refused(nobody, alert=True)
    return Target(response, campaign, label, recipients, reach)


async def return_response(session: AsyncSession, actor: Person | None, response_id: int, comment: str | None,
                          now: dt.datetime) -> Returned:
    """Return the response with the comment; raises BadInput or Refused (nothing written then)."""
    comment = clean_comment(comment)
    target = await check_return(session, actor, response_id, now)
    changed = await session.execute(
        update(Response)
        .where(Response.id == response_id, Response.status == ResponseStatus.SUBMITTED)
        .values(status=ResponseStatus.DRAFT, cursor=None, version=Response.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise Refused("Эту анкету только что вернули или изменили: откройте список заново.", alert=True)
    await session.refresh(target.response)
    campaign = target.campaign
    record = ResponseReturn(response_id=response_id, returned_by=actor.id, returned_by_role=actor.role, returned_at=now,
                            comment=comment)
    session.add(record)
    await session.flush()
    due = after_quiet(now, zone(campaign.timezone), QuietHours.parse(campaign.quiet_hours))
    reminder = Reminder(campaign_id=campaign.id, kind=ReminderKind.RETURN, key=f"return-{record.id}", due_at=due,
                        state=ReminderState.PENDING)
    session.add(reminder)
    await session.flush()
    record.reminder_id = reminder.id
    for person in target.recipients:
        contact = target.contacts[person.id]
        session.add(Delivery(reminder_id=reminder.id, kind=DeliveryKind.RETURNED, channel=contact.channel, chat_id=contact.chat_id,
                             person_id=person.id, school_id=target.response.school_id, state=DeliveryState.PENDING))
    await session.flush()
    return Returned(record, target, due)


async def submitted_schools(session: AsyncSession, actor: Person | None, campaign_id: int) -> tuple[Campaign, list[tuple[int, str]]]:
    """A coordinator's school campaign and its submitted questionnaires: (response id, school name), by name."""
    actor = _may_return(actor)
    if actor.role not in COORDINATOR_ROLES:
        raise Refused("Эта кнопка — для координаторов.", alert=True)
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.municipality_id != actor.municipality_id:
        raise Refused(NOT_YOURS, alert=True)
    if campaign.audience != Audience.SCHOOL:
        raise Refused("Координатор возвращает на доработку анкеты школ: это кампания другой анкеты.", alert=True)
    rows = await session.execute(
        select(Response.id, School.short_name)
        .join(School, Response.school_id == School.id)
        .where(Response.campaign_id == campaign.id, Response.status == ResponseStatus.SUBMITTED)
        .order_by(School.short_name)
    )
    return campaign, [(rid, name) for rid, name in rows]


@dataclass(frozen=True, slots=True)
class ReturnEvent:
    """One return as the completion sheet shows it."""

    school_id: int | None
    survey: str  # the questionnaire's title
    respondent: str  # «анкета школы», or the teacher's code as in the answer sheets («person:12»)
    returned_by: str  # «Петрова Анна Ивановна (заместитель директора)»
    returned_at: dt.datetime
    comment: str
    resubmitted_at: dt.datetime | None
    pending: bool  # still a draft: not sent again

    @property
    def school_form(self) -> bool:
        return self.respondent == SCHOOL_FORM


SCHOOL_FORM = "анкета школы"
ROLE_TITLES = {"deputy": "заместитель директора", "coordinator": "координатор", "admin": "администратор"}


async def history(session: AsyncSession, municipality_id: int, period: str) -> list[ReturnEvent]:
    """Every return of the period's questionnaires in the municipality, oldest first."""
    rows = await session.execute(
        select(ResponseReturn.returned_by_role, Person.full_name, ResponseReturn.returned_at, ResponseReturn.comment,
               ResponseReturn.resubmitted_at, Response.subject, Response.school_id, Response.status, SurveyVersion.title)
        .join(Response, ResponseReturn.response_id == Response.id)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .outerjoin(Person, ResponseReturn.returned_by == Person.id)
        .where(Campaign.municipality_id == municipality_id, Campaign.period == period)
        .order_by(ResponseReturn.returned_at, ResponseReturn.id)
    )
    out = []
    for role, name, at, comment, again, subject, school_id, status, title in rows:
        kind, _ = subject_id(subject)
        out.append(ReturnEvent(
            school_id, title, SCHOOL_FORM if kind == "school" else subject,
            f"{name or '—'} ({ROLE_TITLES.get(role, role)})", at, comment, again,
            again is None and status == ResponseStatus.DRAFT,
        ))
    return out


async def notice_of(session: AsyncSession, reminder_id: int) -> tuple[ResponseReturn, str, str] | None:
    """The return a notice carries: the row, who returned it («Петрова Анна Ивановна, заместитель директора»)
    and whose questionnaire it is («person» or «school»)."""
    record = await session.scalar(select(ResponseReturn).where(ResponseReturn.reminder_id == reminder_id))
    if record is None:
        return None
    response = await session.get(Response, record.response_id)
    by = await session.get(Person, record.returned_by) if record.returned_by else None
    role = ROLE_TITLES.get(record.returned_by_role, record.returned_by_role)
    who = f"{by.full_name}, {role}" if by else role
    return record, who, subject_id(response.subject)[0] if response else "person"
