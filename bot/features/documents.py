"""The coordinators' documents: /setchat in their group, /summary there or in private (/report, the protocol:
bot.features.report), and the school card (/card) with its files: a deputy's own school, any school of the
municipality for a coordinator."""

import asyncio
import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.callbacks import (
    CardAction,
    CardCb,
    CardExport,
    CardWord,
)
from bot.chat import Buttons, Chat
from bot.context import Context
from bot.webapp.buttons import app_button
from monitoring.access import (
    card_school,
    card_schools,
    may_open_dashboard,
    migrate_chat,
    set_coordinators_chat,
    summary_municipality,
)
from storage.models import (
    Municipality,
    Person,
)
from storage.privacy import (
    log_access,
)
from storage.registry import places
from surveys.screens import short
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
    from scoring.dashboard import data_version
    from scoring.service import ScoringError, build_summary

    municipality = await _coordinators_municipality(chat, session, person)
    if municipality is None:
        return
    cache = ctx.services.webapp.cache if ctx.services.webapp is not None else None
    async with chat.uploading():
        try:
            # the dashboard's fingerprint first, then the summary: its button then opens a page already built
            version = await data_version(session, municipality, now) if cache is not None else None
            result = await build_summary(session, municipality, period or None, methodology, now=now)
        except ScoringError as exc:
            await chat.say(str(exc))
            return
        if cache is not None:
            cache.keep(municipality, period or None, methodology, result, version, now)
        _log_document(chat, session, "summary", municipality, person, result.period, now)
        workbook, albums = await asyncio.gather(
            asyncio.to_thread(report.workbook, result), asyncio.to_thread(charts.images, result),
        )
        await chat.say_lines(text.summary_lines(result), _app_row(ctx, texts.BTN_APP_SUMMARY))
        name = f"shnor_{result.period}.xlsx".replace(" ", "_")
        await chat.send_file("document", name, workbook, texts.SUMMARY_WORKBOOK)
        for caption, photos in albums:
            await chat.photos(photos, caption)


def _app_row(ctx: Context, label: str, start: str = "") -> Buttons:
    """The dashboard's button as a keyboard of one row, or none (no WEBAPP_URL: bot.webapp.buttons)."""
    button = app_button(ctx.services.webapp, ctx.chat.channel, ctx.chat.private, label, start)
    return [[button]] if button else []


async def open_app(ctx: Context) -> None:
    """/app: the dashboard's button (coordinators: the municipality; deputies: their school)."""
    person = ctx.person
    if not may_open_dashboard(person):
        await ctx.chat.say(texts.WEBAPP_ONLY)
        return
    row = _app_row(ctx, texts.BTN_APP_SUMMARY)
    await ctx.chat.say(texts.APP_OPEN if row else texts.APP_OFF, row or None)
    if row and ctx.chat.private:  # the menu button too (Telegram), for people registered before the dashboard
        await ctx.chat.show_menu(person.role, ctx.services.webapp.url)


# --- the school card: a deputy's own school, any school for a coordinator ------------------------------------

CARD_PAGE = 20  # schools a page of the coordinator's picker


async def _card(ctx: Context, school_id: int | None, action: str):
    """The school card this person may see (monitoring.access.card_school refuses the others), or why it cannot be
    made; a card shown is written to the access log."""
    from scoring.service import (  # report libraries load when a report is made
        ScoringError,
        school_card,
    )

    session, person, now = ctx.session, ctx.person, ctx.now
    school = await card_school(session, person, school_id)
    municipality, _ = await places(session, school.municipality_id)
    try:
        result, score = await school_card(session, municipality, school.id, methodology=ctx.services.methodology, now=now)
    except ScoringError as exc:
        return str(exc)
    log_access(session, action=action, municipality_id=municipality.id, person=person,
               detail=f"{score.school.name}; период {result.period}", now=now)
    return result, score


def _card_buttons(ctx: Context, school_id: int, page: int | None) -> Buttons:
    board: Buttons = [[(texts.BTN_CARD_XLSX, CardExport(school=school_id)), (texts.BTN_CARD_DOCX, CardWord(school=school_id))]]
    board += _app_row(ctx, texts.BTN_APP_CARD, f"s{school_id}")
    if page is not None:  # a coordinator's: back to the picker
        board.append([(texts.BTN_CARD_SCHOOLS, CardCb(a=CardAction.PAGE, v=page))])
    return board


async def _picker(ctx: Context, page: int) -> tuple[str, Buttons]:
    """A coordinator's schools, a button each, CARD_PAGE a page."""
    schools = await card_schools(ctx.session, ctx.person)
    if not schools:
        return texts.CARD_NO_SCHOOLS, []
    page = min(page, (len(schools) - 1) // CARD_PAGE)
    board: Buttons = [[(short(s.short_name or s.name), CardCb(a=CardAction.SHOW, school=s.id, v=page))]
                      for s in schools[page * CARD_PAGE:(page + 1) * CARD_PAGE]]
    nav = []
    if page > 0:
        nav.append((texts.BTN_PREVIOUS_PAGE, CardCb(a=CardAction.PAGE, v=page - 1)))
    if (page + 1) * CARD_PAGE < len(schools):
        nav.append((texts.BTN_NEXT_PAGE, CardCb(a=CardAction.PAGE, v=page + 1)))
    if nav:
        board.append(nav)
    return texts.CARD_PICK_SCHOOL.format(n=len(schools)), board


async def _show_card(ctx: Context, school_id: int | None, page: int | None) -> None:
    result = await _card(ctx, school_id, "card")
    if isinstance(result, str):
        await ctx.chat.say(result)
        return
    from scoring import card as school_card

    found, score = result
    await ctx.chat.say_lines(school_card.lines(found, score), _card_buttons(ctx, score.school.id, page))


async def card(ctx: Context) -> None:
    """/card: a deputy gets their school's card; a coordinator picks a school first."""
    if is_coordinator(ctx.person):
        await ctx.chat.say(*await _picker(ctx, 0))
        return
    await _show_card(ctx, None, None)


async def card_button(ctx: Context, data: CardCb) -> None:
    """The coordinator's picker: another page (the message changes), or a school's card (a new message)."""
    if data.a == CardAction.PAGE:
        text, board = await _picker(ctx, data.v)
        await ctx.chat.ack()
        await ctx.chat.edit(text, board)
        return
    await card_school(ctx.session, ctx.person, data.school)  # refused before anything is built
    await ctx.chat.ack()
    await _show_card(ctx, data.school, data.v)


async def card_file(ctx: Context, data: CardExport | CardWord) -> None:
    """The card as .xlsx (CardExport) or a one-page .docx (CardWord): a deputy's own school, a coordinator's any school
    of the municipality (monitoring.access.card_school)."""
    chat = ctx.chat
    kind = "xlsx" if isinstance(data, CardExport) else "docx"
    result = await _card(ctx, data.school, "card_xlsx" if kind == "xlsx" else "card_docx")
    if isinstance(result, str):
        await chat.ack(result, alert=True)
        return
    from scoring import card as school_card
    from scoring import report

    await chat.ack()
    found, score = result
    if kind == "xlsx":
        content = await asyncio.to_thread(report.card_workbook, found, score)
        caption = texts.CARD_WORKBOOK.format(school=score.school.name, period=found.period)
    else:
        content = await asyncio.to_thread(school_card.docx, found, score)
        caption = texts.CARD_DOCUMENT.format(school=score.school.name, period=found.period)
    await chat.send_file("document", school_card.file_name(found, score, kind), content, caption)
