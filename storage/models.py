"""SQLAlchemy models. The schema is created and upgraded by Alembic (storage/migrations)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


STAMP = "stamp"  # a column's info key: filled from the session's clock (storage.db) when a row is written


def stamped(on_update: bool = False) -> Any:
    """A timestamp column the unit of work fills from its clock when the row is added without one (and,
    with `on_update`, whenever the row changes): never from the wall clock (storage.clock)."""
    return mapped_column(UTCDateTime(), info={STAMP: "update" if on_update else "insert"})


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Role(StrEnum):
    TEACHER = "teacher"
    DEPUTY = "deputy"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class ResponseStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Municipality(Base):
    __tablename__ = "municipality"
    __table_args__ = (UniqueConstraint("coordinators_channel", "coordinators_chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Yekaterinburg")
    # regional_lists | criteria | sverdlovsk: how the statuses of its schools are identified
    identification_method: Mapped[str] = mapped_column(String(20), default="regional_lists", server_default="regional_lists")
    coordinators_chat_id: Mapped[int | None] = mapped_column(BigInteger)  # unique within its channel
    coordinators_channel: Mapped[str] = mapped_column(String(12), default="telegram", server_default="telegram")
    created_at: Mapped[dt.datetime] = stamped()
    # Consent to the processing of personal data (152-ФЗ): who processes it and why; storage.privacy has defaults
    pd_operator: Mapped[str | None] = mapped_column(String(300))
    pd_purposes: Mapped[str | None] = mapped_column(Text)
    # Requisites of the documents it files (the protocol's «УТВЕРЖДАЮ», the справка's heading)
    body_name: Mapped[str | None] = mapped_column(String(400))  # «Управление образования Администрации …»
    head_title: Mapped[str | None] = mapped_column(String(300))  # «Начальник Управления образования»
    head_name: Mapped[str | None] = mapped_column(String(200))  # «Л.М. Миннуллина»
    address: Mapped[str | None] = mapped_column(String(400))
    # Completion (per cent of the declared staff) below which a document says «данные неполные»
    complete_at: Mapped[int] = mapped_column(Integer, default=90, server_default="90")

    schools: Mapped[list[School]] = relationship(back_populates="municipality", order_by="School.name")


class School(Base):
    __tablename__ = "school"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(100))
    rural: Mapped[bool] = mapped_column(Boolean, default=False)

    municipality: Mapped[Municipality] = relationship(back_populates="schools")


class SchoolPeriod(Base):
    """What the registry says of a school for one period: its internship-site statuses (S2.4.6, S2.4.7).

    A fact of the period, not of the school: re-importing the registry for this year leaves last
    year's summary as it was.
    """

    __tablename__ = "school_period"
    __table_args__ = (UniqueConstraint("school_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    municipal_internship_site: Mapped[bool] = mapped_column(Boolean, default=False)
    regional_internship_site: Mapped[bool] = mapped_column(Boolean, default=False)


TELEGRAM, MAX = "telegram", "max"


class Person(Base):
    """A registered person. The identity map is (channel, account id) -> person: a person's Telegram ids are
    `tg_user_id` and `chat_id` here (None for someone registered in MAX alone), their ids in other channels
    are `Account` rows. One person may use both channels (storage.accounts)."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    tg_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"), index=True)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)  # Telegram: the person blocked the bot
    registered_at: Mapped[dt.datetime] = stamped()

    school: Mapped[School | None] = relationship()
    municipality: Mapped[Municipality] = relationship()


class Account(Base):
    """A person's account in a channel other than Telegram (MAX): who writes (account_id, the channel's user id)
    and the private chat the bot writes to."""

    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("channel", "account_id"), UniqueConstraint("person_id", "channel"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())  # blocked the bot there
    created_at: Mapped[dt.datetime] = stamped()


class Consent(Base):
    """A person's consent to the processing of their personal data: the exact text they agreed to, when,
    and when it was withdrawn (/forget or `shnor person delete`; the row stays as the operator's record)."""

    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    version: Mapped[str] = mapped_column(String(64))  # a digest of the text
    text: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AccessLog(Base):
    """Who saw what: a summary, a school card, a report, an export (kept for the operator's records)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(200))  # «person:17», «shnor (командная строка)»
    action: Mapped[str] = mapped_column(String(20))  # summary | card | card_xlsx | report | export
    detail: Mapped[str | None] = mapped_column(String(200))  # the period, the school


class Meeting(Base):
    """A meeting of the municipal working group whose protocol was made (/report, `shnor report --meeting`): its
    details are the protocol's, kept so that the next protocol offers the same people, place and agenda and the
    next number."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))  # the school year the protocol's data are for
    number: Mapped[str] = mapped_column(String(40), default="")
    held_on: Mapped[dt.date | None] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # scoring.protocol.Meeting.stored()
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    made_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Invite(Base):
    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = stamped()
    # A one-time link of a second channel to a registered person (/link): the account joins this person.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))

    school: Mapped[School | None] = relationship()
    municipality: Mapped[Municipality] = relationship()


