"""How many taps and messages the teacher and the school questionnaires take: runs the counting tests of
tests/test_taps.py (the fake Bot API), prints their tables with the targets of issue 23 and records them in
BENCHMARKS.md.

    .venv/bin/python bench/taps.py
"""

from __future__ import annotations

import subprocess
import sys

from common import ROOT, record

TESTS = ["tests/test_taps.py::test_a_returning_teacher_taps_less", "tests/test_taps.py::test_a_deputy_taps_less"]
sys.path.insert(0, str(ROOT))

from tests.test_taps import (  # noqa: E402 - the limits the tests assert
    CHANGED_LIMIT,
    DEPUTY_NEW_LIMIT,
    DEPUTY_RETURNING_LIMIT,
    DEPUTY_RISK_LIMIT,
    NEW_LIMIT,
    RETURNING_LIMIT,
)


def _rows(table: list[str]) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in table[2:]]


def targets(teachers: list[str], deputies: list[str]) -> list[str]:
    """Each target of issue 23 with the worst count of the rows it covers: met or not."""
    teacher_rows, deputy_rows = _rows(teachers), _rows(deputies)
    plain = [r for r in teacher_rows if r[0] != "one subject more"]
    changed = [r for r in teacher_rows if r[0] == "one subject more"]
    new_deputies = [r for r in deputy_rows if "a year later" not in r[0]]
    returning_deputies = [r for r in deputy_rows if "a year later" in r[0]]
    checks = [
        ("returning teacher, nothing changed", max(int(r[2]) for r in plain), RETURNING_LIMIT),
        ("returning teacher, one fact changed", max(int(r[2]) for r in changed), CHANGED_LIMIT),
        ("new teacher", max(int(r[1]) for r in teacher_rows), NEW_LIMIT),
        ("returning deputy, nothing changed", max(int(r[1]) for r in returning_deputies), DEPUTY_RETURNING_LIMIT),
        ("new deputy", max(int(r[1]) for r in new_deputies), DEPUTY_NEW_LIMIT),
        ("new deputy, risk-zone school", max(int(r[2]) for r in new_deputies), DEPUTY_RISK_LIMIT),
    ]
    out = ["| target (issue 23) | most actions counted | at most | |", "| --- | --- | --- | --- |"]
    out += [f"| {name} | {worst} | {limit} | {'met' if worst <= limit else 'NOT MET'} |" for name, worst, limit in checks]
    return out


def main() -> None:
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", *TESTS],
                         cwd=ROOT, capture_output=True, text=True)
    lines = run.stdout.splitlines()
    tables: list[list[str]] = []
    for line in lines:
        if line.startswith("| answers"):
            tables.append([])
        if line.startswith("|") and tables:
            tables[-1].append(line)
    if run.returncode or len(tables) != 2:
        sys.exit(f"the tests failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
    teachers, deputies = tables
    summary = targets(teachers, deputies)
    print("\n".join([*teachers, "", *deputies, "", *summary]))
    record("Questionnaires: taps", "\n".join([
        "Actions a person takes (each press of a button and each message), counted by the fake Bot API in "
        f"`{TESTS[0]}` and `{TESTS[1]}`: from the first question (which opens right after registration) to «Отправить»; "
        "a year later from the opening notice's «Начать» to «Отправить». Multiple-choice lists get one choice each; "
        "«one subject more» is a teacher who adds a subject to last year's on the carry screen (its number, the subject, "
        "«Готово»). A deputy types the number of teachers and presses the rest.",
        "",
        "Teachers:",
        "",
        *teachers,
        "",
        "Deputies (the school questionnaire):",
        "",
        *deputies,
        "",
        *summary,
        "",
        "The tests assert every target for every row. The rows are personas, not the worst case: a checklist (the "
        "teacher's three methodical associations, the school's three risks) costs one press for none or all of its "
        "items and one more per ticked item otherwise, so a person who ticks exactly two of three takes one action more "
        "than «typical» (a new teacher 16, a new deputy 15, a risk-zone deputy 19) — as many as the three yes/no "
        "questions took before, never more.",
    ]))


if __name__ == "__main__":
    main()
