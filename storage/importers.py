"""Reading registry workbooks (.xlsx). A file with any bad row imports nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.registry import SchoolRow

_TRUE = {"да", "yes", "true", "1", "+", "сельская", "с"}
_FALSE = {"нет", "no", "false", "0", "-", "", "городская", "г"}

SCHOOL_COLUMNS = {
    "name": {"name", "название", "наименование", "школа", "оо"},
    "short_name": {"short_name", "краткое название", "краткое наименование", "кратко"},
    "rural": {"rural", "сельская", "сельская школа", "село"},
}


@dataclass(frozen=True, slots=True)
class ImportProblem:
    row: int | None
    message: str

    def __str__(self) -> str:
        return f"строка {self.row}: {self.message}" if self.row else self.message


class ImportFailed(ValueError):
    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _read_rows(path: str | Path) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise ImportFailed([ImportProblem(None, f"файл не читается как .xlsx: {exc}")]) from exc
    try:
        sheet = workbook.worksheets[0]
        return [tuple(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _header_map(header: tuple[Any, ...], wanted: dict[str, set[str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for idx, cell in enumerate(header):
        title = str(cell or "").strip().lower()
        for key, aliases in wanted.items():
            if title in aliases and key not in found:
                found[key] = idx
    return found


def read_schools(path: str | Path) -> list[SchoolRow]:
    """Columns: name (Название), short_name (Краткое название), rural (Сельская: да/нет)."""
    rows = _read_rows(path)
    if not rows:
        raise ImportFailed([ImportProblem(None, "файл пуст")])
    columns = _header_map(rows[0], SCHOOL_COLUMNS)
    if "name" not in columns:
        raise ImportFailed([ImportProblem(1, "нет столбца «Название» (name) в первой строке")])
    problems: list[ImportProblem] = []
    result: list[SchoolRow] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        def cell(key: str) -> str:
            idx = columns.get(key)
            value = row[idx] if idx is not None and idx < len(row) else None
            return "" if value is None else str(value).strip()

        if not any(v not in (None, "") for v in row):
            continue
        name = " ".join(cell("name").split())
        if not name:
            problems.append(ImportProblem(number, "пустое название школы"))
            continue
        if len(name) > 300:
            problems.append(ImportProblem(number, "название длиннее 300 символов"))
            continue
        if name in seen:
            problems.append(ImportProblem(number, f"школа «{name}» уже есть в строке {seen[name]}"))
            continue
        seen[name] = number
        short = " ".join(cell("short_name").split()) or name[:100]
        if len(short) > 100:
            problems.append(ImportProblem(number, "краткое название длиннее 100 символов"))
            continue
        rural_raw = cell("rural").lower()
        if rural_raw in _TRUE:
            rural = True
        elif rural_raw in _FALSE:
            rural = False
        else:
            problems.append(ImportProblem(number, f"в столбце «Сельская» должно быть «да» или «нет», а не «{rural_raw}»"))
            continue
        result.append(SchoolRow(name=name, short_name=short, rural=rural))
    if problems:
        raise ImportFailed(problems)
    if not result:
        raise ImportFailed([ImportProblem(None, "в файле нет ни одной школы")])
    return result
