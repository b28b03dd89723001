"""Where people stop (scoring.stops) on counts made by hand: who reached a question, who stopped there, the median
time on it; the summary's line for a question that loses more than a tenth, and the workbook's sheet."""

from __future__ import annotations

import io
from dataclasses import replace
from fractions import Fraction

import pytest

from scoring import report, stops, text
from scoring.stops import HOUR, REVIEW, PackCounts, duration, median, pack_stops

QUESTIONS = (("position", "Ваша должность"), ("subjects", "Какие предметы вы преподаёте?"),
             ("diagnostics", "В этом учебном году вы участвовали в диагностике профессиональных дефицитов?"))
# 40 teachers began: 20 sent it; of the 12 drafts 2 stopped at the first question, 1 at the subjects, 5 at the
# diagnostics (one of them went back to it after answering it), 3 at the review, and 1 is older than the screens' record.
TEACHERS = PackCounts(
    "teacher", "Анкета педагога", QUESTIONS,
    answered={"position": 38, "subjects": 30, "diagnostics": 25},
    stopped={"position": 2, "subjects": 1, "diagnostics": 5, REVIEW: 3},
    stopped_answered={"diagnostics": 1},
    seconds={"position": {125: 1}, "diagnostics": {5: 3, 12: 4, 40: 2, HOUR: 1}},
    submitted=20, drafts=12, unknown=1,
)


def _rows(counts: PackCounts = TEACHERS) -> dict[str, stops.QuestionStop]:
    return {row.name: row for row in pack_stops(counts).rows}


def test_reached_and_stopped_per_question():
    rows = _rows()
    assert [(r.name, r.reached, r.stopped) for r in rows.values()] == [
        ("position", 40, 2), ("subjects", 31, 1),
        ("diagnostics", 29, 5),  # 25 answered + 5 stopped there, one of whom had answered it: 29 people, not 30
        (REVIEW, 23, 3),  # the 20 who sent it and the 3 at the review
    ]
    assert rows["diagnostics"].loss == Fraction(5, 29) and rows["diagnostics"].losing
    assert rows[REVIEW].losing and not rows["position"].losing and not rows["subjects"].losing
    pack = pack_stops(TEACHERS)
    assert (pack.started, pack.submitted, pack.unknown) == (32, 20, 1)


def test_losing_is_more_than_a_tenth():
    at_tenth = replace(TEACHERS, answered={"position": 9}, stopped={"position": 1}, stopped_answered={}, seconds={},
                       submitted=0, drafts=1)
    assert _rows(at_tenth)["position"].loss == Fraction(1, 10) and not _rows(at_tenth)["position"].losing
    above = replace(at_tenth, answered={"position": 8})
    assert _rows(above)["position"].losing
    nobody = _rows(replace(TEACHERS, answered={}, stopped={}, stopped_answered={}, seconds={}, submitted=0, drafts=0))
    assert nobody["subjects"].reached == 0 and nobody["subjects"].loss is None and not nobody["subjects"].losing


def test_the_median_time():
    rows = _rows()
    assert rows["diagnostics"].median == 12 and rows["diagnostics"].timed == 10  # 5,5,5,12,12,12,12,40,40,3600
    assert rows["position"].median == 125 and rows["position"].timed == 1
    assert rows["subjects"].median is None and rows["subjects"].timed == 0  # no time is not 0 s
    assert median({}) is None and median({7: 1}) == 7
    assert median({1: 1, 9: 1}) == 1  # the lower median of an even count
    assert median({10: 1, HOUR: 3}) == HOUR
    assert [duration(s) for s in (0, 41, 60, 125, HOUR - 1, HOUR)] == [
        "0 с", "41 с", "1 мин 00 с", "2 мин 05 с", "59 мин 59 с", "час и больше"]


def test_a_question_only_an_older_version_had_is_kept():
    older = replace(TEACHERS, answered={**TEACHERS.answered, "old_question": 4}, stopped={**TEACHERS.stopped, "old_question": 1})
    rows = [r.name for r in pack_stops(older).rows]
    assert rows == ["position", "subjects", "diagnostics", "old_question", REVIEW]


def test_the_summary_names_each_question_that_loses_more_than_a_tenth():
    lines = [line.plain_text for line in stops.losing_lines([pack_stops(TEACHERS)])]
    assert lines[0] == "" and lines[1].startswith("Где останавливаются (")
    assert lines[2:] == [
        "• Анкета педагога: «В этом учебном году вы участвовали в диагностике профессиональных дефицитов?» — "
        "остановились 5 из 29 дошедших (17,2 %); медиана времени на вопросе 12 с (по 10 ответам)",
        "• Анкета педагога: «Проверка ответов (не нажали «Отправить»)» — остановились 3 из 23 дошедших (13,0 %)",
    ]
    calm = replace(TEACHERS, stopped={"position": 1}, stopped_answered={})
    assert stops.losing_lines([pack_stops(calm)]) == []  # nothing to say: no heading either


@pytest.fixture(scope="module")
def summary():
    from tests.pure.test_scoring_renderers import _summary

    found = _summary()
    found.stops = [pack_stops(TEACHERS)]
    return found


def test_the_summary_text_ends_with_the_lines(summary):
    lines = [line.plain_text for line in text.summary_lines(summary)]
    assert lines[-3].startswith("Где останавливаются")
    assert lines[-2].startswith("• Анкета педагога: «В этом учебном году") and lines[-1].startswith("• Анкета педагога: «Проверка")


def test_the_workbook_sheet(summary):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
    assert "Где останавливаются" in book.sheetnames
    rows = list(book["Где останавливаются"].iter_rows(values_only=True))
    assert rows[0][0].startswith("Где останавливаются, период 2026-2027 (Анкета педагога: начали 32, отправили 20, "
                                 "у 1 черновика экран не записан")
    assert rows[1] == tuple(stops.SHEET_HEADERS)
    assert rows[2:] == [
        ("Анкета педагога", 1, "Ваша должность", 40, 2, 0.05, 125, 1),
        ("Анкета педагога", 2, "Какие предметы вы преподаёте?", 31, 1, 0.0323, None, 0),
        ("Анкета педагога", 3, QUESTIONS[2][1], 29, 5, 0.1724, 12, 10),
        ("Анкета педагога", None, "Проверка ответов (не нажали «Отправить»)", 23, 3, 0.1304, None, None),
    ]


def test_the_review_screen_is_the_one_the_answer_path_records():
    from surveys.store import REVIEW_SCREEN

    assert REVIEW == REVIEW_SCREEN
