"""A municipality's raw data as a workbook: every submitted answer, streamed from the database.

For people: one sheet per questionnaire, a row per respondent (school, role, submitted at), the
question texts as headers and the answer labels as values. For people who compute: the same
answers in codes on «Коды ответов» (a row per respondent, a column per question name). Every cell
goes through storage.xlsx.cell (text stays text, a school's name included), every sheet prints
fitted to the page width with its header repeated, and a sheet rolls over before Excel's row limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scoring import answers as tables
from scoring.data import RAW_KEYS, raw_answers_query, survey_definitions
from storage.models import (
    Answer,
    Campaign,
    Municipality,
    Response,
    ResponseStatus,
    School,
)
from storage.xlsx import cell, font, print_setup

SHEET_LIMIT = 1_000_000  # Excel stops at 1 048 576 rows
CODES_SHEET = "Коды ответов"
HEADER_FONT = font(bold=True, color="FFFFFF")  # named Calibri: LibreOffice draws an unnamed font serif
HEADER_FILL = PatternFill("solid", fgColor="305496")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="top")
DATE_FORMAT = "DD.MM.YYYY HH:MM"


class _Stream:
    """A sheet written row by row, continued on «<title> 2» past SHEET_LIMIT rows."""

    def __init__(self, wb: Workbook, title: str, headers: list[str], widths: list[float], page_header: str,
                 date_column: int) -> None:
        self.wb, self.title, self.headers, self.widths, self.page_header = wb, title, headers, widths, page_header
        self.date_column = date_column
        self.ws: Any = None
        self.rows = 0
        self.part = 0
        self._open()  # every sheet in place from the start, in order; an empty one still shows its header

    def _open(self) -> None:
        self.part += 1
        self.ws = ws = self.wb.create_sheet(self.title if self.part == 1 else f"{self.title[:28]} {self.part}")
        ws.freeze_panes = "B2"
        for c, width in enumerate(self.widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = width
        print_setup(ws, header=f"{self.page_header} — {self.title}", title_rows="1:1")
        ws.append([cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGNMENT) for h in self.headers])
        self.rows = 0

    def append(self, values: list[Any]) -> None:
        if self.rows >= SHEET_LIMIT:
            self._open()
        ws = self.ws
        self.ws.append([
            cell(ws, v, number_format=DATE_FORMAT) if c == self.date_column and v is not None else cell(ws, v)
            for c, v in enumerate(values, start=1)
        ])
        self.rows += 1


async def export_answers(session: AsyncSession, municipality_id: int, path: Path, period: str | None = None) -> int:
    """Write every submitted answer of the municipality (or of one period) to `path`; returns the count."""
    municipality = await session.get(Municipality, municipality_id)
    campaigns = list(await session.scalars(
        select(Campaign.id).where(Campaign.municipality_id == municipality_id, *([Campaign.period == period] if period else []))
    ))
    schools = dict((await session.execute(select(School.id, School.short_name).where(School.municipality_id == municipality_id))).all())
    surveys = await survey_definitions(session, campaigns) if campaigns else {}
    forms = tables.questionnaires(surveys, await _answered(session, campaigns) if campaigns else None)
    timezone = municipality.timezone if municipality else "UTC"
    page_header = f"{municipality.name if municipality else ''} — {period or 'все периоды'}"
    wb = Workbook(write_only=True)
    sheets = {
        form.key: _Stream(wb, form.sheet_title, tables.label_headers(form),
                          [9, 11, 18, 13, 16, *[20] * len(form.questions)], page_header, 5)
        for form in forms
    }
    columns = tables.code_columns(forms)
    codes = _Stream(wb, CODES_SHEET, [*tables.CODE_HEADERS, *columns],
                    [10, 10, 12, 14, 16, 16, *[12] * len(columns)], page_header, 6)
    by_key = {form.key: form for form in forms}
    count = 0
    if campaigns:
        result = await session.stream(raw_answers_query(campaigns, by_response=True).execution_options(yield_per=5000))

        async def rows():
            nonlocal count
            async for row in result:
                count += 1
                yield dict(zip(RAW_KEYS, row))

        async for respondent in _group(rows(), schools):
            form = by_key.get(respondent.survey)
            if form is not None:
                sheets[form.key].append(tables.label_row(form, respondent, timezone))
            codes.append(tables.code_row(columns, respondent, timezone))
    from storage.files import open_private

    with open_private(path) as file:  # every answer of the municipality: readable by the owner only
        wb.save(file)
    return count


async def _answered(session: AsyncSession, campaigns: list[int]) -> dict[int, set[str]]:
    """Survey version id -> the questions answered: one its definition lacks still gets a column."""
    rows = await session.execute(
        select(Campaign.survey_version_id, Answer.question).distinct()
        .join(Response, Answer.response_id == Response.id).join(Campaign, Response.campaign_id == Campaign.id)
        .where(Response.campaign_id.in_(campaigns), Response.status == ResponseStatus.SUBMITTED)
    )
    out: dict[int, set[str]] = {}
    for version_id, question in rows:
        out.setdefault(version_id, set()).add(question)
    return out


async def _group(rows: Any, schools: dict[int, str]) -> Any:
    """scoring.answers.group over an async stream."""
    batch: list[dict[str, Any]] = []
    async for row in rows:
        if batch and batch[-1]["response_id"] != row["response_id"]:
            for respondent in tables.group(batch, schools):
                yield respondent
            batch = []
        batch.append(row)
    for respondent in tables.group(batch, schools):
        yield respondent
