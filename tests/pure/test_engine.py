"""The questionnaire engine: next question, parsing, validation, skip logic both ways."""

from __future__ import annotations

import pytest

from surveys import engine
from surveys.engine import AnswerError
from surveys.model import Question, QuestionType, Survey


def _survey() -> Survey:
    return Survey.model_validate(
        {
            "id": "t",
            "title": "Тест",
            "audience": "teacher",
            "questions": [
                {"name": "a", "type": "yesno", "label": "A?"},
                {"name": "b", "type": "integer", "label": "B?", "relevant": "${a} = 'yes'", "min": 0, "max": 50},
                {"name": "c", "type": "text", "label": "C?", "relevant": "${b} > 10", "required": False},
                {"name": "d", "type": "multiple", "label": "D?", "choices": [
                    {"name": "x", "label": "X"}, {"name": "y", "label": "Y"}, {"name": "z", "label": "Z"}]},
                {"name": "e", "type": "percent", "label": "E?", "relevant": "selected(${d}, 'z')",
                 "constraint": ". != 13", "constraint_message": "Только не 13."},
            ],
        }
    )


def test_next_question_follows_skip_logic() -> None:
    s = _survey()
    assert engine.next_question(s, {}).name == "a"
    assert engine.next_question(s, {"a": "no"}).name == "d"
    assert engine.next_question(s, {"a": "yes"}).name == "b"
    assert engine.next_question(s, {"a": "yes", "b": 5}).name == "d"
    assert engine.next_question(s, {"a": "yes", "b": 11}).name == "c"
    assert engine.next_question(s, {"a": "yes", "b": 11, "c": None, "d": ["x"]}) is None
    assert engine.next_question(s, {"a": "no", "d": ["z"]}).name == "e"


def test_changing_an_earlier_answer_drops_what_no_longer_applies_in_a_chain() -> None:
    s = _survey()
    answers = {"a": "yes", "b": 20, "c": "текст", "d": ["z"], "e": 40.0}
    change = engine.apply_answer(s, answers, "a", "no")
    assert change.dropped == ("b", "c")  # c depended on b, which depended on a
    assert change.answers == {"a": "no", "d": ["z"], "e": 40.0}
    change = engine.apply_answer(s, change.answers, "d", ["x", "y"])
    assert change.dropped == ("e",)
    # and back: the questions come back unanswered, to be asked again
    change = engine.apply_answer(s, change.answers, "a", "yes")
    assert change.dropped == ()
    assert engine.next_question(s, change.answers).name == "b"


def test_screens_left_never_grows_as_answers_come_in() -> None:
    """A question whose condition reads an answer still to be given is counted (it may come); once the answer is
    given it is counted exactly, so the count only goes down: by one a screen, by more when an answer rules out
    what depended on it."""
    s = _survey()
    assert engine.screens_left(s, {}) == 5  # a; b, c and e may come
    assert engine.screens_left(s, {"a": "no"}) == 2  # d and e (e may come): b and c are ruled out
    assert engine.screens_left(s, {"a": "yes"}) == 4  # b; c may come
    assert engine.screens_left(s, {"a": "yes", "b": 5}) == 2  # c is ruled out
    assert engine.screens_left(s, {"a": "yes", "b": 20}) == 3
    assert engine.screens_left(s, {"a": "yes", "b": 20, "c": None, "d": ["x"]}) == 0
    assert engine.screens_left(s, {"a": "no", "d": ["z"]}) == 1


def test_screens_left_counts_a_follow_up_with_its_question_and_a_checklist_once() -> None:
    s = Survey.model_validate({
        "id": "t", "title": "Тест", "audience": "school",
        "checklists": {"risks": {"label": "Какие риски?", "none": "Рисков нет"}},
        "questions": [
            {"name": "a", "type": "yesno", "label": "A?"},
            {"name": "b", "type": "single", "label": "B?", "inline": True, "relevant": "${a} = 'yes'",
             "choices": [{"name": "x", "label": "X"}, {"name": "y", "label": "Y"}]},
            {"name": "r1", "type": "yesno", "label": "R1?", "checklist": "risks", "item": "R1"},
            {"name": "r2", "type": "yesno", "label": "R2?", "checklist": "risks", "item": "R2"},
            {"name": "note", "type": "text", "label": "Комментарий", "required": False, "on_review": True},
        ],
    })
    assert engine.screens_left(s, {}) == 2  # a with b on its screen; the checklist; the comment is on the review
    assert engine.screens_left(s, {"a": "yes"}) == 2  # «да» typed alone: b is asked on its own screen
    assert engine.screens_left(s, {"a": "yes", "b": "x"}) == 1
    assert engine.screens_left(s, {"a": "no", "r1": "yes"}) == 1  # a checklist answered in part: one a question
    assert engine.is_complete(s, {"a": "no", "r1": "no", "r2": "no"})  # the review's comment is never waited for
    assert engine.next_question(s, {"a": "no", "r1": "no", "r2": "no"}) is None
    assert engine.previous_question(s, {"a": "no", "r1": "no", "r2": "no"}, None).name == "r2"


def test_previous_question_skips_irrelevant_ones() -> None:
    s = _survey()
    answers = {"a": "no", "d": ["z"]}
    assert engine.previous_question(s, answers, "e").name == "d"
    assert engine.previous_question(s, answers, "d").name == "a"
    assert engine.previous_question(s, answers, "a") is None
    assert engine.previous_question(s, answers, None).name == "e"


