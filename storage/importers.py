"""Reading registry workbooks (.xlsx). A file with any bad row imports nothing.

Each kind of workbook is a `Layout`: its columns with the title a template writes and messages
name, the other headers accepted, whether the column is required and what may be written in it.
The readers here and the templates (storage.templates) both take the titles from these layouts.

The file itself is checked and read by storage.workbook (size, zip bombs, damaged or renamed
files, the sheet's <dimension> ignored). Here: the header row (every required column, each once),
at most MAX_ROWS data rows, at most MAX_CELL characters in a cell that is read, no formula without
a cached value in a column that is read, names as text. Every refusal names the file, the row and,
where there is one, the column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.workbook import NO_CACHED_VALUE

if TYPE_CHECKING:
    from storage.workbook import Limits

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


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


MAX_ROWS = 20_000  # data rows in one file: every school of a region, or results of several years, fit
MAX_CELL = 1_000  # characters in a cell the import reads (a school's full name is at most 300)
COMMON_NOTES = (
    "Первая строка — заголовки, данные читаются с первого листа книги; порядок столбцов любой, лишние столбцы не мешают, "
    "но каждый столбец — один раз. Образец заполненной строки — на листе «Пример».",
    "Файл с любой ошибкой (пустая обязательная ячейка, недопустимое значение, строка итогов, повтор) "
    "не загружается целиком: команда перечисляет строки и причины.",
    f"В файле — не больше {_thousands(MAX_ROWS)} строк данных, в ячейке — не больше {MAX_CELL} символов. Названия школ "
    "пишутся текстом (не числом и не датой). Формулы читаются по значению, которое Excel вычислил и сохранил в файле.",
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
    column: str | None = None  # "C («Школа»)"

    def __str__(self) -> str:
        where = ", ".join(p for p in (f"строка {self.row}" if self.row else "", f"столбец {self.column}" if self.column else "") if p)
        return f"{where}: {self.message}" if where else self.message


class ImportFailed(ValueError):
    """A file imports nothing; `source` is the file, named first in the message when known."""

    def __init__(self, problems: list[ImportProblem], source: str | Path | None = None) -> None:
        self.problems = problems
        self.source = None if source is None else str(source)
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"Файл {self.source} не загружен:\n{lines}" if self.source else lines)

    def named(self, source: str | Path) -> ImportFailed:
        """The same problems, naming the file (when the message does not yet)."""
        return self if self.source else ImportFailed(self.problems, source)




def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


@dataclass(frozen=True, slots=True)
class SchoolRow:
    name: str
    short_name: str
    rural: bool
    municipal_internship_site: bool | None = None  # None: the file has no such column; leave as it is
    regional_internship_site: bool | None = None
    row: int | None = None  # the file's row, for messages


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    cells: dict[str, Any]  # column key -> value, for the layout's columns the file has
    first: str  # the first filled cell of the whole row, as text (a totals row is recognised by it)


def _read(path: str | Path, layout: Layout, limits: Limits | None = None) -> tuple[dict[str, int], list[_Row]]:
    """The first sheet of a checked workbook (storage.workbook): the columns found in the header row and
    every row with something in it. Refuses, naming the row and column, more than MAX_ROWS rows, a cell of
    more than MAX_CELL characters and a formula without a cached value in the columns it reads."""
    from storage.workbook import WorkbookError, first_sheet

    problems: list[ImportProblem] = []
    rows: list[_Row] = []
    try:
        with first_sheet(path, limits) as sheet:
            lines = sheet.rows()
            first = next(lines, None)
            if first is None:
                raise ImportFailed([ImportProblem(None, f"файл пуст ({FIRST_SHEET})")], path)
            number, header = first
            if number != 1:
                raise ImportFailed([ImportProblem(1, f"первая строка пуста, а в ней должны быть заголовки столбцов "
                                                     f"(образец: shnor template {layout.kind})")], path)
            columns = _columns(header, layout, sheet.formulas)
            count = 0
            for number, values in lines:
                count += 1
                if count > MAX_ROWS:
                    raise ImportFailed([ImportProblem(number, f"в файле больше {_thousands(MAX_ROWS)} строк данных: загрузите "
                                                              f"его частями, не больше {_thousands(MAX_ROWS)} строк в каждой")], path)
                cells: dict[str, Any] = {}
                fine = True
                for key, idx in columns.items():
                    value = values[idx] if idx < len(values) else None
                    where = f"{_letter(idx)} («{layout.titles[key]}»)"
                    if (number, idx + 1) in sheet.formulas:
                        problems.append(ImportProblem(number, NO_CACHED_VALUE, where))
                        fine = False
                    elif isinstance(value, str) and len(value) > MAX_CELL:
                        problems.append(ImportProblem(number, f"в ячейке {len(value)} символов, а допустимо до {MAX_CELL}", where))
                        fine = False
                    cells[key] = value
                if fine:
                    text = next((str(v) for v in values if v is not None and v != ""), "")
                    rows.append(_Row(number, cells, text[:100]))
    except WorkbookError as exc:
        raise ImportFailed([ImportProblem(None, exc.detail)], path) from None
    except ImportFailed as exc:
        raise exc.named(path) from None
    if problems:
        raise ImportFailed(problems, path)
    return columns, rows


def _columns(header: tuple[Any, ...], layout: Layout, formulas: set[tuple[int, int]] = frozenset()) -> dict[str, int]:
    """Column key -> index. A required column missing, a column given twice (under the same or another of its
    headers) or a header cell with a formula and no cached value fails the file."""
    problems: list[ImportProblem] = []
    found: dict[str, list[int]] = {}
    wanted = {key: {name_key(h) for h in headers} for key, headers in layout.wanted.items()}
    for idx, cell in enumerate(header):
        if (1, idx + 1) in formulas:
            problems.append(ImportProblem(1, NO_CACHED_VALUE, _letter(idx)))
            continue
        title = name_key(str(cell)) if cell is not None else ""
        for key, aliases in wanted.items():
            if title and title in aliases:
                found.setdefault(key, []).append(idx)
    for key, places in found.items():
        if len(places) > 1:
            listed = ", ".join(f"{_letter(i)} («{' '.join(str(header[i]).split())}»)" for i in places)
            problems.append(ImportProblem(1, f"столбец «{layout.titles[key]}» указан несколько раз: {listed}; оставьте один"))
    missing = [layout.titles[key] for key in layout.required if key not in found]
    if missing:
        problems.append(ImportProblem(
            1, f"нет столбцов: {', '.join(missing)} (первая строка — заголовки; образец: shnor template {layout.kind})"
        ))
    if problems:
        raise ImportFailed(problems)
    return {key: places[0] for key, places in found.items()}


def name_key(name: str) -> str:
    """What makes two names the same school: case, «ё», spaces and invisible characters do not count."""
    text = unicodedata.normalize("NFKC", name).translate(_INVISIBLE)
    return " ".join(text.casefold().replace("ё", "е").split())


FIRST_SHEET = "читается первый лист книги"
_INVISIBLE = {ord(c): None for c in "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"}
_TOTALS = re.compile(r"^\s*(итого|всего|total)\b", re.IGNORECASE)


def _kind(value: Any) -> str:
    """What a non-text cell holds, for messages."""
    import datetime as dt

    if isinstance(value, bool):
        return f"логическое значение {'ИСТИНА' if value else 'ЛОЖЬ'}"
    if isinstance(value, (int, float)):
        return f"число {value:g}".replace(".", ",")
    if isinstance(value, dt.datetime):
        return f"дата {value:%d.%m.%Y}" if value.time() == dt.time() else f"дата и время {value:%d.%m.%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"дата {value:%d.%m.%Y}"
    if isinstance(value, (dt.time, dt.timedelta)):
        return f"время {value}"
    return f"значение {value!r}"


def _text(value: Any, title: str) -> str:
    """A name cell: text with its spaces collapsed; a number, a date or a logical value is refused (Excel
    turns «1» into 1 and «01.09» into a date: the school would not be the one meant)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"в столбце «{title}» не текст, а {_kind(value)}: напишите название текстом, как в реестре "
                         "(в Excel — формат ячейки «Текстовый»)")
    text = " ".join(value.split())
    return text if name_key(text) else ""  # invisible characters alone are an empty cell


