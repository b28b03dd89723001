"""Webhook mode: an aiohttp app that several bot processes can serve behind a reverse proxy.

Each update is recorded in the inbox before it is handled, and Telegram gets its answer only
after the handling: an update whose process died is delivered again and handled once. What
a handler returns (the answer to a pressed button) rides back in the HTTP response, saving a
Bot API call. An update that cannot be read is kept as poison and acknowledged.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.config import same_secret
from bot.telegram.middlewares import handling
from bot.telegram.polling import parse_body
from storage import outage
from storage.inbox import MAX_BODY, Inbox
from storage.outage import Unavailable, lost_dependency

log = logging.getLogger(__name__)


class InboxRequestHandler(SimpleRequestHandler):
    def __init__(self, dispatcher: Dispatcher, bot: Bot, inbox: Inbox, **kwargs: Any) -> None:
        super().__init__(dispatcher, bot, handle_in_background=False, **kwargs)
        self.inbox = inbox

    async def _handle_request(self, bot: Bot, request: web.Request) -> web.Response:
        received, update = parse_body(await request.content.read(MAX_BODY + 1), bot)
        try:
            to_handle = await self.inbox.record([received])
        except Exception as exc:  # noqa: BLE001 - not recorded: Telegram delivers it again later
            log.error("webhook: update %s could not be recorded (%s)", received.update_id, type(exc).__name__)
            if lost_dependency(exc) is not None:
                outage.lost(lost_dependency(exc), exc)
            return web.Response(status=503)
        if update is None or received.update_id not in to_handle:
            return web.json_response({})  # poison, or handled before: acknowledged, nothing to do
        handling.set(asyncio.current_task())
        try:
            result = await self.dispatcher.feed_update(bot, update, **self.data)
            return self._respond(bot, result)
        except Unavailable:  # recorded, not done: Telegram delivers it again, and it is handled then
            return web.Response(status=503)
        except Exception as exc:  # noqa: BLE001 - the errors router has had its say; acknowledged, never a 500
            log.error("update %s failed: %s", received.update_id, type(exc).__name__, exc_info=exc)
            return web.json_response({})

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        """aiogram compares with secrets.compare_digest on str, which raises TypeError (a 500) for a header that is
        not ASCII: the same constant-time comparison here, on bytes."""
        return same_secret(telegram_secret_token, self.secret_token)

    def _respond(self, bot: Bot, result: Any) -> web.Response:
        if not isinstance(result, TelegramMethod):
            return web.json_response({})
        fields = result.model_dump(warnings=False, exclude_none=True)
        if any(not isinstance(v, (str, int, float, bool)) for v in fields.values()):
            return web.Response(body=self._build_response_writer(bot=bot, result=result))  # files, keyboards: multipart
        return web.json_response({"method": result.__api_method__, **fields})


def create_webhook_app(dp: Dispatcher, bot: Bot, inbox: Inbox, *, path: str, secret: str | None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY + 1)
    InboxRequestHandler(dp, bot, inbox, secret_token=secret).register(app, path=path)
    app.router.add_get("/health", _health)
    setup_application(app, dp, bot=bot)
    return app


async def _health(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})
