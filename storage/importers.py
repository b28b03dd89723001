"""Reading registry workbooks (.xlsx). A file with any bad row imports nothing.

Each kind of workbook is a `Layout`: its columns with the title a template writes and messages
name, the other headers accepted, whether the column is required and what may be written in it.
The readers here and the templates (storage.templates) both take the titles from these layouts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.registry import SchoolRow

_TRUE = {"да", "yes", "true", "1", "+", "сельская", "с"}
_FALSE = {"нет", "no", "false", "0", "-", "", "городская", "г"}  # "" for optional flags; Сельская must be filled

YES_NO_BLANK = "да или нет; пустая ячейка — нет"


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a workbook. `title` is what a template writes and messages name; `aliases` are
    other headers accepted for it (lower case); a `required` column must be in the file."""

    key: str
    title: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    values: str = ""  # what may be written in a cell, for people
    example: Any = None  # the cell of the template's example row

    @property
    def headers(self) -> frozenset[str]:
        return frozenset({*self.aliases, self.title.lower()})


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns of one kind of workbook, in the order a template writes them."""

    kind: str
    sheet: str  # the title of the template's data sheet
    columns: tuple[Column, ...]
    notes: tuple[str, ...] = ()  # what else a person filling it in must know

    @property
    def wanted(self) -> dict[str, frozenset[str]]:
        return {c.key: c.headers for c in self.columns}

    @property
    def titles(self) -> dict[str, str]:
        return {c.key: c.title for c in self.columns}

    @property
    def required(self) -> list[str]:
        return [c.key for c in self.columns if c.required]


PERIOD_NOTE = (
    "Период — учебный год, пишется так: 2026-2027 (принимаются и «2026/27», «2026/2027 уч. год»). "
    "Его указывают в команде (--period), в самом файле периода нет."
)
COMMON_NOTES = (
    "Первая строка — заголовки, данные читаются с первого листа книги; порядок столбцов любой, лишние столбцы не мешают. "
    "Образец заполненной строки — на листе «Пример».",
    "Файл с любой ошибкой (пустая обязательная ячейка, недопустимое значение, строка итогов, повтор) "
    "не загружается целиком: команда перечисляет строки и причины.",
)

SCHOOLS = Layout(
    kind="schools",
    sheet="Школы",
    columns=(
        Column("name", "Название", ("name", "наименование", "школа", "оо"),
               values="полное название школы, как в уставе; по нему школа узнаётся при повторной загрузке",
               example="МАОУ «Средняя общеобразовательная школа № 1»"),
        Column("short_name", "Краткое название", ("short_name", "краткое наименование", "кратко"),
               values="короткое название для списков и кнопок (до 100 символов), у каждой школы своё", example="СОШ 1"),
        Column("rural", "Сельская", ("rural", "сельская школа", "село"), values="да или нет (заполняется в каждой строке)",
               example="нет"),
        Column("municipal_site", "Муниципальная стажировочная площадка",
               ("municipal_internship_site", "мсп"), required=False,
               values=f"{YES_NO_BLANK}; записывается за период, указанный в команде (показатель S2.4.6); "
                      "если столбца нет, прежние отметки не меняются", example="да"),
        Column("regional_site", "Региональная стажировочная площадка", ("regional_internship_site",), required=False,
               values=f"{YES_NO_BLANK}; записывается за период, указанный в команде (показатель S2.4.7); "
                      "если столбца нет, прежние отметки не меняются", example="нет"),
    ),
    notes=(
        "Загрузка: shnor schools import --municipality 1 --period 2026-2027 школы.xlsx — период нужен только для "
        "столбцов стажировочных площадок (по умолчанию текущий учебный год); другие периоды не меняются.",
        "Повторная загрузка добавляет новые школы и обновляет краткое название и «Сельская» у школ с тем же названием.",
    ),
)

_SCHOOL = Column("school", "Школа", ("school", "оо", "название", "наименование"),
                 values="полное или краткое название школы, как в реестре (школа не из реестра — ошибка)", example="СОШ 1")

STATUSES = Layout(
    kind="statuses",
    sheet="Статусы",
    columns=(
        _SCHOOL,
        Column("shnro", "ШНРО", ("shnro", "шнор", "низкие результаты"), values=YES_NO_BLANK, example="да"),
        Column("shnsu", "ШНСУ", ("shnsu", "неблагоприятные условия"), values=YES_NO_BLANK, example="нет"),
        Column("risk_zone", "Зона риска", ("risk_zone", "риск"), values=YES_NO_BLANK, example="нет"),
        Column("project_500", "500+", ("project_500", "проект 500+"), required=False,
               values=f"{YES_NO_BLANK} (участник проекта «500+»)", example="да"),
    ),
    notes=(
        "Загрузка: shnor import statuses --municipality 1 --period 2026-2027 статусы.xlsx — статусы относятся к этому "
        "учебному году и заменяют прежние статусы перечисленных школ за него.",
        "Кампания «только ШНРО» (ШНСУ, зона риска) за период находит школы по статусам этого периода: загрузите их до открытия.",
    ),
)

PROCEDURES = {"огэ": "ОГЭ", "егэ": "ЕГЭ", "впр": "ВПР", "кдр": "КДР"}
SUBJECTS = {
    "russian": {"russian", "русский язык", "русский"},
    "math": {"math", "математика"},
    "reading": {"reading", "читательская грамотность", "чтение"},
    "science": {"science", "естественнонаучная грамотность", "естественно-научная грамотность"},
}
SUBJECT_TITLES = "русский язык, математика, читательская грамотность, естественнонаучная грамотность"

EXAMS = Layout(
    kind="exams",
    sheet="Результаты",
    columns=(
        _SCHOOL,
        Column("year", "Год", ("year",), values="календарный год процедуры, например 2026 (не учебный год)", example=2026),
        Column("procedure", "Процедура", ("procedure",), values=", ".join(PROCEDURES.values()), example="ОГЭ"),
        Column("subject", "Предмет", ("subject",), values=SUBJECT_TITLES, example="математика"),
        Column("grade", "Класс", ("grade",), values="целое число от 1 до 11", example=9),
        Column("school_mean", "Средний балл школы", ("school_mean", "результат школы", "школа, средний"),
               values="число (дробная часть — через запятую или точку)", example=3.4),
        Column("regional_mean", "Средний балл региона", ("regional_mean", "результат региона", "регион, средний"),
               required=False, values="число; можно оставить пустым, если неизвестно", example=3.7),
    ),
    notes=(
        "Загрузка: shnor import exams --municipality 1 результаты.xlsx (период не нужен: у каждой строки свой год), "
        "затем shnor identify --municipality 1 --period 2026-2027 --method criteria.",
        "Одна строка — школа, год, процедура, предмет и класс; повторная загрузка той же строки заменяет её.",
    ),
)

GROUPS = Layout(
    kind="groups",
    sheet="Группы",
    columns=(
        _SCHOOL,
        Column("quality_group", "Группа по индексу качества", ("quality_group", "индекс качества", "группа качества"),
               values="целое число от 1 до 11", example=4),
        Column("isbsh_group", "Группа ИСБШ", ("isbsh_group", "исбш"), values="целое число от 1 до 11", example=3),
        Column("pilot", "Пилотная площадка", ("pilot", "пилот"), required=False, values=YES_NO_BLANK, example="нет"),
    ),
    notes=(
        "Загрузка: shnor import groups --municipality 1 --period 2026-2027 группы.xlsx, "
        "затем shnor identify --municipality 1 --period 2026-2027 --method sverdlovsk.",
    ),
)

LAYOUTS = {layout.kind: layout for layout in (SCHOOLS, STATUSES, EXAMS, GROUPS)}


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


def _header_map(header: tuple[Any, ...], wanted: dict[str, frozenset[str]]) -> dict[str, int]:
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


FIRST_SHEET = "читается первый лист книги"
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
    columns = _columns(rows[0], SCHOOLS)
    titles = SCHOOLS.titles
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
        empty = [titles[key] for value, key in ((name, "name"), (short, "short_name"), (rural_raw, "rural")) if not value]
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
            problems.append(ImportProblem(number, f"в столбце «{titles['rural']}» должно быть «да» или «нет», а не «{rural_raw}»"))
            continue
        flags = {}
        try:
            for key in ("municipal_site", "regional_site"):
                flags[key] = _flag(cell(key), titles[key]) if key in columns else None
        except ValueError as exc:
            problems.append(ImportProblem(number, str(exc)))
            continue
        result.append(SchoolRow(name, short, rural, flags["municipal_site"], flags["regional_site"], row=number))
    if problems:
        raise ImportFailed(problems)
    if not result:
        raise ImportFailed([ImportProblem(None, f"в файле нет ни одной школы ({FIRST_SHEET})")])
    return result


# --- identification workbooks --------------------------------------------------------------

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


def _columns(header: tuple[Any, ...], layout: Layout) -> dict[str, int]:
    """Column key -> index; a missing required column fails the file."""
    columns = _header_map(header, layout.wanted)
    missing = [layout.titles[key] for key in layout.required if key not in columns]
    if missing:
        raise ImportFailed([ImportProblem(
            1, f"нет столбцов: {', '.join(missing)} (первая строка — заголовки; образец: shnor template {layout.kind})"
        )])
    return columns


def _table(path: str | Path, layout: Layout):
    rows = _read_rows(path)
    if not rows:
        raise ImportFailed([ImportProblem(None, "файл пуст")])
    columns = _columns(rows[0], layout)
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
        raise ImportFailed([ImportProblem(None, f"в файле нет ни одной строки данных ({FIRST_SHEET})")])
    return out


def read_statuses(path: str | Path) -> list[StatusRow]:
    """Regional lists: Школа, ШНРО, ШНСУ, Зона риска, 500+ (да/нет)."""
    titles = STATUSES.titles

    def parse(number: int, c: dict[str, Any]) -> StatusRow:
        return StatusRow(
            number,
            _school(c.get("school")),
            *(_flag(c.get(k), titles[k]) for k in ("shnro", "shnsu", "risk_zone")),
            _flag(c.get("project_500"), titles["project_500"]),
        )

    return _collect(_table(path, STATUSES), parse)


def read_exams(path: str | Path) -> list[ExamRow]:
    """Школа, Год, Процедура (ОГЭ/ЕГЭ/ВПР/КДР), Предмет, Класс, Средний балл школы, Средний балл региона."""
    titles = EXAMS.titles

    def parse(number: int, c: dict[str, Any]) -> ExamRow:
        procedure = PROCEDURES.get(str(c.get("procedure") or "").strip().lower())
        if procedure is None:
            raise ValueError(f"процедура «{c.get('procedure')}» не из списка {', '.join(PROCEDURES.values())}")
        subject_text = str(c.get("subject") or "").strip().lower()
        subject = next((code for code, names in SUBJECTS.items() if subject_text in names), None)
        if subject is None:
            raise ValueError(f"предмет «{c.get('subject')}» не из списка: {SUBJECT_TITLES}")
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

    return _collect(_table(path, EXAMS), parse)


def read_groups(path: str | Path) -> list[GroupRow]:
    """Sverdlovsk method: Школа, Группа по индексу качества (1-11), Группа ИСБШ (1-11), Пилотная площадка."""
    titles = GROUPS.titles

    def parse(number: int, c: dict[str, Any]) -> GroupRow:
        return GroupRow(
            number,
            _school(c.get("school")),
            _int(c.get("quality_group"), titles["quality_group"], 1, 11),
            _int(c.get("isbsh_group"), titles["isbsh_group"], 1, 11),
            _flag(c.get("pilot"), titles["pilot"]),
        )

    return _collect(_table(path, GROUPS), parse)
