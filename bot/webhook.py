"""Webhook mode: an aiohttp app that several bot processes can serve behind a reverse proxy."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web


def create_webhook_app(dp: Dispatcher, bot: Bot, *, path: str, secret: str | None) -> web.Application:
    """Updates are answered only after they are handled (not in the background), so an update
    whose handling failed or whose process died is delivered again by Telegram."""
    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token=secret).register(app, path=path)
    app.router.add_get("/health", _health)
    setup_application(app, dp, bot=bot)
    return app


async def _health(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})