def read_schools(path: str | Path, limits: Limits | None = None) -> list[SchoolRow]:
    """Columns: Название, Краткое название, Сельская (да/нет), all three filled in every row; optional:
    Муниципальная стажировочная площадка, Региональная стажировочная площадка (да/нет; the facts of the
    period the import names, for S2.4.6-S2.4.7). A totals row, an empty required cell, a name that is not
    text, or a name or short name repeated in the file (or one school's name another's short name) fails
    the whole file."""
    columns, rows = _read(path, SCHOOLS, limits)
    titles = SCHOOLS.titles
    problems: list[ImportProblem] = []
    result: list[SchoolRow] = []
    names: dict[str, int] = {}
    shorts: dict[str, int] = {}
    for line in rows:
        number = line.number

        def cell(key: str) -> str:
            value = line.cells.get(key)
            return "" if value is None else str(value).strip()

        if _TOTALS.match(line.first):
            problems.append(ImportProblem(number, f"похоже на строку итогов («{line.first[:40]}»): удалите её из файла"))
            continue
        try:
            name = _text(line.cells.get("name"), titles["name"])
            short = _text(line.cells.get("short_name"), titles["short_name"])
        except ValueError as exc:
            problems.append(ImportProblem(number, str(exc)))
            continue
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
        name_k, short_k = name_key(name), name_key(short)
        if name_k in names:
            problems.append(ImportProblem(number, f"школа «{name}» уже есть в строке {names[name_k]}"))
            continue
        if short_k in shorts:
            problems.append(ImportProblem(number, f"краткое название «{short}» уже есть в строке {shorts[short_k]}"))
            continue
        if name_k in shorts:
            problems.append(ImportProblem(number, f"название «{name}» совпадает с кратким названием школы в строке "
                                                  f"{shorts[name_k]}: по нему школу нельзя будет узнать однозначно"))
            continue
        if short_k in names:
            problems.append(ImportProblem(number, f"краткое название «{short}» совпадает с названием школы в строке "
                                                  f"{names[short_k]}: по нему школу нельзя будет узнать однозначно"))
            continue
        names[name_k] = shorts[short_k] = number
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
        raise ImportFailed(problems, path)
    if not result:
        raise ImportFailed([ImportProblem(None, f"в файле нет ни одной школы ({FIRST_SHEET})")], path)
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
    name = _text(value, _SCHOOL.title)
    if not name:
        raise ValueError("не указана школа")
    return name


