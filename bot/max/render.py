"""MAX's renderer: a neutral screen (surveys.screens) or a flow's reply as MAX's message body.

Text goes as HTML (`format: html`: MAX reads <b>, <i> and the entities Telegram does, so rich text renders
as Telegram's does; a chat's plain str is escaped by the chat, the outbox's texts come as HTML), buttons as an
`inline_keyboard` attachment of `callback` buttons whose
payload is the same packed data as Telegram's callback data (bot.callbacks, checked again when pressed).
MAX's limits: 4,000 characters of text, 210 buttons, 128 characters of a label, 1,024 of a payload.
"""

from __future__ import annotations

from typing import Any

from bot.chat import Buttons, Copy, Link
from bot.max.client import KEYBOARD_LIMIT, MESSAGE_LIMIT
from bot.render import callback_data, html, split_html
from surveys.screens import Rich, Screen

LABEL_LIMIT = 128
PAYLOAD_LIMIT = 1024


def _button(label: str, payload: str | Link | Copy) -> dict[str, Any]:
    if isinstance(payload, Link):
        return {"type": "link", "text": label[:LABEL_LIMIT], "url": payload.url}
    kind, payload = ("clipboard", payload.text) if isinstance(payload, Copy) else ("callback", payload)
    if len(payload) > PAYLOAD_LIMIT:
        raise ValueError(f"a button's payload over MAX's {PAYLOAD_LIMIT} characters")
    return {"type": kind, "text": label[:LABEL_LIMIT], "payload": payload}


def keyboard(rows: list[list[tuple[str, str | Link | Copy]]]) -> dict[str, Any] | None:
    """Callback buttons (a packed payload), link buttons and clipboard buttons (MAX's «copy this text»)."""
    rows = [row for row in rows if row]
    if not rows:
        return None
    if sum(len(row) for row in rows) > KEYBOARD_LIMIT:
        raise ValueError(f"a keyboard over MAX's {KEYBOARD_LIMIT} buttons")
    return {"type": "inline_keyboard", "payload": {"buttons": [[_button(label, payload) for label, payload in row] for row in rows]}}


def body(text: str, buttons: Buttons | None = None) -> dict[str, Any]:
    """A flow's reply: HTML text and buttons of callback data (or links, or texts to copy). Attachments are always
    given: an edit with none takes the old keyboard away."""
    board = keyboard([[(label, data if isinstance(data, (Link, Copy)) else data.pack()) for label, data in row]
                      for row in buttons or []])
    return {"text": text, "format": "html", "attachments": [board] if board else []}


def screen_body(screen: Screen) -> dict[str, Any]:
    """A questionnaire screen: its rich text as HTML, its actions packed as Telegram's callback data is."""
    board = keyboard([[(b.label, callback_data(b.action)) for b in row] for row in screen.buttons])
    return {"text": html(screen.text), "format": "html", "attachments": [board] if board else []}


def split(lines: list[str]) -> list[str]:
    """HTML lines joined into messages under MAX's limit."""
    return split_html(lines, MESSAGE_LIMIT)


def messages(lines: list[Rich]) -> list[str]:
    return split([html(line) for line in lines])
