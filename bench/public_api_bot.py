"""`python -m bot run` with bot/fastcall.py's two calls made through aiogram's public API instead.

bench/answers.py runs this in place of the bot when BENCH_FASTCALL=0, to measure what
fastcall alone saves: the pressed message is edited with `bot.edit_message_text` (or
`bot.edit_message_reply_markup` for a toggle) and the callback answered with `bot(method)`,
both through the bot's ordinary session and its request middlewares (ReleaseBeforeRequest,
RetryTransient). Everything else is the product as it is. The swap is made here, in the
benchmark, so that the product carries no switch.
"""

from __future__ import annotations

import sys
from typing import Any

from aiogram import Bot
from aiogram.methods import AnswerCallbackQuery

from bot import fastcall
from bot.render import render
from surveys.screens import Screen


async def edit(bot: Bot, chat_id: int, message_id: int, screen: Screen, *, keyboard_only: bool = False) -> Any:
    text, markup = render(screen)
    if keyboard_only:
        return await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=markup)
    return await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup)


async def answer_callback(bot: Bot, method: AnswerCallbackQuery) -> Any:
    return await bot(method)


if __name__ == "__main__":
    fastcall.edit = edit  # looked up at call time (bot/handlers/questionnaire.py, bot/polling.py)
    fastcall.answer_callback = answer_callback
    from bot.cli import main

    sys.exit(main(["run"]))
