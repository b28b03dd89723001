"""`shnor template ...`: the readers take the template's own headers."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from storage import importers

HEADERS = {
    "schools": ["Название", "Краткое название", "Сельская", "Муниципальная стажировочная площадка",
                "Региональная стажировочная площадка"],
    "statuses": ["Школа", "ШНРО", "ШНСУ", "Зона риска", "500+"],
    "exams": ["Школа", "Год", "Процедура", "Предмет", "Класс", "Средний балл школы", "Средний балл региона"],
    "groups": ["Школа", "Группа по индексу качества", "Группа ИСБШ", "Пилотная площадка"],
}
# the readers, in the order of HEADERS (tests/test_templates.py reads back what `shnor template` writes)
READERS = {"schools": importers.read_schools, "statuses": importers.read_statuses, "exams": importers.read_exams,
           "groups": importers.read_groups}


def test_a_missing_column_points_to_the_template(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Школа", "ШНРО", "ШНСУ"])
    workbook.active.append(["СОШ 1", "да", "нет"])
    workbook.save(tmp_path / "s.xlsx")
    with pytest.raises(importers.ImportFailed, match=r"нет столбцов: Зона риска \(первая строка — заголовки; образец: shnor template statuses\)"):
        importers.read_statuses(tmp_path / "s.xlsx")


def test_the_template_titles_are_the_readers_titles() -> None:
    for kind, headers in HEADERS.items():
        layout = importers.LAYOUTS[kind]
        assert [c.title for c in layout.columns] == headers
        assert all(c.title.lower() in layout.wanted[c.key] for c in layout.columns)
