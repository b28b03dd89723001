"""The launch data of a Mini App, checked on the server for every request.

Both messengers sign it the same way (Telegram: core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app;
MAX: dev.max.ru/docs/webapps/validation): HMAC-SHA256 over the sorted `key=value` lines, keyed with
HMAC-SHA256("WebAppData", bot token). Telegram's is keyed with BOT_TOKEN, MAX's with MAX_TOKEN; aiogram's
`check_webapp_signature` computes it (constant-time comparison).

The page sends the launch data exactly as the client gave it (Telegram: `tgWebAppData` after `#` in the URL or
`Telegram.WebApp.initData`; MAX: `WebAppData` after `#` or `window.WebApp.initData`) in the header
`X-Init-Data`, with the messenger in `X-Channel`, on EVERY request: cookies are dropped inside some clients, and the
server keeps no session.

The rule of age (what "replay" means here). Launch data carries `auth_date`, the moment the messenger opened the app;
it never changes while the page is open, and a page legitimately makes many requests with the same launch data (the
first screen, a school, a filter, the browser's back). So the same launch data is accepted again and again while it is
fresh, and refused once it is older than `max_age` seconds (WEBAPP_MAX_AGE, 3600 by default): a copy of it — a
leaked URL, a captured header — is worth nothing past that window, and the person reopens the app from the bot to
get fresh data. Launch data dated more than `SKEW` seconds in the future (a clock far off, or a forgery that somehow
has a good hash) is refused too. A one-time nonce would break the page's own repeated requests and protects nothing
the window does not: whoever holds the launch data within the window holds what the person's client holds.
The time is the process's clock (storage.clock), so tests own it.

MAX documents `auth_date` in seconds like Telegram; a value in milliseconds (over 10^11) is read as milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiogram.utils.web_app import check_webapp_signature

CHANNELS = ("telegram", "max")
SKEW = 60  # seconds: launch data dated this far in the future still passes (clocks differ a little)
MAX_LENGTH = 8192  # characters of launch data read at all


class BadLaunch(Exception):
    """Launch data refused; `reason` is for the log (English), the person sees a Russian sentence (server)."""

    def __init__(self, reason: str, expired: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expired = expired


@dataclass(frozen=True, slots=True)
class Launch:
    channel: str  # telegram | max
    user_id: int  # the messenger's user id: the identity map's account id
    start: str  # the start parameter (s<school id>, or ""); routing only, never trusted for access
    auth_date: dt.datetime


def _auth_date(raw: str) -> dt.datetime:
    try:
        stamp = int(raw)
    except ValueError:
        raise BadLaunch("auth_date is not a number") from None
    if stamp > 10**11:  # milliseconds
        stamp //= 1000
    return dt.datetime.fromtimestamp(stamp, dt.UTC)


def check(init_data: str, channel: str, tokens: dict[str, str], now: dt.datetime, max_age: float) -> Launch:
    """The launch data if it is signed by the channel's bot and fresh (the module's rule); BadLaunch otherwise."""
    if channel not in CHANNELS:
        raise BadLaunch(f"unknown channel {channel!r}")
    token = tokens.get(channel)
    if not token:
        raise BadLaunch(f"no token for {channel}")
    if not init_data or len(init_data) > MAX_LENGTH:
        raise BadLaunch("no launch data" if not init_data else "launch data too long")
    try:
        pairs = parse_qsl(init_data, strict_parsing=True)
    except ValueError:
        raise BadLaunch("launch data is not a query string") from None
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise BadLaunch("a key repeats")  # MAX's rule; and a repeated key would sign one value and read another
    if not check_webapp_signature(token, init_data):
        raise BadLaunch("bad signature")
    fields = dict(pairs)
    if "auth_date" not in fields:
        raise BadLaunch("no auth_date")
    when = _auth_date(fields["auth_date"])
    age = (now - when).total_seconds()
    if age > max_age:
        raise BadLaunch(f"launch data {int(age)} s old (at most {int(max_age)})", expired=True)
    if age < -SKEW:
        raise BadLaunch("launch data dated in the future")
    try:
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"] if "id" in user else user["user_id"])  # MAX's user objects elsewhere say user_id
    except (ValueError, KeyError, TypeError):
        raise BadLaunch("no user in launch data") from None
    return Launch(channel, user_id, fields.get("start_param", "")[:64], when)


def sign(fields: dict[str, str], token: str) -> str:
    """Launch data signed as a messenger signs it (tests and the benchmark play the messenger)."""
    import hashlib
    import hmac
    from urllib.parse import urlencode

    check_string = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    digest = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def launch_data(user_id: int, token: str, when: dt.datetime, start: str = "", **extra: str) -> str:
    """Signed launch data for `user_id` opened at `when` (what the messenger's client would hold)."""
    fields = {"auth_date": str(int(when.timestamp())), "query_id": f"q{user_id}",
              "user": json.dumps({"id": user_id, "first_name": "Тест"}, ensure_ascii=False, separators=(",", ":")),
              **extra}
    if start:
        fields["start_param"] = start
    return sign(fields, token)
