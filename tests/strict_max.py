"""A strict fake MAX Bot API, built from MAX's published documents alone (not from our client).

tests/fake_max.py was written beside bot.max.client and agrees with it where both may disagree with
MAX. This one takes its rules from MAX's OpenAPI schema (tests/max_api_schema.json, vendored from
github.com/max-messenger-bot/max-bot-api-schemas, file schema_2026_07_01.json at commit 738f1dbb,
info.version 0.0.32) and from the behaviour documented on dev.max.ru and reported in practice
(../shared/landscape.md, "MAX as it behaves"):

* every request is validated against the schema: path (unknown paths 404), method (405), query
  parameters, the JSON body, and the token in the `Authorization` header (never in the query). A
  request that does not validate is answered 400 as MAX answers errors ({"code", "message"}) and kept
  in `violations`; tests assert it empty;
* every update the fake emits is validated against the schema's Update types (a self-check: an
  update that does not validate fails the test at once);
* callbacks from dialogs may come without `recipient.chat_id`, and a callback's `message` is null
  when the message was deleted: per press, or always as practice reports (`quirks="practice"`);
* GET /updates is silent while a webhook subscription exists; without a marker only the latest
  update comes; with one, the updates after it; `limit`, `timeout` and `types` are honoured;
* POST /answers with neither `message` nor `notification` is 400 `proto.payload`;
* a failed edit (PUT /messages of a message that is gone or not the bot's) is HTTP 200 with
  {"success": false, "message": ...};
* keyboards: at most 210 buttons, 30 rows, 7 buttons a row (3 in a row with a `link` or `open_app`);
* uploads in two steps; a large file is `attachment.not.ready` for `processing_seconds` of the fake's
  clock (`advance()` moves it);
* 429 on demand (`fail_next`) and when over 30 requests/s per bot or 2 callback answers/s per dialog;
* `bot_stopped` (the dialog then answers 403 `chat.denied`) and `dialog_removed` (404 `chat.not.found`);
* webhooks: the subscription's secret must match ^[a-zA-Z0-9_-]{5,256}$ and is sent as the
  `X-Max-Bot-Api-Secret` header of every delivery.

Schema errata (where the schema contradicts MAX's own documentation; each applied in `_errata`):
the security scheme says `access_token` in the query, the docs and every example use the
`Authorization` header and MAX refuses a token in the query; `ChatType` lists only "chat" while its
description and every update say "dialog" too (and "channel"); `NewMessageBody` marks `text`,
`attachments` and `link` required though nullable, and the docs' own examples omit them;
`MessageBody` requires `link`, a property it does not have.

Validation is by `jsonschema` (Draft 2020-12) over the schema's components converted from OpenAPI
3.0: `nullable` becomes a null type, `discriminator` becomes if/then dispatch on the tag (an unknown
tag fails), annotations are dropped.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from aiohttp import ClientSession, web
from jsonschema import Draft202012Validator

SCHEMA_FILE = Path(__file__).with_name("max_api_schema.json")
SCHEMA_SOURCE = "github.com/max-messenger-bot/max-bot-api-schemas schema_2026_07_01.json @738f1dbb (info.version 0.0.32)"
DIALOG_BASE = 50_000_000  # a dialog's chat id is not the user's id (as in MAX)
SECRET_PATTERN = re.compile(r"^[a-zA-Z0-9_-]{5,256}$")
KEYBOARD_BUTTONS, KEYBOARD_ROWS, ROW_BUTTONS, ROW_LINK_BUTTONS = 210, 30, 7, 3
ANNOTATIONS = {"description", "example", "readOnly", "discriminator", "x-enum-varnames", "externalDocs", "title"}


# --- the schema ------------------------------------------------------------------------------

def _errata(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    schemas["ChatType"]["enum"] = sorted(set(schemas["ChatType"]["enum"]) | {"dialog", "chat", "channel"})
    schemas["NewMessageBody"]["required"] = []
    schemas["MessageBody"]["required"] = [r for r in schemas["MessageBody"]["required"] if r != "link"]


class Schema:
    """MAX's OpenAPI document: operations by (method, path template), validators by component."""

    def __init__(self, path: Path = SCHEMA_FILE) -> None:
        self.spec = json.loads(path.read_text(encoding="utf-8"))
        _errata(self.spec)
        self.version = self.spec["info"]["version"]
        raw = self.spec["components"]["schemas"]
        self.discriminated = {name for name, s in raw.items() if "discriminator" in s}
        converted: dict[str, Any] = {}
        for name, s in raw.items():
            body = self._convert(s)
            if name in self.discriminated:
                converted[name + "__base"] = body
                converted[name] = self._dispatch(name, s["discriminator"])
            else:
                converted[name] = body
        self.components = converted
        self._validators: dict[str, Draft202012Validator] = {}
        self.operations: list[tuple[re.Pattern[str], str, str, dict[str, Any]]] = []
        for template, item in self.spec["paths"].items():
            shared = item.get("parameters", [])
            regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")
            for method, op in item.items():
                if method == "parameters":
                    continue
                self.operations.append((regex, method.upper(), template, {**op, "parameters": shared + op.get("parameters", [])}))
        # literal paths before templated ones (/chats/{chatLink} and /chats/{chatId} overlap)
        self.operations.sort(key=lambda o: "{" in o[2])

    def _convert(self, node: Any, in_all_of: bool = False) -> Any:
        if isinstance(node, list):
            return [self._convert(x, in_all_of) for x in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ANNOTATIONS or key == "nullable" or (key == "required" and not isinstance(value, list)):
                continue
            if key == "$ref":
                name = value.rsplit("/", 1)[-1]
                out[key] = value + "__base" if in_all_of and name in self.discriminated else value
            elif key == "minLength" and node.get("type") == "array":
                out["minItems"] = value  # the schema says minLength of an array: its items meant
            elif key == "allOf":
                out[key] = [self._convert(x, True) for x in value]
            elif key == "properties":
                out[key] = {k: self._convert(v) for k, v in value.items()}
            else:
                out[key] = self._convert(value)
        if node.get("nullable"):
            if "type" in out and "enum" not in out:
                out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [*out["type"], "null"]
            else:
                out = {"anyOf": [{"type": "null"}, out]}
        return out

    @staticmethod
    def _dispatch(name: str, discriminator: dict[str, Any]) -> dict[str, Any]:
        tag = discriminator["propertyName"]
        branches = []
        for value, target in discriminator["mapping"].items():
            ref = target["$ref"] if isinstance(target, dict) else target
            branches.append({"if": {"properties": {tag: {"const": value}}, "required": [tag]}, "then": {"$ref": ref}})
        return {"allOf": [{"$ref": f"#/components/schemas/{name}__base"},
                          {"properties": {tag: {"enum": list(discriminator["mapping"])}}}, *branches]}

    def validator(self, name: str) -> Draft202012Validator:
        if name not in self._validators:
            self._validators[name] = Draft202012Validator({"$ref": f"#/components/schemas/{name}",
                                                           "components": {"schemas": self.components}})
        return self._validators[name]

    def sub_validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        return Draft202012Validator({**self._convert(schema), "components": {"schemas": self.components}})

    def errors(self, name: str, instance: Any) -> list[str]:
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                for e in self.validator(name).iter_errors(instance)]

    def find(self, method: str, path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None | str:
        """(template, operation, path params), or "405" when the path exists with other methods, or None."""
        allowed = False
        for regex, op_method, template, op in self.operations:
            match = regex.match(path)
            if match:
                if op_method == method:
                    return template, op, match.groupdict()
                allowed = True
        return "405" if allowed else None


_SCHEMA: Schema | None = None


def schema() -> Schema:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = Schema()
    return _SCHEMA


# --- the fake --------------------------------------------------------------------------------

class RawUpdate(dict):
    """An update the fake sends as the raw text it holds (the dict holds what the fake's queue reads)."""

    def __init__(self, text: str, **keys: Any) -> None:
        super().__init__(**keys)
        self.text = text


class RawBody(str):
    """A response body sent as it is."""


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass
class Chat:
    id: int
    type: str  # dialog | chat
    user_id: int | None = None  # a dialog's person
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    touched: str | None = None
    stopped: bool = False  # the person stopped the bot: 403 chat.denied
    removed: bool = False  # the dialog was deleted: 404 chat.not.found


@dataclass
class Upload:
    kind: str
    token: str
    name: str | None = None
    size: int = 0
    content: bytes = b""
    ready_at: float = 0.0
    uploaded: bool = False


class FakeClock:
    """The fake's clock: the process's monotonic time plus what a test advanced it by; a frozen one moves
    only by `advance` (rate windows that a slow machine cannot stretch)."""

    def __init__(self, frozen: bool = False) -> None:
        self.frozen = frozen
        self.offset = 0.0

    def __call__(self) -> float:
        return self.offset if self.frozen else time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


class StrictMax:
    def __init__(self, token: str = "strict-max-token", bot_id: int = 888_000, username: str = "shnor_strict_bot", *,
                 quirks: str = "schema", processing_seconds: float = 30.0, large_file_bytes: int = 1_000_000,
                 requests_per_second: int = 30, answers_per_second: int = 2,
                 clock: Callable[[], float] | None = None, allow_http_webhook: bool = True) -> None:
        if quirks not in ("schema", "practice"):
            raise ValueError("quirks: schema | practice")
        self.schema = schema()
        self.token, self.bot_id, self.username = token, bot_id, username
        self.quirks = quirks
        self.processing_seconds = processing_seconds
        self.large_file_bytes = large_file_bytes
        self.requests_per_second = requests_per_second
        self.answers_per_second = answers_per_second
        self.clock: Callable[[], float] = clock or FakeClock()
        self.allow_http_webhook = allow_http_webhook  # MAX wants https:// on 443; loopback tests cannot
        self.violations: list[dict[str, Any]] = []  # requests that do not validate against the schema
        self.refusals: list[dict[str, Any]] = []  # valid requests MAX's behaviour refuses (4xx)
        self.calls: list[dict[str, Any]] = []
        self.answers: dict[str, dict[str, Any]] = {}
        self.subscriptions: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []  # webhook POSTs: url, status, secret header, update
        self.commands: list[dict[str, Any]] = []
        self.chats: dict[int, Chat] = {}
        self.uploads: dict[str, Upload] = {}
        self.updates: list[tuple[int, dict[str, Any]]] = []
        self.faults: dict[str, list[tuple[int, str, str]]] = {}
        self.upload_auth: list[str | None] = []  # the Authorization header of each upload (the token must not go there)
        self._seq = itertools.count(1)
        self._mids = itertools.count(1)
        self._callbacks = itertools.count(1)
        self._files = itertools.count(1)
        self._callback_chat: dict[str, int] = {}
        self._pressed: dict[str, tuple[int, str]] = {}
        self._recent: deque[float] = deque()
        self._recent_answers: dict[int, deque[float]] = {}
        self._new = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    # --- server --------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/_upload/{token}", self._upload_host)
        app.router.add_route("*", "/{path:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.runner is not None:
            await self.runner.cleanup()

    def advance(self, seconds: float) -> None:
        """Move the fake's clock (uploads' processing, the rate windows)."""
        if not isinstance(self.clock, FakeClock):
            raise TypeError("advance() needs the fake's own clock")
        self.clock.advance(seconds)

    def fail_next(self, operation: str, status: int = 429, code: str = "too.many.requests", times: int = 1,
                  message: str = "") -> None:
        """The next `times` calls of `operation` ("POST /messages") answered with this error."""
        self.faults.setdefault(operation, []).extend([(status, code, message or code)] * times)

    @staticmethod
    def error(status: int, code: str, message: str) -> web.Response:
        return web.json_response({"code": code, "message": message}, status=status)

    def _violation(self, name: str, problem: str, status: int = 400, code: str = "proto.payload") -> web.Response:
        self.violations.append({"call": name, "problem": problem})
        return self.error(status, code, problem)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        name = f"{request.method} {path}"
        raw = await request.read() if request.can_read_body else b""
        self.calls.append({"call": name, "query": dict(request.query), "body": raw.decode("utf-8", "replace")})
        if "access_token" in request.query:
            return self._violation(name, "the token in the query (MAX takes it in the Authorization header only)",
                                   401, "verify.token")
        if request.headers.get("Authorization") != self.token:
            return self._violation(name, "no valid token in the Authorization header", 401, "verify.token")
        found = self.schema.find(request.method, path)
        if found is None:
            return self._violation(name, f"no such path {path}", 404, "not.found")
        if found == "405":
            return self._violation(name, f"method {request.method} not allowed on {path}", 405, "method.not.allowed")
        template, op, path_params = found  # type: ignore[misc]
        name = f"{request.method} {template}"
        try:
            params = self._params(op, dict(request.query), path_params)
            body = self._body(op, raw)
        except ApiError as exc:
            return self._violation(name, exc.message, exc.status, exc.code)
        now = self.clock()
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        self._recent.append(now)
        faults = self.faults.get(name)
        if faults:
            status, code, message = faults.pop(0)
            return self.error(status, code, message)
        if len(self._recent) > self.requests_per_second:
            return self._refuse(name, ApiError(429, "too.many.requests", "Too many requests"))
        handler = {
            "GET /me": self.api_me, "GET /updates": self.api_updates, "POST /messages": self.api_send,
            "PUT /messages": self.api_edit, "DELETE /messages": self.api_delete, "POST /answers": self.api_answer,
            "POST /uploads": self.api_uploads, "GET /subscriptions": self.api_subscriptions,
            "POST /subscriptions": self.api_subscribe, "DELETE /subscriptions": self.api_unsubscribe,
        }.get(name)
        if handler is None:
            return self.error(501, "not.implemented", f"{name} is in MAX's schema but not in this fake")
        try:
            result = await handler(params, body)
            if isinstance(result, RawBody):
                return web.Response(text=result, content_type="application/json")
            return web.json_response(result)
        except ApiError as exc:
            return self._refuse(name, exc)

    def _refuse(self, name: str, exc: ApiError) -> web.Response:
        self.refusals.append({"call": name, "status": exc.status, "code": exc.code, "message": exc.message})
        return self.error(exc.status, exc.code, exc.message)

    def _params(self, op: dict[str, Any], query: dict[str, str], path_params: dict[str, str]) -> dict[str, Any]:
        declared = {p["name"]: p for p in op["parameters"]}
        out: dict[str, Any] = {}
        for key in query:
            if key not in declared and key != "v":  # `v`, the API version, is allowed on every request
                raise ApiError(400, "proto.payload", f"unknown query parameter {key!r}")
        for pname, p in declared.items():
            raw = path_params.get(pname) if p["in"] == "path" else query.get(pname)
            if raw is None:
                if p.get("required"):
                    raise ApiError(400, "proto.payload", f"{pname}: required")
                continue
            pschema = p.get("schema", {})
            value = self._coerce(raw, pschema)
            problems = [e.message for e in self.schema.sub_validator(pschema).iter_errors(value)]
            if problems:
                raise ApiError(400, "proto.payload", f"{pname}={raw!r}: {problems[0]}")
            out[pname] = value
        return out

    def _coerce(self, raw: str, pschema: dict[str, Any]) -> Any:
        if "$ref" in pschema:
            pschema = self.schema.spec["components"]["schemas"][pschema["$ref"].rsplit("/", 1)[-1]]
        kind = pschema.get("type")
        if raw in ("", "null") and pschema.get("nullable"):
            return None
        if kind == "integer":
            try:
                return int(raw)
            except ValueError:
                return raw
        if kind == "boolean":
            return {"true": True, "false": False}.get(raw, raw)
        if kind == "array":
            return [x for x in raw.split(",")]
        return raw

    def _body(self, op: dict[str, Any], raw: bytes) -> Any:
        spec = op.get("requestBody")
        if spec is None:
            return None
        if not raw:
            if spec.get("required"):
                raise ApiError(400, "proto.payload", "a JSON body is required")
            return None
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(400, "proto.payload", "the body is not JSON") from None
        ref = spec["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        problems = self.schema.errors(ref, body)
        if problems:
            raise ApiError(400, "proto.payload", f"{ref}: " + "; ".join(problems[:3]))
        return body

    # --- methods ----------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {"user_id": self.bot_id, "first_name": "ШНОР-монитор", "last_name": None, "name": "ШНОР-монитор",
                "username": self.username, "is_bot": True, "last_activity_time": self._ms()}

    async def api_me(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        return {**self._bot_user(), "description": None, "commands": self.commands or None}

    async def api_updates(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        timeout = params.get("timeout", 30)
        limit = params.get("limit", 100)
        marker = params.get("marker")
        types = set(params.get("types") or [])
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            batch = [] if self.subscriptions else self._after(marker, types)
            remaining = deadline - asyncio.get_running_loop().time()
            if batch or remaining <= 0:
                break
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), remaining)
            except TimeoutError:
                pass
        batch = batch[:limit] if marker is not None else batch[-1:]
        next_marker = batch[-1][0] if batch else (marker if marker is not None else (self.updates[-1][0] if self.updates else None))
        if any(isinstance(u, RawUpdate) for _, u in batch):  # sent as given: NaN, Infinity, a depth bomb
            items = ",".join(u.text if isinstance(u, RawUpdate) else json.dumps(u) for _, u in batch)
            return RawBody('{"updates":[' + items + '],"marker":' + json.dumps(next_marker) + "}")
        return {"updates": [copy.deepcopy(u) for _, u in batch], "marker": next_marker}

    def _after(self, marker: int | None, types: set[str]) -> list[tuple[int, dict[str, Any]]]:
        return [(seq, u) for seq, u in self.updates
                if (marker is None or seq > marker) and (not types or u["update_type"] in types)]

    def _chat_for_send(self, params: dict[str, Any]) -> Chat:
        if "chat_id" in params:
            chat = self.chats.get(params["chat_id"])
        elif "user_id" in params:
            chat = self.chats.get(self.dialog(params["user_id"]))
        else:
            raise ApiError(400, "proto.payload", "chat_id or user_id expected")
        if chat is None or chat.removed:
            raise ApiError(404, "chat.not.found", f"Chat {params.get('chat_id', params.get('user_id'))} not found")
        if chat.stopped:
            raise ApiError(403, "chat.denied", "chat.denied")
        return chat

    def _check_message(self, body: dict[str, Any]) -> None:
        attachments = body.get("attachments") or []
        if any(a.get("type") == "file" for a in attachments) and len(attachments) > 1:
            raise ApiError(400, "proto.payload", "a file must be the only attachment")
        for a in attachments:
            if a.get("type") == "inline_keyboard":
                rows = a["payload"]["buttons"]
                total = sum(len(row) for row in rows)
                if total > KEYBOARD_BUTTONS:
                    raise ApiError(400, "proto.payload", f"keyboard: {total} buttons, {KEYBOARD_BUTTONS} at most")
                if len(rows) > KEYBOARD_ROWS:
                    raise ApiError(400, "proto.payload", f"keyboard: {len(rows)} rows, {KEYBOARD_ROWS} at most")
                for row in rows:
                    limit = ROW_LINK_BUTTONS if any(b.get("type") in ("link", "open_app") for b in row) else ROW_BUTTONS
                    if len(row) > limit:
                        raise ApiError(400, "proto.payload", f"keyboard: {len(row)} buttons in a row, {limit} at most")
            elif a.get("type") in ("file", "image", "video", "audio"):
                payload = a.get("payload") or {}
                tokens = [payload.get("token")] if payload.get("token") else \
                    [p.get("token") for p in (payload.get("photos") or {}).values()]
                if not tokens and a["type"] == "image" and payload.get("url"):
                    continue
                for token in tokens:
                    upload = self.uploads.get(token or "")
                    if upload is None or not upload.uploaded:
                        raise ApiError(400, "attachment.invalid", f"unknown attachment token {token!r}")
                    if self.clock() < upload.ready_at:
                        raise ApiError(400, "attachment.not.ready", "Key: errors.process.attachment.file.not.processed")

    def _stored_attachments(self, attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for a in attachments:
            kind, payload = a["type"], a.get("payload") or {}
            if kind == "inline_keyboard":
                out.append(copy.deepcopy(a))
            elif kind == "file":
                upload = self.uploads[payload["token"]]
                out.append({"type": "file", "payload": {"url": f"{self.base_url}/files/{upload.token}", "token": upload.token},
                            "filename": upload.name or "file", "size": upload.size})
            elif kind == "image":
                token = payload.get("token") or next(iter((payload.get("photos") or {}).values()), {}).get("token") or "url"
                out.append({"type": "image", "payload": {"photo_id": next(self._files), "url": payload.get("url") or
                                                         f"{self.base_url}/files/{token}", "token": token}})
        return out

    def _new_message(self, chat: Chat, body: dict[str, Any]) -> dict[str, Any]:
        mid = f"mid.{next(self._mids):016x}"
        return {"sender": self._bot_user(),
                "recipient": {"chat_id": chat.id, "chat_type": chat.type,
                              "user_id": chat.user_id if chat.type == "dialog" else None},
                "timestamp": self._ms(),
                "body": {"mid": mid, "seq": next(self._mids), "text": body.get("text"),
                         "attachments": self._stored_attachments(body.get("attachments") or [])}}

    async def api_send(self, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_for_send(params)
        self._check_message(body)
        message = self._new_message(chat, body)
        chat.messages[message["body"]["mid"]] = message
        chat.touched = message["body"]["mid"]
        result = {"message": copy.deepcopy(message)}
        self._self_check("SendMessageResult", result)
        return result

    def _find(self, mid: str) -> tuple[Chat, dict[str, Any]] | None:
        for chat in self.chats.values():
            if mid in chat.messages:
                return chat, chat.messages[mid]
        return None

    def _apply(self, chat: Chat, message: dict[str, Any], body: dict[str, Any]) -> None:
        if body.get("text") is not None:
            message["body"]["text"] = body["text"]
        if body.get("attachments") is not None:  # null: no change; []: all removed
            message["body"]["attachments"] = self._stored_attachments(body["attachments"])
        chat.touched = message["body"]["mid"]

    async def api_edit(self, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        found = self._find(params["message_id"])
        if found is None or found[0].removed or found[1]["sender"]["user_id"] != self.bot_id:
            return {"success": False, "message": "Message not found or it is not the bot's"}
        self._check_message(body)
        self._apply(*found, body)
        return {"success": True}

    async def api_delete(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        found = self._find(params["message_id"])
        if found is None or found[1]["sender"]["user_id"] != self.bot_id:
            return {"success": False, "message": "Message not found or it is not the bot's"}
        del found[0].messages[params["message_id"]]
        return {"success": True}

    async def api_answer(self, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        callback_id = params["callback_id"]
        if body.get("message") is None and body.get("notification") is None:
            raise ApiError(400, "proto.payload", "message or notification expected")
        chat_id = self._callback_chat.get(callback_id)
        if chat_id is None:
            raise ApiError(400, "proto.payload", f"unknown callback_id {callback_id!r}")
        now = self.clock()
        window = self._recent_answers.setdefault(chat_id, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        window.append(now)
        if len(window) > self.answers_per_second:
            raise ApiError(429, "too.many.requests", "Too many callback answers")
        if body.get("message") is not None:
            self._check_message(body["message"])
            pressed = self._pressed.get(callback_id)
            found = self._find(pressed[1]) if pressed else None
            if found is not None:
                self._apply(*found, body["message"])
        self.answers[callback_id] = body
        return {"success": True}

    async def api_uploads(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        kind = params["type"]
        token = f"{kind[0].upper()}{next(self._files):08d}"
        self.uploads[token] = Upload(kind, token)
        reply = {"url": f"{self.base_url}/_upload/{token}"}
        if kind in ("video", "audio"):
            reply["token"] = token  # MAX gives video and audio tokens here, files and images after the upload
        return reply

    async def _upload_host(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["token"])
        self.upload_auth.append(request.headers.get("Authorization"))
        if upload is None or request.method != "POST":
            return web.json_response({"error_code": "upload.error", "error_msg": "unknown upload"}, status=400)
        form = await request.post()
        data = form.get("data")
        if not isinstance(data, web.FileField):
            self.violations.append({"call": "POST <upload url>", "problem": "no multipart field `data`"})
            return web.json_response({"error_code": "upload.error", "error_msg": "no data"}, status=400)
        content = data.file.read()
        upload.name, upload.content, upload.size, upload.uploaded = data.filename, content, len(content), True
        upload.ready_at = self.clock() + (self.processing_seconds if len(content) >= self.large_file_bytes else 0)
        if upload.kind == "image":
            return web.json_response({"photos": {f"p{upload.token}": {"token": upload.token}}})
        return web.json_response({"token": upload.token})

    async def api_subscriptions(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        return {"subscriptions": [{"url": s["url"], "time": s["time"], "update_types": s.get("update_types")}
                                  for s in self.subscriptions]}

    async def api_subscribe(self, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        url = body["url"]
        if not url.startswith("https://") and not (self.allow_http_webhook and url.startswith("http://127.0.0.1")):
            raise ApiError(400, "proto.payload", "url must start with https://")
        if body.get("secret") is not None and not SECRET_PATTERN.match(body["secret"]):
            raise ApiError(400, "proto.payload", "secret must match ^[a-zA-Z0-9_-]{5,256}$")
        self.subscriptions = [s for s in self.subscriptions if s["url"] != url]
        self.subscriptions.append({**body, "time": self._ms()})
        return {"success": True}

    async def api_unsubscribe(self, params: dict[str, Any], body: Any) -> dict[str, Any]:
        before = len(self.subscriptions)
        self.subscriptions = [s for s in self.subscriptions if s["url"] != params["url"]]
        return {"success": len(self.subscriptions) < before}

    # --- updates -----------------------------------------------------------------------------------

    def _ms(self) -> int:
        return int(time.time() * 1000)

    def _self_check(self, component: str, instance: Any) -> None:
        problems = self.schema.errors(component, instance)
        if problems:
            raise AssertionError(f"the strict fake emitted an invalid {component}: {problems}")

    def push_text(self, text: str, update_type: str = "message_created") -> int:
        """An update as raw JSON text, not checked and sent exactly so (NaN, Infinity, 100,000 levels deep): for
        polling, in the queue (`update_type` is what `types` filters it by); to webhooks, posted as it is."""
        seq = next(self._seq)
        self.updates.append((seq, RawUpdate(text, update_type=update_type)))
        self._new.set()
        return seq

    def push(self, update: dict[str, Any], *, chat_id_absent: bool = False) -> int:
        """An update, checked against the schema, then queued for polling or delivered to the webhooks."""
        update.setdefault("timestamp", self._ms())
        checked = update
        if chat_id_absent:  # practice, not the schema: check it as if the field were null
            checked = copy.deepcopy(update)
            checked["message"]["recipient"]["chat_id"] = None
        self._self_check("Update", checked)
        seq = next(self._seq)
        self.updates.append((seq, update))
        self._new.set()
        for sub in self.subscriptions:
            if not sub.get("update_types") or update["update_type"] in sub["update_types"]:
                task = asyncio.get_running_loop().create_task(self._deliver(sub, update))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return seq

    async def _deliver(self, sub: dict[str, Any], update: dict[str, Any]) -> None:
        headers = {"X-Max-Bot-Api-Secret": sub["secret"]} if sub.get("secret") else {}
        record: dict[str, Any] = {"url": sub["url"], "secret": headers.get("X-Max-Bot-Api-Secret"), "update": update}
        try:
            async with ClientSession() as session, session.post(sub["url"], json=update, headers=headers) as response:
                record["status"] = response.status
        except Exception as exc:  # noqa: BLE001 - a failed delivery is recorded, MAX retries later
            record["status"] = repr(exc)
        self.deliveries.append(record)

    def user(self, user_id: int, name: str = "Тест") -> dict[str, Any]:
        return {"user_id": user_id, "first_name": name, "last_name": None, "name": name, "username": None,
                "is_bot": False, "last_activity_time": self._ms()}

    @staticmethod
    def dialog(user_id: int) -> int:
        return DIALOG_BASE + user_id

    def chat(self, chat_id: int, kind: str = "chat", user_id: int | None = None) -> Chat:
        if chat_id not in self.chats:
            self.chats[chat_id] = Chat(chat_id, kind, user_id)
        return self.chats[chat_id]

    def _open_dialog(self, user_id: int) -> Chat:
        chat = self.chat(self.dialog(user_id), "dialog", user_id)
        chat.stopped = chat.removed = False
        return chat

    def bot_started(self, user_id: int, payload: str | None = None, name: str = "Тест") -> dict[str, Any]:
        """The person opens https://max.ru/<bot>?start=<payload> (or presses «Начать»)."""
        chat = self._open_dialog(user_id)
        update = {"update_type": "bot_started", "chat_id": chat.id, "user": self.user(user_id, name),
                  "payload": payload, "user_locale": "ru"}
        self.push(update)
        return update

    def bot_stopped(self, user_id: int, name: str = "Тест") -> dict[str, Any]:
        chat = self._open_dialog(user_id)
        chat.stopped = True
        update = {"update_type": "bot_stopped", "chat_id": chat.id, "user": self.user(user_id, name), "user_locale": "ru"}
        self.push(update)
        return update

    def dialog_removed(self, user_id: int, name: str = "Тест") -> dict[str, Any]:
        """The person deletes the bot: bot_stopped and dialog_removed together (as the docs say)."""
        self.bot_stopped(user_id, name)
        chat = self.chat(self.dialog(user_id))
        chat.removed = True
        update = {"update_type": "dialog_removed", "chat_id": chat.id, "user": self.user(user_id, name), "user_locale": "ru"}
        self.push(update)
        return update

    def message(self, user_id: int, text: str | None, *, name: str = "Тест", chat_id: int | None = None,
                attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        chat = self._open_dialog(user_id) if chat_id is None else self.chat(chat_id, "chat")
        mid = f"mid.u{next(self._mids):014x}"
        message = {"sender": self.user(user_id, name),
                   "recipient": {"chat_id": chat.id, "chat_type": chat.type,
                                 "user_id": self.bot_id if chat.type == "dialog" else None},
                   "timestamp": self._ms(),
                   "body": {"mid": mid, "seq": next(self._mids), "text": text, "attachments": attachments or []}}
        chat.messages[mid] = message
        update = {"update_type": "message_created", "message": message, "user_locale": "ru"}
        self.push(update)
        return update

    def delete_by_person(self, chat_id: int, mid: str) -> None:
        """The person deletes a message: a later press on it comes with `message: null`."""
        self.chat(chat_id).messages.pop(mid, None)

    def find_button(self, chat_id: int, label: str, *, exact: bool = False) -> tuple[dict[str, Any], str]:
        for message in reversed(list(self.chat(chat_id).messages.values())):
            for attachment in message["body"].get("attachments") or []:
                if attachment.get("type") != "inline_keyboard":
                    continue
                for row in attachment["payload"]["buttons"]:
                    for button in row:
                        if ((button["text"] == label) if exact else (label in button["text"])) and "payload" in button:
                            return message, button["payload"]
        raise AssertionError(f"no button {label!r} in MAX chat {chat_id}; last: {self.texts(chat_id)[-1:]}")

    def press(self, user_id: int, label: str, *, chat_id: int | None = None, exact: bool = False,
              **quirks: Any) -> dict[str, Any]:
        message, payload = self.find_button(chat_id or self.dialog(user_id), label, exact=exact)
        return self.press_payload(user_id, message, payload, **quirks)

    def press_payload(self, user_id: int, message: dict[str, Any], payload: str, *, name: str = "Тест",
                      without_chat_id: bool | None = None, message_gone: bool | None = None) -> dict[str, Any]:
        """A press on a button of `message`. In a dialog, `recipient.chat_id` is left out when asked, or
        always under quirks="practice"; `message` is null when asked or when the message was deleted."""
        chat_id = message["recipient"]["chat_id"]
        chat = self.chat(chat_id)
        mid = message["body"]["mid"]
        if without_chat_id is None:
            without_chat_id = self.quirks == "practice" and chat.type == "dialog"
        if message_gone is None:
            message_gone = mid not in chat.messages
        callback_id = f"cb.{next(self._callbacks):012d}"
        self._callback_chat[callback_id] = chat_id
        self._pressed[callback_id] = (chat_id, mid)
        shown: dict[str, Any] | None = None
        if not message_gone:
            shown = copy.deepcopy(chat.messages.get(mid, message))
            if without_chat_id:
                del shown["recipient"]["chat_id"]
        update = {"update_type": "message_callback", "user_locale": "ru", "message": shown,
                  "callback": {"timestamp": self._ms(), "callback_id": callback_id, "payload": payload,
                               "user": self.user(user_id, name)}}
        self.push(update, chat_id_absent=bool(without_chat_id and shown is not None))
        return update

    # --- what a person sees ------------------------------------------------------------------------

    def texts(self, chat_id: int) -> list[str]:
        return [m["body"].get("text") or "" for m in self.chat(chat_id).messages.values()
                if m["sender"]["user_id"] == self.bot_id]

    def current(self, chat_id: int) -> dict[str, Any]:
        chat = self.chat(chat_id)
        if chat.touched is None or chat.touched not in chat.messages:
            raise AssertionError(f"the bot wrote nothing (left) to MAX chat {chat_id}")
        return chat.messages[chat.touched]

    def files(self, chat_id: int) -> list[dict[str, Any]]:
        """The files and pictures the bot sent to a chat: kind, name, content and the caption sent with each."""
        out = []
        for m in self.chat(chat_id).messages.values():
            if m["sender"]["user_id"] != self.bot_id:
                continue
            for a in m["body"].get("attachments") or []:
                if a["type"] in ("file", "image"):
                    upload = self.uploads[a["payload"]["token"]]
                    out.append({"kind": a["type"], "name": upload.name, "content": upload.content,
                                "caption": m["body"].get("text")})
        return out

    def sent_bodies(self, call: str = "POST /messages") -> list[dict[str, Any]]:
        """The JSON bodies of the calls the bot made of `call`, in order (refused ones too)."""
        return [json.loads(c["body"]) for c in self.calls if c["call"] == call and c["body"]]

    def buttons(self, chat_id: int) -> list[str]:
        return [b["text"] for a in self.current(chat_id)["body"].get("attachments") or []
                if a.get("type") == "inline_keyboard" for row in a["payload"]["buttons"] for b in row]
