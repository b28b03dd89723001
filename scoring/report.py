"""The summary's files: the .xlsx workbook (the text is scoring.text, the charts scoring.charts, the Word
documents scoring.word).

Every cell goes through storage.xlsx.cell (text stays text); every sheet is set up to print:
landscape A4 fitted to the page width, its header rows repeated, the municipality and the period
at the top of each page and the page number at the bottom.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from monitoring import completion
from scoring import answers as answer_tables
from scoring import shown, stops
from scoring.development import answer_options
from scoring.dynamics import DYNAMICS_TITLES
from scoring.identification import CRITERIA_TITLES, SUPPORT_GROUP_TITLES
from scoring.indicators import SchoolScore, Value
from scoring.summary import Summary, completion_by_school
from scoring.text import rule_text, total_text
from storage.xlsx import (
    FONT_SIZE,
    PADDING,
    ZERO_PT,
    cell,
    font,
    line_count,
    line_height,
    longest_word,
    plain,
    print_setup,
    printable_width,
    row_height,
    text_width,
    upright_height,
)

# --- the workbook --------------------------------------------------------------------------
#
# Nothing in a cell is clipped, on screen or on paper: every column is at least as wide as its header's
# longest word and its numbers, grows with its text up to the sheet's widest (longer text wraps), and
# every row is as tall as its wrapped text (storage.xlsx measures it: a streamed sheet's rows are not
# fitted by Excel or LibreOffice when they open it). A sheet too wide for landscape A4 at MIN_SCALE
# prints several pages wide, its first column repeated on each, rather than in small type.

HEADER_FONT = font(bold=True, color="FFFFFF")
CAPTION_FONT = font(bold=True, size=12)
SUBHEADER_FONT = font(size=9)
WARNING_FONT = font(bold=True, color="9C0006")
HEADER_FILL = PatternFill("solid", fgColor="305496")
SUBHEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
# conditional formats take their colour from bgColor, cell styles from fgColor: set both
GREEN = PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE")
RED = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
GREY = PatternFill("solid", fgColor="EDEDED", bgColor="EDEDED")
UP_FONT = Font(color="006100")
DOWN_FONT = Font(color="9C0006")
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
UPRIGHT = Alignment(textRotation=90, wrap_text=True, vertical="bottom", horizontal="center")
TOP = Alignment(vertical="top")
POINTS_ALIGNMENT = Alignment(wrap_text=True, vertical="top", horizontal="center")
PERCENT_FORMAT = "0.0%"
POINTS_CHANGE_FORMAT = '+0.0" п. п.";-0.0" п. п.";0.0" п. п."'
COUNT_CHANGE_FORMAT = "+0;-0;0"
DATE_FORMAT = "DD.MM.YYYY HH:MM"

SHEET_ROWS = 100_000  # rows of a long sheet; a country has a million school values, and Excel stops at 1 048 576
NO_DATA = shown.NO_DATA
NOT_APPLICABLE = "—"  # the matrix's mark for «не применяется», explained by its legend

FIT_ROWS = 2000  # a long sheet's columns are fitted to its first, its last and every n-th of these rows
WIDEST = 40.0  # the widest a column grows with its text unless its sheet says otherwise
NARROWEST = 4.0
LONGEST_WORD = 24.0  # a longer word of the data (not of a header) is broken rather than widen its column
HEADER_LINES = 4  # a long header gets a column wide enough for about this many lines, within the widest
MIN_SCALE = 0.75  # printed text at least 8.25 pt (11 pt at 75 %)


@dataclass
class Table:
    """A second table under a sheet's data: its own caption and header, the sheet's column widths."""

    caption: str
    headers: list[str]
    rows: list[list[Any]]
    dates: tuple[int, ...] = ()


@dataclass
class Sheet:
    """What one sheet shows; `write` lays it out the same way for every sheet."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    widths: dict[int, float] = field(default_factory=dict)  # the widest a column may grow; longer text wraps
    percent: tuple[int, ...] = ()  # columns of shares shown as percentages
    points: tuple[int, int] | None = None  # first and last column of points: green 1, red 0, grey no data
    change: tuple[int, str] | None = None  # a column of changes and its number format: green up, red down
    dates: tuple[int, ...] = ()
    caption: str | None = None  # what the sheet is about, above the header
    notes: list[str] = field(default_factory=list)  # lines under the caption: when, and how complete the data are
    warning: str | None = None  # a line under them in red: «Данные неполные: …»
    legend: list[tuple[str, PatternFill | None]] = field(default_factory=list)  # keys, a row each, under the data
    subheaders: list[str] | None = None  # a second header row (short names under codes), written upwards
    rotate_from: int = 1  # the first column whose subheader is written upwards
    upright_from: int | None = None  # headers from this column on are written upwards (a column per school)
    repeat: int = 1  # the first columns repeated on every page of a sheet printed several pages wide
    below: Table | None = None  # a second table under the data and the legend

    def upright(self, column: int) -> bool:
        return self.upright_from is not None and column >= self.upright_from


