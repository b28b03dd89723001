"""Campaign management and the reminder outbox (database side, no aiogram). Nothing here commits:
the caller does (the update's session, the CLI's helper, the reminder runner).

Every mailing is a `Reminder` row planned ahead from the campaign's settings; when it falls
due, its recipients are fixed as `Delivery` rows in one transaction, and each delivery is
marked as soon as Telegram has accepted it. A restart resumes from these rows: what was
sent is not sent again, what was not is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monitoring.completion import FORM_STATES, TeacherCompletion, total_text
from monitoring.schedule import (
    DEFAULT_OFFSETS,
    DEFAULT_QUIET,
    QuietHours,
    after_quiet,
    parse_offsets,
    reminder_times,
    zone,
)
from storage.accounts import Contact, contacts, reachable_clause
from storage.accounts import mark_unreachable as _mark_unreachable
from storage.models import (
    Answer,
    Campaign,
    CampaignState,
    Delivery,
    DeliveryKind,
    DeliveryState,
    Municipality,
    Person,
    Reminder,
    ReminderKind,
    ReminderState,
    Response,
    ResponseStatus,
    Role,
    School,
    SchoolStatus,
    SurveyVersion,
)
from storage.registry import FORGOTTEN_NAME
from surveys.errors import ServiceError
from surveys.facts import STAFF_QUESTION
from surveys.model import Audience, Survey
from surveys.periods import PeriodError, normalize_period
from surveys.store import store_survey_version
from surveys.subjects import (
    ROLE_AUDIENCE,
    municipality_subject,
    person_subject,
    school_subject,
    subject_of,
)

STATE_TITLES = {CampaignState.NOT_YET: "ещё не открыта", CampaignState.OPEN: "идёт", CampaignState.OVER: "срок прошёл",
                CampaignState.CLOSED: "закрыта"}
STATUS_FILTERS = ("shnro", "shnsu", "risk_zone")
STATUS_FILTER_TITLES = {None: "все", "shnro": "ШНРО", "shnsu": "ШНСУ", "risk_zone": "зона риска"}
DELIVERY_ORDER = {DeliveryKind.RESPONDENT: 0, DeliveryKind.NUDGE: 0, DeliveryKind.RETURNED: 0, DeliveryKind.DEPUTY: 1,
                  DeliveryKind.DIGEST: 2, DeliveryKind.FINAL: 3, DeliveryKind.NOTICE: 3}


def _check_filter(status_filter: str | None) -> str | None:
    if not status_filter:
        return None
    parts = [p.strip() for p in status_filter.split(",") if p.strip()]
    bad = [p for p in parts if p not in STATUS_FILTERS]
    if bad:
        raise ServiceError(f"Неизвестный статус «{bad[0]}»: допустимы shnro, shnsu, risk_zone.")
    return ",".join(parts) or None


SCHOOL_GROUPS = {"shnro": "ШНРО", "shnsu": "ШНСУ", "risk_zone": "зоны риска"}  # after «школ»: «школ зоны риска»
AUDIENCE_WHOM = {Audience.TEACHER: "педагогов", Audience.SCHOOL: "школ", Audience.MUNICIPALITY: "муниципалитета"}


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " и " + items[-1]


def audience_title(audience: str, status_filter: str | None) -> str:
    """Whom a campaign asks, in words: «для всех педагогов», «для педагогов школ ШНРО и ШНСУ», «для всех школ»,
    «для школ зоны риска», «для муниципалитета»."""
    audience = Audience(audience)
    if audience == Audience.MUNICIPALITY:
        return "для муниципалитета"
    whom = AUDIENCE_WHOM[audience]
    if not status_filter:
        return f"для всех {whom}"
    groups = _and([SCHOOL_GROUPS[p] for p in status_filter.split(",")])
    return f"для педагогов школ {groups}" if audience == Audience.TEACHER else f"для школ {groups}"


# --- opening, extending, closing -----------------------------------------------------------


async def create_campaign(
    session: AsyncSession,
    *,
    municipality: Municipality,
    survey: Survey,
    period: str,
    deadline: dt.datetime,
    opens_at: dt.datetime | None = None,
    status_filter: str | None = None,
    offsets: tuple[str, ...] | str = DEFAULT_OFFSETS,
    quiet_hours: str = DEFAULT_QUIET,
    timezone: str | None = None,
    now: dt.datetime,
) -> Campaign:
    """Open a campaign with its reminder plan (the opening notice, the offsets, the final report)."""
    offsets = parse_offsets(offsets)
    quiet = QuietHours.parse(quiet_hours)
    tz_name = timezone or municipality.timezone
    zone(tz_name)
    status_filter = _check_filter(status_filter)
    try:
        period = normalize_period(period)
    except PeriodError as exc:
        raise ServiceError(str(exc)) from None
    if survey.audience != Audience.MUNICIPALITY and not await _schools_in(session, municipality.id, period, status_filter):
        raise ServiceError(_empty_audience(status_filter, period))
    campaign = await open_campaign(
        session, municipality=municipality, survey=survey, period=period, deadline=deadline, opens_at=opens_at, now=now
    )
    campaign.status_filter = status_filter
    campaign.reminder_offsets = list(offsets)
    campaign.quiet_hours = str(quiet)
    campaign.timezone = tz_name
    await plan_reminders(session, campaign, now)
    return campaign


async def plan_reminders(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> None:
    """Create or move the reminders that have not gone out, from the campaign's current settings."""
    tz = zone(campaign.timezone)
    quiet = QuietHours.parse(campaign.quiet_hours)
    existing = {r.key: r for r in await session.scalars(select(Reminder).where(Reminder.campaign_id == campaign.id))}

    if "open" not in existing:
        session.add(Reminder(campaign_id=campaign.id, kind=ReminderKind.OPEN, key="open",
                             due_at=after_quiet(max(campaign.opens_at, now), tz, quiet), state=ReminderState.PENDING))

    wanted = reminder_times(tuple(campaign.reminder_offsets), campaign.deadline, tz, quiet)
    for key, reminder in existing.items():
        if reminder.kind == ReminderKind.OFFSET and reminder.state == ReminderState.PENDING and key not in wanted:
            reminder.state = ReminderState.CANCELLED
    for key, due in wanted.items():
        reminder = existing.get(key)
        if reminder is None:
            session.add(Reminder(campaign_id=campaign.id, kind=ReminderKind.OFFSET, key=key, due_at=due, state=ReminderState.PENDING))
        elif reminder.state in (ReminderState.PENDING, ReminderState.CANCELLED, ReminderState.SUPERSEDED):
            reminder.due_at = due
            reminder.state = ReminderState.PENDING

    final_key = f"final@{campaign.deadline.astimezone(dt.UTC):%Y-%m-%dT%H:%M}"
    for key, reminder in existing.items():
        if reminder.kind == ReminderKind.FINAL and key != final_key and reminder.state == ReminderState.PENDING:
            reminder.state = ReminderState.CANCELLED
    final = existing.get(final_key)
    if final is None:
        session.add(Reminder(campaign_id=campaign.id, kind=ReminderKind.FINAL, key=final_key,
                             due_at=after_quiet(campaign.deadline, tz, quiet), state=ReminderState.PENDING))
    elif final.state == ReminderState.CANCELLED:
        final.state = ReminderState.PENDING
    await session.flush()


