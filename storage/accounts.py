"""The identity map: (channel, account id) -> person, and the way back (where to write to a person).

Telegram ids live on the person (`tg_user_id`, `chat_id`, `unreachable`: the columns the Telegram
answer path has always read); the ids of every other channel (MAX) are `Account` rows. One person
may use both: registered in one, with the other joined by a one-time link (/link) only (an invite
opened in the second channel registers a second person). Where a person can be reached in both, bulk messages go to MAX
(the channel a municipality may use lawfully; 149-ФЗ art. 10), else to Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from storage.models import MAX, TELEGRAM, Account, Person

CHANNEL_TITLES = {TELEGRAM: "Telegram", MAX: "MAX"}
PREFERENCE = (MAX, TELEGRAM)  # where bulk messages go when a person is reachable in both


@dataclass(frozen=True, slots=True)
class Contact:
    channel: str
    chat_id: int


async def find_person(session: AsyncSession, channel: str, account_id: int, *, with_places: bool = False) -> Person | None:
    """The person of an account; `with_places`: their municipality and school loaded in the same query."""
    query = select(Person)
    if with_places:
        query = query.options(joinedload(Person.municipality), joinedload(Person.school))
    if channel == TELEGRAM:
        return await session.scalar(query.where(Person.tg_user_id == account_id))
    return await session.scalar(
        query.join(Account, Account.person_id == Person.id)
        .where(Account.channel == channel, Account.account_id == account_id)
    )


async def accounts_of(session: AsyncSession, person: Person) -> dict[str, tuple[int, int, bool]]:
    """channel -> (account id, chat id, unreachable) of every channel the person is registered in."""
    out: dict[str, tuple[int, int, bool]] = {}
    if person.tg_user_id is not None and person.tg_user_id > 0:
        out[TELEGRAM] = (person.tg_user_id, person.chat_id, bool(person.unreachable))
    for account in await session.scalars(select(Account).where(Account.person_id == person.id)):
        out[account.channel] = (account.account_id, account.chat_id, bool(account.unreachable))
    return out


def reachable_clause() -> Any:
    """SQL: the person can be written to in some channel (Telegram, not blocked; or an account, not blocked)."""
    return or_(
        and_(Person.tg_user_id.is_not(None), Person.tg_user_id > 0, Person.unreachable.is_(False)),
        exists().where(Account.person_id == Person.id, Account.unreachable.is_(False)),
    )


async def contacts(session: AsyncSession, people: list[Person]) -> dict[int, Contact]:
    """person id -> where their messages go (the preferred reachable channel); people reachable nowhere are absent."""
    ids = [p.id for p in people]
    others: dict[int, dict[str, Account]] = {}
    if ids:
        for account in await session.scalars(select(Account).where(Account.person_id.in_(ids), Account.unreachable.is_(False))):
            others.setdefault(account.person_id, {})[account.channel] = account
    out: dict[int, Contact] = {}
    for person in people:
        options = {channel: Contact(channel, a.chat_id) for channel, a in others.get(person.id, {}).items()}
        if person.tg_user_id is not None and person.tg_user_id > 0 and not person.unreachable and person.chat_id is not None:
            options[TELEGRAM] = Contact(TELEGRAM, person.chat_id)
        for channel in PREFERENCE:
            if channel in options:
                out[person.id] = options[channel]
                break
    return out


async def reachable_on(session: AsyncSession, person: Person, channel: str) -> bool:
    """Whether the person can be written to in `channel` now (registered there and not blocked the bot there)."""
    if channel == TELEGRAM:
        return person.tg_user_id is not None and person.tg_user_id > 0 and not person.unreachable
    return bool(await session.scalar(select(Account.id).where(Account.person_id == person.id, Account.channel == channel,
                                                              Account.unreachable.is_(False))))


def start_link(channel: str, username: str, token: str) -> str:
    """An invite's deep link: Telegram's /start payload (up to 64 characters) or MAX's start payload (up to 128);
    the token (22 characters of A-Z a-z 0-9 _ -) fits both, and the same invite works in either channel."""
    if channel == MAX:
        return f"https://max.ru/{username}?start={token}"
    return f"https://t.me/{username}?start={token}"


async def add_account(session: AsyncSession, person: Person, channel: str, account_id: int, chat_id: int) -> None:
    """Attach an account of `channel` to the person (the caller has checked that the account is nobody's)."""
    if channel == TELEGRAM:
        person.tg_user_id, person.chat_id, person.unreachable = account_id, chat_id, False
        return
    existing = await session.scalar(select(Account).where(Account.person_id == person.id, Account.channel == channel))
    if existing is not None:
        existing.account_id, existing.chat_id, existing.unreachable = account_id, chat_id, False
    else:
        session.add(Account(person_id=person.id, channel=channel, account_id=account_id, chat_id=chat_id))
    await session.flush()


async def mark_unreachable(session: AsyncSession, person_id: int, channel: str) -> None:
    """A send to the person in `channel` was refused for good (they blocked the bot there)."""
    if channel == TELEGRAM:
        await session.execute(update(Person).where(Person.id == person_id).values(unreachable=True))
    else:
        await session.execute(update(Account).where(Account.person_id == person_id, Account.channel == channel)
                              .values(unreachable=True))


async def mark_reachable(session: AsyncSession, person_id: int, channel: str) -> None:
    """They wrote to the bot in `channel` again: they have unblocked it there."""
    if channel == TELEGRAM:
        await session.execute(update(Person).where(Person.id == person_id).values(unreachable=False))
    else:
        await session.execute(update(Account).where(Account.person_id == person_id, Account.channel == channel,
                                                    Account.unreachable.is_(True)).values(unreachable=False))