@dataclass
class Layout:
    """How a sheet is laid out: its column widths, how many pages wide it prints, and how many of its first
    columns its first page holds (a caption or a note spans them)."""

    widths: dict[int, float]
    pages_wide: int
    span: int
    repeat: int = 1  # the first columns repeated on every page when it prints several pages wide

    @property
    def start(self) -> int:
        """Where a line across the sheet starts: after the repeated columns when the sheet prints several
        pages wide, since they are on every page and would show a cut piece of it on the pages after the first."""
        return self.repeat + 1 if self.pages_wide > 1 and self.span > self.repeat else 1

    @property
    def title_columns(self) -> str:
        return f"A:{get_column_letter(self.repeat)}"

    def span_width(self) -> float:
        return sum(self.widths[c] for c in range(self.start, self.span + 1))


def _read_as(value: Any, column: int, sheet: Sheet) -> tuple[str, bool]:
    """How a cell reads on screen, and whether it is a number (a number is never wrapped: a column too
    narrow for it shows ###)."""
    if isinstance(value, bool) or value is None:
        return ("" if value is None else "ИСТИНА"), True
    if isinstance(value, (dt.datetime, dt.date)):
        return "00.00.0000 00:00", True
    if isinstance(value, (int, float, Fraction)):
        if column in sheet.percent:
            return f"{float(value) * 100:.1f}%", True
        if sheet.change and column == sheet.change[0]:
            return (f"{float(value):+.1f} п. п." if sheet.change[1] == POINTS_CHANGE_FORMAT else f"{value:+}"), True
        return str(value), True
    return str(value), False


