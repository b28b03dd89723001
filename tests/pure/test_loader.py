"""Loading definitions: the packs, YAML errors and XLSForm workbooks."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from surveys.loader import (
    DefinitionError,
    available_packs,
    load_definition,
    load_pack,
    load_xlsform,
    load_yaml,
)
from surveys.model import QuestionType


def test_packs_load() -> None:
    assert available_packs() == ["municipality", "school", "teacher"]
    teacher = load_pack("teacher")
    assert teacher.audience == "teacher"
    # short: a teacher finishes in about two minutes (mostly taps)
    assert len(teacher.questions) <= 20
    assert load_pack("school").question("ped_workers").type == QuestionType.INTEGER


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "form.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """
id: f
title: Форма
audience: teacher
questions:
"""


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("  - {name: a, type: number, label: A}", ["вопрос «a»", "поле «type»", "недопустимое значение 'number'"]),
        ("  - {name: a, type: yesno}", ["вопрос «a»", "поле «label»", "поле обязательно"]),
        ("  - {name: 'a b', type: yesno, label: A}", ["поле «name»", "недопустимые символы"]),
        ("  - {name: a, type: yesno, label: A, colour: red}", ["поле «colour»", "неизвестное поле"]),
        ("  - {name: a, type: single, label: A, choices: [{name: x, label: X}]}", ["вопрос «a»", "поле «choices»", "не меньше двух"]),
        ("  - {name: a, type: yesno, label: A}\n  - {name: a, type: yesno, label: B}", ["вопрос «a»", "повторяется"]),
        ("  - {name: a, type: yesno, label: A, relevant: \"${b} = 'yes'\"}\n  - {name: b, type: yesno, label: B}",
         ["вопрос «a»", "поле «relevant»", "следующий или этот же вопрос"]),
        ("  - {name: a, type: yesno, label: A, relevant: \"${zzz} = 'yes'\"}", ["несуществующий вопрос"]),
        ("  - {name: a, type: yesno, label: A, relevant: \"${a} = \"}", ["поле «relevant»", "ошибка в выражении"]),
        ("  - {name: a, type: integer, label: A, min: 5, max: 1}", ["поле «min/max»", "min больше max"]),
        ("  - {name: a, type: text, label: A, min: 5}", ["границы бывают только у числовых"]),
        ("  - {name: a, type: yesno, label: A, relevant: '. = 1'}", ["допустима только в constraint"]),
        ("  - {name: a, type: single, label: A, choices: no_such_list}", ["нет списка вариантов «no_such_list»"]),
    ],
)
def test_yaml_errors_name_the_file_question_and_field(tmp_path: Path, body: str, fragments: list[str]) -> None:
    path = _write(tmp_path, BASE + body + "\n")
    with pytest.raises(DefinitionError) as info:
        load_yaml(path)
    message = str(info.value)
    assert str(path) in message
    for fragment in fragments:
        assert fragment in message, message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + "  - {name: a, type: yesno\n")
    with pytest.raises(DefinitionError, match="строка"):
        load_yaml(path)


def test_missing_audience(tmp_path: Path) -> None:
    path = _write(tmp_path, "id: f\ntitle: T\nquestions:\n  - {name: a, type: yesno, label: A}\n")
    with pytest.raises(DefinitionError, match="поле «audience»: поле обязательно"):
        load_yaml(path)


def _xlsform(tmp_path: Path, rows: list[list[str]], choices: list[list[str]] | None = None, settings: dict | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label", "required", "relevant", "constraint", "constraint_message", "hint", "appearance"])
    for row in rows:
        ws.append(row + [""] * (9 - len(row)))
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    for row in choices or [["yn", "yes", "Да"], ["yn", "no", "Нет"], ["forms", "mentor", "Наставник"], ["forms", "tutor", "Тьютор"]]:
        ch.append(row)
    if settings:
        st = wb.create_sheet("settings")
        st.append(list(settings))
        st.append(list(settings.values()))
    path = tmp_path / "form.xlsx"
    wb.save(path)
    return path


def test_xlsform_maps_every_type(tmp_path: Path) -> None:
    path = _xlsform(
        tmp_path,
        [
            ["select_one yn", "support", "Получали поддержку?", "yes", "", "", "", "Подсказка"],
            ["select_multiple forms", "forms", "В какой форме?", "yes", "${support} = 'yes'"],
            ["integer", "hours", "Сколько часов?", "no", "", ". >= 1 and . <= 500", "От 1 до 500"],
            ["decimal", "share", "Доля, %", "no", "", "", "", "", "percent"],
            ["decimal", "ratio", "Коэффициент", "no"],
            ["date", "when", "Когда?", "no"],
            ["text", "note", "Комментарий", "no"],
            ["file", "doc", "Документ", "no"],
        ],
        settings={"form_id": "support_form", "form_title": "Поддержка", "version": "2026.2", "audience": "school"},
    )
    survey = load_definition(path)
    assert (survey.id, survey.title, survey.version, survey.audience) == ("support_form", "Поддержка", "2026.2", "school")
    types = {q.name: q.type for q in survey.questions}
    assert types == {
        "support": QuestionType.YESNO,
        "forms": QuestionType.MULTIPLE,
        "hours": QuestionType.INTEGER,
        "share": QuestionType.PERCENT,
        "ratio": QuestionType.DECIMAL,
        "when": QuestionType.DATE,
        "note": QuestionType.TEXT,
        "doc": QuestionType.FILE,
    }
    assert survey.question("support").hint == "Подсказка" and survey.question("support").required
    assert survey.question("forms").relevant == "${support} = 'yes'"
    assert [c.label for c in survey.question("forms").choices] == ["Наставник", "Тьютор"]
    assert survey.question("hours").constraint_message == "От 1 до 500" and not survey.question("hours").required


def test_xlsform_errors_name_the_row(tmp_path: Path) -> None:
    path = _xlsform(
        tmp_path,
        [
            ["select_one yn", "support", "Получали поддержку?", "yes"],
            ["integer", "hours", "Сколько часов?", "no", "${later} > 1"],
            ["integer", "later", "Позже", "no"],
        ],
    )
    with pytest.raises(DefinitionError) as info:
        load_xlsform(path)
    message = str(info.value)
    assert "строка 3" in message and "вопрос «hours»" in message and "поле «relevant»" in message


def test_xlsform_unsupported_type_and_broken_file(tmp_path: Path) -> None:
    path = _xlsform(tmp_path, [["geopoint", "where", "Где?", "no"]])
    with pytest.raises(DefinitionError, match="строка 2.*тип «geopoint» не поддерживается"):
        load_xlsform(path)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    with pytest.raises(DefinitionError, match="broken.xlsx: это текстовый файл .* а не книга Excel"):
        load_xlsform(broken)
    wb = openpyxl.Workbook()
    wb.active.title = "questions"
    wb.save(tmp_path / "nosurvey.xlsx")
    with pytest.raises(DefinitionError, match="survey"):
        load_xlsform(tmp_path / "nosurvey.xlsx")


def test_facts_of_the_school_are_read_only_names(tmp_path: Path) -> None:
    """$name is a fact of the respondent's school in the period; an unknown one is refused at load time."""
    path = _xlsform(
        tmp_path,
        [
            ["select_one yn", "assessed", "Оценка дефицитов проведена?", "yes", "$risk_zone"],
            ["integer", "staff", "Сколько педагогов?", "yes", "", ". >= 1 and (string-length($ped_workers_before) = 0 or . <= $ped_workers_before * 2)"],
        ],
    )
    survey = load_xlsform(path)
    assert survey.question("assessed").relevant == "$risk_zone"

    bad = _write(tmp_path, BASE + "  - {name: a, type: yesno, label: A, relevant: '$risk_zon'}\n")
    with pytest.raises(DefinitionError) as info:
        load_yaml(bad)
    message = str(info.value)
    assert "вопрос «a»" in message and "поле «relevant»" in message and "неизвестный факт $risk_zon" in message
    assert "$risk_zone" in message  # the known ones are listed


