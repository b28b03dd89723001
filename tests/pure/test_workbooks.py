"""Workbooks from outside that lie, break or blow up: every one refused in Russian, naming the file
(and the row and column where there is one), before anything is imported (storage.workbook,
storage.importers, the XLSForm loader)."""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from storage import importers, workbook
from storage.importers import (
    ImportFailed,
    read_exams,
    read_groups,
    read_schools,
    read_statuses,
)
from storage.workbook import Limits, WorkbookError
from surveys.loader import DefinitionError, load_xlsform

STATUS_HEADER = ["Школа", "ШНРО", "ШНСУ", "Зона риска", "500+"]
SHEET = "xl/worksheets/sheet1.xml"
JUNK = b"\x80\x00"  # random bytes after this are never read as XML, a zip or an old .xls: the plain «not a workbook» case


def _book(path: Path, rows: list[list[object]], header: list[object] | None = STATUS_HEADER) -> Path:
    wb = openpyxl.Workbook()
    if header is not None:
        wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _rezip(path: Path, change: dict[str, bytes | None], *, add: dict[str, bytes] | None = None) -> Path:
    """The workbook with some parts replaced (None: removed) and others added."""
    with zipfile.ZipFile(path) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    for name, data in change.items():
        if data is None:
            parts.pop(name)
        else:
            parts[name] = data
    parts.update(add or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def _part(path: Path, name: str = SHEET) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def _refused(reader, path: Path, *fragments: str, **kwargs) -> str:
    with pytest.raises(ImportFailed) as info:
        reader(path, **kwargs)
    message = str(info.value)
    assert message.startswith(f"Файл {path} не загружен:\n"), message
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in message
    return message


GOOD = [["СОШ 1", "да", "нет", "нет", "да"], ["Ключевская ООШ", "нет", "да", "нет", "нет"]]


# --- what is not a workbook ------------------------------------------------------------------


def test_random_bytes(tmp_path: Path) -> None:
    path = tmp_path / "статусы.xlsx"
    path.write_bytes(bytes(range(256)) * 40)  # binary, with NULs
    _refused(read_statuses, path, "это не книга Excel .xlsx", "сохраните его как «Книга Excel (.xlsx)»")
    path.write_bytes(JUNK + os.urandom(10_000))
    _refused(read_statuses, path, "не книга Excel .xlsx")


def test_zero_bytes(tmp_path: Path) -> None:
    path = tmp_path / "статусы.xlsx"
    path.write_bytes(b"")
    _refused(read_statuses, path, "файл пуст (0 байт): это не книга Excel")


def test_csv_renamed(tmp_path: Path) -> None:
    path = tmp_path / "статусы.xlsx"
    path.write_text("Школа;ШНРО;ШНСУ;Зона риска\nСОШ 1;да;нет;нет\n", encoding="cp1251")
    _refused(read_statuses, path, "это текстовый файл (например, CSV), а не книга Excel .xlsx")


def test_html_renamed(tmp_path: Path) -> None:
    path = tmp_path / "статусы.xlsx"
    path.write_text("\ufeff<!DOCTYPE html><html><body><table><tr><td>Школа</td></tr></table></body></html>", encoding="utf-8")
    _refused(read_statuses, path, "это страница HTML, а не книга Excel .xlsx")


def test_old_xls_and_opendocument(tmp_path: Path) -> None:
    path = tmp_path / "статусы.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000)
    _refused(read_statuses, path, "книга Excel старого формата (.xls)")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    _refused(read_statuses, path, "таблица OpenDocument (.ods)")


def test_truncated_zip(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    _refused(read_statuses, path, "архив книги оборван или повреждён")


def test_truncated_sheet_xml(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    sheet = _part(path)
    _rezip(path, {SHEET: sheet[: sheet.index(b"</sheetData>") - 7]})
    _refused(read_statuses, path, "лист «Sheet» обрывается или испорчен (ошибка XML")


def test_damaged_compressed_data(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(SHEET)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 20, start + 60):
        data[i] ^= 0x55
    path.write_bytes(bytes(data))
    _refused(read_statuses, path, "повреждён", "xl/worksheets/sheet1.xml")


def test_a_doctype_is_refused_before_any_entity_is_expanded(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              + _part(path).replace(b"<sheetData>", b"<sheetData><row r=\"9\"><c t=\"inlineStr\"><is><t>&lol2;</t></is></c></row>"))
    _rezip(path, {SHEET: laughs})
    _refused(read_statuses, path, "DOCTYPE")


# --- what a workbook may hold ----------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "статусы.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * (2 * 1024 * 1024))
    _refused(read_statuses, path, "файл занимает 2,0 МБ, а больше 1,0 МБ не загружается", "IMPORT_MAX_MB",
             limits=Limits.megabytes(1))


def test_a_zip_bomb_is_refused_without_being_expanded(tmp_path: Path, monkeypatch) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    sheet = _part(path)
    bomb = sheet.replace(b"</sheetData>", b" " * (3 * 1024 * 1024) + b"</sheetData>")  # 3 MiB of spaces: ~3 KiB zipped
    _rezip(path, {SHEET: bomb})
    assert path.stat().st_size < 50_000
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, name, *a, **k: opened.append(name) or real_open(self, name, *a, **k))
    message = _refused(read_statuses, path, "часть «xl/worksheets/sheet1.xml» сжата в", "так сжимаются только специально "
                                                                                          "подготовленные файлы")
    assert re.search(r"сжата в \d{3,} раз \(у настоящих книг — до 100\)", message)
    assert opened == []  # refused from the archive's directory: nothing was inflated


def test_the_unzipped_total_is_limited(tmp_path: Path, monkeypatch) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    # parts below the ratio floor, each compressible, together over five times the file limit
    _rezip(path, {}, add={f"xl/media/pad{i}.xml": b"<a>" + b" " * 1_000_000 + b"</a>" for i in range(6)})
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **k: pytest.fail("a part was inflated"))
    _refused(read_statuses, path, "в распакованном виде книга заняла бы 5,7 МБ (допустимо до 5,0 МБ)", limits=Limits.megabytes(1))


def test_a_lying_dimension_is_not_trusted(tmp_path: Path) -> None:
    """A statuses file of 3 data rows declaring A1:B2 (one data row, two columns) imports all 3, every column."""
    path = _book(tmp_path / "статусы.xlsx", GOOD + [["Третья школа", "нет", "нет", "да", "нет"]])
    sheet = _part(path)
    assert b'<dimension ref="A1:E4"/>' in sheet
    _rezip(path, {SHEET: sheet.replace(b'<dimension ref="A1:E4"/>', b'<dimension ref="A1:B2"/>')})
    assert openpyxl.load_workbook(path, read_only=True).active.max_row == 2  # what openpyxl alone would believe
    rows = read_statuses(path)
    assert [(r.row, r.school, r.risk_zone) for r in rows] == [(2, "СОШ 1", False), (3, "Ключевская ООШ", False),
                                                              (4, "Третья школа", True)]


def test_too_many_rows(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(importers, "MAX_ROWS", 3)
    path = _book(tmp_path / "статусы.xlsx", GOOD * 2)
    _refused(read_statuses, path, "строка 5: в файле больше 3 строк данных: загрузите его частями")
    assert len(read_statuses(_book(tmp_path / "ok.xlsx", GOOD + [[None], GOOD[0]]))) == 3  # empty rows do not count


def test_the_row_limit_is_twenty_thousand() -> None:
    assert importers.MAX_ROWS == 20_000 and importers.MAX_CELL == 1_000
    assert Limits().max_bytes == 10 * 1024 * 1024 and Limits().max_unzipped == 50 * 1024 * 1024


def test_over_long_cell(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", [["С" * 1001, "да", "нет", "нет", "да"], GOOD[1]])
    _refused(read_statuses, path, "строка 2, столбец A («Школа»): в ячейке 1001 символов, а допустимо до 1000")
    # longer than Excel allows: refused while streaming, before the cell is held whole
    path = _book(tmp_path / "статусы.xlsx", [GOOD[0], ["x", "да", "нет", "нет", "да", "QQQ"]])
    _rezip(path, {SHEET: _part(path).replace(b"QQQ", "я".encode() * 40_000)})  # openpyxl itself cuts at 32 767
    _refused(read_statuses, path, "лист «Sheet», строка 3, столбец F: в ячейке больше 32767 символов (предел Excel)")


def _with_shared_strings(path: Path, strings: list[bytes], row: bytes) -> Path:
    """openpyxl writes inline strings; Excel writes a table of shared strings, which cells name by number."""
    table = b"".join(b"<si><t>" + text + b"</t></si>" for text in strings)
    strings_part = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + table + b"</sst>"
    sheet = _part(path).replace(b"</sheetData>", row + b"</sheetData>")
    types = _part(path, "[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = _part(path, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                             b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    return _rezip(path, {SHEET: sheet, "[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
                  add={"xl/sharedStrings.xml": strings_part})


def test_an_over_long_shared_string_is_located(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    _with_shared_strings(path, [b"a" * 40_000], b'<row r="4"><c r="B4" t="s"><v>0</v></c></row>')
    _refused(read_statuses, path, "строка 4, столбец B: в ячейке больше 32767 символов")


def test_shared_strings_are_read(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", GOOD)
    _with_shared_strings(path, ["Третья школа".encode(), "да".encode()],
                         b'<row r="4"><c r="A4" t="s"><v>0</v></c><c r="B4" t="s"><v>1</v></c></row>')
    assert [(r.school, r.shnro) for r in read_statuses(path)][-1] == ("Третья школа", True)


def test_cells_and_shared_strings_are_limited(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(workbook, "MAX_CELLS", 12)
    _refused(read_statuses, _book(tmp_path / "статусы.xlsx", GOOD + GOOD),
             "лист «Sheet», строка 3, столбец C: в книге больше 12 ячеек (для загрузки столько не бывает)")
    monkeypatch.setattr(workbook, "MAX_SHARED_STRINGS", 2)
    path = _with_shared_strings(_book(tmp_path / "s.xlsx", GOOD), [b"a", b"b", b"c"], b"")
    _refused(read_statuses, path, "часть «xl/sharedStrings.xml»: в книге больше 2 разных текстовых значений")


def test_formula_without_cached_value(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", [['="СОШ "&"1"', "да", "нет", "нет", "да"], GOOD[1]])
    _refused(read_statuses, path, "строка 2, столбец A («Школа»): формула без вычисленного значения: откройте файл в Excel "
                                  "и сохраните его")
    # what Excel writes after it has calculated: the cached value is read
    sheet = _part(path).replace(b"<v></v>", "<v>СОШ 1</v>".encode(), 1).replace(b'<c r="A2">', b'<c r="A2" t="str">')
    _rezip(path, {SHEET: sheet})
    assert read_statuses(path)[0].school == "СОШ 1"
    # a formula in a column the import does not read is no one's business
    path = _book(tmp_path / "extra.xlsx", [GOOD[0] + ["=1+1"]])
    assert len(read_statuses(path)) == 1


def test_duplicated_header(tmp_path: Path) -> None:
    path = _book(tmp_path / "статусы.xlsx", [GOOD[0] + ["СОШ 2"]], header=STATUS_HEADER + ["ОО"])
    _refused(read_statuses, path, "строка 1: столбец «Школа» указан несколько раз: A («Школа»), F («ОО»); оставьте один")
    path = _book(tmp_path / "exams.xlsx", [], header=["Школа", "Год", "Процедура", "Предмет", "Класс", "Средний балл школы",
                                                      "средний  балл школы"])
    _refused(read_exams, path, "строка 1: столбец «Средний балл школы» указан несколько раз: F («Средний балл школы»), "
                               "G («средний балл школы»); оставьте один")


def test_missing_header(tmp_path: Path) -> None:
    _refused(read_groups, _book(tmp_path / "группы.xlsx", [["СОШ 1", 4, 3]], header=["Школа", "Группа ИСБШ"]),
             "строка 1: нет столбцов: Группа по индексу качества (первая строка — заголовки; образец: shnor template groups)")
    no_header = _book(tmp_path / "статусы.xlsx", [], header=None)
    no_header_wb = openpyxl.load_workbook(no_header)
    no_header_wb.active["A3"] = "Школа"
    no_header_wb.save(no_header)
    _refused(read_statuses, no_header, "строка 1: первая строка пуста, а в ней должны быть заголовки столбцов")
    _refused(read_statuses, _book(tmp_path / "пусто.xlsx", [], header=None), "файл пуст (читается первый лист книги)")


def test_non_text_names(tmp_path: Path) -> None:
    import datetime as dt

    path = _book(tmp_path / "статусы.xlsx", [[5, "да", "нет", "нет", "да"], [dt.datetime(2026, 9, 1), "нет", "нет", "нет", "нет"],
                                           [True, "нет", "нет", "нет", "нет"]])
    message = _refused(read_statuses, path, "строка 2: в столбце «Школа» не текст, а число 5: напишите название текстом",
                       "строка 3: в столбце «Школа» не текст, а дата 01.09.2026", "строка 4: в столбце «Школа» не текст, а "
                       "логическое значение ИСТИНА")
    assert "формат ячейки «Текстовый»" in message
    registry = _book(tmp_path / "школы.xlsx", [["МАОУ СОШ № 1", 1, "нет"], [2.5, "СОШ 2", "нет"]],
                     header=["Название", "Краткое название", "Сельская"])
    _refused(read_schools, registry, "строка 2: в столбце «Краткое название» не текст, а число 1",
             "строка 3: в столбце «Название» не текст, а число 2,5")


def test_invisible_characters_alone_are_an_empty_name(tmp_path: Path) -> None:
    path = _book(tmp_path / "школы.xlsx", [["\u200b\u200b", "СОШ 1", "нет"]], header=["Название", "Краткое название", "Сельская"])
    _refused(read_schools, path, "строка 2: пустая ячейка: Название")


def test_a_name_that_is_another_schools_short_name_in_the_file(tmp_path: Path) -> None:
    path = _book(tmp_path / "школы.xlsx", [["Гимназия № 5", "Гимназия № 5", "нет"],  # its own short name: fine
                                          ["МАОУ Лицей", "Лицей", "нет"],
                                          ["лицей", "Лицей 2", "нет"],
                                          ["МАОУ СОШ № 7", "маоу лицей", "нет"]],
                 header=["Название", "Краткое название", "Сельская"])
    _refused(read_schools, path,
             "строка 4: название «лицей» совпадает с кратким названием школы в строке 3: по нему школу нельзя будет узнать однозначно",
             "строка 5: краткое название «маоу лицей» совпадает с названием школы в строке 3")




# --- XLSForm -----------------------------------------------------------------------------------


def _xlsform(path: Path, questions: list[list[str]]) -> Path:
    wb = openpyxl.Workbook()
    survey = wb.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "constraint"])
    for question in questions:
        survey.append(question)
    settings = wb.create_sheet("settings")
    settings.append(["form_id", "form_title"])
    settings.append(["probe", "Проба"])
    wb.save(path)
    return path


def test_deep_xlsform_nesting_is_a_definition_error(tmp_path: Path) -> None:
    path = _xlsform(tmp_path / "анкета.xlsx", [["integer", "n", "Число", "(" * 2000 + ". > 1" + ")" * 2000]])
    with pytest.raises(DefinitionError) as info:
        load_xlsform(path)
    message = str(info.value)
    assert "вопрос «n», поле «constraint»: ошибка в выражении" in message
    assert "выражение длиннее 2000 символов (4005)" in message and len(message) < 600
    path = _xlsform(tmp_path / "анкета.xlsx", [["integer", "n", "Число", "(" * 60 + ". > 1" + ")" * 60]])
    with pytest.raises(DefinitionError, match="слишком глубокая вложенность скобок, функций и минусов \\(больше 50\\)"):
        load_xlsform(path)
    path = _xlsform(tmp_path / "анкета.xlsx", [["integer", "n", "Число", " + ".join(["."] * 300) + " > 1"]])
    with pytest.raises(DefinitionError, match="слишком длинная цепочка операций \\(больше 200\\)"):
        load_xlsform(path)


def test_xlsform_files_go_through_the_same_checks(tmp_path: Path) -> None:
    path = tmp_path / "анкета.xlsx"
    path.write_bytes(JUNK + os.urandom(3000))
    with pytest.raises(DefinitionError, match="анкета.xlsx: это не книга Excel .xlsx"):
        load_xlsform(path)
    path = _xlsform(path, [["integer", "n", "Число", ""]])
    sheet = _part(path)
    _rezip(path, {SHEET: sheet.replace(b"</sheetData>", b" " * (3 * 1024 * 1024) + b"</sheetData>")})
    with pytest.raises(DefinitionError, match="сжата в \\d+ раз"):
        load_xlsform(path)
    path = _xlsform(path, [["integer", "n", '="Чис"&"ло"', ""]])
    with pytest.raises(DefinitionError, match="анкета.xlsx: лист «survey», строка 2, столбец C: формула без вычисленного значения"):
        load_xlsform(path)


def test_xlsform_lying_dimension(tmp_path: Path) -> None:
    path = _xlsform(tmp_path / "анкета.xlsx", [["integer", "a", "A", ""], ["integer", "b", "B", ""], ["text", "c", "C", ""]])
    sheet = _part(path)
    _rezip(path, {SHEET: re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:B2"/>', sheet)})
    survey = load_xlsform(path)
    assert [q.name for q in survey.questions] == ["a", "b", "c"] and survey.questions[0].label == "A"


# --- through the command line: Russian, non-zero, nothing imported ----------------------------






def test_workbook_error_names_sheet_row_and_column() -> None:
    error = WorkbookError("a.xlsx", "плохо", sheet="Лист1", row=5, column=28)
    assert str(error) == "a.xlsx: лист «Лист1», строка 5, столбец AB: плохо"
    assert workbook.NO_CACHED_VALUE == importers.NO_CACHED_VALUE
