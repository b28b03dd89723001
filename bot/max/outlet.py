"""MAX for the reminder runner and the sender: MAX's errors read for bulk sending, and the outlet.

- 429 (too many requests; MAX allows about 30 a second per bot and names no pause): all sending pauses
  `retry_after` seconds and the message is tried again.
- 403 (the person stopped the bot, or the bot is not in the chat), 404 of a chat: UNREACHABLE.
- Other 4xx: a definite refusal, FAILED; a file MAX never finished processing: FAILED.
- 5xx, a timeout, a connection dropped after the request went out: AMBIGUOUS (tried again when MAX sends again,
  bot.sender: the same rule as Telegram's).
- The connection never made: NOT_SENT (sending waits until MAX answers again).
"""

from __future__ import annotations

from typing import Any

from aiohttp import ClientConnectorError, ClientProxyConnectionError
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection

from bot.max.client import AttachmentNotReady, MaxClient, error_code
from bot.max.render import body, split
from bot.sender import (
    AMBIGUOUS,
    FAILED,
    NOT_SENT_YET,
    RETRY_AFTER,
    UNREACHABLE,
    Failure,
    Sender,
)


def max_failure(exc: Exception, retry_after: float = 1.0) -> Failure | None:
    if isinstance(exc, InvalidToken):
        return None  # a wrong token is not a sending failure: the caller sees it
    if isinstance(exc, AttachmentNotReady):
        return Failure(FAILED, str(exc)[:300])
    if isinstance(exc, MaxApiError):
        code, description = exc.code, f"{exc.code} {error_code(exc)}"[:300]
        if code == 429:
            return Failure(RETRY_AFTER, description, retry_after)
        if code == 403 or (code == 404 and "chat" in error_code(exc).lower()):
            return Failure(UNREACHABLE, description)
        if 400 <= code < 500:
            return Failure(FAILED, description)
        return Failure(AMBIGUOUS, description)
    if isinstance(exc, MaxConnection):
        cause = exc.__cause__
        if isinstance(cause, (ClientConnectorError, ClientProxyConnectionError)):
            return Failure(NOT_SENT_YET, f"{type(cause).__name__}"[:300])
        return Failure(AMBIGUOUS, f"MaxConnection: {type(cause).__name__ if cause else ''}"[:300])
    if isinstance(exc, TimeoutError):
        return Failure(AMBIGUOUS, "TimeoutError")
    return None


def max_sender(client: MaxClient, rate: float = 30, **kwargs: Any) -> Sender:
    """The sender of MAX's bulk messages: MAX's rate and MAX's errors, the probe a GET /me."""
    return Sender(rate=rate, probe=client.me, classify=lambda exc: max_failure(exc, client.retry_after), name="MAX", **kwargs)


class MaxOutlet:
    channel = "max"
    limit = 4000

    def __init__(self, client: MaxClient, sender: Sender) -> None:
        self.client = client
        self.sender = sender
        self._moved: dict[str, str] = {}  # a message MAX would not edit (deleted) -> the one sent in its place

    async def send_text(self, chat_id: int, text: str, buttons: Any = None) -> str:
        return await self.client.send(chat_id, body(text, buttons))

    async def send_file(self, chat_id: int, kind: str, name: str, data: bytes, caption: str | None) -> str:
        return await self.client.send_file(chat_id, kind, name, data, caption)

    async def send_photos(self, chat_id: int, photos: list[tuple[str, bytes]], caption: str | None) -> str:
        return await self.client.send_files(chat_id, [("photo", name, data) for name, data in photos], caption)

    async def edit_text(self, chat_id: int, message: Any, text: str) -> str:
        """The message changed; when MAX will not (HTTP 200 `success: false`: deleted, or too old), the text goes
        as a new message, and later edits of the old one change the new one. Returns the message's id."""
        mid = self._moved.get(str(message), str(message))
        if await self.client.edit(mid, body(text)):
            return mid
        new = await self.client.send(chat_id, body(text))
        self._moved[str(message)] = new
        if len(self._moved) > 10_000:
            self._moved.pop(next(iter(self._moved)))
        return new

    def split(self, lines: list[str]) -> list[str]:
        return split(lines)
