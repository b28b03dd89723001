"""A fake MAX Bot API on loopback, shaped after MAX's documented endpoints (dev.max.ru, the API schema
0.0.33) and what bot.max.client calls: GET /me, GET /updates (long polling with a marker), POST and PUT
/messages, POST /answers, POST /uploads and the upload URL it names, PATCH /me/commands, POST /subscriptions.

Errors come as MAX's {code, message} with the HTTP status; the token must come in the Authorization
header (never as a query parameter) and must not be sent to the upload host. Tests drive people
(`bot_started`, `message`, `press_payload`) and read what they see (`current`, `texts`, `buttons`), and inject faults
(429, 5xx, a dropped connection, `attachment.not.ready`, a person who stopped the bot).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.bursts import Burst
from tests.fake_telegram import html_error

DIALOG_BASE = 50_000_000  # a dialog's chat id differs from the user's id (as in MAX): mixing them up shows


@dataclass
class Fault:
    status: int = 0
    code: str = ""
    times: int = 1
    drop: bool = False


@dataclass
class MaxChatLog:
    id: int
    type: str  # dialog | chat
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    touched: str | None = None
    files: list[dict[str, Any]] = field(default_factory=list)


class FakeMax:
    def __init__(self, token: str = "max-test-token", bot_id: int = 777_000, username: str = "shnor_max_bot") -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.updates: list[tuple[int, dict[str, Any]]] = []  # (sequence, update)
        self._seq = itertools.count(1)
        self._mids = itertools.count(1)
        self._callbacks = itertools.count(1)
        self._uploads = itertools.count(1)
        self._new = asyncio.Event()
        self.committed = 0  # every update below this sequence number is committed (a marker passed)
        self.chats: dict[int, MaxChatLog] = {}
        self.callbacks: dict[str, dict[str, Any]] = {}  # callback id -> the pressed message's (chat, mid)
        self.answers: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.faults: dict[str, list[Fault]] = {}  # "POST /messages" -> faults in turn
        self.bursts: list[Burst] = []  # server errors by time window on the test's clock (tests.bursts)
        self.blocked: set[int] = set()  # chats whose person stopped the bot
        self.not_ready: dict[str, int] = {}  # file token -> sends refused as attachment.not.ready
        self.not_ready_times = 0  # how many times each new file is not ready
        self.uploads: dict[str, dict[str, Any]] = {}
        self.upload_auth: list[str | None] = []
        self.commands: list[dict[str, Any]] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.polls = 0
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    # --- server --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/upload/{n}", self._upload)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    def chat(self, chat_id: int, kind: str = "dialog") -> MaxChatLog:
        if chat_id not in self.chats:
            self.chats[chat_id] = MaxChatLog(chat_id, kind)
        return self.chats[chat_id]

    @staticmethod
    def error(status: int, code: str, message: str = "") -> web.Response:
        return web.json_response({"code": code, "message": message or code}, status=status)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if "access_token" in request.query:
            return self.error(400, "token.in.query", "Передача токена через query-параметры больше не поддерживается")
        if request.headers.get("Authorization") != self.token:
            return self.error(401, "verify.token", "Invalid access_token")
        name = f"{request.method} /{request.match_info['path']}"
        params = dict(request.query)
        body: dict[str, Any] = {}
        if request.can_read_body:
            raw = await request.read()
            if raw:
                body = json.loads(raw)
        if name != "GET /updates":
            self.calls.append((name, json.dumps(params), body))
        burst = next((b for b in self.bursts if b.hits(name)), None)
        if burst is not None:
            if burst.fail(int(params["chat_id"]) if "chat_id" in params else None) and name == "POST /messages":
                await self.api_send(params, body, request)  # MAX did its work, then failed to say so
            return self.error(burst.status, "internal.error", "Bad Gateway")
        faults = self.faults.get(name)
        if faults:
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            if fault.drop:
                request.transport.close()
                return web.Response(status=204)
            return self.error(fault.status, fault.code)
        handler = {
            "GET /me": self.api_me, "GET /updates": self.api_updates, "POST /messages": self.api_send,
            "PUT /messages": self.api_edit, "POST /answers": self.api_answer, "POST /uploads": self.api_uploads,
            "PATCH /me/commands": self.api_commands, "POST /subscriptions": self.api_subscribe,
        }.get(name)
        if handler is None:
            return self.error(404, "not.found", f"Method {name} not found")
        try:
            return web.json_response(await handler(params, body, request))
        except ApiError as exc:
            return self.error(exc.status, exc.code, exc.message)

    async def api_me(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        return {"user_id": self.bot_id, "first_name": "ШНОР-монитор", "username": self.username, "is_bot": True,
                "last_activity_time": int(time.time() * 1000)}

    async def api_updates(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        self.polls += 1
        if "marker" in params and params["marker"] not in ("", "null"):
            self.committed = max(self.committed, int(params["marker"]))
            self.updates = [(seq, u) for seq, u in self.updates if seq >= self.committed]
        timeout = float(params.get("timeout") or 0)
        limit = int(params.get("limit") or 100)
        if not self.updates and timeout:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), min(timeout, 1.0))
            except TimeoutError:
                pass
        batch = self.updates[:limit]
        marker = batch[-1][0] + 1 if batch else (self.committed or None)
        return {"updates": [u for _, u in batch], "marker": marker}

    def _check_body(self, body: dict[str, Any]) -> None:
        text = body.get("text")
        if text is not None and len(text) > 4000:
            raise ApiError(400, "text.too.long", "text: size must be between 0 and 4000")
        if body.get("format") == "html" and isinstance(text, str):
            problem = html_error(text)
            if problem:
                raise ApiError(400, "bad.html", problem)
        files = [a for a in body.get("attachments") or [] if a.get("type") == "file"]
        if files and len(body.get("attachments") or []) > 1:
            raise ApiError(400, "attachment.single", "A file must be the only attachment")
        for attachment in body.get("attachments") or []:
            if attachment.get("type") == "inline_keyboard":
                buttons = [b for row in attachment["payload"]["buttons"] for b in row]
                if len(buttons) > 210:
                    raise ApiError(400, "keyboard.too.big", "Too many buttons")
                for button in buttons:
                    if not 1 <= len(button.get("text", "")) <= 128 or len(button.get("payload", "")) > 1024:
                        raise ApiError(400, "button.invalid", "Invalid button")
            elif attachment.get("type") in ("file", "image"):
                token = attachment["payload"].get("token")
                if token not in self.uploads:
                    raise ApiError(400, "attachment.invalid", "Unknown attachment token")
                if self.not_ready.get(token, 0) > 0:
                    self.not_ready[token] -= 1
                    raise ApiError(400, "attachment.not.ready", "Key: errors.process.attachment.file.not.processed")

    def _message(self, chat: MaxChatLog, body: dict[str, Any]) -> dict[str, Any]:
        mid = f"mid.{next(self._mids):016x}"
        message = {
            "sender": {"user_id": self.bot_id, "first_name": "ШНОР-монитор", "username": self.username, "is_bot": True},
            "recipient": {"chat_id": chat.id, "chat_type": chat.type},
            "timestamp": int(time.time() * 1000),
            "body": {"mid": mid, "seq": next(self._mids), "text": body.get("text"), "attachments": body.get("attachments") or []},
        }
        return message

    async def api_send(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        if "chat_id" not in params:
            raise ApiError(400, "proto.payload", "chat_id or user_id required")
        chat_id = int(params["chat_id"])
        if chat_id not in self.chats:
            raise ApiError(404, "chat.not.found", f"Chat {chat_id} not found")
        if chat_id in self.blocked:
            raise ApiError(403, "chat.denied", "dialog.suspended")
        self._check_body(body)
        chat = self.chat(chat_id)
        message = self._message(chat, body)
        chat.messages[message["body"]["mid"]] = message
        chat.touched = message["body"]["mid"]
        for attachment in body.get("attachments") or []:
            if attachment.get("type") in ("file", "image"):
                upload = self.uploads[attachment["payload"]["token"]]
                chat.files.append({"kind": attachment["type"], "caption": body.get("text"), **upload})
        return {"message": message}

    async def api_edit(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        self._check_body(body)
        for chat in self.chats.values():
            message = chat.messages.get(params.get("message_id", ""))
            if message is not None:
                self._apply(chat, message, body)
                return {"success": True}
        raise ApiError(404, "message.not.found", "Message not found")

    def _apply(self, chat: MaxChatLog, message: dict[str, Any], body: dict[str, Any]) -> None:
        if "text" in body:
            message["body"]["text"] = body["text"]
        if body.get("attachments") is not None:
            message["body"]["attachments"] = body["attachments"]
        chat.touched = message["body"]["mid"]

    async def api_answer(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        callback_id = params.get("callback_id", "")
        pressed = self.callbacks.get(callback_id)
        if pressed is None:
            raise ApiError(400, "callback.not.found", "Unknown callback_id")
        if callback_id in self.answers:
            raise ApiError(400, "callback.answered", "The callback has been answered already")
        if "message" not in body and "notification" not in body and body:
            raise ApiError(400, "proto.payload", "message or notification expected")
        self.answers[callback_id] = body
        if body.get("message") is not None:
            self._check_body(body["message"])
            chat = self.chats[pressed["chat_id"]]
            self._apply(chat, chat.messages[pressed["mid"]], body["message"])
        return {"success": True}

    async def api_uploads(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        kind = params.get("type")
        if kind not in ("image", "video", "audio", "file"):
            raise ApiError(400, "proto.payload", "type: image, video, audio or file")
        n = next(self._uploads)
        return {"url": f"{self.base_url}/upload/{n}?type={kind}"}

    async def _upload(self, request: web.Request) -> web.Response:
        self.upload_auth.append(request.headers.get("Authorization"))
        form = await request.post()
        data = form.get("data")
        if not isinstance(data, web.FileField):
            return web.json_response({"error_code": "upload.error"}, status=400)
        content = data.file.read()
        n = request.match_info["n"]
        if request.query.get("type") == "image":
            token = f"P{n}"
            reply: dict[str, Any] = {"photos": {f"p{n}": {"token": token}}}
        else:
            token = f"F{n}"
            reply = {"token": token}
        self.uploads[token] = {"name": data.filename, "content": content, "size": len(content)}
        self.not_ready[token] = self.not_ready_times
        return web.json_response(reply)

    async def api_commands(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        if len(body.get("commands", [])) > 32:
            raise ApiError(400, "commands.too.many", "32 commands at most")
        self.commands = body.get("commands", [])
        return {"user_id": self.bot_id, "first_name": "ШНОР-монитор", "is_bot": True, "commands": self.commands}

    async def api_subscribe(self, params: dict[str, Any], body: dict[str, Any], request: web.Request) -> dict[str, Any]:
        self.subscriptions.append(body)
        return {"success": True}

    # --- people --------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        seq = next(self._seq)
        update.setdefault("timestamp", int(time.time() * 1000) + seq)
        self.updates.append((seq, update))
        self._new.set()
        return seq

    @staticmethod
    def user(user_id: int, name: str) -> dict[str, Any]:
        return {"user_id": user_id, "first_name": name, "last_name": None, "username": None, "is_bot": False,
                "last_activity_time": int(time.time() * 1000)}

    def dialog(self, user_id: int) -> int:
        return DIALOG_BASE + user_id

    def bot_started(self, user_id: int, payload: str | None, name: str = "Тест") -> dict[str, Any]:
        """The person opens the bot's start link https://max.ru/<bot>?start=<payload> (or presses «Начать»)."""
        chat_id = self.dialog(user_id)
        self.chat(chat_id, "dialog")
        update = {"update_type": "bot_started", "chat_id": chat_id, "user": self.user(user_id, name), "payload": payload,
                  "user_locale": "ru"}
        self.push(update)
        return update

    def message(self, user_id: int, text: str | None, *, name: str = "Тест", chat_id: int | None = None,
                attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        chat_id = chat_id if chat_id is not None else self.dialog(user_id)
        kind = "dialog" if chat_id == self.dialog(user_id) else "chat"
        self.chat(chat_id, kind)
        update = {"update_type": "message_created", "user_locale": "ru", "message": {
            "sender": self.user(user_id, name), "recipient": {"chat_id": chat_id, "chat_type": kind},
            "timestamp": int(time.time() * 1000),
            "body": {"mid": f"mid.u{next(self._mids):014x}", "seq": next(self._mids), "text": text,
                     "attachments": attachments or []}}}
        self.push(update)
        return update

    def find_button(self, chat_id: int, label: str, *, exact: bool = False) -> tuple[dict[str, Any], str]:
        for message in reversed(list(self.chat(chat_id).messages.values())):
            for attachment in message["body"].get("attachments") or []:
                if attachment.get("type") != "inline_keyboard":
                    continue
                for row in attachment["payload"]["buttons"]:
                    for button in row:
                        if (button["text"] == label) if exact else (label in button["text"]):
                            return message, button["payload"]
        raise AssertionError(f"no button {label!r} in MAX chat {chat_id}; last: {self.texts(chat_id)[-1:]}")

    def press_payload(self, user_id: int, message: dict[str, Any], payload: str, *, name: str = "Тест") -> dict[str, Any]:
        callback_id = f"cb{next(self._callbacks)}"
        self.callbacks[callback_id] = {"chat_id": message["recipient"]["chat_id"], "mid": message["body"]["mid"]}
        update = {"update_type": "message_callback", "user_locale": "ru",
                  "callback": {"timestamp": int(time.time() * 1000), "callback_id": callback_id, "payload": payload,
                               "user": self.user(user_id, name)},
                  "message": json.loads(json.dumps(message))}
        self.push(update)
        return update

    # --- what a person sees --------------------------------------------------------------

    def texts(self, chat_id: int) -> list[str]:
        return [m["body"].get("text") or "" for m in self.chat(chat_id).messages.values()]

    def current(self, chat_id: int) -> dict[str, Any]:
        chat = self.chat(chat_id)
        if chat.touched is None:
            raise AssertionError(f"the bot wrote nothing to MAX chat {chat_id}")
        return chat.messages[chat.touched]

    def buttons(self, chat_id: int) -> list[str]:
        message = self.current(chat_id)
        return [b["text"] for a in message["body"].get("attachments") or [] if a.get("type") == "inline_keyboard"
                for row in a["payload"]["buttons"] for b in row]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
