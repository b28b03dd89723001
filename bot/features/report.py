"""/report: the working group's protocol with the analytical report as its appendix (scoring.protocol).

In the private chat a coordinator sees the meeting's details first — the last meeting's people, place and agenda,
the next number, today's date (monitoring.meetings) — and makes the protocol with one tap, or changes a line
(typed as the next message) before. While the data are incomplete the «Решили» draft is made only when asked
for. In the coordinators' group the protocol is made at once from those details. The details being edited live
in the conversation (bot.conversation); the meeting is kept when its protocol is made.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.callbacks import ReportAction, ReportCb
from bot.chat import Buttons
from bot.context import Context
from bot.features.documents import _coordinators_municipality, _log_document
from monitoring import meetings
from scoring.protocol import Meeting, Requisites, parse_date
from scoring.summary import ReportInput
from storage.models import Municipality
from storage.privacy import set_requisites_command
from surveys.periods import PeriodError, normalize_period
from surveys.subjects import is_coordinator

FIELDS = ("number", "date", "place", "chair", "secretary", "attendees", "speakers", "agenda")


class ReportFlow:
    """The dialogue's steps (bot.conversation): the details shown with buttons; a line being typed."""

    draft = "Report:draft"
    typed = "Report:typed"


def _today(municipality: Municipality, now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(municipality.timezone)).date()


def _screen(municipality: Municipality, period: str, meeting: Meeting, last: dict[str, Any] | None, heading: str,
            decisions: bool) -> tuple[str, Buttons]:
    """The details as the protocol will have them, and the buttons that make it or change a line."""
    t = texts.REPORT_FIELD_TITLES
    empty = texts.REPORT_EMPTY
    requisites = Requisites.of(municipality)
    place = meeting.place or (texts.REPORT_PLACE_ADDRESS.format(address=requisites.address) if requisites.address else "")
    agenda = ("; ".join(f"{n}. {item}" for n, item in enumerate(meeting.agenda, start=1)) if meeting.agenda
              else texts.REPORT_AGENDA_DEFAULT.format(period=period))
    attendees = f"({len(meeting.attendees)}) " + "; ".join(meeting.attendees) if meeting.attendees else empty
    lines = [texts.REPORT_DRAFT_HEAD.format(period=period), ""]
    lines.append(texts.REPORT_DRAFT_LAST.format(**last) if last else texts.REPORT_DRAFT_FIRST)
    lines += ["",
              f"{t['number']}: {meeting.number or empty}",
              f"{t['date']}: {meeting.date.strftime('%d.%m.%Y') if meeting.date else empty}",
              f"{t['place']}: {place or empty}",
              f"{t['chair']}: {meeting.chair or empty}",
              f"{t['secretary']}: {meeting.secretary or empty}",
              f"{t['attendees']}: {attendees}",
              f"{t['speakers']}: {meeting.speakers or empty}",
              f"{t['agenda']}: {agenda}"]
    board: Buttons = [[(texts.BTN_REPORT_MAKE, ReportCb(a=ReportAction.MAKE))]]
    edit = [(texts.BTN_REPORT_EDIT[name], ReportCb(a=ReportAction.EDIT, v=n)) for n, name in enumerate(FIELDS)]
    board += [edit[0:3], edit[3:5], edit[5:8]]
    if heading:
        lines += ["", texts.REPORT_INCOMPLETE.format(heading=heading),
                  texts.REPORT_DECISIONS_ON if decisions else texts.REPORT_DECISIONS_OFF]
        board.append([(texts.BTN_REPORT_DECISIONS_OFF, ReportCb(a=ReportAction.DECISIONS, v=0)) if decisions
                      else (texts.BTN_REPORT_DECISIONS_ON, ReportCb(a=ReportAction.DECISIONS, v=1))])
    missing = requisites.missing()
    if missing:
        lines += ["", texts.REPORT_NO_REQUISITES.format(missing="; ".join(missing),
                                                                   command=set_requisites_command(municipality))]
    lines += ["", texts.REPORT_DRAFT_FOOT]
    board.append([(texts.BTN_CANCEL, ReportCb(a=ReportAction.CANCEL))])
    return "\n".join(lines), board


async def _show(ctx: Context, municipality: Municipality) -> None:
    data = await ctx.state.get_data()
    text, board = _screen(municipality, data["period"], Meeting.model_validate(data["meeting"]), data.get("last"),
                          data.get("heading", ""), data.get("decisions", False))
    await ctx.chat.say(text, board)


async def report(ctx: Context, period: str) -> None:
    """/report [period]: in the private chat the meeting's details first; in the coordinators' group the protocol
    at once, with the details of the last meeting (numbered after it, dated today)."""
    chat, session, person, now = ctx.chat, ctx.session, ctx.person, ctx.now
    municipality = await _coordinators_municipality(chat, session, person)
    if municipality is None:
        return
    try:
        period = normalize_period(period) if (period or "").strip() else ""
    except PeriodError as exc:
        await chat.say(str(exc))
        return
    meeting, last = await meetings.draft(session, municipality.id, _today(municipality, now))
    if not chat.private:
        await _make(ctx, municipality, period, meeting, decisions=False, keep=False)
        return
    async with chat.uploading():
        data = await _build(ctx, municipality, period)
    if data is None:
        return
    from scoring import shown

    await ctx.state.set_state(ReportFlow.draft)
    await ctx.state.set_data({
        "period": data.summary.period, "meeting": meeting.stored(), "decisions": False,
        "heading": shown.heading(data.summary.state),
        "last": {"number": last.number or "—", "date": last.date.strftime("%d.%m.%Y") if last.date else "—"} if last else None,
    })
    await _show(ctx, municipality)


