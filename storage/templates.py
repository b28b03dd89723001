"""Empty workbooks to fill in (`shnor template ...`): the header row the readers of storage.importers
accept, one filled example row on a separate sheet and a sheet of notes (every cell through
storage.xlsx.cell, as in every workbook the product writes).

The data sheet comes first and holds the headers alone, so a template imported as it is imports
nothing ("в файле нет ни одной ..."): the example row never reaches the database by accident.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from storage.importers import COMMON_NOTES, LAYOUTS, PERIOD_NOTE, Layout

EXAMPLE_SHEET = "Пример"
NOTES_SHEET = "Пояснения"
NOTES_HEADER = ("Столбец", "Обязательный столбец", "Что писать")
MIN_WIDTH, MAX_WIDTH = 12, 60


def template_workbook(layout: Layout) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    from storage.xlsx import font, row

    bold = font(bold=True)  # named Calibri: LibreOffice draws an unnamed font serif
    workbook = Workbook()
    data = workbook.active
    data.title = layout.sheet
    example = workbook.create_sheet(EXAMPLE_SHEET)
    for sheet in (data, example):
        sheet.append(row(sheet, [c.title for c in layout.columns]))
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
    example.append(row(example, [c.example for c in layout.columns]))
    for index, column in enumerate(layout.columns, start=1):
        letter = data.cell(row=1, column=index).column_letter
        width = min(MAX_WIDTH, max(MIN_WIDTH, len(column.title) + 4, len(str(column.example)) + 2))
        data.column_dimensions[letter].width = example.column_dimensions[letter].width = width

    notes = workbook.create_sheet(NOTES_SHEET)
    notes.append(row(notes, list(NOTES_HEADER)))
    for cell in notes[1]:
        cell.font = bold
    for column in layout.columns:
        notes.append(row(notes, [column.title, "да" if column.required else "нет", column.values]))
    notes.append([])
    for text in (*COMMON_NOTES, PERIOD_NOTE, *layout.notes):
        notes.append(row(notes, [text]))
    notes.column_dimensions["A"].width = 40
    notes.column_dimensions["B"].width = 22
    notes.column_dimensions["C"].width = 90
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in notes.iter_rows(min_row=2, max_row=len(layout.columns) + 1):
        for cell in row:
            cell.alignment = wrap

    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_template(kind: str, path: Path) -> Layout:
    """Write the template of `kind` (schools, statuses, exams, groups) to `path`; returns its layout."""
    layout = LAYOUTS[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(template_workbook(layout))
    return layout
