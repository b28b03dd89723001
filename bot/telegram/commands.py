"""The command menu (setMyCommands): strangers see the default one, each person their role's, and
groups their own (/summary and /help; /setchat for the group's administrators)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    MenuButtonCommands,
    MenuButtonWebApp,
    WebAppInfo,
)

from bot import texts

log = logging.getLogger(__name__)


def _commands(role: str | None) -> list[BotCommand]:
    return [BotCommand(command=c, description=d) for c, d in texts.COMMANDS.get(role, texts.COMMANDS[None])]


async def set_default_commands(bot: Bot) -> None:
    """At start-up: the menu of strangers in private chats, of every group, and of group administrators."""
    try:
        await bot.set_my_commands(_commands(None), scope=BotCommandScopeDefault())
        await bot.set_my_commands(_commands("group"), scope=BotCommandScopeAllGroupChats())
        await bot.set_my_commands(_commands("group_admin"), scope=BotCommandScopeAllChatAdministrators())
    except TelegramAPIError as exc:  # the menu is a convenience: the bot works without it
        log.warning("setMyCommands failed: %s", exc.message)


async def set_person_menu_button(bot: Bot, chat_id: int, role: str, app_url: str) -> None:
    """A coordinator's or a deputy's menu button opens the dashboard (bot.webapp); everybody else keeps the commands."""
    button = (MenuButtonWebApp(text=texts.BTN_APP_MENU, web_app=WebAppInfo(url=app_url))
              if role in ("coordinator", "admin", "deputy") else MenuButtonCommands())
    try:
        await bot.set_chat_menu_button(chat_id=chat_id, menu_button=button)
    except TelegramAPIError as exc:  # the menu is a convenience
        log.warning("setChatMenuButton failed: %s", exc.message)


async def set_person_commands(bot: Bot, chat_id: int, role: str) -> None:
    try:
        await bot.set_my_commands(_commands(role), scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError as exc:  # the menu is a convenience: registration stands without it
        log.warning("setMyCommands for a chat failed: %s", exc.message)
