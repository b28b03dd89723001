"""Municipalities, schools, people and invites: the registry the surveys run on."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.importers import ImportFailed, ImportProblem, SchoolRow, name_key
from storage.models import (
    Campaign,
    Invite,
    Municipality,
    Person,
    Response,
    Role,
    School,
    SchoolPeriod,
)

TOKEN_BYTES = 16  # 22 url-safe characters, 128 bits: unguessable, and fits /start's 64 characters


class RegistryError(ValueError):
    """A user-facing error of an admin action; the message is Russian."""


async def get_municipality(session: AsyncSession, ref: str | int) -> Municipality:
    """By id or by exact name."""
    if isinstance(ref, int) or str(ref).isdigit():
        found = await session.get(Municipality, int(ref))
    else:
        found = await session.scalar(select(Municipality).where(Municipality.name == str(ref)))
    if found is None:
        raise RegistryError(f"Муниципалитет «{ref}» не найден.")
    return found


async def places(session: AsyncSession, municipality_id: int | None,
                 school_id: int | None = None) -> tuple[Municipality | None, School | None]:
    """A municipality and a school by id, read now in the caller's session (None where absent or not asked for)."""
    municipality = await session.get(Municipality, municipality_id) if municipality_id else None
    school = await session.get(School, school_id) if school_id else None
    return municipality, school


async def person_by_id(session: AsyncSession, person_id: int | None) -> Person | None:
    return await session.get(Person, person_id) if person_id else None


