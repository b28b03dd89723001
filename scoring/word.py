"""What the Word documents share: values as they read in a document, the tables, the rendering. The
protocol of the working group and its appendix, the analytical report (`shnor report`, /report), are
scoring.protocol; the one-page school card (/card) is scoring.card. docxtpl fills the templates in
scoring/templates (a municipality restyles them in Word); the sentences come from scoring/word.yaml.

Tables are written here as WordprocessingML in the template's styles «Таблица ШНОР», «Шапка таблицы» and
«Текст таблицы» (build_table): a row never breaks across pages, the header row repeats on each page, a
merged cell never runs over a page without its text, totals stay with their rows, and the columns are
fitted to their text so that no word is broken inside a cell (fit_widths, Times New Roman's widths in
scoring/templates/font_widths.json).

docxtpl (python-docx, Jinja2) is imported when a document is rendered, never at bot start.
"""

from __future__ import annotations

import functools
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

from scoring.indicators import PeriodScores, SchoolScore, Value
from scoring.summary import Summary
from scoring.text import total_text
from storage.wording import count

TEMPLATES = Path(__file__).parent / "templates"
FONT_WIDTHS = TEMPLATES / "font_widths.json"
PHRASES_FILE = Path(__file__).parent / "word.yaml"
TABLE_STYLE, HEAD_STYLE, CELL_STYLE = "Таблица ШНОР", "Шапка таблицы", "Текст таблицы"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MINUS = "\u2212"