def _fit(sheet: Sheet, rows: list[list[Any]]) -> Layout:
    """Column widths fitted to the headers and the data (all of a sheet's rows, or a sample of a long one's,
    and the table below), and the pages the sheet prints across."""
    headers = [(c, h, sheet.upright(c)) for c, h in enumerate(sheet.headers, start=1)]
    data = rows if len(rows) <= 3 * FIT_ROWS else [*rows[:FIT_ROWS], *rows[::len(rows) // FIT_ROWS], *rows[-FIT_ROWS:]]
    if sheet.below:
        headers += [(c, h, False) for c, h in enumerate(sheet.below.headers, start=1)]
        data = [*data, *sheet.below.rows]
    columns = max(c for c, _, _ in headers)
    floor = dict.fromkeys(range(1, columns + 1), NARROWEST)  # what the column cannot do without
    wanted = dict.fromkeys(range(1, columns + 1), 0.0)  # what its text would like, up to its widest
    for c, header, upright in headers:
        if upright:  # its lines stand across the column: two of them at least
            floor[c] = max(floor[c], 2 * line_height() / ZERO_PT + PADDING)
            continue
        floor[c] = max(floor[c], longest_word(header, bold=True) + PADDING)
        wanted[c] = max(wanted[c], text_width(header, bold=True) / HEADER_LINES + PADDING)
    seen: set[tuple[int, str]] = set()  # a column's texts repeat (names, titles, «да»): each is measured once
    for row in data:
        if len(row) == 1 and columns > 1:
            continue  # a note across the sheet
        for c, value in enumerate(row, start=1):
            value = plain(value)  # as the cell will hold it: a list joined, a file by its name
            if value is None or value == "":
                continue
            if isinstance(value, str):
                if (c, value) in seen:
                    continue
                seen.add((c, value))
            text, number = _read_as(value, c, sheet)
            width = text_width(text) + PADDING
            if number:
                floor[c] = max(floor[c], width)
            else:
                wanted[c] = max(wanted[c], width)
                if width > floor[c]:
                    floor[c] = max(floor[c], min(LONGEST_WORD, longest_word(text) + PADDING))
    widths = {c: max(floor[c], min(sheet.widths.get(c, WIDEST), wanted[c])) for c in floor}
    _fill_the_page(widths, wanted)
    return _pages({c: math.ceil(2 * w) / 2 for c, w in widths.items()}, sheet.repeat)


def _fill_the_page(widths: dict[int, float], wanted: dict[int, float]) -> None:
    """A sheet narrower than the page gives the room left to its wrapped columns, each in proportion to what
    its text still wants (fewer lines, shorter rows)."""
    room_left = printable_width() - sum(widths.values()) - len(widths) * 0.5  # each width is rounded up to a half
    short = {c: wanted[c] - w for c, w in widths.items() if wanted[c] > w}
    if room_left <= 0 or not short:
        return
    share = min(1.0, room_left / sum(short.values()))
    for c, missing in short.items():
        widths[c] += missing * share


def _pages(widths: dict[int, float], repeat: int = 1) -> Layout:
    """How many pages wide a sheet prints so that its text stays at least MIN_SCALE of its size: the
    columns laid on pages in order, the first `repeat` repeated on every page after the first. A caption
    spans the columns the first page holds at any scale (at 100 %)."""
    page = printable_width()
    span, used = 0, 0.0
    for c, width in widths.items():
        if used + width > page:
            break
        span, used = c, used + width
    span = max(span, 1)
    limit = page / MIN_SCALE
    if sum(widths.values()) <= limit:
        return Layout(widths, 1, len(widths))  # one page wide: the page holds every column at its scale
    pages, used = 1, 0.0
    for width in widths.values():
        if used + width > limit and used:
            pages += 1
            used = sum(widths[c] for c in range(1, repeat + 1))
        used += width
    return Layout(widths, pages, span, repeat)


def _across(
    ws: Any, text: str, row: int, layout: Layout, text_font: Any = None, size: float = FONT_SIZE, fill: Any = None,
) -> list[Any]:
    """A line of text across the sheet's first page (a caption, a note, a legend), wrapped within it: the
    cells of its row."""
    bold = bool(text_font is not None and text_font.b)
    lines = line_count(text, layout.span_width(), bold=bold, size=size)
    if lines > 1 or size > FONT_SIZE:
        ws.row_dimensions[row].height = row_height(lines, size)
    if layout.span > layout.start:
        ws.merged_cells.add(f"{get_column_letter(layout.start)}{row}:{get_column_letter(layout.span)}{row}")
    return [*[None] * (layout.start - 1), cell(ws, text, font=text_font, fill=fill, alignment=WRAP)]


def _write(wb: Workbook, sheet: Sheet, page_header: str) -> None:
    """One sheet in openpyxl's write-only mode (streamed: a country's sheets stay fast and small)."""
    ws = wb.create_sheet(sheet.title)
    rows = sheet.rows
    total = len(rows)
    if total > SHEET_ROWS:
        rows = [*rows[:SHEET_ROWS], [f"… показаны первые {SHEET_ROWS:,} из {total:,} строк".replace(",", " ")]]
    layout = _fit(sheet, rows)
    widths = layout.widths
    for c, width in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = width
    above = [(sheet.caption, CAPTION_FONT, 12)] if sheet.caption else []
    above += [(note, None, FONT_SIZE) for note in sheet.notes]
    above += [(sheet.warning, WARNING_FONT, FONT_SIZE)] if sheet.warning else []
    top = len(above) + 1  # the header's row
    last_header = top + bool(sheet.subheaders)
    first = last_header + 1
    ws.freeze_panes = f"B{first}"
    columns = len(sheet.headers)
    last = len(rows) + last_header
    if rows:
        ws.auto_filter.ref = f"A{last_header}:{get_column_letter(columns)}{last}"
    if sheet.points and rows:
        area = f"{get_column_letter(sheet.points[0])}{first}:{get_column_letter(sheet.points[1])}{last}"
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["1"], fill=GREEN))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["0"], fill=RED))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{NOT_APPLICABLE}"'], fill=GREY))
        for words in (NO_DATA, shown.PENDING, shown.INFORMATIONAL):
            ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{words}"'], fill=GREY))
    if sheet.change and rows:
        letter = get_column_letter(sheet.change[0])
        area = f"{letter}{first}:{letter}{last}"
        ws.conditional_formatting.add(area, CellIsRule(operator="greaterThan", formula=["0"], fill=GREEN, font=UP_FONT))
        ws.conditional_formatting.add(area, CellIsRule(operator="lessThan", formula=["0"], fill=RED, font=DOWN_FONT))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{CHANGE_UP}"'], fill=GREEN, font=UP_FONT))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{CHANGE_DOWN}"'], fill=RED, font=DOWN_FONT))
    print_setup(ws, header=page_header, title_rows=f"{top}:{last_header}", pages_wide=layout.pages_wide,
                title_columns=layout.title_columns)

    for n, (text, text_font, size) in enumerate(above, start=1):
        ws.append(_across(ws, text, n, layout, text_font, size))
    _header(ws, sheet.headers, top, widths, sheet.upright)
    if sheet.subheaders:
        height = max((upright_height(h, widths[c], size=9) for c, h in enumerate(sheet.subheaders, start=1)
                      if h and c >= sheet.rotate_from), default=line_height())
        ws.row_dimensions[last_header].height = height
        ws.append([
            cell(ws, h, fill=SUBHEADER_FILL, alignment=UPRIGHT if c >= sheet.rotate_from else WRAP, font=SUBHEADER_FONT)
            for c, h in enumerate(sheet.subheaders, start=1)
        ])
    for n, row in enumerate(rows, start=first):
        ws.append(_row(ws, n, row, sheet, layout))
    written = last
    if sheet.legend:
        ws.append([])
        for n, (text, fill) in enumerate(sheet.legend, start=written + 2):
            ws.append(_across(ws, text, n, layout, fill=fill))
        written += 1 + len(sheet.legend)
    if sheet.below:
        _write_below(ws, sheet.below, sheet, layout, written + 1)


