"""Every cell of every workbook the product writes goes through `cell` (the summary, the card, the
export, the templates): text stays text, whatever it starts with.

A school named «=1+1» or an answer «=HYPERLINK(...)» would otherwise be written as a formula
and run when the file is opened. Lists and files are shown readably, characters a workbook
cannot hold (control characters) are dropped. Also the print set-up every sheet shares.

Imported only where a workbook is made: it loads openpyxl.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.worksheet.worksheet import Worksheet


def plain(value: Any) -> Any:
    """A value as a cell can hold it: a list joined, a file by its name, control characters dropped."""
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = value.get("file_name") or str(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def cell(
    ws: Any, value: Any, *, number_format: str | None = None, font: Any = None, fill: Any = None,
    alignment: Any = None, border: Any = None,
) -> Any:
    """The value for `ws.append` (write-only or not): a plain value when nothing can go wrong, else a cell
    whose text is typed as text (never a formula) and which carries the style asked for."""
    value = plain(value)
    risky = isinstance(value, str) and value.startswith("=")
    if not (risky or number_format or font or fill or alignment or border):
        return value  # a plain string not starting with «=» is written as text by openpyxl itself
    out = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        out.data_type = "s"  # never a formula
    if number_format:
        out.number_format = number_format
    if font is not None:
        out.font = font
    if fill is not None:
        out.fill = fill
    if alignment is not None:
        out.alignment = alignment
    if border is not None:
        out.border = border
    return out


def row(ws: Any, values: list[Any], **style: Any) -> list[Any]:
    return [cell(ws, v, **style) for v in values]


def put(ws: Worksheet, row_: int, column: int, value: Any) -> Any:
    """Set one cell of a normal (not write-only) sheet through the same rule."""
    target = ws.cell(row=row_, column=column)
    value = plain(value)
    target.value = value
    if isinstance(value, str):
        target.data_type = "s"
    return target


def print_setup(ws: Any, *, header: str, title_rows: str | None = None, landscape: bool = True) -> None:
    """Landscape A4 fitted to the page width, the header rows repeated on every page, `header` (the
    municipality and the period) at the top of each page and «Страница N из M» at the bottom."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_options.gridLines = False
    # «&» starts a code in a header: a municipality named «A & B» keeps its ampersand
    ws.oddHeader.center.text = header.replace("&", "&&")
    ws.oddHeader.center.size = 9
    ws.oddFooter.center.text = "Страница &P из &N"
    ws.oddFooter.center.size = 9