class SurveyVersion(Base):
    """A frozen copy of a definition: campaigns keep the exact questions they were opened with."""

    __tablename__ = "survey_version"
    __table_args__ = (UniqueConstraint("survey_key", "checksum"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_key: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(20))
    checksum: Mapped[str] = mapped_column(String(64))
    # Deferred: campaigns load their version (title, audience) all the time, the definition
    # only once per process (surveys.store.survey_of).
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    created_at: Mapped[dt.datetime] = stamped()


class Campaign(Base):
    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id"))
    period: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(20))
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = stamped()
    # Only schools with any of these statuses in the period ("shnro,shnsu"); None: everyone.
    status_filter: Mapped[str | None] = mapped_column(String(60))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Yekaterinburg", server_default="Asia/Yekaterinburg")
    reminder_offsets: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: ["7d", "3d", "1d", "morning"], server_default='["7d", "3d", "1d", "morning"]'
    )
    quiet_hours: Mapped[str] = mapped_column(String(11), default="21:00-08:00", server_default="21:00-08:00")

    survey_version: Mapped[SurveyVersion] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship()

    def state(self, now: dt.datetime) -> CampaignState:
        return campaign_state(self.closed_at, self.opens_at, self.deadline, now)

    def is_open(self, now: dt.datetime) -> bool:
        return self.state(now) is CampaignState.OPEN