def _header(ws: Any, headers: list[str], row: int, widths: dict[int, float], upright: Any = lambda c: False) -> None:
    """A header row: white on blue, bold, each header wrapped between words (or written upwards)."""
    height = max((upright_height(h, widths[c], bold=True) if upright(c) else row_height(line_count(h, widths[c], bold=True))
                  for c, h in enumerate(headers, start=1)), default=line_height())
    if height > line_height():
        ws.row_dimensions[row].height = height
    ws.append([cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=UPRIGHT if upright(c) else HEADER_ALIGNMENT)
               for c, h in enumerate(headers, start=1)])


def _row(ws: Any, n: int, row: list[Any], sheet: Sheet, layout: Layout, dates: tuple[int, ...] | None = None) -> list[Any]:
    """One row's cells: text that does not fit its column wraps, and the row is as tall as its tallest cell."""
    widths = layout.widths
    dates = sheet.dates if dates is None else dates
    if len(row) == 1 and len(widths) > 1 and isinstance(row[0], str):  # a note across the sheet
        return _across(ws, row[0], n, layout)
    row = [plain(v) for v in row]  # as the cells will hold them: a list joined, a file by its name
    lines = {c: line_count(v, widths.get(c, WIDEST)) for c, v in enumerate(row, start=1) if isinstance(v, str) and v}
    tallest = max(lines.values(), default=1)
    if tallest > 1:
        ws.row_dimensions[n].height = row_height(tallest)
    align = TOP if tallest > 1 else None  # a row of several lines reads from its top
    out: list[Any] = []
    for c, value in enumerate(row, start=1):
        if isinstance(value, float) and c in sheet.percent:
            out.append(cell(ws, value, number_format=PERCENT_FORMAT, alignment=align))
        elif sheet.change and c == sheet.change[0] and isinstance(value, (int, float)):
            out.append(cell(ws, value, number_format=sheet.change[1], alignment=align))
        elif c in dates and value is not None:
            out.append(cell(ws, value, number_format=DATE_FORMAT, alignment=align))
        elif sheet.points and sheet.points[0] <= c <= sheet.points[1] and isinstance(value, str):
            out.append(cell(ws, value, alignment=POINTS_ALIGNMENT))  # «нет данных» in full, on two lines
        elif lines.get(c, 1) > 1:
            out.append(cell(ws, value, alignment=WRAP))
        else:
            out.append(cell(ws, value, alignment=align if value is not None else None))
    return out


