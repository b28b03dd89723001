"""The workbook's layout on the renderers' hand-built municipality (no database): nothing needs resizing in
the summary or the card, and the check that says so (tests/workbook_fit.py) finds what would be clipped."""

from __future__ import annotations

import io

import openpyxl
import pytest

from scoring import report
from tests.pure.test_scoring_renderers import _score, _summary
from tests.workbook_fit import problems


@pytest.fixture(scope="module")
def summary():
    return _summary()


def test_nothing_to_resize(summary):
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
    card = openpyxl.load_workbook(io.BytesIO(report.card_workbook(summary, _score(summary, 2))))
    assert [p for sheet in [*book.worksheets, *card.worksheets] for p in problems(sheet)] == []


def test_the_check_finds_what_would_be_clipped(summary):
    """A narrowed column, a lowered row, a header word too wide and a wide sheet squeezed onto one page
    are each found."""
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
    sheet = book["Значения школ"]
    assert problems(sheet) == []
    sheet.column_dimensions["G"].width = 6  # «Знаменатель»
    tall = next(r for r in range(3, sheet.max_row) if (sheet.row_dimensions[r].height or 0) > 40)
    sheet.row_dimensions[tall].height = 15
    found = problems(sheet)
    assert any("a word of the header 'Знаменатель'" in p for p in found)
    assert any(p.startswith("Значения школ!") and "the row has 15" in p for p in found)
    matrix = book["Показатели школ"]
    assert problems(matrix) == []
    matrix.page_setup.fitToWidth = 1
    assert any("below 8.0 pt" in p for p in problems(matrix))
    card = openpyxl.load_workbook(io.BytesIO(report.card_workbook(summary, _score(summary, 1))))["Карточка школы"]
    card.column_dimensions["G"].width = 10  # «Рекомендация»: cut mid-sentence, as the issue found it
    assert any(p.startswith("Карточка школы!G") for p in problems(card))


def test_where_people_stop_needs_no_resizing():
    """The sheet «Где останавливаются» (scoring.stops), laid out by the same writer."""
    from tests.pure.test_stops import TEACHERS, pack_stops

    with_stops = _summary()
    with_stops.stops = [pack_stops(TEACHERS)]
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(with_stops)))
    assert "Где останавливаются" in book.sheetnames
    assert problems(book["Где останавливаются"]) == []
