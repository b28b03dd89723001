"""Who may ask for what in which chat: the coordinators' group and the summary's access rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Municipality
from surveys.subjects import is_coordinator


def summary_refusal(person: Any, municipality: Municipality | None, chat_id: int, chat_type: str,
                    channel: str = "telegram") -> str | None:
    """Why /summary (and what shows the same numbers) is refused in this chat to this person, or None."""
    if not is_coordinator(person) or municipality is None:
        return "Сводка доступна только муниципальным координаторам."
    if chat_type == "private":
        return None
    if municipality.coordinators_chat_id == chat_id and (municipality.coordinators_channel or "telegram") == channel:
        return None
    if municipality.coordinators_chat_id is None:
        return "Чат координаторов вашего муниципалитета ещё не назначен: отправьте /setchat в группе координаторов."
    return "Сводка выдаётся только в чате координаторов вашего муниципалитета или в личном чате с ботом."


async def set_coordinators_chat(session: AsyncSession, municipality: Municipality, chat_id: int,
                                channel: str = "telegram") -> str | None:
    """Make the group (of `channel`) the municipality's coordinators' chat; returns a refusal or None (the caller's
    session commits). One chat per municipality: a /setchat in a MAX group moves it there from Telegram."""
    owner = await session.scalar(select(Municipality).where(Municipality.coordinators_chat_id == chat_id,
                                                            Municipality.coordinators_channel == channel))
    if owner is not None and owner.id != municipality.id:
        return "Этот чат уже назначен чатом координаторов другого муниципалитета."
    municipality.coordinators_chat_id = chat_id
    municipality.coordinators_channel = channel
    return None


async def migrate_chat(session: AsyncSession, old_chat_id: int, new_chat_id: int) -> bool:
    """A group became a supergroup: its id changed; keep it the coordinators' chat."""
    owner = await session.scalar(select(Municipality).where(Municipality.coordinators_chat_id == old_chat_id,
                                                            Municipality.coordinators_channel == "telegram"))
    if owner is None:
        return False
    owner.coordinators_chat_id = new_chat_id
    return True
