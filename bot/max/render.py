"""MAX's renderer: a neutral screen (surveys.screens) or a flow's reply as MAX's message body.

Text goes as HTML (`format: html`: MAX reads <b>, <i> and the entities Telegram does, so rich text renders
as Telegram's does; a chat's plain str is escaped by the chat, the outbox's texts come as HTML), buttons as an
`inline_keyboard` attachment of `callback` buttons whose
payload is the same packed data as Telegram's callback data (bot.callbacks, checked again when pressed).
MAX's limits: 4,000 characters of text, 128 characters of a label, 1,024 of a payload, and a keyboard of at
most 210 buttons in at most 30 rows of at most 7 (3 in a row with a link or an app button). A keyboard over
them is reshaped (`shape`): long rows are cut, and runs of rows of one button (a question's choices, one a
row, up to 40 of them) are packed two, three... a row until 30 rows hold them, the other rows kept as they are.
"""

from __future__ import annotations

from typing import Any

from bot.chat import Buttons, Copy, Link, OpenApp
from bot.max.client import KEYBOARD_LIMIT, MESSAGE_LIMIT
from bot.render import callback_data, html, split_html
from surveys.screens import Rich, Screen

LABEL_LIMIT = 128
PAYLOAD_LIMIT = 1024
ROWS_LIMIT = 30
ROW_LIMIT = 7
ROW_LINK_LIMIT = 3  # a row with a link or an open_app button


def _button(label: str, payload: str | Link | Copy | OpenApp) -> dict[str, Any]:
    if isinstance(payload, OpenApp):  # the bot's mini-app; the payload reaches its launch data (start_param)
        button = {"type": "open_app", "text": label[:LABEL_LIMIT], "web_app": payload.bot}
        return {**button, "payload": payload.payload} if payload.payload else button
    if isinstance(payload, Link):
        return {"type": "link", "text": label[:LABEL_LIMIT], "url": payload.url}
    kind, payload = ("clipboard", payload.text) if isinstance(payload, Copy) else ("callback", payload)
    if len(payload) > PAYLOAD_LIMIT:
        raise ValueError(f"a button's payload over MAX's {PAYLOAD_LIMIT} characters")
    return {"type": kind, "text": label[:LABEL_LIMIT], "payload": payload}


def _row_limit(row: list[dict[str, Any]]) -> int:
    return ROW_LINK_LIMIT if any(b["type"] in ("link", "open_app") for b in row) else ROW_LIMIT


def shape(rows: list[list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """MAX's buttons within MAX's limits of rows (see the module); ValueError over 210 buttons."""
    if sum(len(row) for row in rows) > KEYBOARD_LIMIT:
        raise ValueError(f"a keyboard over MAX's {KEYBOARD_LIMIT} buttons")
    cut = [row[i:i + _row_limit(row)] for row in rows if row for i in range(0, len(row), _row_limit(row))]
    if len(cut) <= ROWS_LIMIT:
        return cut
    for width in range(2, ROW_LIMIT + 1):
        packed: list[list[dict[str, Any]]] = []
        run: list[dict[str, Any]] = []
        for row in cut + [[]]:
            if len(row) == 1 and row[0]["type"] not in ("link", "open_app"):
                run.append(row[0])
                continue
            packed.extend(run[i:i + width] for i in range(0, len(run), width))
            run = []
            if row:
                packed.append(row)
        if len(packed) <= ROWS_LIMIT:
            return packed
    flat = [b for row in cut for b in row]  # no layout fits: seven a row (links three)
    out: list[list[dict[str, Any]]] = []
    for button in flat:
        if out and len(out[-1]) < _row_limit(out[-1] + [button]):
            out[-1].append(button)
        else:
            out.append([button])
    if len(out) > ROWS_LIMIT:
        raise ValueError(f"a keyboard over MAX's {ROWS_LIMIT} rows")
    return out


def keyboard(rows: list[list[tuple[str, str | Link | Copy | OpenApp]]]) -> dict[str, Any] | None:
    """Callback buttons (a packed payload), link buttons and clipboard buttons (MAX's «copy this text»)."""
    rows = [row for row in rows if row]
    if not rows:
        return None
    buttons = shape([[_button(label, payload) for label, payload in row] for row in rows])
    return {"type": "inline_keyboard", "payload": {"buttons": buttons}}


def body(text: str, buttons: Buttons | None = None) -> dict[str, Any]:
    """A flow's reply: HTML text and buttons of callback data (or links, or texts to copy). Attachments are always
    given: an edit with none takes the old keyboard away."""
    board = keyboard([[(label, data if isinstance(data, (Link, Copy, OpenApp)) else data.pack()) for label, data in row]
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
