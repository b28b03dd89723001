"""A deputy chasing their school's teachers: who has not registered, who has not started, who has a draft;
personal nudges through the outbox; the school's teacher invite. Nothing here commits (the caller does).

The nudge rule: a teacher gets at most one nudge a day, whoever asks for it. The day is the calendar day,
in the municipality's time zone, on which the nudge goes out: one asked for in the campaign's quiet hours
goes out the next morning and is that morning's nudge. The unique key (person, day) of the `nudge` table
holds the rule across processes; a nudge is written with its delivery in the outbox (monitoring.campaigns),
so it goes out once, within the sender's limits, after a restart too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.campaigns import campaign_end, eligible_school_ids, school_forms
from monitoring.completion import TeacherCompletion
from monitoring.schedule import QuietHours, after_quiet, zone
from storage.accounts import Contact, contacts
from storage.models import (
    Campaign,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Invite,
    Municipality,
    Nudge,
    Person,
    Reminder,
    ReminderKind,
    ReminderState,
    Response,
    ResponseStatus,
    Role,
    School,
)
from storage.registry import usable_invite
from surveys.errors import Refused
from surveys.model import Audience
from surveys.subjects import person_subject

DEPUTIES_ONLY = "Это доступно заместителям директора, зарегистрированным от школы."
NOT_YOURS = "Это не ваши данные."


@dataclass(frozen=True, slots=True)
class NudgeMark:
    """A nudge already there for the day: who asked for it and when it goes (or went) out."""

    by: str
    due_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Teacher:
    id: int
    name: str
    contact: Contact | None  # where their messages go (storage.accounts.contacts); None: nowhere
    state: str | None  # None: not started; draft; submitted
    response_id: int | None
    nudged: NudgeMark | None  # a nudge for the current nudge day

    @property
    def reachable(self) -> bool:
        """The bot can write to them in some channel (they have not blocked it everywhere or deleted their data)."""
        return self.contact is not None


@dataclass(frozen=True, slots=True)
class SchoolChase:
    """One open teacher campaign seen from one school."""

    campaign: Campaign
    school: School
    teachers: tuple[Teacher, ...]  # the teachers asked: registered from the school (by the campaign's end)
    declared: int | None  # pedagogical workers the school declared in its submitted questionnaire of the period
    form: str | None  # the school questionnaire's state in the period
    day: dt.date  # the nudge day: the local day a nudge asked for now goes out

    @property
    def completion(self) -> TeacherCompletion:
        return TeacherCompletion(self.declared, len(self.teachers), len(self.submitted), len(self.drafts))

    @property
    def not_registered(self) -> int | None:
        """Declared staff minus the teachers registered; None when the school has not declared its staff."""
        return max(self.declared - len(self.teachers), 0) if self.declared else None

    @property
    def not_started(self) -> tuple[Teacher, ...]:
        return tuple(t for t in self.teachers if t.state is None)

    @property
    def drafts(self) -> tuple[Teacher, ...]:
        return tuple(t for t in self.teachers if t.state == ResponseStatus.DRAFT)

    @property
    def submitted(self) -> tuple[Teacher, ...]:
        return tuple(t for t in self.teachers if t.state == ResponseStatus.SUBMITTED)

    @property
    def missing(self) -> tuple[Teacher, ...]:
        return tuple(t for t in self.teachers if t.state != ResponseStatus.SUBMITTED)

    @property
    def can_nudge(self) -> tuple[Teacher, ...]:
        """Who a «remind everyone» would reach now."""
        return tuple(t for t in self.missing if t.reachable and t.nudged is None)


@dataclass(frozen=True, slots=True)
class NudgeResult:
    queued: tuple[Teacher, ...]
    already: tuple[Teacher, ...]  # had a nudge for the day: nothing more
    unreachable: tuple[Teacher, ...]
    due_at: dt.datetime
    timezone: str  # the campaign's (its quiet hours are of this zone)
    quiet: str  # the campaign's quiet hours, «21:00-08:00»
    day: dt.date  # the municipality's day the nudge counts for


def check_deputy(person: Person | None) -> Person:
    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        raise Refused(DEPUTIES_ONLY, alert=True)
    return person


def nudge_time(campaign: Campaign, municipality: Municipality, now: dt.datetime) -> tuple[dt.datetime, dt.date]:
    """When a nudge asked for now goes out (after the campaign's quiet hours) and the municipality's day it counts for."""
    due = after_quiet(now, zone(campaign.timezone), QuietHours.parse(campaign.quiet_hours))
    return due, due.astimezone(zone(municipality.timezone)).date()


async def open_teacher_campaigns(session: AsyncSession, municipality_id: int, now: dt.datetime) -> list[Campaign]:
    return list(await session.scalars(
        select(Campaign).where(Campaign.municipality_id == municipality_id, Campaign.audience == Audience.TEACHER,
                               Campaign.closed_at.is_(None), Campaign.opens_at <= now, Campaign.deadline > now)
        .order_by(Campaign.deadline, Campaign.id)
    ))


async def school_view(session: AsyncSession, deputy: Person | None, now: dt.datetime) -> tuple[School, list[SchoolChase]]:
    """The deputy's school and, for each open teacher campaign that asks it, who has answered."""
    deputy = check_deputy(deputy)
    school = await session.get(School, deputy.school_id)
    municipality = await session.get(Municipality, deputy.municipality_id)
    out = []
    for campaign in await open_teacher_campaigns(session, deputy.municipality_id, now):
        if school.id in await eligible_school_ids(session, campaign):
            out.append(await _chase(session, campaign, school, municipality, now))
    return school, out


async def _chase(session: AsyncSession, campaign: Campaign, school: School, municipality: Municipality,
                 now: dt.datetime) -> SchoolChase:
    """As monitoring.campaigns.completion counts one school: the teachers registered by the campaign's end (or who answered)."""
    answered = select(Response.person_id).where(Response.campaign_id == campaign.id, Response.person_id.is_not(None))
    people = list(await session.scalars(
        select(Person).where(Person.role == Role.TEACHER, Person.school_id == school.id,
                             or_(Person.registered_at <= campaign_end(campaign), Person.id.in_(answered)))
        .order_by(Person.full_name, Person.id)
    ))
    subjects = {person_subject(p.id): p.id for p in people}
    states = {
        subjects[subject]: (status, rid)
        for subject, status, rid in await session.execute(
            select(Response.subject, Response.status, Response.id)
            .where(Response.campaign_id == campaign.id, Response.subject.in_(list(subjects)))
        )
    }
    _, day = nudge_time(campaign, municipality, now)
    marks = await _nudges_of(session, [p.id for p in people], day)
    reach = await contacts(session, people)
    teachers = tuple(
        Teacher(p.id, p.full_name, reach.get(p.id), *states.get(p.id, (None, None)), marks.get(p.id))
        for p in people
    )
    form, declared = (await school_forms(session, campaign)).get(school.id, (None, None))
    return SchoolChase(campaign, school, teachers, declared, form, day)


async def _nudges_of(session: AsyncSession, person_ids: list[int], day: dt.date) -> dict[int, NudgeMark]:
    if not person_ids:
        return {}
    requester = Person.__table__.alias("requester")
    rows = await session.execute(
        select(Nudge.person_id, requester.c.full_name, Reminder.due_at)
        .join(Reminder, Nudge.reminder_id == Reminder.id)
        .outerjoin(requester, Nudge.requested_by == requester.c.id)
        .where(Nudge.person_id.in_(person_ids), Nudge.day == day.isoformat())
    )
    return {pid: NudgeMark(by or "—", due) for pid, by, due in rows}


async def deputy_campaign(session: AsyncSession, deputy: Person | None, campaign_id: int, now: dt.datetime) -> SchoolChase:
    """One open teacher campaign of the deputy's school; a foreign, closed or unasked one is refused."""
    deputy = check_deputy(deputy)
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.municipality_id != deputy.municipality_id or campaign.audience != Audience.TEACHER:
        raise Refused(NOT_YOURS, alert=True)
    if not campaign.is_open(now):
        raise Refused("Приём ответов по этой анкете завершён: напоминать не о чем. Список — /missing.", alert=True)
    school = await session.get(School, deputy.school_id)
    if school.id not in await eligible_school_ids(session, campaign):
        raise Refused("Эта анкета не для педагогов вашей школы.", alert=True)
    return await _chase(session, campaign, school, await session.get(Municipality, deputy.municipality_id), now)


def _day(day: dt.date) -> str:
    return f"{day:%d.%m}"


async def nudge(session: AsyncSession, deputy: Person | None, campaign_id: int, person_id: int | None,
                now: dt.datetime) -> NudgeResult:
    """Nudge one teacher (person_id) or everyone who has not sent the questionnaire (None).

    Refused, with nothing written, when nobody is left to nudge: everyone answered, or everyone left
    already has a nudge for the day, or the bot cannot write to them.
    """
    chase = await deputy_campaign(session, deputy, campaign_id, now)
    campaign = chase.campaign
    if person_id is not None:
        teacher = next((t for t in chase.teachers if t.id == person_id), None)
        if teacher is None:
            raise Refused("Этот педагог не из вашей школы (или не опрашивается в этой анкете).", alert=True)
        if teacher.state == ResponseStatus.SUBMITTED:
            raise Refused(f"{teacher.name} уже отправил(а) анкету: напоминать не нужно. Ничего не отправлено.", alert=True)
        if not teacher.reachable:
            raise Refused(f"{teacher.name} не получает сообщений бота (заблокировал(а) бота или удалил(а) свои данные): "
                          "напоминание не дойдёт. Ничего не отправлено.", alert=True)
        if teacher.nudged is not None:
            raise Refused(
                f"{teacher.name}: напоминание на {_day(chase.day)} уже есть (просил(а) {teacher.nudged.by}). "
                "Не чаще одного в день — следующее можно завтра. Ничего не отправлено.", alert=True)
        candidates: tuple[Teacher, ...] = (teacher,)
    else:
        if not chase.missing:
            raise Refused("Все педагоги школы, которых спрашивали, уже отправили анкету: напоминать некому.", alert=True)
        candidates = chase.can_nudge
        if not candidates:
            raise Refused(
                f"Всем, кто не ответил, напоминание на {_day(chase.day)} уже есть (или бот не может им написать). "
                "Не чаще одного в день каждому — следующее можно завтра. Ничего не отправлено.", alert=True)
    municipality = await session.get(Municipality, campaign.municipality_id)
    due, day = nudge_time(campaign, municipality, now)
    reminder = Reminder(campaign_id=campaign.id, kind=ReminderKind.NUDGE, key=f"nudge-{uuid.uuid4().hex}", due_at=due,
                        state=ReminderState.PENDING)
    session.add(reminder)
    await session.flush()
    queued = []
    for teacher in candidates:
        if await _claim(session, campaign.id, teacher.id, day, deputy.id, reminder.id, now):
            session.add(Delivery(reminder_id=reminder.id, kind=DeliveryKind.NUDGE, channel=teacher.contact.channel,
                                 chat_id=teacher.contact.chat_id, person_id=teacher.id, school_id=chase.school.id,
                                 state=DeliveryState.PENDING))
            queued.append(teacher)
    if not queued:  # another deputy of the school was a moment faster: the caller's session rolls back
        raise Refused(f"Напоминание на {_day(day)} уже есть (его только что попросил другой заместитель). "
                      "Ничего не отправлено.", alert=True)
    await session.flush()
    already = tuple(t for t in chase.missing if t.nudged is not None) if person_id is None else ()
    unreachable = tuple(t for t in chase.missing if not t.reachable) if person_id is None else ()
    return NudgeResult(tuple(queued), already, unreachable, due, campaign.timezone, campaign.quiet_hours, day)


async def _claim(session: AsyncSession, campaign_id: int, person_id: int, day: dt.date, requested_by: int,
                 reminder_id: int, now: dt.datetime) -> bool:
    """Take the person's nudge of the day; False when someone took it first (INSERT ... ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(Nudge).values(
        campaign_id=campaign_id, person_id=person_id, day=day.isoformat(), requested_by=requested_by,
        requested_at=now, reminder_id=reminder_id,
    ).on_conflict_do_nothing(index_elements=["person_id", "day"])
    return (await session.execute(statement)).rowcount == 1


async def nudge_of(session: AsyncSession, reminder_id: int, person_id: int) -> tuple[Nudge, Person | None] | None:
    """The nudge a delivery carries, with the deputy who asked for it (for its text)."""
    nudge_row = await session.scalar(select(Nudge).where(Nudge.reminder_id == reminder_id, Nudge.person_id == person_id))
    if nudge_row is None:
        return None
    by = await session.get(Person, nudge_row.requested_by) if nudge_row.requested_by else None
    return nudge_row, by


async def teacher_invite(session: AsyncSession, deputy: Person | None, now: dt.datetime) -> tuple[School, Invite | None]:
    """The deputy's school and its teacher invite that still registers people (None: every one expired or used up)."""
    deputy = check_deputy(deputy)
    school = await session.get(School, deputy.school_id)
    return school, await usable_invite(session, role=Role.TEACHER, school_id=school.id, now=now)
