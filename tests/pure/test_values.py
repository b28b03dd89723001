"""Values as the documents show them."""

from __future__ import annotations

from scoring import word


def test_change_text():
    from fractions import Fraction

    from scoring.indicators import Value

    a = Value("M2.4.4", None, value=Fraction(1, 4), points=0, max_points=1)
    b = Value("M2.4.4", None, value=Fraction(3, 4), points=1, max_points=1)
    none = Value("M2.4.4", None, value=None, max_points=1)
    assert word.change_text(a, b) == "+50,0 п. п.; порог достигнут"
    assert word.change_text(b, a) == "\u221250,0 п. п.; ниже порога"
    assert word.change_text(none, b) == "—" and word.value_text(none) == "нет данных"
    assert word.value_text(b) == "75,0 % (1)" and word.value_text(b, points=False) == "75,0 %"
