"""Reading registry workbooks (.xlsx). A file with any bad row imports nothing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.registry import SchoolRow

_TRUE = {"да", "yes", "true", "1", "+", "сельская", "с"}
_FALSE = {"нет", "no", "false", "0", "-", "", "городская", "г"}  # "" for optional flags; Сельская must be filled

SCHOOL_COLUMNS = {
    "name": {"name", "название", "наименование", "школа", "оо"},
    "short_name": {"short_name", "краткое название", "краткое наименование", "кратко"},
    "rural": {"rural", "сельская", "сельская школа", "село"},
    "municipal_site": {"municipal_internship_site", "муниципальная стажировочная площадка", "мсп"},
    "regional_site": {"regional_internship_site", "региональная стажировочная площадка"},
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


def name_key(name: str) -> str:
    """What makes two names the same school: case, «ё», spaces and invisible characters do not count."""
    text = unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
    return " ".join(text.casefold().replace("ё", "е").split())


_INVISIBLE = {ord(c): None for c in "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"}
_TOTALS = re.compile(r"^\s*(итого|всего|total)\b", re.IGNORECASE)


def read_schools(path: str | Path) -> list[SchoolRow]:
    """Columns: Название, Краткое название, Сельская (да/нет), all three filled in every row; optional:
    Муниципальная стажировочная площадка, Региональная стажировочная площадка (да/нет; the facts of the
    period the import names, for S2.4.6-S2.4.7). A totals row, an empty required cell or a name or short
    name repeated in the file fails the whole file."""
    rows = _read_rows(path)
    if not rows:
        raise ImportFailed([ImportProblem(None, "файл пуст")])
    columns = _header_map(rows[0], SCHOOL_COLUMNS)
    missing = [title for key, title in (("name", "Название"), ("short_name", "Краткое название"), ("rural", "Сельская"))
               if key not in columns]
    if missing:
        raise ImportFailed([ImportProblem(1, f"нет столбцов: {', '.join(missing)} (первая строка — заголовки)")])
    problems: list[ImportProblem] = []
    result: list[SchoolRow] = []
    names: dict[str, int] = {}
    shorts: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        def cell(key: str) -> str:
            idx = columns.get(key)
            value = row[idx] if idx is not None and idx < len(row) else None
            return "" if value is None else str(value).strip()

        if not any(v not in (None, "") for v in row):
            continue
        first = next((str(v) for v in row if v not in (None, "")), "")
        if _TOTALS.match(first):
            problems.append(ImportProblem(number, f"похоже на строку итогов («{first[:40]}»): удалите её из файла"))
            continue
        name = " ".join(cell("name").split())
        short = " ".join(cell("short_name").split())
        rural_raw = cell("rural").lower()
        empty = [title for value, title in ((name, "Название"), (short, "Краткое название"), (rural_raw, "Сельская")) if not value]
        if empty:
            problems.append(ImportProblem(number, f"пустая ячейка: {', '.join(empty)}"))
            continue
        if len(name) > 300:
            problems.append(ImportProblem(number, "название длиннее 300 символов"))
            continue
        if len(short) > 100:
            problems.append(ImportProblem(number, "краткое название длиннее 100 символов"))
            continue
        if name_key(name) in names:
            problems.append(ImportProblem(number, f"школа «{name}» уже есть в строке {names[name_key(name)]}"))
            continue
        if name_key(short) in shorts:
            problems.append(ImportProblem(number, f"краткое название «{short}» уже есть в строке {shorts[name_key(short)]}"))
            continue
        names[name_key(name)] = shorts[name_key(short)] = number
        if rural_raw in _TRUE:
            rural = True
        elif rural_raw in _FALSE:
            rural = False
        else:
            problems.append(ImportProblem(number, f"в столбце «Сельская» должно быть «да» или «нет», а не «{rural_raw}»"))
            continue
        flags = {}
        try:
            for key, title in (("municipal_site", "Муниципальная стажировочная площадка"), ("regional_site", "Региональная стажировочная площадка")):
                flags[key] = _flag(cell(key), title) if key in columns else None
        except ValueError as exc:
            problems.append(ImportProblem(number, str(exc)))
            continue
        result.append(SchoolRow(name, short, rural, flags["municipal_site"], flags["regional_site"], row=number))
    if problems:
        raise ImportFailed(problems)
    if not result:
        raise ImportFailed([ImportProblem(None, "в файле нет ни одной школы")])
    return result


# --- identification workbooks --------------------------------------------------------------

STATUS_COLUMNS = {
    "school": {"school", "школа", "оо", "название", "наименование"},
    "shnro": {"shnro", "шнро", "шнор", "низкие результаты"},
    "shnsu": {"shnsu", "шнсу", "неблагоприятные условия"},
    "risk_zone": {"risk_zone", "зона риска", "риск"},
    "project_500": {"project_500", "500+", "проект 500+"},
}
EXAM_COLUMNS = {
    "school": STATUS_COLUMNS["school"],
    "year": {"year", "год"},
    "procedure": {"procedure", "процедура"},
    "subject": {"subject", "предмет"},
    "grade": {"grade", "класс"},
    "school_mean": {"school_mean", "средний балл школы", "результат школы", "школа, средний"},
    "regional_mean": {"regional_mean", "средний балл региона", "результат региона", "регион, средний"},
}
GROUP_COLUMNS = {
    "school": STATUS_COLUMNS["school"],
    "quality_group": {"quality_group", "группа по индексу качества", "индекс качества", "группа качества"},
    "isbsh_group": {"isbsh_group", "группа исбш", "исбш"},
    "pilot": {"pilot", "пилотная площадка", "пилот"},
}
PROCEDURES = {"огэ": "ОГЭ", "егэ": "ЕГЭ", "впр": "ВПР", "кдр": "КДР"}
SUBJECTS = {
    "russian": {"russian", "русский язык", "русский"},
    "math": {"math", "математика"},
    "reading": {"reading", "читательская грамотность", "чтение"},
    "science": {"science", "естественнонаучная грамотность", "естественно-научная грамотность"},
}


@dataclass(frozen=True, slots=True)
class StatusRow:
    row: int
    school: str
    shnro: bool
    shnsu: bool
    risk_zone: bool
    project_500: bool


@dataclass(frozen=True, slots=True)
class ExamRow:
    row: int
    school: str
    year: int
    procedure: str
    subject: str
    grade: int
    school_mean: float
    regional_mean: float | None


@dataclass(frozen=True, slots=True)
class GroupRow:
    row: int
    school: str
    quality_group: int
    isbsh_group: int
    pilot: bool


def _table(path: str | Path, wanted: dict[str, set[str]], required: set[str], titles: dict[str, str]):
    rows = _read_rows(path)
    if not rows:
        raise ImportFailed([ImportProblem(None, "файл пуст")])
    columns = _header_map(rows[0], wanted)
    missing = [titles[c] for c in sorted(required) if c not in columns]
    if missing:
        raise ImportFailed([ImportProblem(1, f"нет столбцов: {', '.join(missing)}")])
    for number, row in enumerate(rows[1:], start=2):
        if not any(v not in (None, "") for v in row):
            continue
        yield number, {key: (row[idx] if idx < len(row) else None) for key, idx in columns.items()}


def _flag(value: Any, title: str) -> bool:
    text = "" if value is None else str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"в столбце «{title}» должно быть «да» или «нет», а не «{text}»")


def _int(value: Any, title: str, low: int, high: int) -> int:
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"в столбце «{title}» нужно целое число, а не «{value}»") from None
    if number != int(number) or not low <= number <= high:
        raise ValueError(f"в столбце «{title}» нужно целое число от {low} до {high}, а не «{value}»")
    return int(number)


def _float(value: Any, title: str) -> float:
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"в столбце «{title}» нужно число, а не «{value}»") from None
    if number != number or number < 0 or number > 1000:
        raise ValueError(f"в столбце «{title}» число вне разумных пределов: «{value}»")
    return number


def _school(value: Any) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        raise ValueError("не указана школа")
    return name


def _collect(rows, parse) -> list:
    problems: list[ImportProblem] = []
    out = []
    for number, cells in rows:
        try:
            out.append(parse(number, cells))
        except ValueError as exc:
            problems.append(ImportProblem(number, str(exc)))
    if problems:
        raise ImportFailed(problems)
    if not out:
        raise ImportFailed([ImportProblem(None, "в файле нет ни одной строки данных")])
    return out


def read_statuses(path: str | Path) -> list[StatusRow]:
    """Regional lists: Школа, ШНРО, ШНСУ, Зона риска, 500+ (да/нет)."""
    titles = {"school": "Школа", "shnro": "ШНРО", "shnsu": "ШНСУ", "risk_zone": "Зона риска", "project_500": "500+"}

    def parse(number: int, c: dict[str, Any]) -> StatusRow:
        return StatusRow(
            number,
            _school(c.get("school")),
            *(_flag(c.get(k), titles[k]) for k in ("shnro", "shnsu", "risk_zone")),
            _flag(c.get("project_500"), titles["project_500"]),
        )

    return _collect(_table(path, STATUS_COLUMNS, {"school", "shnro", "shnsu", "risk_zone"}, titles), parse)


def read_exams(path: str | Path) -> list[ExamRow]:
    """Школа, Год, Процедура (ОГЭ/ЕГЭ/ВПР/КДР), Предмет, Класс, Средний балл школы, Средний балл региона."""
    titles = {
        "school": "Школа", "year": "Год", "procedure": "Процедура", "subject": "Предмет", "grade": "Класс",
        "school_mean": "Средний балл школы", "regional_mean": "Средний балл региона",
    }

    def parse(number: int, c: dict[str, Any]) -> ExamRow:
        procedure = PROCEDURES.get(str(c.get("procedure") or "").strip().lower())
        if procedure is None:
            raise ValueError(f"процедура «{c.get('procedure')}» не из списка ОГЭ, ЕГЭ, ВПР, КДР")
        subject_text = str(c.get("subject") or "").strip().lower()
        subject = next((code for code, names in SUBJECTS.items() if subject_text in names), None)
        if subject is None:
            raise ValueError(f"предмет «{c.get('subject')}» не из списка: русский язык, математика, читательская или естественнонаучная грамотность")
        regional = c.get("regional_mean")
        return ExamRow(
            number,
            _school(c.get("school")),
            _int(c.get("year"), titles["year"], 2000, 2100),
            procedure,
            subject,
            _int(c.get("grade"), titles["grade"], 1, 11),
            _float(c.get("school_mean"), titles["school_mean"]),
            None if regional in (None, "") else _float(regional, titles["regional_mean"]),
        )

    return _collect(_table(path, EXAM_COLUMNS, {"school", "year", "procedure", "subject", "grade", "school_mean"}, titles), parse)


def read_groups(path: str | Path) -> list[GroupRow]:
    """Sverdlovsk method: Школа, Группа по индексу качества (1-11), Группа ИСБШ (1-11), Пилотная площадка."""
    titles = {"school": "Школа", "quality_group": "Группа по индексу качества", "isbsh_group": "Группа ИСБШ", "pilot": "Пилотная площадка"}

    def parse(number: int, c: dict[str, Any]) -> GroupRow:
        return GroupRow(
            number,
            _school(c.get("school")),
            _int(c.get("quality_group"), titles["quality_group"], 1, 11),
            _int(c.get("isbsh_group"), titles["isbsh_group"], 1, 11),
            _flag(c.get("pilot"), titles["pilot"]),
        )

    return _collect(_table(path, GROUP_COLUMNS, {"school", "quality_group", "isbsh_group"}, titles), parse)