def _write_below(ws: Any, table: Table, sheet: Sheet, layout: Layout, row: int) -> None:
    """The second table after a blank row; `row` is the next row of the sheet (the blank one)."""
    ws.append([])
    ws.append(_across(ws, table.caption, row + 1, layout, CAPTION_FONT, 12))
    _header(ws, table.headers, row + 2, layout.widths)
    plain = Sheet(sheet.title, table.headers, table.rows)
    for n, values in enumerate(table.rows, start=row + 3):
        ws.append(_row(ws, n, values, plain, layout, table.dates))


def _share(value: Any) -> Any:
    return round(float(value), 4) if value is not None and not isinstance(value, bool) else value


def _points_cell(value: Value) -> Any:
    """The points: a number (green 1, red 0), or why there is none in scoring.shown's words: «нет данных» (grey,
    not a red 0), «балл не определён» (answers are still coming), «информационный, без баллов»; «—» where the
    indicator does not apply (the matrix's legend says so)."""
    if not value.applies:
        return NOT_APPLICABLE
    if value.no_data:
        return NO_DATA
    if value.pending or value.informational:
        return shown.points(value)
    return value.points


def _shown(value: Value) -> Any:
    """The value's cell: a share as a number (a percentage to sort and filter by), «да»/«нет», or
    «нет данных» / «не применяется»; its reason and what it counts stand in the «Пояснение» column."""
    if not value.applies or value.value is None:
        return shown.value(value)
    if isinstance(value.value, bool):
        return "да" if value.value else "нет"
    return _share(value.value)


def _shown_with_reason(value: Value) -> Any:
    """A value where no column beside it can explain it (a period of the dynamics): «нет данных: …» in the cell."""
    if not value.applies or value.value is None:
        return shown.with_reason(value)
    return _shown(value)


def _state(summary: Summary) -> tuple[list[str], str | None]:
    """The lines under a document's caption: when it was made and how complete its data are, and «Данные
    неполные: …» while they are (scoring.shown's words, as in every document)."""
    state = summary.state
    return [shown.state_line(state)], (shown.heading(state) or None)


CHANGE_UP, CHANGE_DOWN = "нет → да", "да → нет"


def change(before: Value | None, after: Value) -> Any:
    """The change of a value from the period before: percentage points of a share, «нет → да» of a yes/no,
    None where either has no data."""
    if before is None or before.value is None or after.value is None or not after.applies:
        return None
    if isinstance(after.value, bool) or isinstance(before.value, bool):
        if bool(before.value) == bool(after.value):
            return "без изменений"
        return CHANGE_UP if after.value else CHANGE_DOWN
    return round((float(after.value) - float(before.value)) * 100, 1)


def page_header(summary: Summary, name: str | None = None) -> str:
    """The top of every printed page: whose, which period, when made, and whether the data are incomplete."""
    state = summary.state
    header = f"{name or summary.municipality.name} — период {summary.period}"
    if state.as_of is not None:
        header += f"; по состоянию на {shown.moment(state.as_of)}"
    return header + (f"; {shown.INCOMPLETE}" if state.incomplete else "")


