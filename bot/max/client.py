"""MAX's Bot API (dev.max.ru) through the maxapi library.

maxapi carries the requests (its aiohttp session with the token in the Authorization header, its
errors: MaxApiError with MAX's {code, message}, MaxConnection, InvalidToken) and gives the upload
URL. Its own retries are turned off (max_retries=0): bulk sending decides what is retried and how
often (bot.sender: an ambiguous failure is tried once more, never twice), and replies to a person
retry a short hiccup themselves (`call`). Request bodies are built by bot.max.render, as plain JSON.

Files go in two steps (MAX's upload): an upload URL from the API, the bytes posted there (here, by
this module: maxapi's buffer upload renames files after their guessed type and sends the bot's
token to the upload host), then a message with the file's token; while MAX is still processing
the file the message is refused with `attachment.not.ready`, and is sent again after a pause.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import ClientConnectionError, ClientSession, ClientTimeout, FormData
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.enums.http_method import HTTPMethod
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import MaxApiError, MaxConnection

log = logging.getLogger(__name__)

MAX_API_BASE = "https://platform-api2.max.ru"  # the documented host since July 2026 (platform-api.max.ru before)
MESSAGE_LIMIT = 4000  # characters of one message's text
KEYBOARD_LIMIT = 210  # buttons of one inline keyboard


class AttachmentNotReady(Exception):
    """MAX was still processing an uploaded file after every pause: the message with it was not sent."""


class MaxClient:
    def __init__(self, token: str, api_base: str | None = None, *, retry_after: float = 1.0,
                 upload_attempts: int = 10, upload_pause: float = 1.0, timeout: float = 60) -> None:
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
        params: dict[str, Any] = {"limit": limit, "timeout": timeout, "marker": marker}
        if types:
            params["types"] = ",".join(types)
        return await self.call("GET", "/updates", params=params)

    async def send(self, chat_id: int, body: dict[str, Any]) -> str:
        """POST /messages to a chat (a dialog's chat id too); returns the new message's id (mid)."""
        result = await self.call("POST", "/messages", params={"chat_id": chat_id}, body=body)
        return str(result["message"]["body"]["mid"])

    async def edit(self, mid: str, body: dict[str, Any]) -> None:
        await self.call("PUT", "/messages", params={"message_id": mid}, body=body)

    async def answer(self, callback_id: str, message: dict[str, Any] | None = None, notification: str | None = None) -> None:
        """POST /answers: the pressed message replaced (`message`) and/or a one-time note, in one call."""
        body: dict[str, Any] = {}
        if message is not None:
            body["message"] = message
        if notification:
            body["notification"] = notification
        await self.call("POST", "/answers", params={"callback_id": callback_id}, body=body)

    async def set_commands(self, commands: list[tuple[str, str]]) -> None:
        await self.call("PATCH", "/me/commands", body={"commands": [{"name": n, "description": d} for n, d in commands]})

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
        attachment = await self.upload(kind, name, data)
        body: dict[str, Any] = {"attachments": [attachment]}
        if caption:
            body["text"], body["format"] = caption, "html"
        for attempt in range(1, self.upload_attempts + 1):
            try:
                return await self.send(chat_id, body)
            except MaxApiError as exc:
                if not not_ready(exc) or attempt == self.upload_attempts:
                    if not_ready(exc):
                        raise AttachmentNotReady(f"{name}: MAX has not processed the file") from exc
                    raise
                await asyncio.sleep(self.upload_pause)
        raise AssertionError("unreachable")


def error_code(exc: MaxApiError) -> str:
    raw = exc.raw
    if isinstance(raw, dict):
        return str(raw.get("code") or raw.get("error") or "")
    return str(raw)[:100]


def not_ready(exc: BaseException) -> bool:
    return isinstance(exc, MaxApiError) and error_code(exc) == "attachment.not.ready"
