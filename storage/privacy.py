"""Personal data (152-ФЗ): the consent a person gives before registering, what is stored about them,
and who looked at the municipality's data.

The consent's text comes from storage/consent.txt with the municipality's operator and purposes; its version is a
digest of the exact text, stored with the time it was accepted. The operator is the municipality's own
(`shnor municipality privacy --operator`), else the full name of its education body (a requisite of its documents);
with neither, nobody registers: a consent must name who processes the data. The purposes have a default.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AccessLog,
    Answer,
    Campaign,
    Consent,
    Municipality,
    Person,
    Response,
    School,
    SurveyVersion,
)

TEMPLATE = Path(__file__).with_name("consent.txt")
DEFAULT_PURPOSES = (
    "мониторинг муниципальной системы работы со школами с низкими результатами обучения и школами, "
    "функционирующими в неблагоприятных социальных условиях; напоминания о сроках анкет"
)


@dataclass(frozen=True, slots=True)
class ConsentText:
    text: str
    version: str


class NoOperator(ValueError):
    """The municipality has not named the operator of personal data: nobody may register yet (the message is Russian)."""


def operator_of(municipality: Municipality) -> str | None:
    """Who processes the personal data, as its name is written (nominative): the operator set for the consent, else
    the education body of the municipality's documents; None when neither is set."""
    for name in (municipality.pd_operator, municipality.body_name):
        if name and name.strip():
            return name.strip().rstrip(".")
    return None


def set_operator_command(municipality: Municipality) -> str:
    """The command that names the operator (what a refusal tells the administrator to run)."""
    return f'shnor municipality privacy {municipality.id} --operator "Управление образования … (ИНН …)"'


def set_requisites_command(municipality: Municipality) -> str:
    """The command that stores the protocol's requisites (what the protocol's warning tells the administrator to run)."""
    return (f'shnor municipality requisites {municipality.id} --body "Управление образования …" '
            '--head-title "Начальник Управления образования" --head-name "И.О. Фамилия" --address "…"')


def consent_text(municipality: Municipality) -> ConsentText:
    """The consent a person of this municipality accepts; NoOperator while the operator is not named."""
    operator = operator_of(municipality)
    if operator is None:
        raise NoOperator(
            f"Не указан оператор персональных данных муниципалитета «{municipality.name}»: пока его нет, бот никого "
            f"не регистрирует. Укажите его: {set_operator_command(municipality)}"
        )
    purposes = (municipality.pd_purposes or DEFAULT_PURPOSES).strip().rstrip(".")
    text = TEMPLATE.read_text(encoding="utf-8").strip().format(operator=operator, purposes=purposes)
    return ConsentText(text, hashlib.sha256(text.encode()).hexdigest()[:16])


def record_consent(session: AsyncSession, person: Person, consent: ConsentText, accepted_at: dt.datetime) -> None:
    session.add(Consent(person_id=person.id, version=consent.version, text=consent.text, accepted_at=accepted_at))


ACTIONS = {
    "summary": "сводка",
    "card": "карточка школы",
    "card_xlsx": "карточка школы, .xlsx",
    "card_docx": "карточка школы, .docx",
    "report": "отчёт, .docx",
    "export": "выгрузка ответов, .xlsx",
    "webapp": "панель (мини-приложение)",
    "webapp_school": "панель: школа",
}


def command_line_actor() -> str:
    import getpass

    try:
        user = getpass.getuser()
    except Exception:  # no login name (a container without /etc/passwd entry)
        user = "?"
    return f"командная строка shnor, пользователь ОС {user}"


def log_access(session: AsyncSession, *, action: str, municipality_id: int, person: Person | None,
               detail: str | None, now: dt.datetime) -> None:
    """Record that someone saw the municipality's data (the caller's transaction commits it).

    `person` is the bot user who asked; None means the command line."""
    assert action in ACTIONS, action
    actor = f"бот, {ROLE_NAMES.get(person.role, person.role)} №{person.id}" if person is not None else command_line_actor()
    session.add(AccessLog(at=now, municipality_id=municipality_id, person_id=person.id if person else None,
                          actor=actor[:200], action=action, detail=detail[:200] if detail else None))


@dataclass(frozen=True, slots=True)
class StoredData:
    person: Person
    school: str | None
    municipality: str
    timezone: str
    consent: Consent | None
    responses: list[tuple[str, str, str, int]]  # survey title, period, status, answers given


async def stored_about(session: AsyncSession, person: Person) -> StoredData:
    school = await session.get(School, person.school_id) if person.school_id else None
    municipality = await session.get(Municipality, person.municipality_id)
    consent = await session.scalar(select(Consent).where(Consent.person_id == person.id).order_by(Consent.accepted_at.desc()).limit(1))
    rows = (await session.execute(
        select(SurveyVersion.title, Campaign.period, Response.status, func.count(Answer.id))
        .join(Campaign, Response.campaign_id == Campaign.id)
        .join(SurveyVersion, Campaign.survey_version_id == SurveyVersion.id)
        .outerjoin(Answer, (Answer.response_id == Response.id) & (Answer.answered_by == person.id))
        .where((Response.person_id == person.id) | (Response.actor_id == person.id))
        .group_by(Response.id, SurveyVersion.title, Campaign.period, Response.status)
        .order_by(Campaign.period, SurveyVersion.title)
    )).all()
    return StoredData(person, school.name if school else None, municipality.name, municipality.timezone, consent,
                      [(title, period, status, int(n)) for title, period, status, n in rows])


@dataclass(frozen=True, slots=True)
class AccessRecord:
    at: dt.datetime
    who: str  # the person's name and role now («(данные удалены)» once forgotten), or the command line
    action: str  # in Russian
    detail: str


async def audit(session: AsyncSession, municipality_id: int, since: dt.datetime | None = None) -> list[AccessRecord]:
    """The access log of one municipality, oldest first."""
    query = (select(AccessLog, Person.full_name, Person.role, School.name)
             .outerjoin(Person, AccessLog.person_id == Person.id)
             .outerjoin(School, Person.school_id == School.id)
             .where(AccessLog.municipality_id == municipality_id))
    if since is not None:
        query = query.where(AccessLog.at >= since)
    records = []
    for entry, name, role, school in (await session.execute(query.order_by(AccessLog.at, AccessLog.id))).all():
        if entry.person_id is not None and name is not None:
            who = ", ".join(filter(None, [name, ROLE_NAMES.get(role, role), school]))
        else:
            who = entry.actor
        records.append(AccessRecord(entry.at, who, ACTIONS.get(entry.action, entry.action), entry.detail or ""))
    return records


ROLE_NAMES = {  # the bot's words too (bot.texts.ROLE_TITLES)
    "teacher": "педагог",
    "deputy": "заместитель директора по УВР",
    "coordinator": "муниципальный координатор",
    "admin": "администратор",
}
