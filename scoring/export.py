"""A municipality's raw data as a workbook: every submitted answer, streamed from the database.

Text stays text (any cell that looks like a formula, a school's name included, is written as a
string), and a sheet
rolls over before Excel's row limit.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.data import raw_answers_query
from storage.models import Campaign, School

SHEET_LIMIT = 1_000_000  # Excel stops at 1 048 576 rows
HEADERS = ["Период", "Анкета", "Респондент", "Школа", "Вопрос", "Ответ"]


def _value(ws, value):
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = value.get("file_name") or str(value)
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"  # never a formula
        return cell
    return value


async def export_answers(session: AsyncSession, municipality_id: int, path: Path, period: str | None = None) -> int:
    """Write every submitted answer of the municipality (or of one period) to `path`; returns the count."""
    campaigns = dict(
        (await session.execute(
            select(Campaign.id, Campaign.period).where(
                Campaign.municipality_id == municipality_id, *([Campaign.period == period] if period else [])
            )
        )).all()
    )
    schools = dict((await session.execute(select(School.id, School.short_name).where(School.municipality_id == municipality_id))).all())
    wb = Workbook(write_only=True)
    count = 0
    ws = None
    if campaigns:
        query = raw_answers_query(list(campaigns)).add_columns(Campaign.period)
        result = await session.stream(query.execution_options(yield_per=5000))
        async for survey, respondent, school_id, question, value, campaign_period in result:
            if ws is None or count % SHEET_LIMIT == 0:
                ws = wb.create_sheet(f"Ответы {count // SHEET_LIMIT + 1}" if count else "Ответы")
                ws.freeze_panes = "A2"
                ws.append(HEADERS)
            row = [campaign_period, survey, respondent, schools.get(school_id, ""), question, value]
            ws.append([_value(ws, v) for v in row])
            count += 1
    if ws is None:
        wb.create_sheet("Ответы").append(HEADERS)
    from storage.files import open_private

    with open_private(path) as file:  # every answer of the municipality: readable by the owner only
        wb.save(file)
    return count
