"""storage.xlsx's estimate of text in cells, against what LibreOffice drew (Carlito, the metrics of Calibri)
when it was calibrated: one line's width in «0»s, and the lines of a wrapped cell."""

from __future__ import annotations

import pytest

from storage.xlsx import (
    BOLD,
    HINTING,
    PADDING,
    ZERO_PT,
    line_count,
    line_height,
    longest_word,
    room,
    row_height,
    text_width,
    upright_height,
)

# width in «0» measured in LibreOffice's PDF (word box / the width of one «0», 5.586 pt), regular and bold
MEASURED = [
    ("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", 34.378, 35.575),
    ("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ", 39.979, 41.08),
    ("abcdefghijklmnopqrstuvwxyz", 23.358, 23.965),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 28.377, 29.025),
    ("0123456789", 9.998, 9.998),
    ("Знаменатель", 10.915, 11.167),
    ("ответивших", 9.844, 10.1),
    ("общеобразовательное", 19.135, 19.48),
    ("«Средняя»№12,%", 14.993, 15.367),
]


@pytest.mark.parametrize(("text", "regular", "bold"), MEASURED)
def test_the_width_is_the_drawn_one_made_wider_for_excel(text, regular, bold):
    """The table's design widths (each rounded up to 0.05) are within 4 % of what LibreOffice drew, 8 % in
    bold (BOLD is the widest letters' ratio); the estimate adds Excel's hinting on top: never narrower."""
    assert regular <= text_width(text) / HINTING <= regular * 1.04
    assert bold <= text_width(text, bold=True) / HINTING <= bold * 1.08
    assert text_width(text, bold=True) / BOLD == pytest.approx(text_width(text))


def test_cyrillic_is_wider_than_latin_and_digits():
    assert text_width("мама мыла раму") > text_width("mama myla ramu") > text_width("0000 0000 0000") * 0.8
    assert text_width("Ш") > text_width("ш") > text_width("i") * 2
    assert text_width("中文") > text_width("ab")  # full-width characters are counted wide


# (column width, bold, lines LibreOffice drew, the text): cells wrapped in LibreOffice 7.4
DRAWN = [
    (20, False, 3, "Доля педагогов ШНРО/ШНСУ, имеющих ИОМ"),
    (20, True, 5, "Организовать мониторинг школьного благополучия обучающихся."),
    (20, False, 6, "Разработать и утвердить ШППКО (или концепцию развития и среднесрочную программу «500+»)."),
    (20, False, 7, "Запланировать пополнение компьютерного парка (региональные и муниципальные программы оснащения)."),
    (20, True, 4, "Школу сопровождает школа-лидер / директор-лидер (500+)"),
    (40, True, 6, "Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № 12 "
                  "имени Героя Советского Союза И. И. Иванова» Краснооктябрьского муниципального района"),
    (40, False, 3, "Организовать привлечение кадров (целевое обучение, «Земский учитель», совместительство, сетевые формы)."),
    (60, False, 3, "Организовать разработку ИОМ педагогов (программ профессионального развития) совместно с "
                   "муниципальной методической службой."),
]


@pytest.mark.parametrize(("width", "bold", "drawn", "text"), DRAWN)
def test_wrapped_lines_never_fewer_than_drawn(width, bold, drawn, text):
    """Never fewer lines than LibreOffice drew (a row sized by the estimate does not clip), at most one more
    (Excel, whose glyphs are wider, may need it)."""
    assert drawn <= line_count(text, width, bold=bold) <= drawn + 1


def test_line_breaks():
    assert line_count("", 10) == 1
    assert line_count("да", 10) == 1
    assert line_count("первая\nвторая", 40) == 2  # a new line in the text is a new line
    assert line_count("психолого-педагогических", 16) == 2  # breaks after the hyphen, not inside a word
    assert line_count("а" * 60, 10) > 6  # a word longer than the column is broken inside
    word = "Знаменатель"
    assert line_count(word, longest_word(word, bold=True) + PADDING, bold=True) == 1
    assert line_count(word, longest_word(word, bold=True) + PADDING - 0.5, bold=True) == 2
    assert line_count("нет данных", 8) == 2 and line_count("нет данных", 12) == 1


def test_heights():
    assert line_height() == 15 and line_height(9) < 15 < line_height(12)
    assert row_height(1) >= 15 and row_height(3) >= 3 * 15
    assert row_height(100) == 409  # Excel's tallest row
    name = "Муниципальное бюджетное общеобразовательное учреждение «Средняя школа № 1»"
    height = upright_height(name, 8, size=9)
    across = int(room(8) * ZERO_PT // line_height(9))
    assert line_count(name, height / ZERO_PT, size=9) <= across
    assert line_count(name, (height - 5) / ZERO_PT, size=9) > across  # the lowest that holds it