def workbook(summary: Summary) -> bytes:
    wb = Workbook(write_only=True)
    header = page_header(summary)
    for sheet in summary_sheets(summary):
        _write(wb, sheet, header)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def summary_sheets(summary: Summary) -> list[Sheet]:
    methodology = summary.methodology
    names = summary.school_names
    scores = summary.scores
    sheets = []

    rows = []
    for indicator in methodology.municipal_indicators:
        v = scores.municipal[indicator.code]
        rows.append([
            indicator.code, indicator.title, _shown(v), rule_text(indicator), _points_cell(v),
            v.numerator, v.denominator, _share(v.response_rate), shown.detail(indicator, v),
        ])
    rows.append(["Итого", "", "", "", scores.municipal_total, "", "", "",
                 total_text(scores.municipal_total, scores.municipal_maximum, len(scores.municipal_no_data),
                            len(scores.municipal_pending))])
    notes, warning = _state(summary)
    sheets.append(Sheet(
        "Муниципальные показатели",
        ["Код", "Показатель", "Значение", "Правило", "Баллы", "Числитель", "Знаменатель", "Доля ответивших", "Пояснение"],
        rows, {2: 50, 4: 16, 5: 12, 9: 40}, percent=(3, 8), points=(5, 5),
        caption=f"Муниципальные показатели: {summary.municipality.name}, период {summary.period}",
        notes=notes, warning=warning,
    ))

    indicators = methodology.school_indicators
    matrix = []
    for score in scores.schools:
        matrix.append([score.school.short_name, score.school.status.title(), score.total, score.maximum, len(score.no_data)]
                      + [_points_cell(score.values[i.code]) for i in indicators])
    fixed = 5
    sheets.append(Sheet(
        "Показатели школ", ["Школа", "Статус", "Итого", "Максимум (по показателям с данными)", "Нет данных",
                            *[i.code for i in indicators]],
        matrix, {1: 22, 2: 16, **{c: 7.5 for c in range(fixed + 1, len(indicators) + fixed + 1)}},
        points=(fixed + 1, len(indicators) + fixed),
        caption=f"Баллы школ по показателям, период {summary.period}",
        legend=[("Обозначения:", None), ("1 — балл получен", GREEN), ("0 — 0 баллов", RED),
                (f"{NO_DATA} — баллы не начислены (это не 0)", GREY),
                (f"{shown.PENDING} — сбор не завершён, ответы ещё могут изменить балл", GREY),
                (f"{NOT_APPLICABLE} — показатель не применяется", GREY)],
        subheaders=["", "", "", "", "", *[i.short for i in indicators]], rotate_from=fixed + 1,
    ))

    long_rows = []
    for score in scores.schools:
        for indicator in indicators:
            v = score.values[indicator.code]
            if not v.applies:
                continue
            long_rows.append([
                score.school.short_name, indicator.code, indicator.title, _shown(v), _points_cell(v),
                v.numerator, v.denominator, _share(v.response_rate), shown.detail(indicator, v),
                indicator.recommendation if v.scored and not v.points else "",
            ])
    sheets.append(Sheet(
        "Значения школ", ["Школа", "Код", "Показатель", "Значение", "Баллы", "Числитель", "Знаменатель",
                          "Доля ответивших", "Пояснение", "Рекомендация"],
        long_rows, {1: 22, 3: 36, 5: 7.5, 9: 30, 10: 36}, percent=(4, 8),
        points=(5, 5),
    ))

    ident = []
    for score in scores.schools:
        s = score.school.status
        details = s.details or {}
        if "criteria" in details:
            detail = "; ".join(f"{n}. {CRITERIA_TITLES[n]}" for n in details["criteria"]) or "критериев нет"
        elif "quality_group" in details:
            detail = f"индекс качества: группа {details['quality_group']}; ИСБШ: группа {details['isbsh_group']}"
        else:
            detail = ""
        ident.append([score.school.short_name, "да" if s.shnro else "нет", "да" if s.shnsu else "нет",
                      "да" if s.risk_zone else "нет", "да" if s.project_500 else "нет",
                      SUPPORT_GROUP_TITLES.get(s.support_group or "", ""), details.get("count"), detail])
    sheets.append(Sheet("Идентификация", ["Школа", "ШНРО", "ШНСУ", "Зона риска", "500+", "Группа поддержки", "Критериев",
                                          "Подробности"], ident, {1: 22, 6: 24, 8: 60}))

    sheets.append(_dynamics_sheet(summary))

    totals = {(h.period, s.school.id): (s.total, s.maximum) for h in summary.history for s in h.schools}
    verdict = {True: "да", False: "нет", None: NO_DATA}
    school_dyn = [
        [names.get(d.school_id, str(d.school_id)), d.period, verdict[d.exams_rose], verdict[d.kdr_rose],
         "да" if d.productive else "нет", *totals.get((d.period, d.school_id), (None, None))]
        for d in summary.school_dynamics
    ]
    sheets.append(Sheet("Динамика школ", ["Школа", "Период", "ОГЭ/ЕГЭ выросли", "КДР выросли", "Продуктивное участие",
                                          "Баллы", "Максимум"], school_dyn, {1: 22},
                        caption="Динамика школ: выросли ли средние баллы ОГЭ/ЕГЭ и КДР к прошлому году; «нет данных» — "
                                "у школы нет результатов ни одной процедуры за этот и прошлый год"))

    completion_rows = []
    for row in completion_by_school(summary):
        t = row.teachers
        completion_rows.append([
            row.school,
            (t.declared if t.declared else "не заявлено") if t else "не опрашивалась",
            t.registered if t else None, t.submitted if t else None,
            _share(t.share) if t and t.share is not None else None, t.started if t else None,
            completion.form_state(row.form, row.returned) if summary.school_form_expected else "не проводилась",
        ])
    sheets.append(Sheet("Заполнение", ["Школа", "Педагогов заявлено школой", "Зарегистрировано (опрошено)", "Ответили",
                                       "Ответили от заявленных", "Начали, не отправили", "Анкета школы"],
                        completion_rows, {1: 22, 7: 30}, percent=(5,),
                        below=returns_table(summary, names)))

    if summary.development:
        sheets.append(_development_sheet(summary))
    if summary.stops:  # where people stop (scoring.stops)
        sheets.append(Sheet(stops.SHEET_TITLE, stops.SHEET_HEADERS, stops.sheet_rows(summary.stops),
                            {1: 20, 3: 60}, percent=(6,), caption=stops.sheet_caption(summary.stops, summary.period)))

    sheets += answer_sheets(summary.surveys, summary.raw, names, summary.municipality.timezone,
                            truncated=len(summary.raw) if summary.raw_truncated else None)
    return sheets