async def create_municipality(session: AsyncSession, name: str, timezone: str) -> Municipality:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = name.strip()
    if not name:
        raise RegistryError("Название муниципалитета не может быть пустым.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise RegistryError(f"Неизвестный часовой пояс «{timezone}» (пример: Asia/Yekaterinburg).") from exc
    if await session.scalar(select(Municipality.id).where(Municipality.name == name)):
        raise RegistryError(f"Муниципалитет «{name}» уже есть.")
    municipality = Municipality(name=name, timezone=timezone)
    session.add(municipality)
    await session.flush()
    return municipality


async def add_schools(
    session: AsyncSession, municipality: Municipality, rows: list[SchoolRow], period: str
) -> tuple[int, int]:
    """Insert new schools and update existing ones by name; the internship-site columns set the
    facts of `period` only. Returns (added, updated). A name that differs from another school's only by
    case, spaces or invisible characters, or that is another school's short name (or the other way round),
    fails the whole file (ImportFailed)."""

    schools = list(await session.scalars(select(School).where(School.municipality_id == municipality.id)))
    existing = {s.name: s for s in schools}
    problems = []
    for row in rows:
        for school in schools:
            if school.name == row.name:
                continue  # the same school, updated
            if name_key(school.name) == name_key(row.name):
                problems.append(ImportProblem(row.row, f"«{row.name}» отличается от школы «{school.name}» только регистром, "
                                                       "пробелами или невидимыми символами: напишите название как в реестре"))
            elif name_key(school.short_name) == name_key(row.short_name):
                problems.append(ImportProblem(row.row, f"краткое название «{row.short_name}» уже у школы «{school.name}»"))
            elif name_key(school.short_name) == name_key(row.name):
                problems.append(ImportProblem(row.row, f"название «{row.name}» — краткое название школы «{school.name}»: "
                                                       "по нему школу нельзя будет узнать однозначно"))
            elif name_key(school.name) == name_key(row.short_name):
                problems.append(ImportProblem(row.row, f"краткое название «{row.short_name}» — название другой школы "
                                                       f"реестра («{school.name}»): по нему школу нельзя будет узнать однозначно"))
    if problems:
        raise ImportFailed(problems)
    added = updated = 0
    for row in rows:
        school = existing.get(row.name)
        if school is None:
            school = School(municipality_id=municipality.id, name=row.name)
            session.add(school)
            added += 1
        before = (school.short_name, school.rural)
        school.short_name, school.rural = row.short_name, row.rural
        if school.id is not None and before != (school.short_name, school.rural):
            updated += 1
    await session.flush()
    by_name = {s.name: s for s in await session.scalars(select(School).where(School.municipality_id == municipality.id))}
    for row in rows:
        if row.municipal_internship_site is None and row.regional_internship_site is None:
            continue
        school = by_name[row.name]
        facts = await session.scalar(select(SchoolPeriod).where(SchoolPeriod.school_id == school.id, SchoolPeriod.period == period))
        if facts is None:
            facts = SchoolPeriod(school_id=school.id, period=period, municipal_internship_site=False, regional_internship_site=False)
            session.add(facts)
        if row.municipal_internship_site is not None:
            facts.municipal_internship_site = row.municipal_internship_site
        if row.regional_internship_site is not None:
            facts.regional_internship_site = row.regional_internship_site
    await bump_versions(session, [s.id for s in by_name.values()], period)  # open questionnaires read the new facts
    await session.flush()
    return added, updated


async def bump_versions(session: AsyncSession, school_ids: list[int], period: str) -> None:
    """The facts of these schools changed (statuses, registry): the questionnaires open in a process (their states
    cached by surveys.answering, guarded by the response's version) must read them again."""
    if not school_ids:
        return
    campaigns = select(Campaign.id).where(Campaign.period == period)
    await session.execute(
        update(Response)
        .where(Response.school_id.in_(school_ids), Response.campaign_id.in_(campaigns))
        .values(version=Response.version + 1)
    )


async def find_school(session: AsyncSession, municipality: Municipality, ref: str) -> School:
    """By number, by full or short name (case and spaces aside), or by a part of a name that only one school has."""

    schools = list(await session.scalars(select(School).where(School.municipality_id == municipality.id).order_by(School.name)))
    if ref.strip().isdigit():
        found = [s for s in schools if s.id == int(ref)]
    else:
        key = name_key(ref)
        found = [s for s in schools if key in (name_key(s.name), name_key(s.short_name))]
        if not found and key:
            found = [s for s in schools if key in name_key(s.name) or key in name_key(s.short_name)]
    if not found:
        raise RegistryError(f"Школа «{ref}» не найдена в муниципалитете «{municipality.name}» (список: shnor schools list).")
    if len(found) > 1:
        listed = "\n".join(f"  {s.id}\t{s.short_name}\t{s.name}" for s in found[:20])
        raise RegistryError(f"«{ref}» подходит к нескольким школам; укажите номер или полное название:\n{listed}")
    return found[0]


async def school_data(session: AsyncSession, school: School) -> list[str]:
    """What the product holds about a school, in words («12 педагогов», «3 анкеты»); empty when nothing."""
    from sqlalchemy import func, or_

    from storage.models import ExamResult, RegionalGroup, Response, SchoolStatus
    from storage.wording import count

    def number(model: Any, *where: Any) -> Any:
        return session.scalar(select(func.count()).select_from(model).where(model.school_id == school.id, *where))

    people = dict((await session.execute(
        select(Person.role, func.count()).where(Person.school_id == school.id).group_by(Person.role)
    )).all())
    teachers, deputies = people.pop(Role.TEACHER.value, 0), people.pop(Role.DEPUTY.value, 0)
    others = sum(people.values())
    responses = await number(Response)
    statuses = await number(SchoolStatus)
    exams = await number(ExamResult)
    groups = await number(RegionalGroup)
    sites = await number(SchoolPeriod, or_(SchoolPeriod.municipal_internship_site, SchoolPeriod.regional_internship_site))

    def periods(n: int) -> str:
        return count(n, "период", "периода", "периодов")

    found = [
        (teachers, count(teachers, "педагог", "педагога", "педагогов")),
        (deputies, count(deputies, "заместитель директора", "заместителя директора", "заместителей директора")),
        (others, count(others, "человек с другой ролью", "человека с другой ролью", "человек с другой ролью")),
        (responses, count(responses, "анкета", "анкеты", "анкет")),
        (statuses, f"статусы за {periods(statuses)}"),
        (exams, count(exams, "результат процедуры", "результата процедур", "результатов процедур")),
        (groups, f"группы Свердловской области за {periods(groups)}"),
        (sites, f"отметки стажировочной площадки за {periods(sites)}"),
    ]
    return [text for n, text in found if n]


async def remove_school(session: AsyncSession, school: School) -> int:
    """Remove a school that has no data (a registry row added by mistake) with its invites; returns how many
    invites went. A school with people, questionnaires, statuses, results, groups or internship-site marks
    is refused (RegistryError saying what it has): removing it would change what was reported."""
    from storage.models import Delivery

    data = await school_data(session, school)
    if data:
        raise RegistryError(
            f"Школу «{school.short_name}» ({school.name}) удалить нельзя: у школы есть данные: {', '.join(data)}. "
            "Удалить можно только школу без данных (например, добавленную в реестр по ошибке)."
        )
    invites = (await session.execute(delete(Invite).where(Invite.school_id == school.id))).rowcount
    await session.execute(delete(SchoolPeriod).where(SchoolPeriod.school_id == school.id))  # «нет» in both: no data
    await session.execute(delete(Delivery).where(Delivery.school_id == school.id))
    await session.delete(school)
    await session.flush()
    return invites


async def list_schools(session: AsyncSession, municipality_id: int) -> list[School]:
    return list(
        await session.scalars(select(School).where(School.municipality_id == municipality_id).order_by(School.name))
    )


# --- invites -------------------------------------------------------------------------------


async def create_invite(
    session: AsyncSession,
    *,
    role: Role,
    municipality: Municipality,
    school: School | None,
    max_uses: int,
    valid_for: dt.timedelta,
    now: dt.datetime,
) -> Invite:
    if role in (Role.TEACHER, Role.DEPUTY) and school is None:
        raise RegistryError("Для приглашения педагога или заместителя нужна школа.")
    if role in (Role.COORDINATOR, Role.ADMIN) and school is not None:
        raise RegistryError("Приглашение координатора не привязывается к школе.")
    if max_uses < 1:
        raise RegistryError("Число использований должно быть не меньше 1.")
    invite = Invite(
        token=secrets.token_urlsafe(TOKEN_BYTES),
        role=role.value,
        municipality_id=municipality.id,
        school_id=school.id if school else None,
        max_uses=max_uses,
        uses=0,
        expires_at=now + valid_for,
        created_at=now,
    )
    session.add(invite)
    await session.flush()
    return invite


async def usable_invite(session: AsyncSession, *, role: Role, school_id: int, now: dt.datetime) -> Invite | None:
    """The school's invite for this role that still registers people: of several, the one with the most
    registrations left (then the latest to expire); None when every one has expired or is used up."""
    invites = await session.scalars(
        select(Invite).where(Invite.role == role.value, Invite.school_id == school_id, Invite.expires_at > now,
                             Invite.uses < Invite.max_uses, Invite.person_id.is_(None))  # not a person's /link
    )
    return max(invites, key=lambda i: (i.max_uses - i.uses, i.expires_at, i.id), default=None)


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    LINKED_HERE = "linked_here"  # a /link invite opened in a channel its person already has


async def check_invite(session: AsyncSession, token: str, now: dt.datetime) -> Invite | InviteProblem:
    if not token or len(token) > 64:
        return InviteProblem.UNKNOWN
    invite = await session.scalar(select(Invite).where(Invite.token == token))
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.expires_at <= now:
        return InviteProblem.EXPIRED
    if invite.uses >= invite.max_uses:
        return InviteProblem.USED_UP
    return invite


async def get_person(session: AsyncSession, tg_user_id: int) -> Person | None:
    """The person of a Telegram user (storage.accounts.find_person for any channel)."""
    return await session.scalar(select(Person).where(Person.tg_user_id == tg_user_id))


async def _spend(session: AsyncSession, token: str, now: dt.datetime) -> Invite | InviteProblem:
    """Take one use of the invite with a conditional UPDATE: two people racing for its last use cannot both get it."""
    checked = await check_invite(session, token, now)
    if isinstance(checked, InviteProblem):
        return checked
    taken = await session.execute(
        update(Invite)
        .where(Invite.id == checked.id, Invite.uses < Invite.max_uses, Invite.expires_at > now)
        .values(uses=Invite.uses + 1)
    )
    if taken.rowcount != 1:
        return InviteProblem.USED_UP
    return checked


async def register_person(
    session: AsyncSession, *, token: str, chat_id: int, full_name: str, now: dt.datetime,
    tg_user_id: int | None = None, channel: str = "telegram", account_id: int | None = None,
) -> Person | InviteProblem:
    """Spend one use of the invite and create the person with their account in `channel`, atomically (the
    caller commits; a duplicate account rolls back a savepoint of its own, never the caller's transaction). Telegram's ids go on the person (`tg_user_id`), another channel's in an Account."""
    from storage.accounts import add_account, find_person

    account_id = tg_user_id if channel == "telegram" else account_id
    checked = await check_invite(session, token, now)
    if not isinstance(checked, InviteProblem) and checked.person_id is not None:
        return InviteProblem.UNKNOWN  # a link of a second channel is not a registration (link_account)
    # In a SAVEPOINT: an account registered meanwhile (the same person twice, a second process) undoes the
    # invite's use and the new person only, never the caller's transaction (the update's inbox mark is in it).
    try:
        async with session.begin_nested():
            checked = await _spend(session, token, now)
            if isinstance(checked, InviteProblem):
                return checked
            person = Person(
                full_name=full_name,
                role=checked.role,
                municipality_id=checked.municipality_id,
                school_id=checked.school_id,
                registered_at=now,
            )
            session.add(person)
            await session.flush()
            await add_account(session, person, channel, account_id, chat_id)
            await session.flush()
    except IntegrityError:
        existing = await find_person(session, channel, account_id)
        if existing is None:
            raise
        return existing
    return person


LINK_VALID = dt.timedelta(hours=1)


async def create_link(session: AsyncSession, person: Person, now: dt.datetime) -> Invite:
    """A one-time invite that attaches an account of another channel to this person (/link), valid an hour."""
    invite = Invite(token=secrets.token_urlsafe(TOKEN_BYTES), role=person.role, municipality_id=person.municipality_id,
                    school_id=person.school_id, max_uses=1, uses=0, expires_at=now + LINK_VALID, person_id=person.id)
    session.add(invite)
    await session.flush()
    return invite


async def link_account(session: AsyncSession, *, token: str, channel: str, account_id: int, chat_id: int,
                       now: dt.datetime) -> Person | InviteProblem:
    """Spend a link invite: the account of `channel` joins the person it was made for (the caller commits).
    A channel the person already has is refused: the link adds a second messenger and never replaces an account."""
    from storage.accounts import accounts_of, add_account

    checked = await check_invite(session, token, now)
    if isinstance(checked, InviteProblem) or checked.person_id is None:
        return checked if isinstance(checked, InviteProblem) else InviteProblem.UNKNOWN
    person = await session.get(Person, checked.person_id)
    if person is None or person.full_name == FORGOTTEN_NAME:
        return InviteProblem.UNKNOWN
    if channel in await accounts_of(session, person):
        return InviteProblem.LINKED_HERE
    spent = await _spend(session, token, now)
    if isinstance(spent, InviteProblem):
        return spent
    await add_account(session, person, channel, account_id, chat_id)
    return person


_NAME_PART = re.compile(r"^[A-Za-zА-Яа-яЁё]+(?:[-'’][A-Za-zА-Яа-яЁё]+)*\.?$")


def normalize_full_name(text: str | None) -> str:
    """«иванова  мария петровна» -> «Иванова Мария Петровна»; raises RegistryError on anything else."""
    parts = (text or "").split()
    if not 2 <= len(parts) <= 4 or len(" ".join(parts)) > 120:
        raise RegistryError("Напишите фамилию, имя и отчество (два-четыре слова), например: Иванова Мария Петровна.")
    if not all(_NAME_PART.match(p) for p in parts):
        raise RegistryError("В ФИО допускаются только буквы, дефис и апостроф. Напишите, например: Иванова Мария Петровна.")
    return " ".join(p[:1].upper() + p[1:] for p in parts)


FORGOTTEN_NAME = "(данные удалены)"


async def forget_person(session: AsyncSession, person: Person | int, now: dt.datetime) -> None:
    """Remove a person's personal data; what they submitted still counts for their school.

    The name and the ids of every channel go (Telegram's become placeholders nobody can write from,
    the accounts of other channels are deleted with the links not yet used), and so do their
    conversation state and unsent reminders. The row stays with its role, school and
    municipality, so the school's registered and answered counts do not change; the person can
    register again with a new invite. Their consent is marked withdrawn, not deleted.
    """
    from storage.models import (
        Account,
        CalendarMessage,
        Consent,
        Delivery,
        DeliveryState,
        FsmRecord,
        Response,
    )

    if isinstance(person, int):  # by id: the row read now in the caller's session (a cached copy is detached)
        person = await session.get(Person, person)
    tg_user_id = person.tg_user_id
    # in place of their Telegram id and of the chats of their sent messages in every channel: unique per person, and
    # no Telegram id (its users are positive, its chats above -10**13); MAX's accounts are deleted, not overwritten
    placeholder = -(10**15 + person.id)

    async def unsent(channel: str, chat_id: int) -> None:
        """Their reminders and the calendar's notices to them (a coordinator without a group) not sent yet are
        dropped; the sent ones keep their rows with the chat replaced."""
        for model in (Delivery, CalendarMessage):
            mine = (model.channel == channel, model.chat_id == chat_id)
            await session.execute(update(model).where(*mine, model.state == DeliveryState.PENDING)
                                  .values(state=DeliveryState.SKIPPED))
            await session.execute(update(model).where(*mine).values(chat_id=placeholder))

    for account in list(await session.scalars(select(Account).where(Account.person_id == person.id))):
        await session.execute(delete(FsmRecord).where(FsmRecord.key.like(f"%:{account.account_id}:{account.channel}")))
        await unsent(account.channel, account.chat_id)
        await session.delete(account)
    await session.execute(delete(Invite).where(Invite.person_id == person.id))
    # a bot process that keeps their questionnaire in memory must read it again (and find them gone)
    await session.execute(update(Response).where(Response.actor_id == person.id).values(version=Response.version + 1, actor_id=None))
    if tg_user_id is not None:
        await session.execute(delete(FsmRecord).where(FsmRecord.key.like(f"%:{tg_user_id}:default")))
    if person.chat_id is not None:
        await unsent("telegram", person.chat_id)
    # a delivery to them in a chat they no longer have (an account replaced since) goes too
    await session.execute(update(Delivery).where(Delivery.person_id == person.id, Delivery.state == DeliveryState.PENDING)
                          .values(state=DeliveryState.SKIPPED))
    await session.execute(update(Delivery).where(Delivery.person_id == person.id).values(chat_id=placeholder))
    person.full_name = FORGOTTEN_NAME
    person.tg_user_id = placeholder
    person.chat_id = placeholder
    person.unreachable = True
    await session.execute(update(Consent).where(Consent.person_id == person.id, Consent.withdrawn_at.is_(None))
                          .values(withdrawn_at=now))
