"""What a person did, in no messenger's terms: each channel's adapter reads its updates into these
(bot.telegram.updates, bot.max.updates) and the one route table (bot.routes) takes them from there."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    COMMAND = "command"  # «/summary 2025-2026», a start link's payload as «/start <payload>»
    TEXT = "text"  # typed text that is not a command
    FILE = "file"  # a document or a picture
    OTHER = "other"  # a sticker, a contact, a location: nothing the bot reads
    BUTTON = "button"  # a pressed button: its packed data
    CHAT_MOVED = "chat_moved"  # a group became another chat (Telegram's supergroup migration)


@dataclass(frozen=True, slots=True)
class Incoming:
    kind: EventKind
    user_id: int
    chat_id: int
    private: bool  # a person's dialog with the bot (not a group)
    text: str | None = None  # typed text; a command's arguments
    command: str | None = None  # «/summary», lower case, without «@bot»
    file: tuple[str, str] | None = None  # (the channel's file id, a name) of a file or picture
    payload: str | None = None  # a pressed button's packed data
    moved_to: int | None = None  # CHAT_MOVED: the new chat id

    @property
    def args(self) -> str:
        return (self.text or "").strip() if self.kind is EventKind.COMMAND else ""


def command_of(text: str) -> tuple[str, str] | None:
    """(/name, the rest) of a command message, «/summary@bot 2025-2026» too; None for anything else."""
    if not text.startswith("/"):
        return None
    head, _, rest = text.strip().partition(" ")
    return head.split("@", 1)[0].lower(), rest.strip()


def typed(user_id: int, chat_id: int, private: bool, text: str | None, file: tuple[str, str] | None = None) -> Incoming:
    """A message as an event: a command, typed text, a file, or something the bot does not read."""
    if text:
        command = command_of(text)
        if command is not None:
            return Incoming(EventKind.COMMAND, user_id, chat_id, private, text=command[1], command=command[0])
        return Incoming(EventKind.TEXT, user_id, chat_id, private, text=text)
    if file is not None:
        return Incoming(EventKind.FILE, user_id, chat_id, private, file=file)
    return Incoming(EventKind.OTHER, user_id, chat_id, private)
