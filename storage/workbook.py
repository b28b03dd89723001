"""Workbooks from outside (.xlsx), read safely: the one door for every workbook the product reads —
the registry, statuses, exams and groups (storage.importers) and XLSForm survey definitions
(surveys.loader, before pyxform sees the file).

A file is refused, with a Russian message naming it (and the sheet, row and column when there are
ones), unless all of this holds. Each check runs before anything more expensive:

1. its size on disk is at most `Limits.max_bytes` (the IMPORT_MAX_MB setting, 10 MiB by default);
   the bytes are then read once, and everything below works on that copy;
2. it is a zip archive — an empty file, an old .xls, HTML, XML or text renamed .xlsx, a cut-off
   download are each named as such;
3. the archive's directory, before anything is inflated: at most MAX_ENTRIES parts, deflated or
   stored, not encrypted, whose declared sizes add up to at most `Limits.max_unzipped` (five times
   the file limit), none above RATIO_FLOOR compressed more than MAX_RATIO times. The declared sizes
   bind: zipfile never inflates a part past its declared size (it stops there and fails the CRC), so
   a zip bomb is refused without being expanded and a lying one fails while being read;
4. it is a spreadsheet package: [Content_Types].xml names a workbook part (a .docx or an
   OpenDocument file is not one), whose sheets are where its relationships say;
5. every XML part streams once through expat: well formed (a truncated sheet shows here), without a
   DOCTYPE (so no entity expansion), nested at most MAX_XML_DEPTH deep; in the sheets, rows and
   columns within Excel's own bounds and no cell or shared string longer than Excel's 32 767
   characters — counted chunk by chunk while streaming, before any cell is held whole. Formula
   cells without a cached value are noted (openpyxl would read them as empty cells).

Only then does openpyxl open it, read-only (it streams the sheet) and with the sheet's `<dimension>`
ignored: a file that declares fewer rows or columns than it has is read whole.
"""

from __future__ import annotations

import os
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.parsers import expat

MIB = 1024 * 1024
DEFAULT_MAX_MB = 10
UNZIPPED_PER_FILE_BYTE = 5  # the unzipped limit is this many times the file limit: 50 MiB for 10 MiB
MAX_ENTRIES = 1000  # a workbook of a few sheets has 10-30 parts
MAX_RATIO = 100  # real sheets compress 5-25 times; 20 000 identical rows about 20 times
RATIO_FLOOR = MIB  # parts below this size may compress as they like
MAX_XML_DEPTH = 64  # OOXML parts nest about 10 deep
EXCEL_MAX_CELL = 32_767  # characters in a cell (Excel's limit)
# What openpyxl would otherwise hold or parse: it loads every shared string at once (2.3 million short
# ones, 44 MiB of XML in a 9 MiB file, took it 18 s and 400 MB). An import of 20 000 rows of 7
# columns has at most 140 000 of either.
MAX_SHARED_STRINGS = 300_000
MAX_CELLS = 1_000_000  # in all sheets together
MAX_UNCACHED_FORMULAS = 10_000  # noted with their places; beyond that the file is refused at once
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
CHUNK = 64 * 1024

SAVE_AS_XLSX = "откройте файл в Excel и сохраните его как «Книга Excel (.xlsx)»"
NO_CACHED_VALUE = "формула без вычисленного значения: откройте файл в Excel и сохраните его"

_WORKBOOK_TYPES = {
    f"application/vnd.openxmlformats-officedocument.spreadsheetml.{kind}.main+xml" for kind in ("sheet", "template")
} | {f"application/vnd.ms-excel.{kind}.macroEnabled.main+xml" for kind in ("sheet", "template")}
_SEP = "}"  # expat's namespace separator: "uri}local"


@dataclass(frozen=True, slots=True)
class Limits:
    """What a workbook from outside may hold; `max_bytes` is the IMPORT_MAX_MB setting."""

    max_bytes: int = DEFAULT_MAX_MB * MIB

    @classmethod
    def megabytes(cls, mb: float) -> Limits:
        return cls(int(mb * MIB))

    @property
    def max_unzipped(self) -> int:
        return UNZIPPED_PER_FILE_BYTE * self.max_bytes