EXTEND_DAYS = (1, 3, 7, 14)  # the chat's buttons


async def owned_campaign(session: AsyncSession, municipality_id: int, campaign_id: int) -> Campaign:
    """A campaign of this municipality; anyone else's (or none) is refused."""
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None or campaign.municipality_id != municipality_id:
        raise ServiceError("Это не ваши данные.")
    return campaign


async def extend_by_days(session: AsyncSession, campaign: Campaign, days: int, now: dt.datetime) -> Campaign:
    """From the chat: the deadline (or now, if it passed) plus one of EXTEND_DAYS."""
    if days not in EXTEND_DAYS:
        raise ServiceError("Такого варианта нет.")
    return await extend_campaign(session, campaign, max(campaign.deadline, now) + dt.timedelta(days=days), now)


async def extend_campaign(session: AsyncSession, campaign: Campaign, deadline: dt.datetime, now: dt.datetime) -> Campaign:
    if deadline <= now:
        raise ServiceError("Новый срок должен быть в будущем.")
    if deadline <= campaign.deadline:
        current = campaign.deadline.astimezone(zone(campaign.timezone))
        raise ServiceError(f"Новый срок не позже нынешнего ({current:%d.%m.%Y %H:%M}): продлить можно только на более поздний.")
    if deadline <= campaign.opens_at:
        raise ServiceError("Новый срок должен быть позже открытия кампании.")
    campaign.deadline = deadline
    if campaign.closed_at is not None:
        campaign.closed_at = None
    await plan_reminders(session, campaign, now)
    return campaign


