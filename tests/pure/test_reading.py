"""Typed answers where buttons are offered (surveys.reading): «да», «нет», an option's number or its words."""

from __future__ import annotations

import pytest

from surveys import reading
from surveys.errors import AnswerError

POSITIONS = ["Учитель", "Руководитель (директор, заместитель)", "Педагог-психолог, логопед, социальный педагог", "Другое"]
SUBJECTS = ["Русский язык и литература", "Математика", "Начальные классы", "Физика, химия, биология",
            "История, обществознание, география", "Иностранный язык", "Информатика", "Другие предметы"]
EVENTS = ["выступал(а) или публиковал(ась)", "без выступлений и публикаций"]


@pytest.mark.parametrize(("text", "answer"), [
    ("да", True), ("Да", True), ("ДА!", True), (" да. ", True), ("+", True), ("д", True),
    ("нет", False), ("Нет.", False), ("-", False), ("н", False),
    ("Нет, не участвовал(а)", False), ("нет, не участвовал", False),  # the question's own words for «нет»
    ("может быть", None), ("данет", None), ("1", None), ("", None),
])
def test_yes_and_no(text: str, answer: bool | None) -> None:
    assert reading.yes_no(text, "Нет, не участвовал(а)") is answer


@pytest.mark.parametrize(("text", "index"), [
    ("1", 0), (" 2 ", 1), ("4.", 3),
    ("учитель", 0), ("УЧИТЕЛЬ", 0), ("Учит", 0),  # the label, any case, a unique beginning of three letters or more
    ("руководитель", 1), ("психолог", 2), ("логопед", 2),  # words that begin words of one label only
    ("другое", 3), ("Другое.", 3),
])
def test_one_option(text: str, index: int) -> None:
    assert reading.pick(POSITIONS, text) == index


def test_yo_and_e_are_one_letter() -> None:
    assert reading.pick(["Всё сделано", "Ничего"], "все сделано") == 0
    assert reading.pick(["Все сделано", "Ничего"], "всё сделано") == 0


@pytest.mark.parametrize(("labels", "text", "message"), [
    (POSITIONS, "5", "Варианта с номером 5 нет: номера от 1 до 4."),
    (POSITIONS, "0", "номера от 1 до 4"),
    (POSITIONS, "99999999999999999999", "номера от 1 до 4"),
    (POSITIONS, "у", "Не понял ответ «у»"),  # one letter is not enough to stand for an option
    (POSITIONS, "повар", "Не понял ответ «повар»: напишите номер варианта (от 1 до 4) или нажмите кнопку."),
    (SUBJECTS, "ин", "Не понял ответ"),  # two letters: «Иностранный» or «Информатика»
    (SUBJECTS, "язык", "подходит к нескольким вариантам (1 — «Русский язык и литература», 6 — «Иностранный язык»)"),
])
def test_what_cannot_be_read_says_why_in_one_line(labels: list[str], text: str, message: str) -> None:
    with pytest.raises(AnswerError) as caught:
        reading.pick(labels, text)
    assert message in caught.value.message and "\n" not in caught.value.message


def test_three_letters_tell_two_options_apart() -> None:
    assert reading.pick(SUBJECTS, "ино") == 5
    assert reading.pick(SUBJECTS, "инф") == 6


def test_ambiguous_words() -> None:
    with pytest.raises(AnswerError) as caught:
        reading.pick(["Другое", "Другие предметы"], "друг")
    assert caught.value.message == ("«друг» подходит к нескольким вариантам (1 — «Другое», 2 — «Другие предметы»): "
                                    "напишите номер варианта.")


@pytest.mark.parametrize(("text", "indexes"), [
    ("2", [1]), ("1 3", [0, 2]), ("3, 1", [0, 2]), ("1,3", [0, 2]), ("1;3;3", [0, 2]), ("7 2", [1, 6]),
    ("математика", [1]),
    ("Физика, химия, биология", [3]),  # a label's own commas: the whole text is that one label
    ("математика, информатика", [1, 6]),
    ("математика; физика, химия, биология", [1, 3]),
    ("физика, математика", [1, 3]),
    ("Математика\nИнформатика", [1, 6]),
])
def test_several_options(text: str, indexes: list[int]) -> None:
    assert reading.picks(SUBJECTS, text) == indexes


@pytest.mark.parametrize(("text", "message"), [
    ("1 9", "Варианта с номером 9 нет: номера от 1 до 8."),
    ("математика, повар", "Не понял ответ «повар»"),
    ("повар", "Не понял ответ «повар»"),
])
def test_several_options_that_cannot_be_read(text: str, message: str) -> None:
    with pytest.raises(AnswerError, match=message):
        reading.picks(SUBJECTS, text)


@pytest.mark.parametrize(("text", "rest"), [
    ("да, без выступлений", "без выступлений"), ("Да: 2", "2"), ("да - выступал", "выступал"),
    ("да", None), ("дальше", None), ("без выступлений", None),
])
def test_a_leading_yes(text: str, rest: str | None) -> None:
    assert reading.leading_yes(text) == rest


def test_a_follow_up_option_by_its_words() -> None:
    assert reading.pick(EVENTS, "без выступлений") == 1
    assert reading.pick(EVENTS, "выступал") == 0
    assert reading.pick(EVENTS, "публиковал") == 0  # begins a word of the first only («публикаций» does not begin so)


def test_long_text_is_quoted_short() -> None:
    with pytest.raises(AnswerError) as caught:
        reading.pick(POSITIONS, "я" * 4000)
    assert len(caught.value.message) < 200
