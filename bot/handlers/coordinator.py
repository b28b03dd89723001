"""Coordinators: /setchat in their group, /summary and /report (the working group's report in Word)
there or in private.

The report libraries (pandas, openpyxl, matplotlib, docxtpl) are imported when a report is made, not
when the bot starts: the process that answers questionnaires does not carry them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from html import escape

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, Message
from aiogram.utils.chat_action import ChatActionSender
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.filters import ChatMigrated
from bot.access import migrate_chat, set_coordinators_chat, summary_refusal
from bot.render import messages
from scoring.methodology import Methodology
from storage.models import Municipality, Person
from storage.privacy import log_access
from surveys.subjects import is_coordinator


async def setchat(message: Message, session: AsyncSession, person: Person | None) -> None:
    if not is_coordinator(person):
        await message.answer(texts.COORDINATORS_ONLY)
        return
    if message.chat.type == "private":
        await message.answer(texts.SETCHAT_IN_GROUP)
        return
    municipality = await session.get(Municipality, person.municipality_id)
    refusal = await set_coordinators_chat(session, municipality, message.chat.id)
    await message.answer(refusal or texts.SETCHAT_DONE.format(municipality=escape(municipality.name)))


async def chat_migrated(message: Message, session: AsyncSession) -> None:
    await migrate_chat(session, message.chat.id, message.migrate_to_chat_id)


async def summary(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, person: Person | None,
    methodology: Methodology, now: dt.datetime,
) -> None:
    from scoring import report, text
    from scoring.service import ScoringError, build_summary

    municipality = await session.get(Municipality, person.municipality_id) if person else None
    refusal = summary_refusal(person, municipality, message.chat.id, message.chat.type)
    if refusal:
        await message.answer(refusal)
        return
    period = (command.args or "").strip() or None
    async with ChatActionSender.upload_document(bot=bot, chat_id=message.chat.id):
        try:
            result = await build_summary(session, municipality, period, methodology, now)
        except ScoringError as exc:
            await message.answer(escape(str(exc)))
            return
        where = "группа координаторов" if message.chat.type != "private" else "личный чат"
        log_access(session, action="summary", municipality_id=municipality.id, person=person,
                   detail=f"период {result.period}; {where}", now=now)
        workbook, chart, dynamics = await asyncio.gather(
            asyncio.to_thread(report.workbook, result), asyncio.to_thread(report.chart, result),
            asyncio.to_thread(report.dynamics_chart, result),
        )
        for chunk in messages(text.summary_lines(result)):
            await message.answer(chunk)
        name = f"shnor_{result.period}.xlsx".replace(" ", "_")
        await message.answer_document(BufferedInputFile(workbook, filename=name), caption=texts.SUMMARY_WORKBOOK)
        await message.answer_photo(BufferedInputFile(chart, filename="summary.png"), caption=texts.SUMMARY_CHART)
        if dynamics is not None:
            await message.answer_photo(BufferedInputFile(dynamics, filename="dynamics.png"), caption=texts.SUMMARY_DYNAMICS)


async def report(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, person: Person | None,
    methodology: Methodology, now: dt.datetime,
) -> None:
    """/report [period]: the analytical report as .docx, with the same access rules as /summary."""
    from scoring import word
    from scoring.service import ScoringError, build_report

    municipality = await session.get(Municipality, person.municipality_id) if person else None
    refusal = summary_refusal(person, municipality, message.chat.id, message.chat.type)
    if refusal:
        await message.answer(refusal)
        return
    period = (command.args or "").strip() or None
    async with ChatActionSender.upload_document(bot=bot, chat_id=message.chat.id):
        try:
            data = await build_report(session, municipality, period, methodology, now)
        except ScoringError as exc:
            await message.answer(escape(str(exc)))
            return
        where = "группа координаторов" if message.chat.type != "private" else "личный чат"
        log_access(session, action="report", municipality_id=municipality.id, person=person,
                   detail=f"период {data.summary.period}; {where}", now=now)
        document = await asyncio.to_thread(word.report_docx, data)
        name = word.file_name("Справка", municipality.name, data.summary.period)
        await message.answer_document(
            BufferedInputFile(document, filename=name),
            caption=texts.REPORT_DOCUMENT.format(period=escape(data.summary.period),
                                                 periods=escape(", ".join(h.period for h in data.summary.history))),
        )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(setchat, Command("setchat"))
    router.message.register(summary, Command("summary"))
    router.message.register(report, Command("report"))
    router.message.register(chat_migrated, ChatMigrated())
    return router
