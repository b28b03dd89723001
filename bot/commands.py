"""The command menu (setMyCommands): strangers see the default one, each person their role's."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot import texts

log = logging.getLogger(__name__)


def _commands(role: str | None) -> list[BotCommand]:
    return [BotCommand(command=c, description=d) for c, d in texts.COMMANDS.get(role, texts.COMMANDS[None])]


async def set_default_commands(bot: Bot) -> None:
    await bot.set_my_commands(_commands(None), scope=BotCommandScopeDefault())


async def set_person_commands(bot: Bot, chat_id: int, role: str) -> None:
    try:
        await bot.set_my_commands(_commands(role), scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError as exc:  # the menu is a convenience: registration stands without it
        log.warning("setMyCommands for a chat failed: %s", exc.message)