class Response(Base):
    """One questionnaire of one subject in one campaign.

    The subject is the teacher (audience teacher), the school (audience school, answered by
    any of its deputies) or the municipality (answered by a coordinator): "person:7",
    "school:3", "municipality:1".
    """

    __tablename__ = "response"
    __table_args__ = (UniqueConstraint("campaign_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=ResponseStatus.DRAFT)
    # The question the respondent is looking at; None means the next unanswered one.
    cursor: Mapped[str | None] = mapped_column(String(60))
    # Bumped by every write (surveys.store): a state cached in a process is used only while it matches.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Who acted on it last: a person's typed answers go to the response they touched last.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[dt.datetime] = stamped()
    updated_at: Mapped[dt.datetime] = stamped()
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The screen its respondent was shown last (surveys.store.screen_name): a question's name (the carry screen:
    # its first question), REVIEW_SCREEN for the review; None: written before migration 0016. A draft stopped there.
    screen: Mapped[str | None] = mapped_column(String(60))

    campaign: Mapped[Campaign] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan")


class Answer(Base):
    """One row per question, written the moment the answer is given. value NULL = skipped."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("response_id", "question"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(60))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    answered_at: Mapped[dt.datetime] = stamped()
    # Seconds from the screen being shown (the response's write before) to this answer; None: the answer was given on
    # another question's screen (the carry screen's further facts, an inline follow-up), or before migration 0016.
    seconds: Mapped[int | None] = mapped_column(Integer)


class SchoolStatus(Base):
    """A school's identification result for one period, by the municipality's chosen method."""

    __tablename__ = "school_status"
    __table_args__ = (UniqueConstraint("school_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    method: Mapped[str] = mapped_column(String(20))
    shnro: Mapped[bool] = mapped_column(Boolean, default=False)
    shnsu: Mapped[bool] = mapped_column(Boolean, default=False)
    risk_zone: Mapped[bool] = mapped_column(Boolean, default=False)
    project_500: Mapped[bool] = mapped_column(Boolean, default=False)
    support_group: Mapped[str | None] = mapped_column(String(40))
    pilot: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())  # Sverdlovsk: a pilot site, beside the group
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = stamped(on_update=True)


class ExamResult(Base):
    """A school's mean in one procedure (ОГЭ, ЕГЭ, ВПР, КДР), subject, grade and year, beside the region's."""

    __tablename__ = "exam_result"
    __table_args__ = (UniqueConstraint("school_id", "year", "procedure", "subject", "grade"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    procedure: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(20))
    grade: Mapped[int] = mapped_column(Integer)
    school_mean: Mapped[float] = mapped_column()
    regional_mean: Mapped[float | None] = mapped_column()


class RegionalGroup(Base):
    """Sverdlovsk method: the regional report's quality-index and ИСБШ groups, and the pilot flag."""

    __tablename__ = "regional_group"
    __table_args__ = (UniqueConstraint("school_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    quality_group: Mapped[int] = mapped_column(Integer)
    isbsh_group: Mapped[int] = mapped_column(Integer)
    pilot: Mapped[bool] = mapped_column(Boolean, default=False)


class CampaignState(StrEnum):
    """Where a campaign is, the one vocabulary for it (its Russian words: monitoring.campaigns.STATE_TITLES)."""

    NOT_YET = "not_yet"  # opens later
    OPEN = "open"  # accepting answers
    OVER = "over"  # its deadline has passed
    CLOSED = "closed"  # closed by a coordinator


def campaign_state(closed_at: dt.datetime | None, opens_at: dt.datetime, deadline: dt.datetime,
                   now: dt.datetime) -> CampaignState:
    """The one definition of a campaign's state (the model's and the questionnaire's window use it)."""
    if closed_at is not None:
        return CampaignState.CLOSED
    if now >= deadline:
        return CampaignState.OVER
    return CampaignState.OPEN if opens_at <= now else CampaignState.NOT_YET


class ReminderKind(StrEnum):
    """What a scheduled mailing of a campaign is."""

    OPEN = "open"  # the opening notice
    OFFSET = "offset"  # a reminder some time before the deadline
    FINAL = "final"  # the final report to the coordinators (at the deadline or when closed)
    REOPEN = "reopen"  # the campaign was opened again
    NUDGE = "nudge"  # a deputy's reminder to chosen teachers
    RETURN = "return"  # a questionnaire returned for correction

    @property
    def personal(self) -> bool:
        """Asked for by a person: its deliveries are written with the request, not when it falls due."""
        return self in (ReminderKind.NUDGE, ReminderKind.RETURN)


class DeliveryKind(StrEnum):
    """Who one message of a reminder goes to, and so what it says."""

    RESPONDENT = "respondent"  # a person who has not answered
    DEPUTY = "deputy"  # a deputy, with the names of their missing teachers
    DIGEST = "digest"  # the coordinators' chat: completion so far
    FINAL = "final"  # the coordinators' chat: the final report
    NOTICE = "notice"  # the coordinators' chat: a reopening announced
    NUDGE = "nudge"  # a teacher a deputy chose to remind
    RETURNED = "returned"  # the people whose questionnaire was returned for correction

    @property
    def to_person(self) -> bool:
        return self in (DeliveryKind.RESPONDENT, DeliveryKind.DEPUTY, DeliveryKind.NUDGE, DeliveryKind.RETURNED)


class ReminderState(StrEnum):
    PENDING = "pending"  # not due yet, or due and not started
    SENDING = "sending"  # recipients fixed in deliveries; going out
    DONE = "done"
    SUPERSEDED = "superseded"  # a later reminder or the deadline made it pointless
    CANCELLED = "cancelled"  # the campaign was closed or its deadline moved past it


class Reminder(Base):
    """One scheduled mailing of a campaign: its opening notice, an offset before the deadline, the final report."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("campaign_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # ReminderKind
    key: Mapped[str] = mapped_column(String(60))  # "open", "7d", "morning", "final@2026-12-15T13:00"
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[str] = mapped_column(String(12), default=ReminderState.PENDING, index=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_channel: Mapped[str | None] = mapped_column(String(12))  # None: Telegram
    progress_mid: Mapped[str | None] = mapped_column(String(100))  # MAX's message ids are strings

    campaign: Mapped[Campaign] = relationship(lazy="joined")


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    SKIPPED = "skipped"  # no longer needed: the respondent submitted in the meantime
    UNREACHABLE = "unreachable"  # 403: the person blocked the bot
    FAILED = "failed"  # a definite refusal by the channel (not a failure of the channel)
    # never confirmed: tries failed ambiguously (each may have arrived) until its campaign ended or a later reminder
    # went out; whether it arrived is unknown
    UNCERTAIN = "uncertain"
    ENDED = "ended"  # not sent, never tried ambiguously: its campaign ended (or a later reminder went out) first


class Delivery(Base):
    """One message of a reminder to one chat of a channel; written before sending, marked after the channel accepts it."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("reminder_id", "channel", "chat_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # DeliveryKind
    channel: Mapped[str] = mapped_column(String(12), default=TELEGRAM, server_default=TELEGRAM)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("school.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12), default=DeliveryState.PENDING, index=True)
    # ambiguous + 1 while a call is out (written before it goes), back to ambiguous when it is known not to have
    # arrived: a pending row found with attempts > ambiguous was in flight when a process died, and that call
    # counts as an ambiguous failure. With SENT: how many copies may have arrived.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # ambiguous failures (5xx, a timeout after the request went out): each may have delivered a copy; tried again
    # until confirmed, refused or no longer wanted (bot.sender)
    ambiguous: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ResponseReturn(Base):
    """A submitted questionnaire sent back for correction, with the comment: by whom, when, why, and when it
    came back (resubmitted_at is set by the submit that follows, surveys.store)."""

    __tablename__ = "response_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    returned_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    returned_by_role: Mapped[str] = mapped_column(String(20))  # deputy | coordinator | admin, as they were then
    returned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(Text)
    # the outbox mailing that tells the respondent (its deliveries: the teacher, or the school's deputies)
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminder.id", ondelete="SET NULL"))
    resubmitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resubmitted_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class Nudge(Base):
    """A deputy's personal reminder to one teacher: at most one a person a day (the municipality's
    calendar day on which it is due), held by the unique key across processes."""

    __tablename__ = "nudge"
    __table_args__ = (UniqueConstraint("person_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD in the municipality's time zone
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)


class CalendarState(StrEnum):
    PLANNED = "planned"  # waits for its date (or was due and could not be opened yet: last_error says why)
    OPENED = "opened"  # the calendar opened campaign_id
    EXISTING = "existing"  # a campaign of the pack and period was there already (opened by hand): not duplicated
    SKIPPED = "skipped"  # a coordinator skipped it
    DONE = "done"  # a reminder to the coordinators: its messages were written to the outbox
    MISSED = "missed"  # its window passed before it could be opened or sent (no plan yet, the bot was down)


class CalendarItem(Base):
    """One line of a municipality's plan for a school year (monitoring.calendar): a campaign the
    calendar opens, or a reminder to the coordinators; the state moves once, in the database."""

    __tablename__ = "calendar_item"
    __table_args__ = (UniqueConstraint("municipality_id", "period", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(60))  # the calendar file's item key
    kind: Mapped[str] = mapped_column(String(10))  # campaign | task
    pack: Mapped[str | None] = mapped_column(String(60))  # the survey a campaign item opens
    title: Mapped[str] = mapped_column(String(200))  # the monitoring
    planned_opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the calendar's date, before any shift
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reminder_offsets: Mapped[list[str]] = mapped_column(JSON)
    quiet_hours: Mapped[str] = mapped_column(String(11))
    state: Mapped[str] = mapped_column(String(12), default=CalendarState.PLANNED, index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaign.id", ondelete="SET NULL"))
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = stamped()
    changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # shifted, skipped, opened, sent


class CalendarMessage(Base):
    """The calendar's outbox: one message to one coordinators' chat (the group, in its channel, or a coordinator in
    the channel they are written to), written before it is sent and marked after the channel accepts it. The unique
    key makes each notice (opened, a reminder, «not opened») happen once."""

    __tablename__ = "calendar_message"
    __table_args__ = (UniqueConstraint("municipality_id", "period", "item_key", "key", "channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(40))
    item_key: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(60))  # «overdue@2026-09-15T04:00», «opened@12», «task@...», «existing@5»
    kind: Mapped[str] = mapped_column(String(10))  # opened | existing | task | overdue
    channel: Mapped[str] = mapped_column(String(12), default=TELEGRAM, server_default=TELEGRAM)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # what the text is made of
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # DeliveryState values
    ambiguous: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = stamped()
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class FsmRecord(Base):
    """aiogram conversation state, kept in the database so that it survives a restart."""

    __tablename__ = "fsm_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = stamped(on_update=True)


class InboxUpdate(Base):
    """Every update a bot received, recorded before Telegram is told it arrived (storage.inbox).

    new: to be handled (after a crash too); done: handled, in the same transaction as what its
    handling wrote, so a redelivered update is skipped; poison: could not be read, kept for
    inspection. Rows live 24 hours (Telegram redelivers within that time and reuses ids later).
    """

    __tablename__ = "inbox"

    channel: Mapped[str] = mapped_column(String(12), primary_key=True, default=TELEGRAM, server_default=TELEGRAM)
    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(8), index=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    payload: Mapped[str | None] = mapped_column(Text)  # the update's JSON while it waits; dropped once handled
    error: Mapped[str | None] = mapped_column(String(300))


class PollMarker(Base):
    """Where long polling stopped (MAX's `marker`): written with the batch it confirms, read at start."""

    __tablename__ = "poll_marker"

    channel: Mapped[str] = mapped_column(String(12), primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    marker: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = stamped()


__all__ = [
    "Account",
    "MAX",
    "PollMarker",
    "TELEGRAM",
    "Answer",
    "Base",
    "CalendarItem",
    "CalendarMessage",
    "CalendarState",
    "AccessLog",
    "Campaign",
    "Consent",
    "FsmRecord",
    "InboxUpdate",
    "Invite",
    "Meeting",
    "Municipality",
    "Person",
    "Response",
    "ResponseStatus",
    "Role",
    "School",
    "SchoolPeriod",
    "SchoolStatus",
    "ExamResult",
    "RegionalGroup",
    "Nudge",
    "Reminder",
    "ReminderState",
    "ResponseReturn",
    "Delivery",
    "DeliveryState",
    "SurveyVersion",
]
