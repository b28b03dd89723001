"""`shnor template ...`: the workbooks a coordinator fills in, with the readers' own headers."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from storage import importers
from tests.pure.test_templates import HEADERS, READERS


def _fill_with_example(path: Path) -> None:
    """What a coordinator does with a template: rows on the first sheet (here, the example row)."""
    workbook = openpyxl.load_workbook(path)
    workbook.worksheets[0].append([cell.value for cell in workbook["Пример"][2]])
    workbook.save(path)


@pytest.mark.parametrize("kind", list(HEADERS))
def test_template_headers_example_and_notes(shnor, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.xlsx"
    out = shnor("template", kind, "--out", str(path)).stdout
    assert f"Образец: {path}" in out and "Загрузка: shnor " in out

    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames[1:] == ["Пример", "Пояснения"]
    first = workbook.worksheets[0]
    assert [c.value for c in first[1]] == HEADERS[kind] and first.max_row == 1
    assert all(c.font.bold for c in first[1])
    assert all(first.column_dimensions[c.column_letter].width >= 12 for c in first[1])
    example = workbook["Пример"]
    assert [c.value for c in example[1]] == HEADERS[kind] and example.max_row == 2
    notes = [tuple(row) for row in workbook["Пояснения"].iter_rows(values_only=True)]
    assert notes[0] == ("Столбец", "Обязательный столбец", "Что писать")
    assert [row[0] for row in notes[1:len(HEADERS[kind]) + 1]] == HEADERS[kind]
    assert all(row[1] in ("да", "нет") and row[2] for row in notes[1:len(HEADERS[kind]) + 1])
    assert any("2026-2027" in (row[0] or "") and "учебный год" in row[0] for row in notes)

    # as it is, the template imports nothing (the example row is not on the first sheet)
    with pytest.raises(importers.ImportFailed, match="в файле нет ни одной (школы|строки)"):
        READERS[kind](path)
    _fill_with_example(path)
    rows = READERS[kind](path)
    assert len(rows) == 1

    assert "уже есть" in shnor("template", kind, "--out", str(path), ok=False).stderr  # a filled file is not overwritten
    shnor("template", kind, "--out", str(path), "--force")
    with pytest.raises(importers.ImportFailed):
        READERS[kind](path)


def test_the_templates_examples_import_in_order(shnor, tmp_path: Path) -> None:
    """The examples of the four templates fit together: one school, its statuses, results and groups."""
    shnor("municipality", "add", "Сысертский ГО")
    for kind in HEADERS:
        shnor("template", kind, "--out", str(tmp_path / f"{kind}.xlsx"))
        _fill_with_example(tmp_path / f"{kind}.xlsx")
    out = shnor("schools", "import", "--municipality", "1", "--period", "2026/27", str(tmp_path / "schools.xlsx")).stdout
    assert "добавлено 1" in out and "за период 2026-2027" in out
    assert "Загружено строк: 1" in shnor("import", "statuses", "--municipality", "1", "--period", "2026-2027",
                                         str(tmp_path / "statuses.xlsx")).stdout
    assert "Загружено строк: 1" in shnor("import", "exams", "--municipality", "1", str(tmp_path / "exams.xlsx")).stdout
    assert "Загружено строк: 1" in shnor("import", "groups", "--municipality", "1", "--period", "2026-2027",
                                         str(tmp_path / "groups.xlsx")).stdout