def test_school_pack_asks_the_risk_zone_questions_by_the_status_alone() -> None:
    from surveys import engine

    school = load_pack("school")
    risk_questions = ["deficit_assessment", "internet_risk_removed", "computers_risk_removed", "staff_risk_removed"]
    answers = {q.name: "no" for q in school.questions if q.type == QuestionType.YESNO and not q.relevant}
    answers["risk_internet"] = "yes"  # a risk identified: its removal is still asked of a risk-zone school
    visible = [q.name for q in engine.visible_questions(school, answers, {"risk_zone": True})]
    assert all(name in visible for name in risk_questions)
    hidden = [q.name for q in engine.visible_questions(school, answers, {"risk_zone": False})]
    assert not any(name in hidden for name in risk_questions)
    assert not any(name in [q.name for q in engine.visible_questions(school, answers)] for name in risk_questions)


def test_deeply_nested_yaml_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("id: x\ntitle: X\naudience: teacher\nquestions: " + "[" * 3000 + "1" + "]" * 3000 + "\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="deep.yaml: слишком глубокая вложенность списков и словарей"):
        load_yaml(path)


def test_xlsform_reads_carry_over_inline_and_purpose(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", "label", "required", "relevant", "carry_over", "inline", "purpose"])
    ws.append(["select_one yn", "support", "Получали поддержку?", "yes", "", "", "", ""])
    ws.append(["select_multiple forms", "forms", "В какой форме?", "yes", "${support} = 'yes'", "suggest", "yes", "report"])
    ws.append(["select_one yn", "member", "Входите в ММО?", "yes", "", "fact", "", ""])
    ws.append(["text", "note", "Комментарий", "no", "", "", "", "пояснение для координатора"])
    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", "label"])
    for row in (["yn", "yes", "Да"], ["yn", "no", "Нет"], ["forms", "mentor", "Наставник"], ["forms", "tutor", "Тьютор"]):
        ch.append(row)
    wb.save(tmp_path / "form.xlsx")
    survey = load_definition(tmp_path / "form.xlsx")
    forms = survey.question("forms")
    assert (forms.carry_over, forms.inline, forms.purpose) == ("suggest", True, "report")
    assert survey.question("member").carry_over == "fact" and survey.inline_follow_up("support") is forms
    assert survey.question("note").purpose == "пояснение для координатора" and survey.inline_follow_up("member") is None


@pytest.mark.parametrize("questions, expected", [
    # a follow-up after a question that is not yes/no
    ([{"name": "n", "type": "integer", "label": "N"},
      {"name": "f", "type": "single", "label": "F", "inline": True, "relevant": "${n} = 1",
       "choices": [{"name": "a", "label": "A"}, {"name": "b", "label": "B"}]}], "вопросом «да/нет»"),
    # asked on another condition than «да» to the question before it
    ([{"name": "q", "type": "yesno", "label": "Q"},
      {"name": "f", "type": "single", "label": "F", "inline": True, "relevant": "${q} = 'no'",
       "choices": [{"name": "a", "label": "A"}, {"name": "b", "label": "B"}]}], "ровно ${q} = 'yes'"),
    # not a choice question
    ([{"name": "q", "type": "yesno", "label": "Q"},
      {"name": "f", "type": "text", "label": "F", "inline": True, "relevant": "${q} = 'yes'"}], "только вопрос с вариантами"),
    # a file carried over
    ([{"name": "f", "type": "file", "label": "F", "carry_over": "fact"}], "не переносится"),
    ([{"name": "q", "type": "yesno", "label": "Q", "carry_over": "always"}], "недопустимое значение"),
])
def test_inline_and_carry_over_are_checked(questions, expected) -> None:
    from surveys.loader import build_survey

    with pytest.raises(DefinitionError) as info:
        build_survey({"id": "x", "title": "X", "audience": "teacher", "questions": questions}, "x.yaml")
    assert expected in str(info.value)