def test_skip_only_optional_questions() -> None:
    s = _survey()
    with pytest.raises(AnswerError, match="обязательный"):
        engine.skip(s, {}, s.question("a"))
    change = engine.skip(s, {"a": "yes", "b": 20}, s.question("c"))
    assert change.answers["c"] is None
    assert engine.is_complete(s, {**change.answers, "d": ["x"]})
    assert not engine.is_complete(s, {"a": "yes", "b": 20, "c": None})


def _q(qtype: str, **kw) -> Question:
    return Question.model_validate({"name": "q", "type": qtype, "label": "?", **kw})


@pytest.mark.parametrize(
    ("qtype", "raw", "value"),
    [
        ("integer", "12", 12),
        ("integer", " 1 200 ", 1200),
        ("decimal", "3,5", 3.5),
        ("decimal", "3.5", 3.5),
        ("percent", "45", 45.0),
        ("percent", "45,5 %", 45.5),
        ("percent", "45%", 45.0),
        ("date", "15.03.2026", "2026-03-15"),
        ("date", "2026-03-15", "2026-03-15"),
        ("yesno", "да", "yes"),
        ("yesno", "Нет", "no"),
        ("text", "  ответ  ", "ответ"),
    ],
)
def test_parse_good_input(qtype: str, raw: str, value: object) -> None:
    assert engine.parse_text(_q(qtype), raw) == value


@pytest.mark.parametrize(
    ("qtype", "raw", "message"),
    [
        ("percent", "14ч. 50%", "процент числом"),
        ("percent", "abc", "процент числом"),
        ("integer", "abc", "целое число"),
        ("integer", "2,5", "целое число"),
        ("decimal", "1e400", "Нужно число"),
        ("decimal", "nan", "Нужно число"),
        ("date", "32.01.2026", "ДД.ММ.ГГГГ"),
        ("date", "2026/13/01", "ДД.ММ.ГГГГ"),
        ("date", "вчера", "ДД.ММ.ГГГГ"),
        ("yesno", "может быть", "«да» или «нет»"),
        ("single", "первый", "номер варианта"),
        ("single", "3", "номера от 1 до 2"),
        ("multiple", "1 5", "номера от 1 до 2"),
        ("file", "файл", "документом"),
        ("text", "   ", "Пустой"),
    ],
)
def test_parse_bad_input(qtype: str, raw: str, message: str) -> None:
    kw = {"choices": [{"name": "a", "label": "A"}, {"name": "b", "label": "B"}]} if qtype in ("single", "multiple") else {}
    with pytest.raises(AnswerError, match=message):
        engine.parse_text(_q(qtype, **kw), raw)


def test_text_length_limit() -> None:
    with pytest.raises(AnswerError, match="не больше 10"):
        engine.parse_text(_q("text", max_length=10), "x" * 11)


@pytest.mark.parametrize(
    ("question", "value", "message"),
    [
        ({"type": "integer"}, -1, "отрицательным"),
        ({"type": "integer", "min": 1, "max": 5}, 6, "от 1 до 5"),
        ({"type": "integer", "min": 1}, 0, "не меньше 1"),
        ({"type": "decimal", "max": 2.5}, 3.0, "не больше 2,5"),
        ({"type": "percent"}, 100.5, "от 0 до 100 %"),
        ({"type": "percent"}, -1.0, "от 0 до 100 %"),
        ({"type": "integer", "constraint": ". != 13", "constraint_message": "Только не 13."}, 13, "Только не 13"),
        ({"type": "integer", "constraint": ". != 13"}, 13, "не проходит проверку"),
    ],
)
def test_check_value_bounds_and_constraints(question: dict, value: object, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        engine.check_value(_q(question.pop("type"), **question), value, {})


def test_constraint_may_use_earlier_answers() -> None:
    q = _q("integer", constraint=". <= ${total}", constraint_message="Не больше общего числа.")
    engine.check_value(q, 5, {"total": 10})
    with pytest.raises(AnswerError, match="общего числа"):
        engine.check_value(q, 11, {"total": 10})


def test_format_value() -> None:
    s = _survey()
    assert engine.format_value(s.question("a"), "yes") == "Да"
    assert engine.format_value(s.question("d"), ["x", "z"]) == "X; Z"
    assert engine.format_value(s.question("e"), 45.5) == "45,5 %"
    assert engine.format_value(s.question("c"), None) == "пропущено"  # the screens put their own dash before it
    assert engine.format_lines(s.question("d"), ["x", "z"]) == ["X", "Z"]  # a list one item a line
    assert engine.format_lines(s.question("c"), None) == ["пропущено"]
    assert engine.format_value(_q("date"), "2026-03-15") == "15.03.2026"
    assert engine.format_value(_q("file"), {"file_id": "x", "file_name": "a.pdf"}) == "файл «a.pdf»"
    assert engine.order_selection(s.question("d"), {"z", "x"}) == ["x", "z"]
    assert QuestionType.PERCENT in {q.type for q in s.questions}


def test_huge_numbers_are_refused_before_they_are_read():
    """Python will not read an integer of 4,301 digits; the bot answers in Russian before trying."""
    from surveys.engine import AnswerError

    for qtype in ("integer", "decimal", "percent"):
        with pytest.raises(AnswerError, match="Слишком длинное число"):
            engine.parse_text(_q(qtype), "9" * 4301)
    assert engine.parse_text(_q("integer"), "1 000") == 1000


def test_every_type_has_its_one_entry():
    """Reading, checking, showing, prompting, the widget and the demonstration of a type live in surveys.types."""
    from surveys.model import QuestionType
    from surveys.types import TYPES

    assert set(TYPES) == set(QuestionType)
