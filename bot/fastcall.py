"""The two Bot API calls of an answer, made without building aiogram's models.

An answer edits the pressed message into the next screen and answers the callback. Through
aiogram each call builds a method model, dumps it and walks it again to prepare its fields;
here the JSON body is built from the screen directly. Errors are read by aiogram's own
session (the same exceptions), and a reply survives a short 429 or a Telegram hiccup as
every reply does (bot.middlewares.RetryTransient's rules).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    TelegramMethod,
)
from aiohttp import ClientError

from bot.middlewares import RetryTransient
from bot.render import callback_data, html
from surveys.screens import Screen

log = logging.getLogger(__name__)
JSON_HEADERS = {"Content-Type": "application/json"}
MODELS: dict[str, type[TelegramMethod[Any]]] = {
    "editMessageText": EditMessageText, "editMessageReplyMarkup": EditMessageReplyMarkup,
    "answerCallbackQuery": AnswerCallbackQuery,
}


def keyboard_json(screen: Screen) -> dict[str, Any] | None:
    if not screen.buttons:
        return None
    return {"inline_keyboard": [[{"text": b.label, "callback_data": callback_data(b.action)} for b in row]
                                for row in screen.buttons]}


async def _call(bot: Bot, method: str, body: dict[str, Any]) -> Any:
    session = bot.session
    client = await session.create_session()
    url = session.api.api_url(token=bot.token, method=method)
    model = MODELS[method].model_construct  # built only to name the method in an error
    try:
        async with client.post(url, data=json.dumps(body, ensure_ascii=False), headers=JSON_HEADERS,
                               timeout=session.timeout) as resp:
            raw = await resp.text()
            status = resp.status
    except asyncio.TimeoutError as e:
        raise TelegramNetworkError(method=model(), message="Request timeout error") from e
    except ClientError as e:
        raise TelegramNetworkError(method=model(), message=f"{type(e).__name__}: {e}") from e
    if status == 200:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict) and data.get("ok") is True:
            return data.get("result")
    return session.check_response(bot=bot, method=model(), status_code=status, content=raw).result  # raises


async def call(bot: Bot, method: str, body: dict[str, Any]) -> Any:
    """One call with the replies' retry rules (a 429 of up to 5 s waited out, 5xx and dropped connections retried)."""
    for attempt in range(1, RetryTransient.ATTEMPTS):
        try:
            return await _call(bot, method, body)
        except TelegramRetryAfter as exc:
            if exc.retry_after > RetryTransient.LONGEST_WAIT:
                raise
            await asyncio.sleep(exc.retry_after)
        except (TelegramServerError, TelegramNetworkError) as exc:
            log.warning("%s: %s, retry %s", method, type(exc).__name__, attempt)
            await asyncio.sleep(0.5 * attempt)
    return await _call(bot, method, body)


async def edit(bot: Bot, chat_id: int, message_id: int, screen: Screen, *, keyboard_only: bool = False) -> Any:
    body: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id}
    markup = keyboard_json(screen)
    if markup is not None:
        body["reply_markup"] = markup
    if keyboard_only:
        return await call(bot, "editMessageReplyMarkup", body)
    body["text"] = html(screen.text)
    body["parse_mode"] = "HTML"
    return await call(bot, "editMessageText", body)


async def answer_callback(bot: Bot, method: AnswerCallbackQuery) -> Any:
    body: dict[str, Any] = {"callback_query_id": method.callback_query_id}
    if method.text:
        body["text"] = method.text
    if method.show_alert:
        body["show_alert"] = True
    return await call(bot, "answerCallbackQuery", body)