async def close_campaign(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> Campaign:
    if campaign.closed_at is not None:
        raise ServiceError("Кампания уже закрыта.")
    campaign.closed_at = now
    await session.execute(
        update(Reminder)
        .where(Reminder.campaign_id == campaign.id, Reminder.state == ReminderState.PENDING)
        .values(state=ReminderState.CANCELLED)
    )
    tz = zone(campaign.timezone)
    closings = await session.scalar(
        select(func.count()).select_from(Reminder).where(Reminder.campaign_id == campaign.id, Reminder.key.like("final@closed-%"))
    )
    session.add(Reminder(campaign_id=campaign.id, kind=ReminderKind.FINAL, key=f"final@closed-{closings + 1}",
                         due_at=after_quiet(now, tz, QuietHours.parse(campaign.quiet_hours)), state=ReminderState.PENDING))
    await session.flush()
    return campaign


async def reopen_campaign(session: AsyncSession, campaign: Campaign, now: dt.datetime) -> Campaign:
    if campaign.closed_at is None:
        raise ServiceError("Кампания и так открыта.")
    if campaign.deadline <= now:
        raise ServiceError("Срок кампании прошёл: чтобы открыть её снова, продлите срок.")
    campaign.closed_at = None
    await plan_reminders(session, campaign, now)
    # announced in the coordinators' chat, as a close is (through the outbox, like every mailing)
    reopenings = await session.scalar(
        select(func.count()).select_from(Reminder).where(Reminder.campaign_id == campaign.id, Reminder.kind == ReminderKind.REOPEN)
    )
    due = after_quiet(now, zone(campaign.timezone), QuietHours.parse(campaign.quiet_hours))
    session.add(Reminder(campaign_id=campaign.id, kind=ReminderKind.REOPEN, key=f"reopen-{reopenings + 1}", due_at=due,
                         state=ReminderState.PENDING))
    await session.flush()
    return campaign


async def municipality_campaigns(session: AsyncSession, municipality_id: int) -> list[Campaign]:
    """Newest first, by number: the list keeps its order whatever is done to a campaign."""
    return list(await session.scalars(
        select(Campaign).where(Campaign.municipality_id == municipality_id).order_by(Campaign.id.desc())
    ))


DATE_ONLY_HOUR = 18  # a deadline typed as a date alone means 18:00 local time, in the chat and the CLI alike
_DEADLINE_FORMATS = ("%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d.%m.%Y", "%Y-%m-%d")


def parse_local(text: str, timezone: str, date_only_hour: int = DATE_ONLY_HOUR) -> dt.datetime:
    """«15.12.2026 18:00», «2026-12-15 18:00» or a date alone (at `date_only_hour`) in local time, as UTC."""
    cleaned = " ".join((text or "").split())
    for fmt in _DEADLINE_FORMATS:
        try:
            local = dt.datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        if "%H" not in fmt:
            local = local.replace(hour=date_only_hour)
        return local.replace(tzinfo=zone(timezone)).astimezone(dt.UTC)
    raise ServiceError(
        f"Не понял дату «{cleaned[:40]}». Напишите так: 15.12.2026 18:00 (или только дату — тогда {date_only_hour}:00)."
    )


def parse_deadline(text: str, timezone: str) -> dt.datetime:
    """A deadline: a date alone means 18:00 local time, in the chat and the command line alike."""
    return parse_local(text, timezone, DATE_ONLY_HOUR)


# --- who is asked --------------------------------------------------------------------------


async def _schools_in(session: AsyncSession, municipality_id: int, period: str, status_filter: str | None) -> list[int]:
    query = select(School.id).where(School.municipality_id == municipality_id)
    if status_filter:
        conditions = [getattr(SchoolStatus, s).is_(True) for s in status_filter.split(",")]
        query = query.join(
            SchoolStatus, and_(SchoolStatus.school_id == School.id, SchoolStatus.period == period)
        ).where(or_(*conditions))
    return list(await session.scalars(query.order_by(School.id)))


def _empty_audience(status_filter: str | None, period: str) -> str:
    if not status_filter:
        return "В муниципалитете нет ни одной школы: сначала загрузите реестр школ (shnor schools import)."
    return (
        f"Адресатов нет: школ со статусом {' или '.join(f'«{STATUS_FILTER_TITLES[p]}»' for p in status_filter.split(','))} "
        f"за период {period} нет. "
        f"Сначала загрузите статусы (shnor import statuses --period {period}) или проведите идентификацию "
        f"(shnor identify --period {period}), либо откройте кампанию для всех школ."
    )


async def eligible_school_ids(session: AsyncSession, campaign: Campaign) -> list[int]:
    return await _schools_in(session, campaign.municipality_id, campaign.period, campaign.status_filter)


async def respondents(session: AsyncSession, campaign: Campaign, *, only_missing: bool) -> list[Person]:
    """The people who answer this campaign (teachers, deputies or coordinators), reachable ones only."""
    role = {Audience.TEACHER: Role.TEACHER, Audience.SCHOOL: Role.DEPUTY, Audience.MUNICIPALITY: Role.COORDINATOR}[
        Audience(campaign.audience)
    ]
    query = select(Person).where(
        Person.municipality_id == campaign.municipality_id, Person.role == role, reachable_clause()
    )
    if campaign.audience != Audience.MUNICIPALITY:
        query = query.where(Person.school_id.in_(await eligible_school_ids(session, campaign)))
    people = list(await session.scalars(query.order_by(Person.id)))
    if not only_missing:
        return people
    done = set(await session.scalars(
        select(Response.subject).where(Response.campaign_id == campaign.id, Response.status == ResponseStatus.SUBMITTED)
    ))
    return [p for p in people if subject_of(p, campaign.audience) not in done]


async def response_status(session: AsyncSession, campaign: Campaign, person: Person) -> str | None:
    return await session.scalar(
        select(Response.status).where(Response.campaign_id == campaign.id, Response.subject == subject_of(person, campaign.audience))
    )


@dataclass(frozen=True, slots=True)
class SchoolCompletion:
    school_id: int
    name: str
    teachers: TeacherCompletion | None  # a teacher campaign: against the declared staff; else None
    missing: tuple[str, ...]  # names of the asked teachers who have not submitted
    form: str | None  # the school questionnaire: of this campaign (school audience) or of the same period

    @property
    def done(self) -> bool:
        if self.teachers is not None:
            return not self.missing
        return self.form == ResponseStatus.SUBMITTED

    def text(self) -> str:
        if self.teachers is not None:
            return self.teachers.text()
        return "анкета школы " + FORM_STATES.get(self.form, FORM_STATES[None])


@dataclass(frozen=True, slots=True)
class CampaignCompletion:
    """Who has answered a campaign: per school, or the municipality's one questionnaire."""

    audience: str
    schools: list[SchoolCompletion]
    municipality_form: str | None = None

    def summary(self) -> str:
        """One line: «ответили 120 из 300 заявленных ...», «анкеты школ: отправлено 3 из 5», «анкета муниципалитета: отправлена»."""
        if self.audience == Audience.MUNICIPALITY:
            return "анкета муниципалитета " + FORM_STATES.get(self.municipality_form, FORM_STATES[None])
        if self.audience == Audience.TEACHER:
            return total_text(s.teachers for s in self.schools if s.teachers is not None)
        sent = sum(s.form == ResponseStatus.SUBMITTED for s in self.schools)
        return f"анкеты школ: отправлено {sent} из {len(self.schools)}"


def campaign_end(campaign: Campaign) -> dt.datetime:
    return campaign.closed_at or campaign.deadline


async def completion(session: AsyncSession, campaign: Campaign) -> CampaignCompletion:
    """Per eligible school: who was asked (registered by the campaign's end), who answered (against the
    staff the school declared), who is missing by name; the municipality's questionnaire on its own."""
    statuses = dict((await session.execute(
        select(Response.subject, Response.status).where(Response.campaign_id == campaign.id)
    )).all())
    if campaign.audience == Audience.MUNICIPALITY:
        return CampaignCompletion(campaign.audience, [], statuses.get(municipality_subject(campaign.municipality_id)))
    school_ids = await eligible_school_ids(session, campaign)
    schools = {s.id: s for s in await session.scalars(select(School).where(School.id.in_(school_ids)))}
    forms = await school_forms(session, campaign)
    teachers: dict[int, list[Person]] = defaultdict(list)
    if campaign.audience == Audience.TEACHER:
        answered = select(Response.person_id).where(Response.campaign_id == campaign.id, Response.person_id.is_not(None))
        for person in await session.scalars(
            select(Person).where(Person.role == Role.TEACHER, Person.school_id.in_(school_ids),
                                 or_(Person.registered_at <= campaign_end(campaign), Person.id.in_(answered)))
            .order_by(Person.full_name)
        ):
            teachers[person.school_id].append(person)
    out = []
    for sid in school_ids:
        form, declared = forms.get(sid, (None, None))
        if campaign.audience == Audience.TEACHER:
            people = teachers.get(sid, [])
            state = {p.id: statuses.get(person_subject(p.id)) for p in people}
            line = TeacherCompletion(
                declared, len(people),
                sum(s == ResponseStatus.SUBMITTED for s in state.values()),
                sum(s == ResponseStatus.DRAFT for s in state.values()),
            )
            missing = tuple(p.full_name for p in people if state[p.id] != ResponseStatus.SUBMITTED)
            out.append(SchoolCompletion(sid, schools[sid].short_name, line, missing, form))
        else:
            out.append(SchoolCompletion(sid, schools[sid].short_name, None, (), statuses.get(school_subject(sid))))
    out.sort(key=lambda c: (c.done, (c.teachers.share or 0) if c.teachers else 0, c.name))
    return CampaignCompletion(campaign.audience, out)


async def school_forms(session: AsyncSession, campaign: Campaign) -> dict[int, tuple[str, int | None]]:
    """School id -> (state of its questionnaire in the campaign's period, the staff it declared if submitted)."""
    rows = (await session.execute(
        select(Response.school_id, Response.status, Response.id)
        .join(Campaign, Response.campaign_id == Campaign.id)
        .where(Campaign.municipality_id == campaign.municipality_id, Campaign.period == campaign.period,
               Campaign.audience == Audience.SCHOOL, Response.school_id.is_not(None))
    )).all()
    declared = dict((await session.execute(
        select(Answer.response_id, Answer.value).where(
            Answer.response_id.in_([rid for _, status, rid in rows if status == ResponseStatus.SUBMITTED]),
            Answer.question == STAFF_QUESTION,
        )
    )).all())
    out: dict[int, tuple[str, int | None]] = {}
    for sid, status, rid in rows:
        if out.get(sid, (None,))[0] == ResponseStatus.SUBMITTED:
            continue  # a submitted one wins over a draft of another campaign of the period
        staff = declared.get(rid)
        out[sid] = (status, staff if isinstance(staff, int) and staff > 0 else None)
    return out


async def unreachable_people(session: AsyncSession, campaign: Campaign) -> list[Person]:
    """People registered in the municipality whom no channel reaches (they blocked the bot everywhere they use it)."""
    return list(await session.scalars(
        select(Person).where(Person.municipality_id == campaign.municipality_id, ~reachable_clause(),
                             Person.full_name != FORGOTTEN_NAME).order_by(Person.full_name)
    ))


async def coordinator_chats(session: AsyncSession, municipality_id: int) -> list[Contact]:
    """The coordinators' group (in its channel) if registered, else every reachable coordinator privately."""
    municipality = await session.get(Municipality, municipality_id)
    if municipality and municipality.coordinators_chat_id:
        return [Contact(municipality.coordinators_channel or "telegram", municipality.coordinators_chat_id)]
    people = list(await session.scalars(
        select(Person).where(Person.municipality_id == municipality_id,
                             Person.role.in_([Role.COORDINATOR, Role.ADMIN]), reachable_clause()).order_by(Person.id)
    ))
    found = await contacts(session, people)
    return [found[p.id] for p in people if p.id in found]


# --- the outbox ----------------------------------------------------------------------------


async def fire_due(session: AsyncSession, now: dt.datetime) -> list[int]:
    """Decide which due reminders go out now, fix their recipients; returns the ids to send.

    Of a campaign's overdue offset reminders only the latest goes out (the others are
    superseded); none goes out once the deadline has passed or the campaign is closed.
    Reminders already sending (a restart in the middle) are returned again.
    """
    due = list(await session.scalars(
        select(Reminder).where(Reminder.state == ReminderState.PENDING, Reminder.due_at <= now).order_by(Reminder.due_at)
    ))
    by_campaign: dict[int, list[Reminder]] = defaultdict(list)
    for reminder in due:
        by_campaign[reminder.campaign_id].append(reminder)
    for reminders in by_campaign.values():
        campaign = reminders[0].campaign
        over = campaign.closed_at is not None or now >= campaign.deadline
        offsets = [r for r in reminders if r.kind == ReminderKind.OFFSET]
        for reminder in reminders:
            if ReminderKind(reminder.kind).personal:  # recipients fixed when asked for; each is checked again when sent
                reminder.state = ReminderState.SENDING
                reminder.started_at = now
            elif reminder.kind in (ReminderKind.OFFSET, ReminderKind.OPEN) and over:
                reminder.state = ReminderState.SUPERSEDED
            elif reminder.kind == ReminderKind.OFFSET and reminder is not offsets[-1]:
                reminder.state = ReminderState.SUPERSEDED
            else:
                await _fix_recipients(session, reminder)
                reminder.state = ReminderState.SENDING
                reminder.started_at = now
    await session.flush()
    return list(await session.scalars(
        select(Reminder.id).where(Reminder.state == ReminderState.SENDING).order_by(Reminder.due_at)
    ))


async def _fix_recipients(session: AsyncSession, reminder: Reminder) -> None:
    campaign = reminder.campaign
    rows: list[dict] = []

    async def to_people(kind: DeliveryKind, people: list[Person]) -> None:
        reach = await contacts(session, people)
        for person in people:
            if person.id in reach:  # the channel each person is written to (storage.accounts)
                rows.append({"kind": kind, "channel": reach[person.id].channel, "chat_id": reach[person.id].chat_id,
                             "person_id": person.id, "school_id": person.school_id})

    if reminder.kind in (ReminderKind.OPEN, ReminderKind.OFFSET):
        await to_people(DeliveryKind.RESPONDENT, await respondents(session, campaign, only_missing=True))
        if reminder.kind == ReminderKind.OFFSET and campaign.audience == Audience.TEACHER:
            missing_schools = {c.school_id for c in (await completion(session, campaign)).schools if c.missing}
            deputies = await session.scalars(
                select(Person).where(Person.role == Role.DEPUTY, reachable_clause(),
                                     Person.school_id.in_(missing_schools)).order_by(Person.id)
            )
            await to_people(DeliveryKind.DEPUTY, list(deputies))
        if reminder.kind == ReminderKind.OFFSET:
            rows += [{"kind": DeliveryKind.DIGEST, "channel": c.channel, "chat_id": c.chat_id, "person_id": None, "school_id": None}
                     for c in await coordinator_chats(session, campaign.municipality_id)]
    else:  # final, reopen: the coordinators
        kind = DeliveryKind.NOTICE if reminder.kind == ReminderKind.REOPEN else DeliveryKind.FINAL
        rows += [{"kind": kind, "channel": c.channel, "chat_id": c.chat_id, "person_id": None, "school_id": None}
                 for c in await coordinator_chats(session, campaign.municipality_id)]
    seen: set[tuple[str, int, str]] = set()
    for row in rows:
        if (row["channel"], row["chat_id"], row["kind"]) in seen:
            continue
        seen.add((row["channel"], row["chat_id"], row["kind"]))
        session.add(Delivery(reminder_id=reminder.id, state=DeliveryState.PENDING, **row))
    await session.flush()


async def reminder_of(session: AsyncSession, reminder_id: int) -> Reminder | None:
    return await session.get(Reminder, reminder_id)


async def delivery_channels(session: AsyncSession, reminder_id: int) -> set[str]:
    """The channels the reminder's deliveries went (or go) through."""
    return set(await session.scalars(select(Delivery.channel).where(Delivery.reminder_id == reminder_id).distinct()))


async def pending_deliveries(session: AsyncSession, reminder_id: int) -> list[Delivery]:
    rows = list(await session.scalars(
        select(Delivery).where(Delivery.reminder_id == reminder_id, Delivery.state == DeliveryState.PENDING)
    ))
    return sorted(rows, key=lambda d: (DELIVERY_ORDER.get(d.kind, 9), d.id))


async def delivery_counts(session: AsyncSession, reminder_id: int) -> dict[str, int]:
    rows = await session.execute(
        select(Delivery.state, func.count()).where(Delivery.reminder_id == reminder_id).group_by(Delivery.state)
    )
    return {state: n for state, n in rows}


async def mark_delivery(session: AsyncSession, delivery_id: int, state: str, now: dt.datetime, error: str | None = None) -> None:
    await session.execute(
        update(Delivery).where(Delivery.id == delivery_id, Delivery.state == DeliveryState.PENDING).values(
            state=state, sent_at=now if state == DeliveryState.SENT else None, error=(error or None) and error[:300],
        )
    )


async def superseded(session: AsyncSession, reminder: Reminder, now: dt.datetime) -> bool:
    """An opening notice or reminder no longer worth sending: the campaign ended, or a later reminder went out."""
    campaign = await session.get(Campaign, reminder.campaign_id)
    if campaign is None or campaign.closed_at is not None or now >= campaign.deadline:
        return True
    if reminder.kind != ReminderKind.OFFSET:
        return False
    later = await session.scalar(
        select(Reminder.id).where(Reminder.campaign_id == reminder.campaign_id, Reminder.kind == ReminderKind.OFFSET,
                                  Reminder.due_at > reminder.due_at,
                                  Reminder.state.in_([ReminderState.SENDING, ReminderState.DONE])).limit(1)
    )
    return later is not None


async def repeated_deliveries(session: AsyncSession, reminder_id: int) -> dict[int, int]:
    """Confirmed deliveries that had ambiguous failures first: {ambiguous failures: deliveries}. Each failure may
    have delivered a copy besides the confirmed one (one failure: it may have arrived twice)."""
    rows = await session.execute(
        select(Delivery.ambiguous, func.count()).where(
            Delivery.reminder_id == reminder_id, Delivery.state == DeliveryState.SENT, Delivery.ambiguous > 0
        ).group_by(Delivery.ambiguous)
    )
    return {ambiguous: n for ambiguous, n in rows}


async def keep_tries(session: AsyncSession, delivery_id: int, ambiguous: int, attempts: int) -> None:
    """A delivery's tries (storage.models.Delivery.attempts): kept before a call goes out and after it fails."""
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(ambiguous=ambiguous, attempts=attempts))


async def mark_unreachable(session: AsyncSession, person_id: int, channel: str = "telegram") -> None:
    await _mark_unreachable(session, person_id, channel)


async def finish_reminder(session: AsyncSession, reminder_id: int, now: dt.datetime) -> bool:
    """Done when nothing is pending; returns whether it finished."""
    left = await session.scalar(
        select(func.count()).select_from(Delivery).where(Delivery.reminder_id == reminder_id, Delivery.state == DeliveryState.PENDING)
    )
    if left:
        return False
    await session.execute(
        update(Reminder).where(Reminder.id == reminder_id).values(state=ReminderState.DONE, finished_at=now)
    )
    return True


# --- opening a campaign, and the questionnaires a person can answer now ----------------------


@dataclass(frozen=True, slots=True)
class CampaignEntry:
    campaign: Campaign
    title: str
    status: str  # "new", "draft", "submitted"


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