def _collect(path: str | Path, layout: Layout, limits: Limits | None, parse) -> list:
    _columns_found, rows = _read(path, layout, limits)
    problems: list[ImportProblem] = []
    out = []
    for line in rows:
        try:
            out.append(parse(line.number, line.cells))
        except ValueError as exc:
            problems.append(ImportProblem(line.number, str(exc)))
    if problems:
        raise ImportFailed(problems, path)
    if not out:
        raise ImportFailed([ImportProblem(None, f"в файле нет ни одной строки данных ({FIRST_SHEET})")], path)
    return out


def read_statuses(path: str | Path, limits: Limits | None = None) -> list[StatusRow]:
    """Regional lists: Школа, ШНРО, ШНСУ, Зона риска, 500+ (да/нет)."""
    titles = STATUSES.titles

    def parse(number: int, c: dict[str, Any]) -> StatusRow:
        return StatusRow(
            number,
            _school(c.get("school")),
            *(_flag(c.get(k), titles[k]) for k in ("shnro", "shnsu", "risk_zone")),
            _flag(c.get("project_500"), titles["project_500"]),
        )

    return _collect(path, STATUSES, limits, parse)


def read_exams(path: str | Path, limits: Limits | None = None) -> list[ExamRow]:
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

    return _collect(path, EXAMS, limits, parse)


def read_groups(path: str | Path, limits: Limits | None = None) -> list[GroupRow]:
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

    return _collect(path, GROUPS, limits, parse)
