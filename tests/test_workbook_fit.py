"""The summary's workbook and the school card's need no resizing: for a municipality whose schools have
300-character legal names and 60-character short names, every cell of every sheet fits its column and its
row, no header word is broken inside, and every sheet prints with its text at least 8 pt
(tests/workbook_fit.py measures each cell with storage.xlsx's estimate)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from scoring import report
from scoring.demo import build_demo
from scoring.service import build_summary
from storage.models import Municipality, School
from tests.workbook_fit import problems

LEGAL = ("Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа с углублённым "
         "изучением отдельных предметов № {n} имени Героя Советского Союза Ивана Ивановича Краснооктябрьского» "
         "Новоключевского муниципального округа Свердловской области, структурное подразделение в селе Верхнее")
SHORT = "МБОУ СОШ № {n} им. Героя Советского Союза И. И. Краснооктябрьского"


@pytest.fixture
async def long_names(session_factory, clock):
    async with session_factory() as session:
        # the current year's campaigns are still collecting: some points are not decided yet («балл не определён»)
        municipality = await build_demo(session, name="Новоключевской муниципальный округ Свердловской области",
                                        schools=20, teachers_per_school=4, periods=("2025-2026", "2026-2027"),
                                        response_rate=0.6)
        for school in await session.scalars(select(School).where(School.municipality_id == municipality.id)):
            school.name = LEGAL.format(n=school.id)[:300]
            school.short_name = SHORT.format(n=school.id)[:60]
        await session.commit()
        clock.now = dt.datetime(2027, 5, 20, 9, 0, tzinfo=dt.UTC)  # the demo's 2026-2027 campaigns collect until 1 June
        summary = await build_summary(session, await session.get(Municipality, municipality.id), now=clock.now)
    assert len(summary.scores.schools[0].school.name) == 300 and len(summary.scores.schools[0].school.short_name) == 60
    assert summary.state.incomplete and summary.state.open_until is not None
    assert any(score.pending for score in summary.scores.schools) and any(score.no_data for score in summary.scores.schools)
    return summary


def test_long_names_fit_every_cell_of_the_summary_and_the_card(long_names):
    summary = long_names
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
    assert len(book.worksheets) >= 10
    found = [p for sheet in book.worksheets for p in problems(sheet)]
    worst = min(summary.scores.schools, key=lambda s: (s.ratio, s.school.id))
    card = openpyxl.load_workbook(io.BytesIO(report.card_workbook(summary, worst)))
    found += [p for sheet in card.worksheets for p in problems(sheet)]
    assert found == []
    # the long names are there whole, wrapped: not cut to fit
    matrix = book["Показатели школ"]
    assert any(row[0].value == worst.school.short_name and row[0].alignment.wrap_text for row in matrix.iter_rows())
    assert {"балл не определён", "нет данных"} <= {c.value for row in matrix.iter_rows() for c in row}
    # a column per school: printed several pages wide, the question and the answer repeated on each page
    development = book["Развитие педагогов"]
    assert development.page_setup.fitToWidth >= 2 and development.print_title_cols == "$A:$B"
    assert matrix.page_setup.fitToWidth == 2 and matrix.print_title_cols == "$A:$A"
    assert card["Карточка школы"]["A1"].value.startswith(worst.school.name)

