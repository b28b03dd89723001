"""Deputies: /card, their school's indicators, points and what to do, with an .xlsx or a one-page .docx
on request.

Report libraries are imported when a card is made (see bot.handlers.coordinator)."""

from __future__ import annotations

import asyncio
import datetime as dt
from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import CardExport, CardWord
from bot.filters import PrivateChat
from bot.render import messages
from scoring.methodology import Methodology
from storage.models import Municipality, Person, Role
from storage.privacy import log_access


async def _card(session: AsyncSession, person: Person | None, methodology: Methodology, now: dt.datetime, action: str):
    """The deputy's school card, or the refusal to show; a card shown is written to the access log."""
    from scoring.service import ScoringError, school_card  # report libraries load when a report is made

    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        return texts.DEPUTIES_ONLY
    municipality = await session.get(Municipality, person.municipality_id)
    try:
        summary, score = await school_card(session, municipality, person.school_id, methodology=methodology, now=now)
    except ScoringError as exc:
        return escape(str(exc))
    log_access(session, action=action, municipality_id=municipality.id, person=person,
               detail=f"{score.school.name}; период {summary.period}", now=now)
    return summary, score


async def card(message: Message, session: AsyncSession, person: Person | None, methodology: Methodology, now: dt.datetime) -> None:
    result = await _card(session, person, methodology, now, "card")
    if isinstance(result, str):
        await message.answer(result)
        return
    from scoring import text

    summary, score = result
    chunks = messages(text.card_lines(summary, score))
    kb = InlineKeyboardBuilder()
    kb.button(text=texts.BTN_CARD_XLSX, callback_data=CardExport(school=score.school.id))
    kb.button(text=texts.BTN_CARD_DOCX, callback_data=CardWord(school=score.school.id))
    markup: InlineKeyboardMarkup = kb.as_markup()
    for n, chunk in enumerate(chunks):
        await message.answer(chunk, reply_markup=markup if n == len(chunks) - 1 else None)


async def card_export(
    callback: CallbackQuery, callback_data: CardExport, session: AsyncSession, person: Person | None,
    methodology: Methodology, now: dt.datetime,
) -> None:
    if person is None or person.school_id != callback_data.school:
        await callback.answer(texts.NOT_YOURS, show_alert=True)
        return
    result = await _card(session, person, methodology, now, "card_xlsx")
    if isinstance(result, str):
        await callback.answer(result, show_alert=True)
        return
    from scoring import report

    await callback.answer()
    summary, score = result
    data = await asyncio.to_thread(report.card_workbook, summary, score)
    await callback.message.answer_document(
        BufferedInputFile(data, filename=report.card_file_name(summary, score)),
        caption=texts.CARD_WORKBOOK.format(school=escape(score.school.name), period=escape(summary.period)),
    )


async def card_word(
    callback: CallbackQuery, callback_data: CardWord, session: AsyncSession, person: Person | None,
    methodology: Methodology, now: dt.datetime,
) -> None:
    if person is None or person.school_id != callback_data.school:
        await callback.answer(texts.NOT_YOURS, show_alert=True)
        return
    result = await _card(session, person, methodology, now, "card_docx")
    if isinstance(result, str):
        await callback.answer(result, show_alert=True)
        return
    from scoring import report, word

    await callback.answer()
    summary, score = result
    data = await asyncio.to_thread(word.card_docx, summary, score)
    await callback.message.answer_document(
        BufferedInputFile(data, filename=report.card_file_name(summary, score, "docx")),
        caption=texts.CARD_DOCUMENT.format(school=escape(score.school.name), period=escape(summary.period)),
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.message.register(card, Command("card"))
    router.callback_query.register(card_export, CardExport.filter())
    router.callback_query.register(card_word, CardWord.filter())
    return router
