"""The coordinators' documents: /setchat in their group, /summary there or in private (/report, the protocol:
bot.features.report), and the deputy's school card (/card) with its files."""

import asyncio
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import (
    CardExport,
    CardWord,
)
from bot.chat import Chat
from bot.context import Context
from monitoring.access import migrate_chat, set_coordinators_chat, summary_municipality
from scoring.methodology import Methodology
from storage.models import (
    Municipality,
    Person,
    Role,
)
from storage.privacy import (
    log_access,
)
from storage.registry import places
from surveys.subjects import is_coordinator


async def setchat(ctx: Context) -> None:
    chat, session, person = ctx.chat, ctx.session, ctx.person
    if not is_coordinator(person):
        await chat.say(texts.COORDINATORS_ONLY)
        return
    if chat.private:
        await chat.say(texts.SETCHAT_IN_GROUP)
        return
    done = await set_coordinators_chat(session, person.municipality_id, chat.chat_id, chat.channel)
    await chat.say(done if isinstance(done, str) else texts.SETCHAT_DONE.format(municipality=done.name))


async def _coordinators_municipality(chat: Chat, session: AsyncSession, person: Person | None) -> Municipality | None:
    """The municipality whose summary or report may be given in this chat (read now, by monitoring.access), or
    None after saying why not."""
    found = await summary_municipality(session, person, chat.chat_id, chat.private, chat.channel)
    if isinstance(found, str):
        await chat.say(found)
        return None
    return found


def _log_document(chat: Chat, session: AsyncSession, action: str, municipality: Municipality, person: Person | None,
                  period: str, now: dt.datetime) -> None:
    where = "группа координаторов" if not chat.private else "личный чат"
    log_access(session, action=action, municipality_id=municipality.id, person=person, detail=f"период {period}; {where}",
               now=now)


async def chat_moved(ctx: Context, new_chat_id: int) -> None:
    """A group became another chat (Telegram's supergroup): the coordinators' chat moves with it."""
    await migrate_chat(ctx.session, ctx.chat.chat_id, new_chat_id)


async def summary(ctx: Context, period: str) -> None:
    """/summary [period]: the lines (in messages within the channel's limit), the workbook and the charts (albums)."""
    from scoring import charts, report, text

    chat, session, person, methodology, now = ctx.chat, ctx.session, ctx.person, ctx.services.methodology, ctx.now
    from scoring.service import ScoringError, build_summary

    municipality = await _coordinators_municipality(chat, session, person)
    if municipality is None:
        return
    async with chat.uploading():
        try:
            result = await build_summary(session, municipality, period or None, methodology, now=now)
        except ScoringError as exc:
            await chat.say(str(exc))
            return
        _log_document(chat, session, "summary", municipality, person, result.period, now)
        workbook, albums = await asyncio.gather(
            asyncio.to_thread(report.workbook, result), asyncio.to_thread(charts.images, result),
        )
        await chat.say_lines(text.summary_lines(result))
        name = f"shnor_{result.period}.xlsx".replace(" ", "_")
        await chat.send_file("document", name, workbook, texts.SUMMARY_WORKBOOK)
        for caption, photos in albums:
            await chat.photos(photos, caption)


# --- deputies: the school card -------------------------------------------------------------


async def _card(session: AsyncSession, person: Person | None, methodology: Methodology, now: dt.datetime, action: str):
    """The deputy's school card, or the refusal to show; a card shown is written to the access log."""
    from scoring.service import (  # report libraries load when a report is made
        ScoringError,
        school_card,
    )

    if person is None or person.role != Role.DEPUTY or person.school_id is None:
        return texts.DEPUTIES_ONLY
    municipality, _ = await places(session, person.municipality_id)
    try:
        result, score = await school_card(session, municipality, person.school_id, methodology=methodology, now=now)
    except ScoringError as exc:
        return str(exc)
    log_access(session, action=action, municipality_id=municipality.id, person=person,
               detail=f"{score.school.name}; период {result.period}", now=now)
    return result, score


async def card(ctx: Context) -> None:
    result = await _card(ctx.session, ctx.person, ctx.services.methodology, ctx.now, "card")
    if isinstance(result, str):
        await ctx.chat.say(result)
        return
    from scoring import text

    found, score = result
    buttons = [[(texts.BTN_CARD_XLSX, CardExport(school=score.school.id)), (texts.BTN_CARD_DOCX, CardWord(school=score.school.id))]]
    await ctx.chat.say_lines(text.card_lines(found, score), buttons)


async def card_file(ctx: Context, data: CardExport | CardWord) -> None:
    """The card as .xlsx (CardExport) or a one-page .docx (CardWord), for the deputy's own school only."""
    chat, session, person, methodology, now = ctx.chat, ctx.session, ctx.person, ctx.services.methodology, ctx.now
    school_id, kind = data.school, "xlsx" if isinstance(data, CardExport) else "docx"
    if person is None or person.school_id != school_id:
        await chat.ack(texts.NOT_YOURS, alert=True)
        return
    result = await _card(session, person, methodology, now, "card_xlsx" if kind == "xlsx" else "card_docx")
    if isinstance(result, str):
        await chat.ack(result, alert=True)
        return
    from scoring import report, word

    await chat.ack()
    found, score = result
    if kind == "xlsx":
        data = await asyncio.to_thread(report.card_workbook, found, score)
        caption = texts.CARD_WORKBOOK.format(school=score.school.name, period=found.period)
    else:
        data = await asyncio.to_thread(word.card_docx, found, score)
        caption = texts.CARD_DOCUMENT.format(school=score.school.name, period=found.period)
    await chat.send_file("document", report.card_file_name(found, score, kind), data, caption)
