"""Who may ask for what in which chat: the coordinators' group, the summary's and the school card's access rules.

Every decision reads the municipality fresh in the caller's session (never a cached copy): a /setchat and a
/summary right after it in the same group see the same chat.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Municipality, Role, School
from storage.registry import list_schools
from surveys.errors import Refused
from surveys.subjects import is_coordinator

COORDINATORS_ONLY = "Сводка доступна только муниципальным координаторам."
NO_CHAT_YET = "Чат координаторов вашего муниципалитета ещё не назначен: отправьте /setchat в группе координаторов."
WRONG_CHAT = "Сводка выдаётся только в чате координаторов вашего муниципалитета или в личном чате с ботом."
TAKEN = "Этот чат уже назначен чатом координаторов другого муниципалитета."
CARD_ONLY = ("Карточка школы доступна заместителям директора, зарегистрированным от школы (своей школы), "
             "и муниципальным координаторам (любой школы муниципалитета).")
NOT_YOURS = "Это не ваши данные."


def may_open_dashboard(person: Any) -> bool:
    """The dashboard is a coordinator's (their municipality) and a deputy's (their school): /app and the page."""
    return is_coordinator(person) or (person is not None and person.role == Role.DEPUTY and person.school_id is not None)


def summary_refusal(person: Any, municipality: Municipality | None, chat_id: int, chat_type: str,
                    channel: str = "telegram") -> str | None:
    """Why /summary (and what shows the same numbers) is refused in this chat to this person, or None."""
    if not is_coordinator(person) or municipality is None:
        return COORDINATORS_ONLY
    if chat_type == "private":
        return None
    if municipality.coordinators_chat_id == chat_id and (municipality.coordinators_channel or "telegram") == channel:
        return None
    if municipality.coordinators_chat_id is None:
        return NO_CHAT_YET
    return WRONG_CHAT


async def summary_municipality(session: AsyncSession, person: Any, chat_id: int, private: bool,
                               channel: str = "telegram") -> Municipality | str:
    """The municipality whose summary (or report) this person may be given in this chat, read now; or the refusal."""
    municipality = await session.get(Municipality, person.municipality_id) if person is not None else None
    refusal = summary_refusal(person, municipality, chat_id, "private" if private else "group", channel)
    return refusal if refusal else municipality  # type: ignore[return-value]


async def set_coordinators_chat(session: AsyncSession, municipality_id: int, chat_id: int,
                                channel: str = "telegram") -> Municipality | str:
    """Make the group (of `channel`) the municipality's coordinators' chat; returns the municipality, or a refusal
    (the caller's session commits). One chat per municipality: a /setchat in a MAX group moves it there from Telegram."""
    owner = await session.scalar(select(Municipality).where(Municipality.coordinators_chat_id == chat_id,
                                                            Municipality.coordinators_channel == channel))
    if owner is not None and owner.id != municipality_id:
        return TAKEN
    municipality = await session.get(Municipality, municipality_id)
    municipality.coordinators_chat_id = chat_id
    municipality.coordinators_channel = channel
    return municipality


async def migrate_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup: its id changed; keep it the coordinators' chat."""
    owner = await session.scalar(select(Municipality).where(Municipality.coordinators_chat_id == old_chat_id,
                                                            Municipality.coordinators_channel == "telegram"))
    if owner is None:
        return False
    owner.coordinators_chat_id = new_chat_id
    return True


# --- the school card -----------------------------------------------------------------------


async def card_school(session: AsyncSession, person: Any, school_id: int | None = None) -> School:
    """The school whose card this person may be shown, read now: a deputy's own school (`school_id` None or
    theirs), any school of a coordinator's municipality; otherwise refused (surveys.errors.Refused)."""
    if is_coordinator(person):
        school = await session.get(School, school_id) if school_id is not None else None
        if school is None or school.municipality_id != person.municipality_id:
            raise Refused(NOT_YOURS, alert=True)
        return school
    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        raise Refused(CARD_ONLY, alert=True)
    if school_id is not None and school_id != person.school_id:
        raise Refused(NOT_YOURS, alert=True)
    return await session.get(School, person.school_id)


async def card_schools(session: AsyncSession, person: Any) -> list[School]:
    """The schools a coordinator may pick a card of: every school of their municipality, by name."""
    if not is_coordinator(person):
        raise Refused(CARD_ONLY, alert=True)
    return await list_schools(session, person.municipality_id)
