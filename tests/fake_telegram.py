"""A fake Telegram Bot API server on loopback, for scenario tests and benchmarks.

The bot under test talks to it over real HTTP through its ordinary aiogram session
(TELEGRAM_API_BASE). Tests play the users: they feed updates (texts, commands, button
presses, documents) and read what each chat saw, with edits applied. Faults (429 with
retry_after, 403, 5xx, delays) can be injected per method.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.bursts import Burst

# The tags Telegram accepts with parse_mode=HTML; anything else is refused with 400, as the real API does.
HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "tg-spoiler", "span",
             "blockquote", "tg-emoji"}


_TAG = re.compile(r"<(/?)([a-z-]+)(?:\s[^<>]*)?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_error(text: str) -> str:
    """Why Telegram would refuse this text with parse_mode=HTML, or "" when it is fine.

    Every "<" must open or close a supported tag, tags must nest, and every "&" must start an entity.
    """
    opened: list[str] = []
    position = 0
    while (lt := text.find("<", position)) != -1:
        match = _TAG.match(text, lt)
        if match is None:
            return f"Unsupported start tag at byte offset {lt}"
        closing, tag = match.group(1), match.group(2)
        if tag not in HTML_TAGS:
            return f'Unsupported start tag "{tag}"'
        if closing:
            if not opened or opened[-1] != tag:
                return f'Unexpected end tag "{tag}"'
            opened.pop()
        else:
            opened.append(tag)
        position = match.end()
    if opened:
        return f'Can\'t find end tag corresponding to start tag "{opened[-1]}"'
    for amp in re.finditer("&", text):
        if not _ENTITY.match(text, amp.start()):
            return f"Character entity expected at byte offset {amp.start()}"
    return ""


JSON_FIELDS = {"reply_markup", "commands", "scope", "menu_button", "entities", "allowed_updates", "link_preview_options", "reply_parameters",
               "media"}
CAPTION_LIMIT = 1024  # characters of a photo's or a document's caption
ALBUM_SIZES = range(2, 11)  # sendMediaGroup: «must include 2-10 items»


def png_size(content: bytes) -> tuple[int, int] | None:
    """A PNG's width and height from its IHDR chunk; None for anything else."""
    if content[:8] != b"\x89PNG\r\n\x1a\n" or len(content) < 24:
        return None
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


@dataclass
class Fault:
    status: int
    description: str
    times: int
    retry_after: int | None = None
    delay: float = 0.0
    drop: bool = False  # close the connection without an answer


