"""Who may ask for what in which chat: the coordinators' group and the summary's access rules.

Every decision reads the municipality fresh in the caller's session (never a cached copy): a /setchat and a
/summary right after it in the same group see the same chat.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Municipality
from surveys.subjects import is_coordinator

COORDINATORS_ONLY = "Сводка доступна только муниципальным координаторам."
NO_CHAT_YET = "Чат координаторов вашего муниципалитета ещё не назначен: отправьте /setchat в группе координаторов."
WRONG_CHAT = "Сводка выдаётся только в чате координаторов вашего муниципалитета или в личном чате с ботом."
TAKEN = "Этот чат уже назначен чатом координаторов другого муниципалитета."


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
