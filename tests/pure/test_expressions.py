"""Expression evaluation: the XLSForm subset used by relevant and constraint."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from surveys.expressions import ExpressionError, compile_expression, evaluate

ANSWERS = {
    "role": "teacher",
    "iom": "yes",
    "kinds": ["subject", "psych"],
    "n": 12,
    "share": 45.5,
    "skipped": None,
    "day": "2026-03-15",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${iom} = 'yes'", True),
        ("${iom} != 'yes'", False),
        ("${iom} = \"yes\"", True),
        ("${role} = 'teacher' and ${iom} = 'yes'", True),
        ("${role} = 'head' or ${iom} = 'no'", False),
        ("not(${role} = 'head')", True),
        ("not(${role} = 'teacher') or (${n} > 10 and ${n} < 20)", True),
        ("selected(${kinds}, 'psych')", True),
        ("selected(${kinds}, 'methodical')", False),
        ("selected(${iom}, 'yes')", True),
        ("count-selected(${kinds}) >= 2", True),
        ("count-selected(${skipped}) = 0", True),
        ("${n} >= 12", True),
        ("${n} > 12", False),
        ("${n} = 12.0", True),
        ("${share} <= 45.5", True),
        ("${n} + 3 = 15", True),
        ("${n} * 2 - 4 = 20", True),
        ("${n} div 4 = 3", True),
        ("${n} mod 5 = 2", True),
        ("-${n} < 0", True),
        ("${skipped} = ''", True),
        ("${missing} = ''", True),
        ("${missing} > 0", False),
        ("${missing} < 0", False),
        ("${skipped} != 'yes'", True),
        ("${day} < '2026-04-01'", True),
        ("string-length(${role}) = 7", True),
        ("true() and not(false())", True),
        ("${n} div 0 = 0", False),
    ],
)
def test_evaluates(source: str, expected: bool) -> None:
    assert evaluate(source, ANSWERS) is expected


@pytest.mark.parametrize(
    ("source", "current", "expected"),
    [
        (". >= 0 and . <= 100", 50, True),
        (". >= 0 and . <= 100", 100.5, False),
        (". <= ${n}", 12, True),
        (". <= ${n}", 13, False),
        (". <= today()", "2026-01-01", True),
        (". <= today()", "2027-01-01", False),
        ("string-length(.) <= 5", "длинный", False),
    ],
)
def test_constraints_use_the_current_value(source: str, current: object, expected: bool) -> None:
    expr = compile_expression(source)
    assert expr.evaluate(ANSWERS, current, today=dt.date(2026, 11, 22)) is expected


def test_references_are_collected() -> None:
    expr = compile_expression("${a} = 'x' and selected(${b}, 'y') or not(${c} > .)")
    assert expr.references == {"a", "b", "c"}
    assert expr.uses_dot


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "пустое"),
        ("${a} = ", "оборвано"),
        ("${a} == 'x'", "неожиданное"),
        ("${a} = 'x' ${b}", "лишнее"),
        ("foo(${a})", "неизвестная функция"),
        ("selected(${a})", "аргументов: 2"),
        ("(${a} = 'x'", "ожидалось"),
        ("${a} = 'x' & ${b}", "непонятный символ"),
        ("${1a} = 1", "непонятный символ"),
    ],
)
def test_syntax_errors_are_explained(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        compile_expression(source)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("(" * 2000 + "1" + ")" * 2000, "выражение длиннее 2000 символов (4001)"),
        ("(" * 51 + "1" + ")" * 51, "слишком глубокая вложенность скобок, функций и минусов (больше 50)"),
        ("not(" * 51 + "1" + ")" * 51, "слишком глубокая вложенность"),
        ("- " * 51 + "1", "слишком глубокая вложенность"),
        (" or ".join(["1"] * 202), "слишком длинная цепочка операций (больше 200)"),
    ],
)
def test_expressions_are_bounded_before_python_recursion_is(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=re.escape(message)):
        compile_expression(source)


def test_expressions_at_the_bounds_still_work() -> None:
    assert evaluate("(" * 50 + "${n} > 1" + ")" * 50, ANSWERS)
    assert evaluate(" + ".join(["1"] * 199) + " = 199", ANSWERS)  # a tree 200 deep
