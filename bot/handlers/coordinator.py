"""Coordinators: /setchat in their group, /summary and /report (the working group's report in Word)
there or in private (bot.features).

The report libraries (pandas, openpyxl, matplotlib, docxtpl) are imported when a report is made, not
when the bot starts: the process that answers questionnaires does not carry them.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features
from bot.access import migrate_chat
from bot.chat import TelegramChat
from bot.filters import ChatMigrated
from bot.render import split_html
from scoring.methodology import Methodology
from storage.models import Person


async def setchat(message: Message, session: AsyncSession, person: Person | None) -> None:
    await features.setchat(TelegramChat(message), session, person)


async def chat_migrated(message: Message, session: AsyncSession) -> None:
    await migrate_chat(session, message.chat.id, message.migrate_to_chat_id)


async def summary(message: Message, command: CommandObject, session: AsyncSession, person: Person | None,
                  methodology: Methodology, now: dt.datetime) -> None:
    await features.summary(TelegramChat(message), (command.args or "").strip(), session, person, methodology, now, split_html)


async def report(message: Message, command: CommandObject, session: AsyncSession, person: Person | None,
                 methodology: Methodology, now: dt.datetime) -> None:
    """/report [period]: the analytical report as .docx, with the same access rules as /summary."""
    await features.report(TelegramChat(message), (command.args or "").strip(), session, person, methodology, now)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(setchat, Command("setchat"))
    router.message.register(summary, Command("summary"))
    router.message.register(report, Command("report"))
    router.message.register(chat_migrated, ChatMigrated())
    return router