@functools.cache
def phrases(path: Path = PHRASES_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- values as the documents show them -----------------------------------------------------


def value_text(value: Value | None, *, points: bool = True) -> str:
    """«69,7 % (0)», «да (1)», «8,3 % (балл не определён)», «нет данных», «—»: the value (scoring.shown) and,
    where it scores, its point in brackets (a table's legend says so)."""
    from scoring import shown

    if value is None or not value.applies:
        return phrases()["values"]["not_applicable"]
    text = shown.value(value)
    if points and value.scored:
        return f"{text} ({value.points})"
    if points and value.pending:
        return f"{text} ({shown.PENDING})"
    return text


def _signed(number: float, template: str) -> str:
    sign = "+" if number > 0 else MINUS if number < 0 else ""
    text = f"{abs(number):.1f}".replace(".", ",") if isinstance(number, float) else str(abs(number))
    return template.format(sign=sign, value=text)


def change_text(before: Value | None, after: Value | None) -> str:
    """The change from the period before: «+5,2 п. п.; порог достигнут», «нет → да», «—» without both values."""
    v = phrases()["values"]
    if before is None or after is None or before.value is None or after.value is None or not after.applies:
        return v["not_applicable"]
    if isinstance(after.value, bool) or isinstance(before.value, bool):
        if bool(before.value) == bool(after.value):
            return v["same"]
        return v["became_yes"] if after.value else v["became_no"]
    text = _signed(round((float(after.value) - float(before.value)) * 100, 1), v["points_change"])
    if after.scored and before.scored and after.points != before.points:
        text += "; " + (v["reached"] if after.points else v["lost"])
    return text


def school_total(score: SchoolScore | None) -> str:
    if score is None:
        return phrases()["values"]["not_applicable"]
    return total_text(score.total, score.maximum, len(score.no_data), len(score.pending))


def municipal_total(scores: PeriodScores) -> str:
    return total_text(scores.municipal_total, scores.municipal_maximum, len(scores.municipal_no_data),
                      len(scores.municipal_pending))


def names(items: list[str]) -> str:
    return ", ".join(items)


def school_notes(summary: Summary, score: SchoolScore, key: str = "school") -> list[str]:
    if not score.no_data:
        return []
    p = phrases()[key]
    reason = phrases()["school"]["form_not_sent" if summary.school_form_expected and not summary.form_sent(score.school.id)
                                  else "data_missing"]
    return [p["no_data"].format(count=count(len(score.no_data), "показателю", "показателям", "показателям"), reason=reason)]



# --- tables --------------------------------------------------------------------------------


def text_width(template: Any, tag: str) -> float:
    """The text width in mm of the template's section holding the paragraph `{{p tag }}` (a table's
    place): the page less its margins. A restyled template that moves a table to another section or
    changes its orientation gets columns to match."""
    from docx.oxml.ns import qn
    from docx.shared import Length

    document = template.get_docx()
    place = re.compile(r"\{\{p\s*" + re.escape(tag) + r"\s*\}\}")
    index = 0  # sections end at a paragraph holding w:sectPr; the last one at the body's own
    for child in document.element.body.iterchildren(qn("w:p")):
        if place.search("".join(t.text or "" for t in child.iter(qn("w:t")))):
            break
        if child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            index += 1
    else:
        index = 0
    section = document.sections[min(index, len(document.sections) - 1)]
    return Length(section.page_width - section.left_margin - section.right_margin).mm


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell that is more than its text: spanning `span` columns, in bold."""

    text: str
    span: int = 1
    bold: bool = False


class Xml(str):
    """WordprocessingML that docxtpl puts in place of a `{{p tag }}` paragraph as it is (a table)."""

    def __html__(self) -> str:
        return str(self)


@functools.cache
def _font_widths() -> dict[str, dict[str, int]]:
    return json.loads(FONT_WIDTHS.read_text(encoding="utf-8"))


def text_mm(text: str, size: float = 12, bold: bool = False) -> float:
    """The width of one line of `text` in Times New Roman of `size` pt, in mm (scripts/make_font_widths.py)."""
    widths = _font_widths()["bold" if bold else "regular"]
    return sum(widths.get(ch, 600) for ch in text) / 1000 * size * 25.4 / 72


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[ \n]+", text) if w]  # a no-break space keeps words together


CELL_PADDING = 3.0  # mm: the cell's margins (1 mm a side in «Таблица ШНОР») and a little room


def fit_widths(headers: list[str], rows: list[list[str | Cell]], total: float, *, flexible: tuple[int, ...],
               cap: float = 34.0, size: float = 12) -> list[float]:
    """Column widths in mm that add up to `total`: every column at least as wide as its longest word (so
    that no word is broken inside a cell), the others up to one line of their text (at most `cap`), and
    what is left shared by the `flexible` columns in proportion to their text."""
    count = len(headers)
    least = [text_mm(max(_words(h) or [""], key=text_mm), size, bold=True) + CELL_PADDING for h in headers]
    natural = [text_mm(h, size, bold=True) + CELL_PADDING for h in headers]
    amount = [float(len(h)) for h in headers]
    previous: list[str | Cell] = []
    for row in rows:
        c = 0
        for n, cell in enumerate(row):
            text, span, bold = (cell.text, cell.span, cell.bold) if isinstance(cell, Cell) else (cell, 1, False)
            if n < len(previous) and previous[n] == cell:  # merged with the one above: its text counts once
                c += span
                continue
            if span == 1 and c < count:
                longest = max((text_mm(w, size, bold) for w in _words(text)), default=0.0)
                least[c] = max(least[c], longest + CELL_PADDING)
                if not isinstance(cell, Cell):  # a total may wrap: only its words must fit
                    natural[c] = max(natural[c], text_mm(text, size, bold) + CELL_PADDING)
                    amount[c] += len(text)
            c += span
        previous = row
    widths = list(least)
    for c in range(count):
        if c not in flexible:
            widths[c] = max(least[c], min(natural[c], cap))
    left = total - sum(widths)
    if left < 0:  # the fixed columns take less than one line of their text, down to their longest word
        give = [widths[c] - least[c] for c in range(count)]
        shrink = min(1.0, -left / (sum(give) or 1))
        widths = [w - g * shrink for w, g in zip(widths, give)]
        left = total - sum(widths)
    if left < 0:  # the longest words alone are wider than the page: the table fits it, a word may break
        return [w * total / sum(widths) for w in widths]
    weights = [amount[c] if c in flexible else 0.0 for c in range(count)]
    if not sum(weights):
        weights = [1.0] * count
    return [w + max(0.0, left) * k / sum(weights) for w, k in zip(widths, weights)]


def _lines(cells: list[str | Cell], widths: list[float], skip: int | None = None, size: float = 12) -> int:
    """How many lines a row takes: its tallest cell's, its words wrapped at the column's width (but the
    merged column's)."""
    tallest, c = 1, 0
    for cell in cells:
        text, span = (cell.text, cell.span) if isinstance(cell, Cell) else (cell, 1)
        if c != skip and text:
            room = max(1.0, sum(widths[c: c + span]) - CELL_PADDING)
            lines, used = 1, 0.0
            for word in _words(text):
                width = text_mm(word + " ", size)
                if used and used + width > room + text_mm(" ", size):
                    lines, used = lines + 1, 0.0
                used += width
            tallest = max(tallest, lines)
        c += span
    return tallest


def _style_ids(template: Any) -> tuple[str, str, str]:
    styles = template.get_docx().styles
    return tuple(styles[name].style_id for name in (TABLE_STYLE, HEAD_STYLE, CELL_STYLE))  # type: ignore[return-value]


def _twips(mm: float) -> int:
    return round(mm * 1440 / 25.4)


def _paragraph(text: str, style: str, *, keep: bool, bold: bool = False) -> str:
    keep_next = "<w:keepNext/>" if keep else ""
    bold_run = "<w:rPr><w:b/></w:rPr>" if bold else ""
    runs = "<w:r>{}{}</w:r>".format(bold_run, "<w:br/>".join(
        f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in text.split("\n"))) if text else ""
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{keep_next}</w:pPr>{runs}</w:p>'


def build_table(template: Any, headers: list[str], rows: list[list[str | Cell]], widths: list[float] | None = None, *,
                group_column: int | None = None, totals: int = 0, keep_together: bool = False,
                longest_group: int = 14, flexible: tuple[int, ...] = (), total_width: float | None = None,
                cap: float = 34.0) -> Xml:
    """A table in the template's styles, written as WordprocessingML (python-docx's per-cell calls took
    seconds a table). How it breaks across pages:
    - a row never breaks (cantSplit) and the header row repeats on every page (tblHeader);
    - equal neighbouring cells of `group_column` (the criterion, the question) are merged and their rows
      kept together (keep with next), so a merged cell never runs over a page; a group taller than
      `longest_group` lines is merged in parts, each with the text again, so that it shows on every page;
    - the last `totals` rows (the totals) stay with the row before them; the header with the first row;
    - `keep_together`: the whole table on one page (a short one).
    Without `widths`, the columns are fitted to their text (fit_widths) across `total_width` mm, the
    columns not `flexible` up to `cap` mm."""
    table_style, head_style, cell_style = _style_ids(template)
    if widths is None:
        widths = fit_widths(headers, rows, total_width or 160.0, flexible=flexible, cap=cap)
    body, tail = rows[: len(rows) - totals], rows[len(rows) - totals:]
    # the groups of the merged column: (first row, rows), cut to `longest_group`
    starts: dict[int, int] = {}  # row index -> rows in its merged part
    if group_column is not None:
        height = [_lines(cells, widths, group_column) for cells in body]
        r = 0
        while r < len(body):
            value = body[r][group_column] if group_column < len(body[r]) else ""
            end, lines = r + 1, height[r]
            while (end < len(body) and value and group_column < len(body[end]) and body[end][group_column] == value
                   and lines + height[end] <= longest_group):
                lines += height[end]
                end += 1
            starts[r] = end - r
            r = end
    keep = [keep_together] * len(body)
    part_end = 0
    for r in range(len(body)):
        if r in starts:
            part_end = r + starts[r]
        if group_column is not None and r < part_end - 1:
            keep[r] = True  # inside a merged part
    if tail and body:
        keep[-1] = True  # the totals never alone on a page
    if keep_together and body:
        keep[-1] = bool(tail)

    out = [f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblStyle w:val="{table_style}"/>'
           f'<w:tblW w:w="{sum(_twips(w) for w in widths)}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
           '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/>'
           '</w:tblPr><w:tblGrid>' + "".join(f'<w:gridCol w:w="{_twips(w)}"/>' for w in widths) + "</w:tblGrid>"]

    def row_xml(cells: list[str | Cell], *, header: bool, keep_next: bool, r: int | None = None) -> str:
        parts = ['<w:tr><w:trPr><w:cantSplit w:val="true"/>' + ('<w:tblHeader w:val="true"/>' if header else "")
                 + "</w:trPr>"]
        c = 0
        for cell in cells:
            text, span, bold = (cell.text, cell.span, cell.bold) if isinstance(cell, Cell) else (cell, 1, False)
            width = sum(widths[c: c + span])
            merge = ""
            if r is not None and c == group_column:
                if r in starts:
                    merge = '<w:vMerge w:val="restart"/>' if starts[r] > 1 else ""
                else:
                    merge, text = "<w:vMerge/>", ""
            span_xml = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
            parts.append(f'<w:tc><w:tcPr><w:tcW w:w="{_twips(width)}" w:type="dxa"/>{span_xml}{merge}</w:tcPr>'
                         + _paragraph(text, head_style if header else cell_style, keep=keep_next, bold=bold) + "</w:tc>")
            c += span
        while c < len(widths):  # a short row: empty cells to the end
            parts.append(f'<w:tc><w:tcPr><w:tcW w:w="{_twips(widths[c])}" w:type="dxa"/></w:tcPr>'
                         + _paragraph("", cell_style, keep=keep_next) + "</w:tc>")
            c += 1
        return "".join(parts) + "</w:tr>"

    out.append(row_xml(headers, header=True, keep_next=True))
    out += [row_xml(cells, header=False, keep_next=keep[r], r=r) for r, cells in enumerate(body)]
    out += [row_xml([c if isinstance(c, Cell) else Cell(c, bold=True) for c in cells], header=False,
                    keep_next=n < len(tail) - 1) for n, cells in enumerate(tail)]
    out.append("</w:tbl>")
    return Xml("".join(out))


def _render(template_path: Path, context: dict[str, Any], build: Any) -> bytes:
    from docxtpl import DocxTemplate

    template = DocxTemplate(template_path)
    context = {**context, **build(template)}
    template.render(context, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def file_name(kind: str, name: str, period: str) -> str:
    """«Справка_Сысертский_ГО_2026-2027.docx»: safe for any file system."""
    stem = re.sub(r"[^\w\-]+", "_", f"{kind} {name} {period}").strip("_")
    return f"{stem[:90]}.docx"