class WorkbookError(ValueError):
    """The file is not a workbook the product reads; `detail` is Russian, str() names the file too."""

    def __init__(self, source: str | Path, reason: str, *, sheet: str | None = None, row: int | None = None,
                 column: int | None = None) -> None:
        self.source = str(source)
        self.reason = reason
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(f"{self.source}: {self.detail}")

    @property
    def where(self) -> str:
        from openpyxl.utils import get_column_letter

        parts = []
        if self.sheet is not None:
            parts.append(f"лист «{self.sheet}»")
        if self.row is not None:
            parts.append(f"строка {self.row}")
        if self.column is not None:
            parts.append(f"столбец {get_column_letter(self.column) if 0 < self.column <= EXCEL_MAX_COLUMNS else self.column}")
        return ", ".join(parts)

    @property
    def detail(self) -> str:
        return f"{self.where}: {self.reason}" if self.where else self.reason


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _mb(size: int) -> str:
    return f"{size / MIB:.1f}".replace(".", ",") + " МБ"


# --- 1, 2: the bytes -----------------------------------------------------------------------------


def _read_bytes(path: Path, limits: Limits) -> bytes:
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > limits.max_bytes:
                raise WorkbookError(path, f"файл занимает {_mb(size)}, а больше {_mb(limits.max_bytes)} не загружается: в таблицах "
                                          "для загрузки столько не бывает — уберите лишние листы и картинки или разделите "
                                          "файл (предел задаёт настройка IMPORT_MAX_MB)")
            data = file.read(limits.max_bytes + 1)
    except IsADirectoryError:
        raise WorkbookError(path, "это папка, а не файл") from None
    except FileNotFoundError:
        raise WorkbookError(path, "файла нет") from None
    except OSError as exc:
        raise WorkbookError(path, f"файл не читается: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:  # it grew while being read
        raise WorkbookError(path, f"файл больше {_mb(limits.max_bytes)}")
    return data


def _not_a_zip(path: Path, data: bytes) -> WorkbookError:
    """What the bytes are, when they are not a zip archive, for the message."""
    if not data:
        return WorkbookError(path, f"файл пуст (0 байт): это не книга Excel; {SAVE_AS_XLSX}")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return WorkbookError(path, "это книга Excel старого формата (.xls) или книга, защищённая паролем: "
                                   f"{SAVE_AS_XLSX}, без пароля")
    if data.startswith(b"PK"):
        return WorkbookError(path, "архив книги оборван или повреждён (файл скачан или скопирован не полностью?): "
                                   "возьмите исходный файл ещё раз или откройте его в Excel и сохраните заново")
    head = data[:4096].lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff \t\r\n\x00").lower()
    if head.startswith(b"<"):
        kind = "страница HTML" if (b"<html" in head or b"<!doctype html" in head or b"<table" in head) else "файл XML"
        return WorkbookError(path, f"это {kind}, а не книга Excel .xlsx (так бывает, когда веб-система «выгружает в Excel» "
                                   f"страницу): {SAVE_AS_XLSX}")
    if b"\x00" not in data[:4096]:
        for encoding in ("utf-8", "cp1251"):
            try:
                text = data[:4096].decode(encoding)
            except UnicodeDecodeError:
                continue
            if sum(ch < " " and ch not in "\t\r\n" for ch in text) > len(text) // 100:
                break  # control characters: binary after all
            return WorkbookError(path, f"это текстовый файл (например, CSV), а не книга Excel .xlsx: {SAVE_AS_XLSX}")
    return WorkbookError(path, f"это не книга Excel .xlsx (содержимое не похоже на книгу): {SAVE_AS_XLSX}")


# --- 3: the archive's directory ------------------------------------------------------------------


def _open_archive(path: Path, data: bytes, limits: Limits) -> zipfile.ZipFile:
    if not data.startswith(b"PK\x03\x04"):
        raise _not_a_zip(path, data)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        entries = archive.infolist()
    except Exception:  # noqa: BLE001 - zipfile raises many kinds on damaged directories; all mean the same here
        raise _not_a_zip(path, data) from None
    if len(entries) > MAX_ENTRIES:
        raise WorkbookError(path, f"в архиве книги {len(entries)} частей (допустимо до {MAX_ENTRIES}): это не обычная книга Excel")
    names = [e.filename for e in entries]
    if len(set(names)) != len(names):
        raise WorkbookError(path, "в архиве книги части с одинаковыми именами: файл повреждён или подделан")
    total = 0
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise WorkbookError(path, f"часть «{entry.filename}» зашифрована: {SAVE_AS_XLSX}, без пароля")
        if entry.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookError(path, f"часть «{entry.filename}» сжата способом, которого Excel не использует: {SAVE_AS_XLSX}")
        total += entry.file_size
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            ratio = entry.file_size // max(entry.compress_size, 1)
            raise WorkbookError(path, f"часть «{entry.filename}» сжата в {ratio} раз (у настоящих книг — до {MAX_RATIO}): "
                                      "так сжимаются только специально подготовленные файлы; файл не открывается")
    if total > limits.max_unzipped:
        raise WorkbookError(path, f"в распакованном виде книга заняла бы {_mb(total)} (допустимо до {_mb(limits.max_unzipped)}): "
                                  "уберите лишние листы и картинки или разделите файл")
    return archive


# --- 4, 5: the parts -----------------------------------------------------------------------------


class _Refused(Exception):
    def __init__(self, reason: str, row: int | None = None, column: int | None = None) -> None:
        self.reason, self.row, self.column = reason, row, column


def _local(name: str) -> str:
    return name.rpartition(_SEP)[2]


class _Part:
    """One XML part through expat: well formed, no DOCTYPE, bounded depth and text. Subclasses look closer."""

    text_limit = 1_000_000  # characters in one run of text; parts other than cells may hold long ones (signatures)

    def __init__(self) -> None:
        self.depth = 0
        self.text = 0  # characters of the text run being read
        self.parser = expat.ParserCreate(namespace_separator=_SEP)
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._chars

    def feed(self, stream: Any) -> None:
        while chunk := stream.read(CHUNK):
            self.parser.Parse(chunk, False)
        self.parser.Parse(b"", True)

    def _doctype(self, *_args: Any) -> None:
        raise _Refused("в части книги есть объявление DOCTYPE, которого Excel не пишет: файл подделан или повреждён")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > MAX_XML_DEPTH:
            raise _Refused(f"вложенность XML глубже {MAX_XML_DEPTH} уровней: это не книга Excel")
        self.text = 0
        self.start(_local(name), attrs)

    def _end(self, name: str) -> None:
        self.depth -= 1
        self.text = 0
        self.end(_local(name))

    def _chars(self, data: str) -> None:
        self.text += len(data)
        if self.text > self.text_limit:
            self.too_long()
        self.chars(data)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        pass

    def end(self, name: str) -> None:
        pass

    def chars(self, data: str) -> None:
        pass

    def too_long(self) -> None:
        raise _Refused(f"в части книги текст длиннее {self.text_limit} символов: это не книга Excel")


class _ContentTypes(_Part):
    def __init__(self) -> None:
        super().__init__()
        self.overrides: dict[str, str] = {}
        self.defaults: dict[str, str] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "Override":
            self.overrides[attrs.get("PartName", "").lstrip("/")] = attrs.get("ContentType", "")
        elif name == "Default":
            self.defaults[attrs.get("Extension", "").lower()] = attrs.get("ContentType", "")


class _Relationships(_Part):
    def __init__(self) -> None:
        super().__init__()
        self.targets: dict[str, tuple[str, str, str]] = {}  # id -> (type, target, mode)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "Relationship":
            self.targets[attrs.get("Id", "")] = (attrs.get("Type", ""), attrs.get("Target", ""), attrs.get("TargetMode", ""))


class _WorkbookPart(_Part):
    def __init__(self) -> None:
        super().__init__()
        self.sheets: list[tuple[str, str]] = []  # (title, relationship id)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "sheet":
            rel_id = next((v for k, v in attrs.items() if k.endswith(f"relationships{_SEP}id")), "")  # transitional or strict
            self.sheets.append((attrs.get("name", ""), rel_id))


class _SharedStrings(_Part):
    """Counts each shared string's length, run by run, without keeping it; notes those over Excel's limit."""

    text_limit = EXCEL_MAX_CELL

    def __init__(self) -> None:
        super().__init__()
        self.index = -1
        self.length = 0
        self.inside = False
        self.too_long_ones: set[int] = set()

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "si":
            self.index += 1
            if self.index >= MAX_SHARED_STRINGS:
                raise _Refused(f"в книге больше {_thousands(MAX_SHARED_STRINGS)} разных текстовых значений (для загрузки "
                               "столько не бывает): уберите лишние листы или разделите файл")
            self.length = 0
            self.inside = True

    def end(self, name: str) -> None:
        if name == "si":
            self.inside = False

    def chars(self, data: str) -> None:
        if self.inside and self.index not in self.too_long_ones:
            self.length += len(data)
            if self.length > EXCEL_MAX_CELL:
                self.too_long_ones.add(self.index)

    def too_long(self) -> None:
        self.too_long_ones.add(self.index)  # located in the sheet that uses it


class _Worksheet(_Part):
    """Rows and cells where openpyxl will see them; formula cells without a cached value; over-long cells."""

    text_limit = EXCEL_MAX_CELL

    def __init__(self, long_strings: set[int], cells: list[int]) -> None:
        from openpyxl.utils.cell import coordinate_to_tuple

        super().__init__()
        self.coordinate = coordinate_to_tuple
        self.long_strings = long_strings
        self.cells = cells  # cells seen in the workbook so far, shared by its sheets
        self.row = 0
        self.column = 0
        self.cells_in_row = 0
        self.in_cell = False
        self.cell_type = "n"
        self.has_formula = False
        self.value_length: int | None = None
        self.in_value = False
        self.value = ""
        self.inline = 0  # characters of an inline string (several runs)
        self.in_inline = False
        self.formulas: list[tuple[int, int]] = []

    def _refuse(self, reason: str) -> None:
        raise _Refused(reason, self.row or None, self.column or None)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "row":
            number = attrs.get("r")
            if number is None:
                self.row += 1
            else:
                try:
                    value = float(number)
                except ValueError:
                    self._refuse(f"неверный номер строки «{number[:20]}»: файл повреждён")
                if not value.is_integer():
                    self._refuse(f"неверный номер строки «{number[:20]}»: файл повреждён")
                self.row = int(value)
            if not 0 < self.row <= EXCEL_MAX_ROWS:
                self._refuse(f"номер строки вне пределов Excel (1–{EXCEL_MAX_ROWS}): файл повреждён или подделан")
            self.column = 0
            self.cells_in_row = 0
        elif name == "c":
            reference = attrs.get("r")
            if reference:
                try:
                    self.row, self.column = self.coordinate(reference)
                except (ValueError, TypeError):
                    self._refuse(f"неверная ссылка на ячейку «{reference[:20]}»: файл повреждён")
            else:
                self.column += 1
            self.cells_in_row += 1
            self.cells[0] += 1
            if self.cells[0] > MAX_CELLS:
                self._refuse(f"в книге больше {_thousands(MAX_CELLS)} ячеек (для загрузки столько не бывает): уберите "
                             "лишние листы или разделите файл")
            if not 0 < self.column <= EXCEL_MAX_COLUMNS or self.cells_in_row > EXCEL_MAX_COLUMNS:
                self._refuse(f"ячейка за пределами Excel ({EXCEL_MAX_COLUMNS} столбцов): файл повреждён или подделан")
            if not 0 < self.row <= EXCEL_MAX_ROWS:
                self._refuse(f"номер строки вне пределов Excel (1–{EXCEL_MAX_ROWS}): файл повреждён или подделан")
            self.in_cell = True
            self.cell_type = attrs.get("t", "n")
            self.has_formula = False
            self.value_length = None
            self.value = ""
        elif self.in_cell:
            if name == "f":
                self.has_formula = True
            elif name == "v":
                self.in_value = True
                self.value_length = 0
            elif name == "is":
                self.in_inline = True
                self.inline = 0

    def end(self, name: str) -> None:
        if name == "v":
            self.in_value = False
        elif name == "is":
            self.in_inline = False
        elif name == "c" and self.in_cell:
            self.in_cell = False
            if self.has_formula and not self.value_length and self.cell_type != "str":
                self.formulas.append((self.row, self.column))
                if len(self.formulas) > MAX_UNCACHED_FORMULAS:
                    self._refuse(NO_CACHED_VALUE)  # a file nobody opened in Excel: no need to list them all
            if self.cell_type == "s" and self.value.strip().isdigit():
                if int(self.value) in self.long_strings:
                    self._refuse(f"в ячейке больше {EXCEL_MAX_CELL} символов (предел Excel): файл подделан или повреждён")

    def chars(self, data: str) -> None:
        if not self.in_cell:
            return
        if self.in_value:
            self.value_length = (self.value_length or 0) + len(data)
            if self.cell_type == "s" and len(self.value) < 20:
                self.value += data[:20]
        if self.in_inline:
            self.inline += len(data)
            if self.inline > EXCEL_MAX_CELL:
                self.too_long()

    def too_long(self) -> None:
        if self.in_cell:
            self._refuse(f"в ячейке больше {EXCEL_MAX_CELL} символов (предел Excel): файл подделан или повреждён")
        super().too_long()


@dataclass(slots=True)
class Package:
    """A checked workbook: its bytes, its sheets in order and the formula cells without a cached value."""

    source: str
    data: bytes = field(repr=False)
    sheets: list[tuple[str, str]]  # (title, zip part) of the worksheets, in the workbook's order
    formulas: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # part -> (row, column)

    def sheet_part(self, title: str) -> str | None:
        return next((part for t, part in self.sheets if t == title), None)

    def check_formulas(self, titles: list[str] | None = None) -> None:
        """Refuse a formula without a cached value on these sheets (every sheet by default)."""
        for title, part in self.sheets:
            if titles is not None and title not in titles:
                continue
            cells = self.formulas.get(part)
            if cells:
                row, column = cells[0]
                raise WorkbookError(self.source, NO_CACHED_VALUE, sheet=title, row=row, column=column)


def _resolve_target(base: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def inspect(path: str | Path, limits: Limits | None = None) -> Package:
    """Checks 1-5 of the module's docstring; raises WorkbookError, returns the package to open."""
    path = Path(path)
    limits = limits or Limits()
    data = _read_bytes(path, limits)
    archive = _open_archive(path, data, limits)
    names = set(archive.namelist())

    def scan(part_name: str, reader: _Part, sheet: str | None = None) -> None:
        try:
            with archive.open(part_name) as stream:
                reader.feed(stream)
        except _Refused as exc:
            where = sheet if sheet is not None else None
            reason = exc.reason if sheet is not None else f"часть «{part_name}»: {exc.reason}"
            raise WorkbookError(path, reason, sheet=where, row=exc.row, column=exc.column) from None
        except expat.ExpatError as exc:
            what = f"лист «{sheet}»" if sheet is not None else f"часть «{part_name}»"
            raise WorkbookError(path, f"{what} обрывается или испорчен (ошибка XML: {expat.ErrorString(exc.code)}, "
                                      f"строка {exc.lineno} части): возьмите исходный файл ещё раз или откройте его в "
                                      "Excel и сохраните заново") from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as exc:
            raise WorkbookError(path, f"архив книги повреждён: часть «{part_name}» не распаковывается ({exc}); возьмите "
                                      "исходный файл ещё раз или откройте его в Excel и сохраните заново") from None

    if "[Content_Types].xml" not in names:
        if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype")[:100]:
            raise WorkbookError(path, f"это таблица OpenDocument (.ods), а не книга Excel .xlsx: {SAVE_AS_XLSX}")
        raise WorkbookError(path, f"это архив ZIP, но не книга Excel .xlsx: {SAVE_AS_XLSX}")
    types = _ContentTypes()
    scan("[Content_Types].xml", types)
    workbook = next((part for part, kind in types.overrides.items() if kind in _WORKBOOK_TYPES), None)
    if workbook is None and _WORKBOOK_TYPES & set(types.defaults.values()):
        workbook = "xl/workbook.xml"
    if workbook is None:
        raise WorkbookError(path, f"это документ Office, но не книга Excel (нет части книги): {SAVE_AS_XLSX}")
    if workbook not in names:
        raise WorkbookError(path, f"в архиве нет части книги «{workbook}»: файл повреждён; {SAVE_AS_XLSX}")
    rels_name = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels")
    rels = _Relationships()
    if rels_name in names:
        scan(rels_name, rels)
    book = _WorkbookPart()
    scan(workbook, book)

    sheets: list[tuple[str, str]] = []
    strings_part = None
    for kind, target, mode in rels.targets.values():
        if kind.endswith("/sharedStrings") and mode != "External":
            strings_part = _resolve_target(workbook, target)
    for title, rel_id in book.sheets:
        kind, target, mode = rels.targets.get(rel_id, ("", "", ""))
        if not kind.endswith("/worksheet") or mode == "External":
            continue  # chart sheets and the like: openpyxl skips them too
        part = _resolve_target(workbook, target)
        if part not in names:
            raise WorkbookError(path, f"в архиве нет листа «{title}» ({part}): файл повреждён; {SAVE_AS_XLSX}")
        sheets.append((title, part))
    if not sheets:
        raise WorkbookError(path, f"в книге нет ни одного листа с ячейками: {SAVE_AS_XLSX}")

    long_strings: set[int] = set()
    if strings_part is not None and strings_part in names:
        strings = _SharedStrings()
        scan(strings_part, strings)
        long_strings = strings.too_long_ones
    package = Package(str(path), data, sheets)
    cells = [0]
    for title, part in sheets:
        sheet = _Worksheet(long_strings, cells)
        scan(part, sheet, sheet=title)
        package.formulas[part] = sheet.formulas
    if long_strings:  # a cell using one was refused above, with its place; these are used by none
        raise WorkbookError(path, f"в таблице строк книги есть текст длиннее {EXCEL_MAX_CELL} символов (предел Excel): "
                                  "файл подделан или повреждён")

    xml_extensions = {ext for ext, kind in types.defaults.items() if kind.endswith("xml")} | {"xml", "rels", "vml"}
    done = {"[Content_Types].xml", rels_name, workbook, strings_part, *(part for _, part in sheets)}
    for name in sorted(names - done):
        if name.rpartition(".")[2].lower() in xml_extensions or types.overrides.get(name, "").endswith("xml"):
            scan(name, _Part())
    return package


# --- reading -------------------------------------------------------------------------------------


class Sheet:
    """The first worksheet, streamed: `rows()` yields (row number, values) of every row with something in it."""

    def __init__(self, package: Package, worksheet: Any) -> None:
        self.package = package
        self.title: str = worksheet.title
        self._worksheet = worksheet
        part = package.sheet_part(self.title)
        cells = package.formulas.get(part, []) if part else [c for cells in package.formulas.values() for c in cells]
        self.formulas: set[tuple[int, int]] = set(cells)  # (row, column), 1-based

    def rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        self._worksheet.reset_dimensions()  # never trust <dimension>: read every row and column there is
        try:
            for number, values in enumerate(self._worksheet.iter_rows(values_only=True), start=1):
                if any(v is not None and v != "" for v in values):
                    yield number, values
        except WorkbookError:
            raise
        except Exception as exc:  # noqa: BLE001 - openpyxl on a damaged sheet raises anything
            raise WorkbookError(self.package.source, f"лист не читается ({type(exc).__name__}: {exc}): {SAVE_AS_XLSX}",
                                sheet=self.title) from None


@contextmanager
def first_sheet(path: str | Path, limits: Limits | None = None) -> Iterator[Sheet]:
    """The checked workbook's first worksheet (the one the import templates fill in)."""
    package = inspect(path, limits)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(BytesIO(package.data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # noqa: BLE001 - openpyxl on a damaged package raises anything
        raise WorkbookError(path, f"книга не открывается ({type(exc).__name__}: {exc}): {SAVE_AS_XLSX}") from None
    try:
        if not workbook.worksheets:
            raise WorkbookError(path, f"в книге нет ни одного листа с ячейками: {SAVE_AS_XLSX}")
        yield Sheet(package, workbook.worksheets[0])
    finally:
        workbook.close()


_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?(?:/>|>.*?</(?:[A-Za-z_][\w.-]*:)?dimension\s*>)", re.S)


def without_dimensions(package: Package) -> bytes:
    """The workbook again with its sheets' <dimension> removed, for readers (pyxform) that would trust it."""
    out = BytesIO()
    sheets = {part for _, part in package.sheets}
    with zipfile.ZipFile(BytesIO(package.data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename in sheets:
                cut = data.find(b"sheetData")  # <dimension> comes before the cells
                cut = len(data) if cut < 0 else cut
                data = _DIMENSION.sub(b"", data[:cut], count=1) + data[cut:]
            target.writestr(entry, data)
    return out.getvalue()
