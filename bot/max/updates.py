"""MAX's raw updates read into events, each with the key its exactly-once mark is kept under.

MAX's updates carry no id of their own (Telegram's have update_id): the key is derived from what
identifies the event, the message id (`mid`) of a message, the callback id of a pressed button, the
chat, user and time of a start or a stop, hashed into the inbox's 63-bit key. A redelivered update has
the same key, so it is recognised and skipped.

Every update is read inside one guard (`parse`, `parse_body`): bounded in size and depth, numbers that
JSON has not (NaN, Infinity) or no id can be (beyond 64 bits) refused, any field absent, null or of
another type; what cannot be read is poison, recorded under a key of its own and skipped.

MAX leaves things out that the schema promises: a press in a dialog may come without
`recipient.chat_id` (practice, 2026), and with `message: null` when the message was deleted. In a
dialog the conversation is keyed by the person (`Event.conversation`), whatever the update carries,
and a dialog known only by its person is written to by user id (`UserDialog`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bot.max.client import UserDialog
from storage.inbox import (
    MAX_BODY,
    Received,
    Unreadable,
    check,
    excerpt,
    poison_key,
    read_json,
    unreadable,
)

COMMAND_PREFIX = "/"
STOPS = ("bot_stopped", "dialog_removed")


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # message | callback | start | stopped (the person stopped the bot, or deleted the dialog)
    user_id: int
    chat_id: int  # a UserDialog when MAX named only the person
    private: bool
    text: str | None = None
    payload: str | None = None  # a pressed button's payload, or the start link's
    callback_id: str | None = None
    mid: str | None = None  # the message (pressed, or written); None: the pressed message was deleted
    message_text: str | None = None  # the pressed message's text (plain)
    file: tuple[str, str] | None = None  # (token or url, file name) of a file or picture sent
    other: bool = False  # a sticker, a contact, a location: nothing the bot reads
    timestamp: int = 0

    @property
    def command(self) -> tuple[str, str] | None:
        """(/name, the rest) of a command message; «/summary@bot 2025-2026» too."""
        if self.kind != "message" or not self.text or not self.text.startswith(COMMAND_PREFIX):
            return None
        head, _, rest = self.text.strip().partition(" ")
        return head.split("@", 1)[0].lower(), rest.strip()

    @property
    def conversation(self) -> int:
        """What a conversation's state is kept under: the person in a dialog (MAX may leave the dialog's id out
        of a press), the chat in a group."""
        return self.user_id if self.private else self.chat_id


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _id(value: Any) -> int:
    """An id or a time: an integer (a float of one too), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValueError("not a number")
    return int(value)


def update_key(raw: dict[str, Any]) -> int | None:
    """The inbox key of a raw update (63 bits), or None when nothing in it identifies it."""
    kind = raw.get("update_type")
    if kind == "message_callback":
        ident = _dict(raw.get("callback")).get("callback_id")
    elif kind in ("message_created", "message_edited"):
        ident = _dict(_dict(raw.get("message")).get("body")).get("mid")
    else:
        user = _dict(raw.get("user")).get("user_id")
        ident = f"{raw.get('chat_id')}:{user}:{raw.get('timestamp')}" if raw.get("timestamp") is not None else None
    if not ident or not isinstance(ident, (str, int)) or isinstance(ident, bool):
        return None
    digest = hashlib.blake2b(f"{kind}:{ident}".encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _file(body: dict[str, Any]) -> tuple[str, str] | None:
    attachments = body.get("attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        attachment = _dict(attachment)
        payload = _dict(attachment.get("payload"))
        if attachment.get("type") == "file":
            return str(payload.get("token") or payload.get("url") or ""), str(attachment.get("filename") or "документ")
        if attachment.get("type") == "image":
            return str(payload.get("token") or payload.get("url") or ""), "фото"
    return None


def parse(raw: Any) -> tuple[Received, Event | None]:
    """One update already read as JSON: an event, or None (a kind the bot ignores, or poison: the Received says
    why). Never raises: whatever the update holds, it is recorded (poison under a key of its text)."""
    try:
        check(raw)
    except Unreadable as exc:
        text = excerpt(raw)
        return unreadable(text, str(exc)), None
    if not isinstance(raw, dict):
        return unreadable(excerpt(raw), "not an object"), None
    key = update_key(raw)
    if key is None:
        text = excerpt(raw)
        return Received(poison_key(text), raw, "nothing identifies it"), None
    try:
        return Received(key, raw), _event(raw)
    except Exception as exc:  # noqa: BLE001 - whatever it holds: poison, and the next update is read
        return Received(key, raw, f"cannot be read: {type(exc).__name__}"), None


def parse_body(data: bytes) -> tuple[Received, Event | None]:
    """One update as its bytes (a webhook's body): read within the bounds, then `parse`."""
    try:
        raw = read_json(data, limit=MAX_BODY)
    except Unreadable as exc:
        return unreadable(data[:MAX_BODY], str(exc)), None
    return parse(raw)


def _event(raw: dict[str, Any]) -> Event | None:
    kind = raw.get("update_type")
    stamp = _id(raw.get("timestamp") or 0)
    if kind == "bot_started" or kind in STOPS:
        user_id = _id(_dict(raw.get("user"))["user_id"])
        chat_id = _id(raw["chat_id"]) if raw.get("chat_id") is not None else UserDialog(user_id)
        payload = _text(raw.get("payload"))
        return Event("start" if kind == "bot_started" else "stopped", user_id, chat_id, True, payload=payload, timestamp=stamp)
    if kind == "message_callback":
        callback = _dict(raw.get("callback"))
        message = _dict(raw.get("message"))  # null: the pressed message was deleted
        recipient = _dict(message.get("recipient"))
        body = _dict(message.get("body"))
        user_id = _id(_dict(callback.get("user"))["user_id"])
        private = recipient.get("chat_type", "dialog") == "dialog"
        chat_id = recipient.get("chat_id")
        if chat_id is None and not private:
            raise ValueError("a group's press without its chat")
        callback_id = callback["callback_id"]
        if not isinstance(callback_id, (str, int)):
            raise TypeError("callback_id")
        return Event("callback", user_id, _id(chat_id) if chat_id is not None else UserDialog(user_id), private,
                     payload=_text(callback.get("payload")), callback_id=str(callback_id), mid=_text(body.get("mid")),
                     message_text=_text(body.get("text")), timestamp=stamp)
    if kind == "message_created":
        message = _dict(raw.get("message"))
        sender = message.get("sender")
        if not isinstance(sender, dict) or sender.get("is_bot") or sender.get("user_id") is None:
            return None  # a channel's post, or a bot's message: nobody to answer
        user_id = _id(sender["user_id"])
        recipient = _dict(message.get("recipient"))
        private = recipient.get("chat_type") == "dialog"
        chat_id = recipient.get("chat_id")
        if chat_id is None and not private:
            raise ValueError("a group's message without its chat")
        body = _dict(message.get("body"))
        text = _text(body.get("text"))
        file = _file(body)
        other = not text and file is None
        return Event("message", user_id, _id(chat_id) if chat_id is not None else UserDialog(user_id), private,
                     text=text, mid=_text(body.get("mid")), file=file, other=other, timestamp=stamp)
    return None  # bot_added, user_added, chat_title_changed...: nothing to answer


def dumps(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False)
