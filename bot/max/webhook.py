"""MAX's webhook: an update is answered 200 once it is recorded in the inbox (poison too: MAX retries a failed
delivery for up to 8 hours), and handled after the answer (bot.max.app.Handling), so a file MAX takes half a minute
to process never holds the HTTP reply. The body is read within bounds and inside one guard (bot.max.updates.parse_body).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.config import same_secret
from bot.max.app import Handling, MaxApp, log_poison
from bot.max.updates import parse_body
from storage import outage
from storage.inbox import MAX_BODY
from storage.outage import lost_dependency

log = logging.getLogger(__name__)


def webhook_app(app: MaxApp, *, path: str, secret: str | None, concurrency: int = 50,
                on_handled: Callable[[int], Awaitable[None]] | None = None) -> web.Application:
    """Webhook mode: MAX posts each update to `path` with the secret in X-Max-Bot-Api-Secret. A body is read
    within bounds (at most MAX_BODY bytes; the rest is not read), recorded in the inbox (poison too) and
    answered 200; it is handled after the answer. What was recorded and not handled (a crash) is handled at start."""
    handling = Handling(app, concurrency=concurrency, on_handled=on_handled)

    async def receive(request: web.Request) -> web.Response:
        if not same_secret(request.headers.get("X-Max-Bot-Api-Secret"), secret):
            return web.Response(status=401)
        data = await request.content.read(MAX_BODY + 1)
        received, event = parse_body(data)
        log_poison(received)
        try:
            to_handle = await app.inbox.record([received])
        except Exception as exc:  # noqa: BLE001 - not recorded: MAX delivers it again later
            log.error("MAX webhook: the update could not be recorded (%s)", type(exc).__name__)
            if lost_dependency(exc) is not None:
                outage.lost(lost_dependency(exc), exc)
            return web.Response(status=503)
        if received.poison is None and received.update_id in to_handle:
            await handling.spawn(received.update_id, event)
        return web.json_response({"ok": True})

    async def started(_: web.Application) -> None:
        await outage.until_back(handling.resume)

    async def stopping(_: web.Application) -> None:
        await handling.wait(30)

    if not secret:
        log.warning("MAX webhook without a secret: anyone who knows the address is taken for MAX (tests only)")
    web_app = web.Application(client_max_size=MAX_BODY + 1)
    web_app.router.add_post(path, receive)
    web_app.on_startup.append(started)
    web_app.on_shutdown.append(stopping)
    return web_app

