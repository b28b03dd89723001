"""How many taps and messages the teacher questionnaire takes: runs tests/test_taps.py (the fake Bot API)
and records the table it prints in BENCHMARKS.md.

    .venv/bin/python bench/taps.py
"""

from __future__ import annotations

import subprocess
import sys

from common import ROOT, record

TEST = "tests/test_taps.py::test_a_returning_teacher_taps_less"


def main() -> None:
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", TEST],
                         cwd=ROOT, capture_output=True, text=True)
    table = [line for line in run.stdout.splitlines() if line.startswith("|")]
    if run.returncode or not table:
        sys.exit(f"the test failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
    print("\n".join(table))
    record("Teacher questionnaire: taps", "\n".join([
        "Actions a teacher takes (each press of a button and each message), counted by the fake Bot API in "
        f"`{TEST}`: a new teacher from the first question, which opens right after registration, to «Отправить»; "
        "the same teacher a year later with nothing changed, from the opening notice's «Начать» to «Отправить». "
        "Multiple-choice lists get one choice each.",
        "",
        *table,
        "",
        "Targets (issue 14): at most 16 for a new teacher, at most 12 for a returning one; the test asserts both "
        "for every row.",
    ]))


if __name__ == "__main__":
    main()
