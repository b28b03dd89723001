"""The one place errors go: domain refusals answered in Russian, anything unexpected logged
(without personal data) and answered politely."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent

from bot import texts
from surveys.errors import BadInput, DomainError

log = logging.getLogger(__name__)
CALLBACK_ANSWER_LIMIT = 200  # characters Telegram shows in a button's answer


async def on_domain_error(event: ErrorEvent) -> bool:
    """A refusal or bad input raised by a service: nothing was changed; tell the person why."""
    exc: DomainError = event.exception  # type: ignore[assignment]
    update = event.update
    callback = update.callback_query
    if callback and len(exc.message) <= CALLBACK_ANSWER_LIMIT:
        await callback.answer(exc.message, show_alert=exc.alert)
    elif callback:  # too long for the pressed button's note: a message in the chat
        await callback.answer()
        if callback.message:
            await callback.message.answer(f"⚠️ {escape(exc.message)}")
    elif update.message:
        text = escape(exc.message)
        await update.message.answer(texts.REPROMPT.format(error=text) if isinstance(exc, BadInput) else text)
    return True


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
    router.errors.register(on_domain_error, ExceptionTypeFilter(DomainError))
    router.errors.register(on_error)
    return router
