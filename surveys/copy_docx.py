"""The respondent's copy as a Word file (python-docx): a record the school files of what was submitted and when.

One page or a few: the title, a table of the particulars (the municipality, the school's legal name, the respondent,
the questionnaire and its version, the period, when it was sent in the municipality's time with its UTC offset, when
the copy was made) and a table of every question and its answer, a line for each chosen option. Times New Roman
12 pt on A4 with the margins of ГОСТ Р 7.0.97-2025 (30/10/20/20 mm), the answers' header repeated on each page and no
row broken across pages. python-docx is imported when a copy is made, never at bot start.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from surveys.model import Audience
from surveys.respondent_copy import SKIPPED, RespondentCopy, moment_text, whose

FONT = "Times New Roman"
RESPONDENT = {Audience.TEACHER: "Педагог", Audience.SCHOOL: "Образовательная организация",
              Audience.MUNICIPALITY: "Муниципалитет"}


def _font(style: Any, size: float, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    style.font.name = FONT
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):  # a theme font would win
        fonts.attrib.pop(qn(attr), None)
    p_pr = style.element.pPr
    if p_pr is not None:
        for border in p_pr.findall(qn("w:pBdr")):  # the default Title's rule under it
            p_pr.remove(border)


def _row_rules(row: Any, *, header: bool = False) -> None:
    """A row never breaks across pages; the header row repeats on each page."""
    from docx.oxml import OxmlElement

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def _cell(cell: Any, lines: list[str], *, bold: bool = False, italic: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    for n, line in enumerate(lines):
        if n:
            paragraph = cell.add_paragraph()
        run = paragraph.add_run(line)
        run.bold = bold or None
        run.italic = italic or None


def _table(document: Any, widths_mm: list[float]) -> Any:
    from docx.shared import Mm

    table = document.add_table(rows=0, cols=len(widths_mm))
    table.style = document.styles["Table Grid"]
    table.autofit = False
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)
    return table


def _widths(table: Any, widths_mm: list[float]) -> None:
    from docx.shared import Mm

    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)


def particulars(copy: RespondentCopy, made_at: dt.datetime) -> list[tuple[str, str]]:
    """The table of particulars: (what, its value)."""
    rows = [("Муниципалитет", copy.municipality)]
    if copy.school_name and copy.audience != Audience.MUNICIPALITY:
        rows.append(("Образовательная организация", copy.school_name))
    if copy.audience == Audience.TEACHER:
        rows.append((RESPONDENT[Audience.TEACHER], copy.respondent or ""))
    if copy.sent_by:
        rows.append(("Отправил(а)", copy.sent_by))
    rows += [
        ("Анкета", f"{copy.title}, версия {copy.version}"),
        ("Период (учебный год)", copy.period),
        ("Отправлена", moment_text(copy.submitted_at, copy.timezone)),
    ]
    if copy.changed_at:
        rows.append(("Изменена после отправки", moment_text(copy.changed_at, copy.timezone)))
    rows += [
        ("Номер анкеты в системе", str(copy.response_id)),
        ("Копия сформирована", moment_text(made_at, copy.timezone)),
    ]
    return rows


def copy_docx(copy: RespondentCopy, made_at: dt.datetime) -> bytes:
    """The copy as .docx bytes; `made_at` is when it is made (the caller's clock)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(30), Mm(10)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    for name in ("Normal", "Table Grid"):
        _font(document.styles[name], 12)
    _font(document.styles["Title"], 14, bold=True)
    normal = document.styles["Normal"].paragraph_format
    normal.space_after, normal.space_before, normal.line_spacing = Pt(0), Pt(0), 1.0
    document.core_properties.title = f"Копия анкеты: {copy.title}, {copy.period}"
    document.core_properties.author = whose(copy, legal=True)[:200]

    title = document.add_paragraph(f"Копия анкеты «{copy.title}»", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(8)

    text_width = 210 - 30 - 10
    widths = [58.0, text_width - 58.0]
    table = _table(document, widths)
    for what, value in particulars(copy, made_at):
        row = table.add_row()
        _row_rules(row)
        _cell(row.cells[0], [what])
        _cell(row.cells[1], [value])
    _widths(table, widths)

    heading = document.add_paragraph("Ответы")
    heading.runs[0].bold = True
    heading.paragraph_format.space_before, heading.paragraph_format.space_after = Pt(8), Pt(4)
    heading.paragraph_format.keep_with_next = True
    widths = [10.0, 104.0, text_width - 114.0]
    table = _table(document, widths)
    head = table.add_row()
    _row_rules(head, header=True)
    for cell, label in zip(head.cells, ("№", "Вопрос", "Ответ")):
        _cell(cell, [label], bold=True)
    for item in copy.items:
        row = table.add_row()
        _row_rules(row)
        _cell(row.cells[0], [str(item.number)])
        _cell(row.cells[1], [item.question])
        if item.values:
            _cell(row.cells[2], [f"• {v}" for v in item.values] if item.listed else list(item.values))
        else:
            _cell(row.cells[2], [SKIPPED], italic=True)
    _widths(table, widths)

    note = document.add_paragraph(
        "Копия составлена системой мониторинга по ответам, сохранённым в ней на момент её формирования; "
        "время — местное, в скобках — его сдвиг от UTC.")
    note.paragraph_format.space_before = Pt(6)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