async def _build(ctx: Context, municipality: Municipality, period: str) -> ReportInput | None:
    """What the protocol is made of; None after saying why it cannot be made."""
    from scoring.service import ScoringError, build_report

    try:
        return await build_report(ctx.session, municipality, period or None, ctx.services.methodology, now=ctx.now)
    except ScoringError as exc:
        await ctx.chat.say(str(exc))
        return None


async def _make(ctx: Context, municipality: Municipality, period: str, meeting: Meeting, *, decisions: bool,
                keep: bool) -> None:
    """Make the protocol, send it and (`keep`) keep the meeting for the next one."""
    from scoring import protocol

    chat, session, person, now = ctx.chat, ctx.session, ctx.person, ctx.now
    async with chat.uploading():
        data = await _build(ctx, municipality, period)
        if data is None:
            return
        summary = data.summary
        _log_document(chat, session, "report", municipality, person, summary.period, now)
        if keep:
            meetings.record(session, municipality.id, summary.period, meeting, now, person.id if person else None)
        drafted = protocol.drafted(summary, decisions)
        document = await asyncio.to_thread(protocol.protocol_docx, data, meeting, Requisites.of(municipality),
                                           decisions=decisions)
        caption = texts.REPORT_DOCUMENT.format(
            number=f" № {meeting.number}" if meeting.number else "", period=summary.period,
            periods=", ".join(h.period for h in summary.history),
            decisions=texts.REPORT_DECISIONS_DRAFTED if drafted else texts.REPORT_DECISIONS_BLANK)
        if not chat.private:
            caption += " " + texts.REPORT_GROUP_NOTE
        await chat.send_file("document", protocol.file_name(municipality.name, summary.period, meeting), document, caption)


async def _draft(ctx: Context) -> tuple[Municipality, dict[str, Any]] | None:
    """The municipality and the draft being edited, read now; None (after saying why) when there is none."""
    municipality = await _coordinators_municipality(ctx.chat, ctx.session, ctx.person)
    if municipality is None:
        await ctx.state.clear()
        return None
    if await ctx.state.get_state() not in (ReportFlow.draft, ReportFlow.typed):
        await ctx.chat.say(texts.REPORT_STALE)
        return None
    return municipality, await ctx.state.get_data()


async def report_button(ctx: Context, data: ReportCb) -> None:
    chat, state = ctx.chat, ctx.state
    if not is_coordinator(ctx.person):
        await chat.ack(texts.COORDINATORS_ONLY, alert=True)
        return
    await chat.ack()
    found = await _draft(ctx)
    if found is None:
        await chat.drop_buttons()
        return
    municipality, draft = found
    meeting = Meeting.model_validate(draft["meeting"])
    action = data.a
    if action == ReportAction.MAKE:
        await chat.drop_buttons()
        await state.clear()
        await _make(ctx, municipality, draft["period"], meeting, decisions=draft.get("decisions", False), keep=True)
    elif action == ReportAction.CANCEL:
        await state.clear()
        await chat.edit(texts.REPORT_CANCELLED)
    elif action == ReportAction.DECISIONS:
        await state.update_data(decisions=bool(data.v))
        await chat.drop_buttons()
        await _show(ctx, municipality)
    elif action == ReportAction.TODAY:
        meeting = meeting.model_copy(update={"date": _today(municipality, ctx.now)})
        await state.update_data(meeting=meeting.stored())
        await state.set_state(ReportFlow.draft)
        await chat.drop_buttons()
        await _show(ctx, municipality)
    elif action == ReportAction.EDIT and data.v < len(FIELDS):
        field = FIELDS[data.v]
        await state.update_data(field=field)
        await state.set_state(ReportFlow.typed)
        await chat.drop_buttons()
        buttons = [[(texts.BTN_REPORT_TODAY, ReportCb(a=ReportAction.TODAY))]] if field == "date" else None
        await chat.say(f"{texts.REPORT_ASK[field]} {texts.REPORT_ASK_CLEAR}", buttons)


async def typed_meeting(ctx: Context, text: str | None) -> None:
    """A line of the meeting typed after its button: checked, put in the draft, the details shown again."""
    if not is_coordinator(ctx.person):
        await ctx.state.clear()
        return
    found = await _draft(ctx)
    if found is None:
        return
    municipality, draft = found
    field = draft.get("field")
    if field not in FIELDS:
        await ctx.state.set_state(ReportFlow.draft)
        await _show(ctx, municipality)
        return
    value: Any = (text or "").strip()
    if value == "-":
        value = [] if field in ("attendees", "agenda") else None if field == "date" else ""
    elif field == "date":
        lowered = value.lower()
        today = _today(municipality, ctx.now)
        try:
            value = today if lowered == "сегодня" else today + dt.timedelta(days=1) if lowered == "завтра" else parse_date(value)
        except ValueError as exc:
            await ctx.chat.say(texts.REPROMPT.format(error=str(exc)))
            return
    elif field in ("attendees", "agenda"):
        value = [line.strip(" -•\t") for line in value.splitlines() if line.strip(" -•\t")]
    meeting = Meeting.model_validate(draft["meeting"]).model_copy(update={field: value})
    meeting = Meeting.model_validate(meeting.model_dump())  # the file's rules: trailing «;» and «.» dropped
    await ctx.state.update_data(meeting=meeting.stored(), field=None)
    await ctx.state.set_state(ReportFlow.draft)
    await _show(ctx, municipality)
