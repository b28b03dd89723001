"""MAX's raw updates read into events, each with the key its exactly-once mark is kept under.

MAX's updates carry no id of their own (Telegram's have update_id): the key is derived from what
identifies the event, the message id (`mid`) of a message, the callback id of a pressed button, the
chat, user and time of a start, hashed into the inbox's 63-bit key. A redelivered update has the
same key, so it is recognised and skipped; what cannot be read is kept as poison.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from storage.inbox import Received

COMMAND_PREFIX = "/"


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # message | callback | start
    user_id: int
    chat_id: int
    private: bool
    text: str | None = None
    payload: str | None = None  # a pressed button's payload, or the start link's
    callback_id: str | None = None
    mid: str | None = None  # the message (pressed, or written)
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


def update_key(raw: dict[str, Any]) -> int | None:
    """The inbox key of a raw update (63 bits), or None when nothing in it identifies it."""
    kind = raw.get("update_type")
    if kind == "message_callback":
        ident = (raw.get("callback") or {}).get("callback_id")
    elif kind in ("message_created", "message_edited"):
        ident = ((raw.get("message") or {}).get("body") or {}).get("mid")
    else:
        user = (raw.get("user") or {}).get("user_id")
        ident = f"{raw.get('chat_id')}:{user}:{raw.get('timestamp')}" if raw.get("timestamp") is not None else None
    if not ident:
        return None
    digest = hashlib.blake2b(f"{kind}:{ident}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def _file(body: dict[str, Any]) -> tuple[str, str] | None:
    for attachment in body.get("attachments") or []:
        payload = attachment.get("payload") or {}
        if attachment.get("type") == "file":
            return str(payload.get("token") or payload.get("url") or ""), str(attachment.get("filename") or "документ")
        if attachment.get("type") == "image":
            return str(payload.get("token") or payload.get("url") or ""), "фото"
    return None


def parse(raw: Any) -> tuple[Received, Event | None]:
    """One raw update: an event, or None (a kind the bot ignores, or poison: the Received says why)."""
    if not isinstance(raw, dict):
        return Received(-1, None, "not an object"), None
    key = update_key(raw)
    if key is None:
        return Received(-1, raw, "nothing identifies it"), None
    try:
        return Received(key, raw), _event(raw)
    except (KeyError, TypeError, ValueError) as exc:
        return Received(key, raw, f"cannot be read: {type(exc).__name__}"), None


def _event(raw: dict[str, Any]) -> Event | None:
    kind = raw["update_type"]
    stamp = int(raw.get("timestamp") or 0)
    if kind == "bot_started":
        chat_id = int(raw["chat_id"])
        return Event("start", int(raw["user"]["user_id"]), chat_id, True, payload=raw.get("payload"), timestamp=stamp)
    if kind == "message_callback":
        callback = raw["callback"]
        message = raw.get("message") or {}
        recipient = message.get("recipient") or {}
        body = message.get("body") or {}
        user_id = int(callback["user"]["user_id"])
        chat_id = recipient.get("chat_id")
        return Event("callback", user_id, int(chat_id) if chat_id is not None else user_id,
                     recipient.get("chat_type", "dialog") == "dialog", payload=callback.get("payload"),
                     callback_id=str(callback["callback_id"]), mid=body.get("mid"), message_text=body.get("text"),
                     timestamp=stamp)
    if kind == "message_created":
        message = raw["message"]
        sender = message.get("sender")
        if not sender or sender.get("is_bot"):
            return None  # a channel's post, or a bot's message
        recipient = message["recipient"]
        body = message.get("body") or {}
        file = _file(body)
        other = not body.get("text") and file is None
        return Event("message", int(sender["user_id"]), int(recipient["chat_id"]), recipient.get("chat_type") == "dialog",
                     text=body.get("text"), mid=body.get("mid"), file=file, other=other, timestamp=stamp)
    return None  # bot_added, user_added, chat_title_changed...: nothing to answer
