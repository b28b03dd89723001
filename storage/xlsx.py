"""Every cell of every workbook the product writes goes through `cell` (the summary, the card, the
export, the templates): text stays text, whatever it starts with.

A school named «=1+1» or an answer «=HYPERLINK(...)» would otherwise be written as a formula
and run when the file is opened. Lists and files are shown readably, characters a workbook
cannot hold (control characters) are dropped. Also the print set-up every sheet shares, and the
estimate of how wide a text is and how many lines it wraps to, which fits columns and rows to their text.

Imported only where a workbook is made: it loads openpyxl.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from copy import copy
from functools import lru_cache
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
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
    if not (number_format or font or fill or alignment or border):
        return out
    # Setting a style looks it up in the workbook's lists by hashing it, which is slow over a million cells:
    # each combination is looked up once per workbook and its indices copied. The cache holds the style
    # objects themselves, so that their ids stay theirs while it lives.
    styles = ws.parent.__dict__.setdefault("_cell_style_cache", {})
    key = (number_format, id(font), id(fill), id(alignment), id(border))
    known = styles.get(key)
    if known is not None:
        out._style = copy(known[0])
        return out
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
    styles[key] = (copy(out._style), font, fill, alignment, border)
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


A4_LANDSCAPE_MM = 297.0
MARGIN_IN = 0.4  # left and right


def print_setup(
    ws: Any, *, header: str, title_rows: str | None = None, landscape: bool = True, pages_wide: int = 1,
    title_columns: str | None = None,
) -> None:
    """Landscape A4 fitted to the page width (`pages_wide` pages side by side for a wide sheet, with
    `title_columns` repeated on each), the header rows repeated on every page, `header` (the municipality
    and the period) at the top of each page and «Страница N из M» at the bottom."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if pages_wide > 1:
        ws.page_setup.pageOrder = "overThenDown"  # a band of rows on pages side by side, then the next band
        if title_columns:
            ws.print_title_cols = title_columns
    ws.page_margins.left = ws.page_margins.right = MARGIN_IN
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


# --- fitting text to cells -------------------------------------------------------------------
#
# A streamed (write-only) sheet is shown as written: neither Excel nor LibreOffice fits a row's height
# to its wrapped text when it opens the file, and a header word wider than its column is broken inside
# it («Знаменател/ь»). So the writer measures the text itself, with the estimate below.

FONT_NAME = "Calibri"  # openpyxl's and Excel's default; LibreOffice draws it with Carlito, of the same metrics
FONT_SIZE = 11
ZERO_PT = 5.25  # a unit of column width (the «0» of Calibri 11: 7 px at 96 dpi) in points, in Excel
PAPER_ZERO_PT = 5.55  # the same unit on LibreOffice's page (measured: columns 5, 10, 20 and 40 wide)
PADDING = 0.75  # of a column `w` units wide (7w px) Excel keeps 5 px for the cell's margins and grid line
HINTING = 1.06  # Excel on screen draws «0» 7 px wide (7.43 by design) and rounds every glyph to whole pixels
BOLD = 1.07  # Calibri Bold against Regular: 1.04 on average, 1.07 for the widest Cyrillic letters (ж, м, ы)
LINE_PT = 15.0  # a line of 11 pt text: Excel's default row and its wrapped lines (LibreOffice needs 11.1)
MAX_ROW_PT = 409.0  # Excel's tallest row

# Advance widths of Calibri Regular (Carlito) in «0»s, rounded up to 0.05: the character's bucket.
_BUCKETS = {
    0.45: " '", 0.5: "ijlI.,·", 0.55: ":;", 0.6: "()", 0.65: "fJ![]{}-", 0.7: "rtг", 0.8: "szт/\\\"",
    0.85: "cLзсГ", 0.9: "kvxyухэ", 0.95: "agFSZавкчьяЗ?|", 1.0: "0123456789eETYеёЕЁТ–+=<>*#_~≥≤×",
    1.05: "bdhnopquKPXлопрРУХЬ«»", 1.1: "BCRбийнцъБВКСЧЭЯ", 1.15: "AVдА", 1.25: "DGHфЛНПЪ", 1.3: "NUДИЙЦ",
    1.35: "OQмыО&", 1.4: "жФ…", 1.45: "wшю%", 1.5: "щ", 1.55: "Ы", 1.6: "mЖ", 1.7: "MМ", 1.75: "ШЮ",
    1.8: "WЩ—@→", 2.05: "№",
}
_GLYPH = {ch: width for width, chars in _BUCKETS.items() for ch in chars}
_OTHER = 1.3  # a character not in the table (another script, a sign): wider than most letters
_WIDE = 2.1  # CJK and other full-width characters


def _glyph(ch: str) -> float:
    width = _GLYPH.get(ch)
    if width is not None:
        return width
    import unicodedata

    return _WIDE if unicodedata.east_asian_width(ch) in "WF" else _OTHER


def _scale(bold: bool, size: float) -> float:
    return HINTING * (BOLD if bold else 1.0) * size / FONT_SIZE


@lru_cache(maxsize=1 << 16)
def _design_width(word: str) -> float:
    return sum(_GLYPH[ch] if ch in _GLYPH else _glyph(ch) for ch in word)