def _development_sheet(summary: Summary) -> Sheet:
    """The teacher answers no indicator reads (scoring.development): per answer, the municipality and each school."""
    schools = [s.school for s in summary.scores.schools]
    rows: list[list[Any]] = []
    for entry in summary.development:
        question = entry.question
        rows.append([question.label, "Ответили на вопрос", entry.total_answered(), None,
                     *[entry.answered.get(school.id, 0) for school in schools]])
        for value, label in answer_options(question):
            chosen = entry.total_chosen(value)
            answered = entry.total_answered()
            rows.append(["", label, chosen, _share(Fraction(chosen, answered)) if answered else None,
                         *[entry.chosen[value].get(school.id, 0) for school in schools]])
    width = {1: 30, 2: 26, **{5 + n: 9 for n in range(len(schools))}}
    return Sheet(
        "Развитие педагогов",
        ["Вопрос", "Ответ", "Педагогов по МСО", "Доля от ответивших", *[school.short_name for school in schools]],
        rows, width, percent=(4,), upright_from=5, repeat=2,
        caption=(f"Профессиональное развитие педагогов: ответы, которые не входят в показатели, период {summary.period}. "
                 "Считаются отправленные анкеты; в множественном выборе педагог учитывается в каждом отмеченном варианте."),
    )


RETURNS_CAPTION = (
    "Возвраты на доработку. Возвращённая анкета — черновик, пока её не отправят снова: в «Ответили» и в "
    "показателях её нет, в «Начали, не отправили» — есть"
)
RETURNS_HEADERS = ["Школа", "Анкета", "Респондент", "Вернул(а)", "Когда вернули", "Отправлена снова", "Комментарий"]


def returns_table(summary: Summary, names: dict[int, str]) -> Table:
    """Every return of the period: the school, whose questionnaire (the teacher by their number, as in the
    answer sheets), who returned it, when, when it was sent again, and why."""
    tz = summary.municipality.timezone
    rows: list[list[Any]] = [
        [names.get(r.school_id, "—") if r.school_id is not None else "—", r.survey, r.respondent, r.returned_by,
         answer_tables.local(r.returned_at, tz), answer_tables.local(r.resubmitted_at, tz) or "ещё нет", r.comment]
        for r in summary.completion.returns
    ]
    if not rows:
        rows = [["В этом периоде анкеты на доработку не возвращались."]]
    return Table(RETURNS_CAPTION, RETURNS_HEADERS, rows, dates=(5, 6))