@dataclass
class Chat:
    id: int
    type: str = "private"
    title: str | None = None
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # bot messages by id, edits applied
    touched: int | None = None  # the bot message sent or edited last: what the person just saw change
    changes: int = 0  # messages the bot sent or edited here, ever
    log: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # ("send"|"edit"|..., payload)


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-TOKEN", username: str = "shnor_test_bot") -> None:
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":")[0])
        self.updates: list[dict[str, Any]] = []
        self.pushed: dict[int, dict[str, Any]] = {}  # every update pushed, by id (for redelivery)
        self._again: set[int] = set()  # redelivered updates (by object id): returned once whatever the offset
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._confirmed = 0
        self._new_update = asyncio.Event()
        self.chats: dict[int, Chat] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}  # setChatMenuButton: chat id (None: the default) -> button
        self.chat_actions: list[tuple[int, str]] = []
        self.faults: dict[str, list[Fault]] = {}
        self.fault_hook: Any = None  # callable(method, params) -> {"status": ..., "deliver": bool} | None, decided per call
        self.bursts: list[Burst] = []  # server errors by time window on the test's clock (tests.bursts)
        self.clock: Any = None  # the test's clock, moved `call_seconds` by every call but getUpdates
        self.call_seconds = 0.0
        self.blocked: set[int] = set()
        self.webhook: dict[str, Any] | None = None
        self.deliver_to_webhook = False
        self.webhook_answers: list[tuple[str, dict[str, Any]]] = []  # with a webhook set: POST updates to it (benchmarks) instead of getUpdates
        self._posting: set[asyncio.Task[None]] = set()
        self._http: Any = None
        self.on_send: Any = None  # callable(chat_id, message) run for every sendMessage and editMessageText (benchmarks)
        self.keep_history = True
        self.html_errors: list[tuple[str, str, str]] = []  # (method, text, why Telegram would refuse it)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # --- server lifecycle ------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self.base_url

    async def stop(self) -> None:
        self._new_update.set()  # a long poll still waiting returns now, not at its timeout
        for task in list(self._posting):
            task.cancel()
        if self._http is not None:
            await self._http.close()
        if self._runner:
            await self._runner.cleanup()

    # --- fault injection -------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str = "", *, times: int = 1, retry_after: int | None = None,
             delay: float = 0.0, drop: bool = False) -> None:
        default = {
            429: "Too Many Requests: retry later",
            403: "Forbidden: bot was blocked by the user",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Bad Request")
        self.faults.setdefault(method, []).append(Fault(status, description or default, times, retry_after, delay, drop))

    def burst(self, clock: Any, method: str, *, start: dt.datetime, seconds: float, status: int = 502,
              delivers: Any = None, call_seconds: float = 0.0) -> Burst:
        """`method` answers `status` from `start` for `seconds` of the test's clock (each call moves it call_seconds)."""
        self.clock, self.call_seconds = clock, call_seconds or self.call_seconds
        burst = Burst(clock, frozenset({method.lower()}), start, start + dt.timedelta(seconds=seconds), status,
                      delivers or (lambda n: False))
        self.bursts.append(burst)
        return burst

    # --- the user side ---------------------------------------------------------------------

    def chat(self, chat_id: int, type_: str = "private", title: str | None = None) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = self.chats[chat_id] = Chat(chat_id, type_, title)
        return chat

    def _user(self, user_id: int, name: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "ru"}

    def _chat_dict(self, chat: Chat, user_id: int, name: str) -> dict[str, Any]:
        if chat.type == "private":
            return {"id": chat.id, "type": "private", "first_name": name}
        return {"id": chat.id, "type": chat.type, "title": chat.title or "Группа"}

    def push(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        update = {"update_id": update_id, **payload}
        self.pushed[update_id] = update
        if self.webhook and self.webhook.get("url") and self.deliver_to_webhook:
            task = asyncio.get_running_loop().create_task(self._post(update))
            self._posting.add(task)
            task.add_done_callback(self._posting.discard)
            return update_id
        self.updates.append(update)
        self._new_update.set()
        return update_id

    async def _post(self, update: dict[str, Any]) -> None:
        """Webhook mode: POST the update to the bot, as Telegram does, and carry out a method in its response."""
        import aiohttp

        if self._http is None:
            self._http = aiohttp.ClientSession()
        headers = {}
        if self.webhook.get("secret_token"):
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
        for _ in range(50):
            try:
                async with self._http.post(self.webhook["url"], json=update, headers=headers) as response:
                    if response.status == 200:
                        body = await response.read()
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)  # Telegram retries too
        else:
            return
        try:
            answer = json.loads(body) if body else {}
        except ValueError:
            return
        method = answer.pop("method", None) if isinstance(answer, dict) else None
        if method:
            self.webhook_answers.append((method, answer))  # not a call: it rode back in the webhook's response
            handler = getattr(self, f"api_{method.lower()}", None)
            if handler is not None:
                await handler(answer)

    def redeliver(self, update_id: int) -> None:
        """Deliver an update again, as Telegram does with one whose confirmation it did not get."""
        again = dict(self.pushed[update_id])
        self._again.add(id(again))
        self.updates.insert(0, again)
        self._new_update.set()

    def push_text(self, text: str, update_id: int | None = None) -> int:
        """An update as raw JSON text, sent exactly so (NaN, Infinity, 100,000 levels deep): `update_id` is where
        the fake keeps it in its queue (the next id unless given)."""
        update_id = next(self._update_ids) if update_id is None else update_id
        self.updates.append(RawUpdate(text, update_id=update_id))
        self._new_update.set()
        return update_id

    def push_raw(self, update: dict[str, Any]) -> None:
        """An update exactly as given (a malformed one, say): it takes the next id unless it has one."""
        update.setdefault("update_id", next(self._update_ids))
        self.updates.append(update)
        self._new_update.set()

    def message_update(
        self,
        user_id: int,
        text: str | None = None,
        *,
        name: str = "Тест",
        chat_id: int | None = None,
        chat_type: str = "private",
        extra: dict[str, Any] | None = None,
    ) -> int:
        chat = self.chat(chat_id if chat_id is not None else user_id, chat_type)
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat_dict(chat, user_id, name),
            "from": self._user(user_id, name),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message.update(extra or {})
        chat.log.append(("user", message))
        return self.push({"message": message})

    def document_update(self, user_id: int, file_id: str, file_name: str, **kw: Any) -> int:
        doc = {"file_id": file_id, "file_unique_id": file_id[::-1], "file_name": file_name, "file_size": 1234}
        return self.message_update(user_id, None, extra={"document": doc}, **kw)

    def sticker_update(self, user_id: int, **kw: Any) -> int:
        sticker = {
            "file_id": "STK", "file_unique_id": "KTS", "type": "regular", "width": 512, "height": 512,
            "is_animated": False, "is_video": False,
        }
        return self.message_update(user_id, None, extra={"sticker": sticker}, **kw)

    def callback_update(self, user_id: int, message: dict[str, Any], data: str, *, name: str = "Тест") -> int:
        callback_id = str(next(self._callback_ids))
        return self.push(
            {
                "callback_query": {
                    "id": callback_id,
                    "from": self._user(user_id, name),
                    "message": message,
                    "chat_instance": f"ci{message['chat']['id']}",
                    "data": data,
                }
            }
        )

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat, in order, as they look now (edits applied)."""
        return list(self.chat(chat_id).messages.values())

    def current_message(self, chat_id: int) -> dict[str, Any]:
        """The bot message sent or edited last in the chat: where the conversation is now."""
        chat = self.chat(chat_id)
        if chat.touched is None:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return chat.messages[chat.touched]

    def last_message(self, chat_id: int) -> dict[str, Any]:
        messages = self.bot_messages(chat_id)
        if not messages:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return messages[-1]

    def find_button(self, chat_id: int, text: str, *, exact: bool = False) -> tuple[dict[str, Any], str]:
        """The newest bot message in the chat with an inline button whose text contains `text`."""
        for message in reversed(self.bot_messages(chat_id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    label = button.get("text", "")
                    if (label == text) if exact else (text in label):
                        return message, button["callback_data"]
        raise AssertionError(f"no button {text!r} in chat {chat_id}; last message: {self.bot_messages(chat_id)[-1:]}")

    # --- the Bot API -----------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                content = value.file.read()
                params[key] = {"filename": value.filename, "size": len(content), "content": content}
            elif key in JSON_FIELDS:
                params[key] = json.loads(value)
            else:
                params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        key = method.lower()
        if key != "getupdates":
            self.calls.append((method, params))
        if self.clock is not None and self.call_seconds and key != "getupdates":
            self.clock.advance(seconds=self.call_seconds)
        hooked = self.fault_hook(method, params) if self.fault_hook and key != "getupdates" else None
        burst = next((b for b in self.bursts if b.hits(key)), None)
        if burst is not None:
            hooked = {"status": burst.status, "deliver": burst.fail(int(params["chat_id"]) if "chat_id" in params else None)}
        if hooked:
            if hooked.get("deliver"):  # Telegram did its work, then failed to say so
                handler = getattr(self, f"api_{key}", None)
                if handler is not None:
                    await handler(params)
            body = {"ok": False, "error_code": hooked["status"], "description": "Bad Gateway"}
            return web.json_response(body, status=hooked["status"])
        faults = self.faults.get(method) or self.faults.get(key)
        if faults and key != "getupdates":
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                request.transport.close()  # the client sees the connection dropped
                return web.Response(status=204)
            if fault.status:
                body: dict[str, Any] = {"ok": False, "error_code": fault.status, "description": fault.description}
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                return web.json_response(body, status=fault.status)
        chat_id = params.get("chat_id")
        if chat_id is not None and int(chat_id) in self.blocked and key.startswith("send"):
            return web.json_response(
                {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}, status=403
            )
        for field_name in ("text", "caption"):
            if params.get("parse_mode") == "HTML" and isinstance(params.get(field_name), str):
                problem = html_error(params[field_name])
                if problem:
                    self.html_errors.append((method, params[field_name], problem))
                    return web.json_response(
                        {"ok": False, "error_code": 400, "description": f"Bad Request: can't parse entities: {problem}"}, status=400
                    )
        handler = getattr(self, f"api_{key}", None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found: method not found"}, status=404)
        try:
            result = await handler(params)
        except ApiError as exc:
            return web.json_response({"ok": False, "error_code": exc.code, "description": exc.description}, status=exc.code)
        if isinstance(result, list) and any(isinstance(u, RawUpdate) for u in result):  # sent as given, poison too
            items = ",".join(u.text if isinstance(u, RawUpdate) else json.dumps(u) for u in result)
            return web.Response(text='{"ok":true,"result":[' + items + "]}", content_type="application/json")
        return web.json_response({"ok": True, "result": result})

    async def api_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "ШНОР-монитор", "username": self.username}

    async def api_deletewebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    async def api_setwebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def api_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        if offset:
            self._confirmed = max(self._confirmed, offset - 1)
            self.updates = [u for u in self.updates if u["update_id"] >= offset or id(u) in self._again]
        limit = int(params.get("limit") or 100)
        if not self.updates and timeout:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                pass
        batch = self.updates[:limit]
        for update in batch:  # a redelivered update is delivered once more, whatever the offset says
            if id(update) in self._again:
                self._again.discard(id(update))
                self.updates.remove(update)
        return batch

    def _bot_message(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        chat = self.chat(chat_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat.id, "type": chat.type, **({"title": chat.title or "Группа"} if chat.type != "private" else {"first_name": "Тест"})},
            "from": {"id": self.bot_id, "is_bot": True, "first_name": "ШНОР-монитор", "username": self.username},
            **extra,
        }
        chat.messages[message["message_id"]] = message
        chat.touched = message["message_id"]
        chat.changes += 1
        return message

    async def api_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("text", "")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        extra: dict[str, Any] = {"text": text}
        if params.get("reply_markup"):
            self._check_markup(params["reply_markup"], self.chat(int(params["chat_id"])).type)
            extra["reply_markup"] = params["reply_markup"]
        message = self._bot_message(int(params["chat_id"]), extra)
        if self.keep_history:
            self.chat(int(params["chat_id"])).log.append(("send", message))
        if self.on_send is not None:
            self.on_send(int(params["chat_id"]), message)
        return message

    def _check_markup(self, markup: dict[str, Any], chat_type: str = "private") -> None:
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if "web_app" in button and chat_type != "private":  # Telegram: a Mini App button in private chats only
                    raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
                data = button.get("callback_data")
                if data is not None and len(data.encode()) > 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")

    def _target(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self.chat(int(params["chat_id"]))
        message = chat.messages.get(int(params["message_id"]))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    async def api_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._target(params)
        markup = params.get("reply_markup")
        if message.get("text") == params.get("text") and message.get("reply_markup") == markup:
            raise ApiError(400, "Bad Request: message is not modified")
        message["text"] = params.get("text", "")
        self.chat(message["chat"]["id"]).touched = message["message_id"]
        self.chat(message["chat"]["id"]).changes += 1
        if markup:
            self._check_markup(markup, message["chat"]["type"])
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        if self.keep_history:
            self.chat(message["chat"]["id"]).log.append(("edit", dict(message)))
        if self.on_send is not None:
            self.on_send(message["chat"]["id"], message)
        return message

    async def api_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._target(params)
        markup = params.get("reply_markup")
        if message.get("reply_markup") == markup or (not markup and "reply_markup" not in message):
            raise ApiError(400, "Bad Request: message is not modified")
        if markup:
            self._check_markup(markup, message["chat"]["type"])
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        self.chat(message["chat"]["id"]).touched = message["message_id"]
        self.chat(message["chat"]["id"]).changes += 1
        self.chat(message["chat"]["id"]).log.append(("edit", dict(message)))
        return message

    async def api_answercallbackquery(self, params: dict[str, Any]) -> bool:
        self.callback_answers[params["callback_query_id"]] = params
        return True

    def _file_extra(self, kind: str, upload: Any) -> dict[str, Any]:
        if kind == "document":
            return {"document": {
                "file_id": f"DOC{next(self._message_ids)}",
                "file_unique_id": "u",
                "file_name": upload.get("filename") if isinstance(upload, dict) else str(upload),
                "file_size": upload.get("size", 0) if isinstance(upload, dict) else 0,
            }}
        width, height = (png_size(upload["content"]) if isinstance(upload, dict) else None) or (800, 600)
        return {"photo": [{"file_id": f"PH{next(self._message_ids)}", "file_unique_id": "p", "width": width, "height": height}]}

    async def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        upload = params.get(kind)
        if isinstance(upload, str) and upload.startswith("attach://"):
            upload = params.get(upload.removeprefix("attach://"))
        if len(params.get("caption") or "") > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        extra = self._file_extra(kind, upload)
        if params.get("caption"):
            extra["caption"] = params["caption"]
        message = self._bot_message(int(params["chat_id"]), extra)
        message["_upload"] = upload
        self.chat(int(params["chat_id"])).log.append((kind, message))
        return {k: v for k, v in message.items() if not k.startswith("_")}

    async def api_sendmediagroup(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """An album, as the Bot API describes sendMediaGroup: `media` a JSON array of 2-10 InputMedia; photos and
        videos may mix, documents and audio only with their own kind; a file uploaded with the request is named
        `attach://<field>` and sent as that multipart field; each item's caption 0-1024 characters, in its own
        parse_mode; no reply_markup. Returns the messages sent, one per item, sharing a media_group_id. (The
        refusals' wording for a wrong count is this fake's own; Telegram's varies.)"""
        media = params.get("media")
        if not isinstance(media, list) or not media:
            raise ApiError(400, "Bad Request: media to send are not specified")
        if len(media) not in ALBUM_SIZES:
            raise ApiError(400, f"Bad Request: a media group must include 2-10 items, not {len(media)}")
        if "reply_markup" in params:
            raise ApiError(400, "Bad Request: a media group takes no reply_markup")
        kinds = {item.get("type") for item in media}
        if not kinds <= {"photo", "video"} and len(kinds) > 1:
            raise ApiError(400, "Bad Request: documents and audio can be grouped only with their own kind")
        uploads = []
        for item in media:
            if item.get("type") not in ("photo", "video", "document", "audio"):
                raise ApiError(400, "Bad Request: can't parse InputMedia: unsupported type")
            ref = item.get("media")
            upload = params.get(ref.removeprefix("attach://")) if isinstance(ref, str) and ref.startswith("attach://") else ref
            if upload is None:
                raise ApiError(400, "Bad Request: can't parse InputMedia: media not found")
            caption = item.get("caption") or ""
            if len(caption) > CAPTION_LIMIT:
                raise ApiError(400, "Bad Request: message caption is too long")
            if caption and item.get("parse_mode") == "HTML" and (problem := html_error(caption)):
                self.html_errors.append(("sendMediaGroup", caption, problem))
                raise ApiError(400, f"Bad Request: can't parse entities: {problem}")
            uploads.append((item, upload))
        group = f"MG{next(self._message_ids)}"
        chat_id = int(params["chat_id"])
        sent = []
        for item, upload in uploads:
            kind = "photo" if item["type"] in ("photo", "video") else "document"
            extra = {**self._file_extra(kind, upload), "media_group_id": group}
            if item.get("caption"):
                extra["caption"] = item["caption"]
            message = self._bot_message(chat_id, extra)
            message["_upload"] = upload
            self.chat(chat_id).log.append((kind, message))
            sent.append({k: v for k, v in message.items() if not k.startswith("_")})
        return sent

    def albums(self, chat_id: int) -> list[list[dict[str, Any]]]:
        """The albums the bot sent to a chat, each a list of its messages (with `_upload`), in order."""
        out: dict[str, list[dict[str, Any]]] = {}
        for message in self.bot_messages(chat_id):
            if message.get("media_group_id"):
                out.setdefault(message["media_group_id"], []).append(message)
        return list(out.values())

    async def api_senddocument(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def api_sendphoto(self, params: dict[str, Any]) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def api_setmycommands(self, params: dict[str, Any]) -> bool:
        scope = params.get("scope") or {"type": "default"}
        key = scope["type"] if "chat_id" not in scope else f"chat:{scope['chat_id']}"
        self.commands[key] = params.get("commands", [])
        return True

    async def api_setchatmenubutton(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if button.get("type") == "web_app" and not str(button.get("web_app", {}).get("url", "")).startswith("https://"):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")  # a Mini App's URL must be https
        self.menu_buttons[int(params["chat_id"]) if "chat_id" in params else None] = button
        return True

    async def api_deletemycommands(self, params: dict[str, Any]) -> bool:
        scope = params.get("scope") or {"type": "default"}
        self.commands.pop(scope["type"] if "chat_id" not in scope else f"chat:{scope['chat_id']}", None)
        return True

    async def api_sendchataction(self, params: dict[str, Any]) -> bool:
        self.chat_actions.append((int(params["chat_id"]), params.get("action", "")))
        return True


class RawUpdate(dict):
    """An update the fake sends as the raw text it holds (the dict holds what the fake's queue reads: its id)."""

    def __init__(self, text: str, **keys: Any) -> None:
        super().__init__(**keys)
        self.text = text


class ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        self.code = code
        self.description = description
