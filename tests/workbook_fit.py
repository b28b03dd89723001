"""Does a written workbook need resizing? Every cell of every sheet read back with openpyxl and measured with
storage.xlsx's estimate: what does not fit, as sentences (an empty list: nothing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl.utils import get_column_letter, range_boundaries

from storage.xlsx import (
    FONT_SIZE,
    PADDING,
    ZERO_PT,
    line_count,
    line_height,
    longest_word,
    printable_width,
    room,
    text_width,
)

MIN_POINTS = 8.0  # printed text at least this size


def shown(value: Any, number_format: str) -> str:
    """A value as the cell shows it (numbers never wrap: too narrow a column shows ###)."""
    if isinstance(value, (dt.datetime, dt.date)):
        return "00.00.0000 00:00"
    if isinstance(value, bool):
        return "ИСТИНА"
    if isinstance(value, (int, float)):
        if number_format.endswith("%"):
            return f"{value * 100:.1f}%"
        if "п. п." in number_format:
            return f"{value:+.1f} п. п."
        if number_format.startswith("+"):
            return f"{value:+}"
        return str(value)
    return str(value)


def _title_rows(ws: Any) -> set[int]:
    if not ws.print_title_rows:
        return set()
    first, last = (int(part.strip("$")) for part in ws.print_title_rows.split(":"))
    return set(range(first, last + 1))


def problems(ws: Any) -> list[str]:
    """What of `ws` (a sheet loaded by openpyxl in normal mode) would be clipped or broken inside a word."""
    found: list[str] = []
    width = {c: ws.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, ws.max_column + 1)}
    merged: dict[tuple[int, int], float] = {}
    covered: set[tuple[int, int]] = set()
    for rng in ws.merged_cells.ranges:
        left, top, right, bottom = range_boundaries(str(rng))
        merged[(top, left)] = sum(width[c] for c in range(left, right + 1))
        covered |= {(r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)} - {(top, left)}
    headers = _title_rows(ws)
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None or cell.value == "" or (cell.row, cell.column) in covered:
                continue
            where = f"{ws.title}!{cell.coordinate}"
            height = ws.row_dimensions[cell.row].height or line_height()
            column = merged.get((cell.row, cell.column), width[cell.column])
            size = cell.font.sz or FONT_SIZE
            bold = bool(cell.font.b)
            text = shown(cell.value, cell.number_format)
            align = cell.alignment
            if align.textRotation == 90:
                along = height / ZERO_PT
                lines = line_count(text, along, bold=bold, size=size)
                if lines * line_height(size) > room(column) * ZERO_PT:
                    found.append(f"{where}: {lines} upright lines of {text!r} do not fit across {column}")
                if longest_word(text, bold=bold, size=size) + PADDING > along + 0.01:
                    found.append(f"{where}: a word of {text!r} is longer than the row is high ({height} pt)")
                continue
            if not isinstance(cell.value, str) or not align.wrap_text:
                if text_width(text, bold=bold, size=size) > room(column):
                    found.append(f"{where}: {text!r} is wider than its column ({column}) and does not wrap")
                if line_height(size) > height + 0.01:
                    found.append(f"{where}: a line of {size} pt is taller than the row ({height} pt)")
                continue
            lines = line_count(text, column, bold=bold, size=size)
            if lines * line_height(size) > height + 0.01:
                found.append(f"{where}: {lines} lines of {text[:60]!r} need {lines * line_height(size)} pt, the row has {height}")
            if cell.row in headers and longest_word(text, bold=bold, size=size) > room(column):
                found.append(f"{where}: a word of the header {text!r} is wider than its column ({column})")
    found += print_problems(ws, width)
    return found


def print_problems(ws: Any, width: dict[int, float]) -> list[str]:
    """Printed fitted to its pages' width, the sheet's text stays at least MIN_POINTS: laid on
    fitToWidth pages at that scale (the title columns repeated on each), its columns fit."""
    scale = MIN_POINTS / FONT_SIZE
    page = printable_width() / scale
    repeated = range_boundaries(ws.print_title_cols.replace("$", ""))[2] if ws.print_title_cols else 0
    pages, used = 1, 0.0
    for c in sorted(width):
        if used and used + width[c] > page:
            pages += 1
            used = sum(width[r] for r in range(1, repeated + 1))
        used += width[c]
    allowed = ws.page_setup.fitToWidth or 1
    found = []
    if pages > allowed:
        found.append(f"{ws.title}: printed {allowed} page(s) wide its text is below {MIN_POINTS} pt ({pages} pages needed)")
    for rng in ws.merged_cells.ranges:  # a line across (a caption, a note) is printed whole, on the first page
        left, top, right, _ = range_boundaries(str(rng))
        if sum(width[c] for c in range(left, right + 1)) > printable_width() and allowed > 1:
            found.append(f"{ws.title}!{rng}: wider than the first page")
        if left <= repeated and allowed > 1:
            found.append(f"{ws.title}!{rng}: starts in the column repeated on every page (a cut piece of it on each)")
    return found
