"""The one place unexpected errors go: logged (without personal data) and answered politely."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.types import ErrorEvent

from bot import texts

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent) -> bool:
    update = event.update
    log.exception("update %s failed: %s", update.update_id, type(event.exception).__name__, exc_info=event.exception)
    try:
        if update.callback_query:
            await update.callback_query.answer(texts.ERROR, show_alert=True)
        elif update.message:
            await update.message.answer(texts.ERROR)
    except Exception:  # noqa: BLE001 - the reply is best effort; the error is logged above
        log.warning("could not tell the user about the error of update %s", update.update_id)
    return True


def create_router() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    return router