def text_width(text: str, *, bold: bool = False, size: float = FONT_SIZE) -> float:
    """How wide `text` is on one line, in units of column width (the «0» of Calibri 11).

    The table holds Calibri's design widths (Carlito's, metric-compatible), each rounded up to 0.05 «0».
    Calibrated once against LibreOffice 7.4 drawing Carlito at 100 % into a PDF (the word boxes measured,
    tests/pure/test_cell_text.py keeps the figures): «0» is 5.586 pt there, as designed (1038/2048 of 11 pt);
    the Cyrillic lowercase alphabet measured 34.4 «0» (the table says 35.3), the uppercase 40.0 (41.0),
    «Знаменатель» 10.9 (11.2), «общеобразовательное» 19.1 (19.6), the Latin lowercase 23.4 (23.9): Cyrillic
    is 5 % wider than Latin, 20 % in capitals. Bold measured 1.5-3.5 % wider; BOLD takes the widest
    letters' 7 %. Excel draws on screen wider than the design by about HINTING (its «0» is 7 px, 7.43 by
    design, and each glyph is rounded to whole pixels), so the estimate is the design × HINTING (× BOLD,
    scaled by the font size): it errs on the wide side, never the narrow one. Wrapped in columns 8, 12,
    20, 40 and 60 wide, 125 cells of the methodology's titles, recommendations and a 180-character legal
    name never took more lines in LibreOffice than `line_count` says, and from 20 wide on at most one fewer.
    LibreOffice lays a unit of column width at 5.55 pt on paper (PAPER_ZERO_PT) and its wrapped lines
    11.1 pt apart; Excel's lines are 15 pt apart (LINE_PT), so rows are given Excel's height.
    """
    return _design_width(text) * _scale(bold, size)


def room(width: float) -> float:
    """The room for text in a column `width` units wide."""
    return max(0.5, width - PADDING)


_HYPHEN = re.compile(r"[^-]*-|[^-]+")


def _pieces(paragraph: str) -> Iterator[tuple[str, bool]]:
    """Where a line may break: at spaces, and after a hyphen («психолого-|педагогических»); with each
    piece, whether a space comes before it."""
    for word in paragraph.split():
        for n, piece in enumerate(_HYPHEN.findall(word)):
            yield piece, n == 0


@lru_cache(maxsize=1 << 17)
def line_count(text: str, width: float, *, bold: bool = False, size: float = FONT_SIZE) -> int:
    """How many lines `text` takes wrapped in a column `width` units wide: words fill a line while they fit,
    the next word starts a new one, a word longer than a line is broken inside (as Excel and LibreOffice do);
    a new line in the text starts a new line."""
    space = room(width) / _scale(bold, size)  # in design units
    if len(text) * _WIDE <= space and "\n" not in text:
        return 1
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0.0
        for piece, spaced in _pieces(paragraph):
            w = _design_width(piece)
            gap = _GLYPH[" "] if spaced else 0.0
            if used and used + gap + w <= space:
                used += gap + w
                continue
            if used:
                lines += 1
                used = 0.0
            if w <= space:
                used = w
                continue
            for ch in piece:  # longer than a line: broken inside, character by character
                c = _glyph(ch)
                if used and used + c > space:
                    lines += 1
                    used = 0.0
                used += c
        total += lines
    return total


def longest_word(text: str, *, bold: bool = False, size: float = FONT_SIZE) -> float:
    """The width of the widest word of `text` (a header word must fit its column whole)."""
    return max((text_width(piece, bold=bold, size=size) for piece, _ in _pieces(text)), default=0.0)


def line_height(size: float = FONT_SIZE) -> float:
    """Points per line of wrapped text of `size` (15 for 11 pt, as Excel lays it out)."""
    return LINE_PT * size / FONT_SIZE


def _pixels(points: float) -> float:
    """Up to a whole pixel (0.75 pt at 96 dpi): Excel draws a row's height in pixels and would round it."""
    return min(MAX_ROW_PT, math.ceil(points / 0.75 - 1e-9) * 0.75)


def row_height(lines: int, size: float = FONT_SIZE) -> float:
    """A row's height in points for `lines` lines of text, with a little room under the last."""
    return _pixels(lines * line_height(size) + 1)


def upright_height(text: str, width: float, *, bold: bool = False, size: float = FONT_SIZE) -> float:
    """The row height in points that `text` written upwards (rotated 90°) needs in a column `width` units
    wide: its lines stand side by side across the column, each as long as the row is high."""
    across = max(1, int(room(width) * ZERO_PT // line_height(size)))
    height = max(30.0, (longest_word(text, bold=bold, size=size) + PADDING) * ZERO_PT)
    while height < MAX_ROW_PT and line_count(text, height / ZERO_PT, bold=bold, size=size) > across:
        height += 5.0
    return _pixels(height)


def font(*, bold: bool = False, size: float = FONT_SIZE, color: str | None = None) -> Font:
    """A font that names Calibri: without a name LibreOffice draws a serif font of other widths."""
    return Font(name=FONT_NAME, size=size, bold=bold, color=color)


def printable_width() -> float:
    """Landscape A4 inside print_setup's margins, in units of column width at 100 %: 141.3 (LibreOffice lays a
    unit at PAPER_ZERO_PT, wider than Excel's 5.25 pt: the narrower page of the two)."""
    return (A4_LANDSCAPE_MM / 25.4 - 2 * MARGIN_IN) * 72 / PAPER_ZERO_PT
