"""MAX's Bot API (dev.max.ru) through the maxapi library.

maxapi carries the requests (its aiohttp session with the token in the Authorization header, its
errors: MaxApiError with MAX's {code, message}, MaxConnection, InvalidToken) and gives the upload
URL. Its own retries are turned off (max_retries=0): bulk sending decides what is retried and how
often (bot.sender: an ambiguous failure is tried once more, never twice), and replies to a person
retry a short hiccup themselves (`call`). Request bodies are built by bot.max.render, as plain JSON.

Files go in two steps (MAX's upload): an upload URL from the API, the bytes posted there (here, by
this module: maxapi's buffer upload renames files after their guessed type and sends the bot's
token to the upload host), then a message with the file's token; while MAX is still processing
the file the message is refused with `attachment.not.ready` (for half a minute and more, for a large
file), and is sent again after pauses that grow (1, 2, 4, 8 s, then every 8 s: about a minute in all).

Where MAX answers otherwise than its friendly reading: a failed edit is HTTP 200 with `success: false`
(`edit` and `answer` return whether it was done); `POST /answers` with neither message nor notification is
refused (400 `proto.payload`), so nothing is sent then; without a `marker` GET /updates returns only the
latest update, so the first poll asks from the queue's start (marker 0); the bot's command menu has no
method in MAX's schema 0.0.32 (it is set on MAX's partner platform), so `set_commands` sends nothing.
A batch of updates is read by `read_batch`, within bounds, each update then apart (bot.max.updates).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from aiohttp import ClientConnectionError, ClientSession, ClientTimeout, FormData
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.enums.http_method import HTTPMethod
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection

from storage.inbox import MAX_BATCH, Unreadable, read_json

log = logging.getLogger(__name__)

MAX_API_BASE = "https://platform-api2.max.ru"  # the documented host since July 2026 (platform-api.max.ru before)
MESSAGE_LIMIT = 4000  # characters of one message's text
KEYBOARD_LIMIT = 210  # buttons of one inline keyboard


FIRST_MARKER = 0  # the first poll of a bot (no marker saved): from the start of what MAX keeps
UPLOAD_PAUSES = 12  # tries of a message with a file MAX is processing: pauses of 1, 2, 4, 8, 8... x upload_pause
_MARKER = re.compile(r'(?<!\\)"marker"\s*:\s*(-?\d{1,19})')


class AttachmentNotReady(Exception):
    """MAX was still processing an uploaded file after every pause: the message with it was not sent."""


class UserDialog(int):
    """The dialog with a person known only by the person's id (a press from a dialog that came without
    `recipient.chat_id`): messages to it go by `user_id`, which MAX accepts for dialogs."""


def recipient(chat_id: int) -> dict[str, int]:
    return {"user_id": int(chat_id)} if isinstance(chat_id, UserDialog) else {"chat_id": int(chat_id)}


def read_batch(text: str) -> dict[str, Any]:
    """GET /updates' answer read within bounds: {"updates": [...], "marker": m}; each update is checked apart
    (bot.max.updates.parse), so NaN in one spoils that one only. A batch that cannot be read at all (nested too
    deep, too large) comes as {"updates": [], "marker": m, "unreadable": why, "text": text}, its marker found in
    the text when it can be, so that polling moves past it."""
    try:
        data = read_json(text, limit=MAX_BATCH, lenient=True)
    except Unreadable as exc:
        found = _MARKER.findall(text[-4096:]) or _MARKER.findall(text)
        return {"updates": [], "marker": int(found[-1]) if found else None, "unreadable": str(exc), "text": text}
    if not isinstance(data, dict):
        return {"updates": [], "marker": None, "unreadable": "not an object", "text": text}
    updates = data.get("updates")
    marker = data.get("marker")
    return {"updates": updates if isinstance(updates, list) else [],
            "marker": marker if isinstance(marker, int) and not isinstance(marker, bool) else None}


class MaxClient:
    def __init__(self, token: str, api_base: str | None = None, *, retry_after: float = 1.0,
                 upload_attempts: int = UPLOAD_PAUSES, upload_pause: float = 1.0, timeout: float = 60) -> None:
        self.bot = Bot(token, default_connection=DefaultConnectionProperties(timeout=timeout, max_retries=0),
                       auto_requests=False, auto_check_subscriptions=False)
        self.bot.set_api_url(api_base or MAX_API_BASE)
        self.retry_after = retry_after  # MAX's 429 names no pause: this one, then the sender's own
        self.upload_attempts = upload_attempts
        self.upload_pause = upload_pause
        self.id: int | None = None
        self.username: str | None = None

    async def close(self) -> None:
        await self.bot.close_session()

    async def call(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                   body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One request; MAX's errors raised as maxapi's (MaxApiError, MaxConnection) or TimeoutError."""
        kwargs: dict[str, Any] = {"params": {k: v for k, v in (params or {}).items() if v is not None}}
        if body is not None:
            kwargs["json"] = body
        return await self.bot.request(method=HTTPMethod(method), path=path, model=None, is_return_raw=True, **kwargs)

    async def me(self) -> dict[str, Any]:
        info = await self.call("GET", "/me")
        self.id, self.username = int(info["user_id"]), info.get("username")
        return info

    async def updates(self, marker: int | None, timeout: int, limit: int = 100, types: list[str] | None = None) -> dict[str, Any]:
        """GET /updates from `marker` (None: the first poll, from the queue's start), read by `read_batch`
        (maxapi would read NaN into the updates and fail the whole batch on one deep update)."""
        params: dict[str, Any] = {"limit": limit, "timeout": timeout, "marker": FIRST_MARKER if marker is None else marker}
        if types:
            params["types"] = ",".join(types)
        session = await self.bot.ensure_session()
        try:
            async with session.get(self.bot.api_url + "/updates", params=params,
                                   timeout=ClientTimeout(total=timeout + 30)) as response:
                text = await response.text(errors="replace")
                status = response.status
        except ClientConnectionError as exc:
            raise MaxConnection(f"GET /updates: {exc}") from exc
        if status == 401:
            raise InvalidToken("GET /updates: 401")
        if not 200 <= status < 300:
            try:
                raw: Any = json.loads(text)
            except ValueError:
                raw = text[:300]
            raise MaxApiError(code=status, raw=raw)
        return read_batch(text)

    async def subscriptions(self) -> list[dict[str, Any]]:
        """GET /subscriptions: the webhooks MAX delivers to (while one exists, long polling gets nothing)."""
        result = await self.call("GET", "/subscriptions")
        found = result.get("subscriptions")
        return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []

    async def unsubscribe(self, url: str) -> bool:
        result = await self.call("DELETE", "/subscriptions", params={"url": url})
        return bool(result.get("success"))

    async def send(self, chat_id: int, body: dict[str, Any]) -> str:
        """POST /messages to a chat (a dialog's chat id, or a UserDialog by its person); returns the message's id."""
        result = await self.call("POST", "/messages", params=recipient(chat_id), body=body)
        return str(result["message"]["body"]["mid"])

    async def edit(self, mid: str, body: dict[str, Any]) -> bool:
        """PUT /messages: whether MAX changed the message (a message gone, or not the bot's, is HTTP 200 with
        `success: false`)."""
        result = await self.call("PUT", "/messages", params={"message_id": mid}, body=body)
        done = result.get("success") is not False
        if not done:
            log.info("MAX did not edit a message: %s", str(result.get("message") or "")[:100])
        return done

    async def answer(self, callback_id: str, message: dict[str, Any] | None = None, notification: str | None = None) -> bool:
        """POST /answers: the pressed message replaced (`message`) and/or a one-time note, in one call. With neither
        nothing is sent (MAX refuses an empty answer); returns whether MAX did it."""
        body: dict[str, Any] = {}
        if message is not None:
            body["message"] = message
        if notification:
            body["notification"] = notification
        if not body:
            return True
        result = await self.call("POST", "/answers", params={"callback_id": callback_id}, body=body)
        return result.get("success") is not False

    async def set_commands(self, commands: list[tuple[str, str]]) -> None:
        """MAX's schema (0.0.32) has no method for the bot's command menu: it is set on MAX's partner platform."""
        log.debug("MAX: the command menu (%d commands) is set on the partner platform", len(commands))

    async def subscribe(self, url: str, secret: str | None, update_types: list[str]) -> None:
        body: dict[str, Any] = {"url": url, "update_types": update_types}
        if secret:
            body["secret"] = secret
        await self.call("POST", "/subscriptions", body=body)

    # --- files ---------------------------------------------------------------------------

    async def upload(self, kind: str, name: str, data: bytes) -> dict[str, Any]:
        """Steps one and two: the upload URL, the bytes posted there; returns the attachment to send."""
        upload_type = UploadType.IMAGE if kind == "photo" else UploadType.FILE
        endpoint = await self.call("POST", "/uploads", params={"type": upload_type.value})
        form = FormData(quote_fields=False)
        content_type = "image/png" if kind == "photo" else "application/octet-stream"
        form.add_field("data", data, filename=name, content_type=content_type)
        try:  # a session without the bot's token: the upload host is not the API
            async with ClientSession(timeout=ClientTimeout(total=120)) as session, \
                    session.post(endpoint["url"], data=form) as response:
                text = await response.text()
                if not 200 <= response.status < 300:
                    raise MaxApiError(code=response.status, raw=text[:300])
        except ClientConnectionError as exc:
            raise MaxConnection(f"upload: {exc}") from exc
        reply = json.loads(text)
        if upload_type == UploadType.IMAGE:
            photos = reply.get("photos") or {}
            token = next(iter(photos.values()), {}).get("token") if photos else reply.get("token")
            return {"type": "image", "payload": {"token": token}}
        return {"type": "file", "payload": {"token": reply.get("token") or endpoint.get("token")}}

    async def send_file(self, chat_id: int, kind: str, name: str, data: bytes, caption: str | None = None) -> str:
        """A document or a picture with its caption: uploaded, then sent, waiting while MAX processes it."""
        return await self.send_files(chat_id, [(kind, name, data)], caption)

    async def send_files(self, chat_id: int, files: list[tuple[str, str, bytes]], caption: str | None = None) -> str:
        """Files (kind, name, data) in one message with its caption: each uploaded, then the message sent, waiting
        while MAX processes them. A message may carry several pictures (`attachments` is an array); a document goes
        alone (MAX refuses a file beside other attachments)."""
        attachments = [await self.upload(kind, name, data) for kind, name, data in files]
        body: dict[str, Any] = {"attachments": attachments}
        if caption:
            body["text"], body["format"] = caption, "html"
        pause = self.upload_pause
        for attempt in range(1, self.upload_attempts + 1):
            try:
                return await self.send(chat_id, body)
            except MaxApiError as exc:
                if not not_ready(exc) or attempt == self.upload_attempts:
                    if not_ready(exc):
                        names = ", ".join(name for _, name, _ in files)
                        raise AttachmentNotReady(f"{names}: MAX has not processed the file") from exc
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.upload_pause * 8)
        raise AssertionError("unreachable")


def error_code(exc: MaxApiError) -> str:
    raw = exc.raw
    if isinstance(raw, dict):
        return str(raw.get("code") or raw.get("error") or "")
    return str(raw)[:100]


def not_ready(exc: BaseException) -> bool:
    return isinstance(exc, MaxApiError) and error_code(exc) == "attachment.not.ready"