def _dynamics_sheet(summary: Summary) -> Sheet:
    """Every period on record side by side, and the change from the period before the last."""
    history = summary.history
    periods = [h.period for h in history]
    n = len(periods)
    before = history[-2] if n > 1 else None
    rows: list[list[Any]] = []
    for indicator in summary.methodology.municipal_indicators:
        values = [h.municipal[indicator.code] for h in history]
        rows.append([indicator.code, indicator.title, *[_shown_with_reason(v) for v in values],
                     change(before.municipal[indicator.code] if before else None, values[-1])])
    totals = [h.municipal_total for h in history]
    rows.append(["Итого", "Сумма баллов муниципальных показателей", *totals, totals[-1] - totals[-2] if n > 1 else None])
    shares = [s for _, s in summary.dynamics]
    for code, title in DYNAMICS_TITLES.items():
        values = [s[code].value for s in shares]
        delta = None
        if n > 1 and values[-1] is not None and values[-2] is not None:
            delta = round((float(values[-1]) - float(values[-2])) * 100, 1)
        rows.append([code, title, *[_share(s[code].value) if s[code].value is not None else shown.share(s[code])
                                    for s in shares], delta])
    since = f"Изменение к {periods[-2]}" if n > 1 else "Изменение"
    return Sheet(
        "Динамика", ["Код", "Показатель", *periods, since], rows,
        {2: 60}, percent=tuple(range(3, n + 3)),
        change=(n + 3, POINTS_CHANGE_FORMAT),
        caption="Динамика муниципальных показателей по периодам (изменение: доли — в процентных пунктах; "
                "зелёный — рост, красный — снижение)",
    )


def answer_sheets(
    surveys: dict[int, Any], raw: list[dict[str, Any]], schools: dict[int, str], timezone: str, *, truncated: int | None = None,
) -> list[Sheet]:
    """One sheet per questionnaire, a row per respondent, question texts as headers and answer labels as
    values; then every respondent's answers in codes on one sheet («Коды ответов»)."""
    by_response: dict[int, list[dict[str, Any]]] = {}
    for row in raw:
        by_response.setdefault(row["response_id"], []).append(row)
    respondents = list(answer_tables.group((r for rows in by_response.values() for r in rows), schools))
    forms = answer_tables.questionnaires(surveys, answer_tables.answered(raw))
    sheets = []
    note = (f"… показаны ответы из первых {truncated:,} строк; все — командой shnor export".replace(",", " ")
            if truncated else None)
    for form in forms:
        rows: list[list[Any]] = [answer_tables.label_row(form, r, timezone) for r in respondents if r.survey == form.key]
        if note:
            rows.append([note])
        fixed = len(answer_tables.LABEL_HEADERS)
        sheets.append(Sheet(
            form.sheet_title, answer_tables.label_headers(form), rows,
            {3: 22, **{c: 30 for c in range(fixed + 1, fixed + 1 + len(form.questions))}}, dates=(5,),
            caption=f"{form.title}: ответ каждого респондента в строке",
        ))
    columns = answer_tables.code_columns(forms)
    codes = [answer_tables.code_row(columns, r, timezone) for r in respondents]
    sheets.append(Sheet(
        "Коды ответов", [*answer_tables.CODE_HEADERS, *columns], codes + ([[note]] if note else []),
        {5: 22}, dates=(6,),
    ))
    return sheets


def card_workbook(summary: Summary, score: SchoolScore) -> bytes:
    """The school's card as one sheet that prints on one page wide: each indicator's value, its rule and point,
    what the value counts (or why it is missing) and what to do where it scored 0 (the card's actions, numbered
    as on the card: scoring.card)."""
    from scoring import card

    ranked = card.plan(summary, score)
    wb = Workbook(write_only=True)
    rows = []
    for indicator in summary.methodology.school_indicators:
        v = score.values[indicator.code]
        if not v.applies:
            continue
        rows.append([indicator.code, indicator.title, _shown(v), rule_text(indicator), _points_cell(v),
                     shown.detail(indicator, v), ranked.what_to_do(indicator.code)])
    rows.append(["Итого", "", "", "", score.total,
                 total_text(score.total, score.maximum, len(score.no_data), len(score.pending)), ""])
    caption = f"{score.school.name} — карточка школы за период {summary.period} ({summary.municipality.name})"
    notes, warning = _state(summary)
    _write(wb, Sheet("Карточка школы", ["Код", "Показатель", "Значение", "Правило", "Баллы", "Пояснение", "Рекомендация"],
                     rows, {2: 40, 4: 16, 5: 7.5, 6: 34, 7: 40}, percent=(3,), points=(5, 5), caption=caption,
                     notes=notes, warning=warning),
           page_header(summary, score.school.short_name))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
