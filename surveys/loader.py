"""Loading survey definitions from YAML files and XLSForm workbooks into the typed model.

Every definition error names the file, the question (or the XLSForm row) and the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from surveys.expressions import ExpressionError, compile_expression
from surveys.facts import FACTS
from surveys.model import CHOICE_TYPES, NUMERIC_TYPES, Question, QuestionType, Survey
from surveys.types import TYPED, TYPES, XLSFORM_TYPES

if TYPE_CHECKING:
    from storage.workbook import Limits

PACKS_DIR = Path(__file__).parent / "packs"


@dataclass(frozen=True, slots=True)
class DefinitionProblem:
    question: str | None
    field: str | None
    message: str
    row: int | None = None

    def render(self, source: str) -> str:
        where = [source]
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.question:
            where.append(f"вопрос «{self.question}»")
        if self.field:
            where.append(f"поле «{self.field}»")
        return f"{', '.join(where)}: {self.message}"


class DefinitionError(ValueError):
    def __init__(self, source: str, problems: list[DefinitionProblem]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(p.render(source) for p in problems))


# --- YAML ----------------------------------------------------------------------------------


def load_yaml(path: str | Path) -> Survey:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise DefinitionError(str(path), [DefinitionProblem(None, None, f"ошибка YAML: {exc}", row)]) from exc
    except OSError as exc:
        raise DefinitionError(str(path), [DefinitionProblem(None, None, f"файл не читается: {exc}")]) from exc
    except RecursionError:  # PyYAML composes nested lists and maps recursively
        raise DefinitionError(str(path), [DefinitionProblem(None, None, "слишком глубокая вложенность списков и словарей: "
                                                                        "это не определение анкеты")]) from None
    if not isinstance(raw, dict):
        raise DefinitionError(str(path), [DefinitionProblem(None, None, "ожидался словарь с полями id, title, audience, questions")])
    return build_survey(_resolve_choice_lists(raw, str(path)), str(path))


def _resolve_choice_lists(raw: dict[str, Any], source: str) -> dict[str, Any]:
    lists = raw.pop("choice_lists", None) or {}
    questions = raw.get("questions")
    if not isinstance(questions, list):
        return raw
    problems = []
    for item in questions:
        if isinstance(item, dict) and isinstance(item.get("choices"), str):
            name = item["choices"]
            if name not in lists:
                problems.append(DefinitionProblem(item.get("name"), "choices", f"нет списка вариантов «{name}» в choice_lists"))
            else:
                item["choices"] = lists[name]
    if problems:
        raise DefinitionError(source, problems)
    return raw


def build_survey(raw: dict[str, Any], source: str, rows: dict[str, int] | None = None) -> Survey:
    """Validate a plain dict into a Survey, then check what pydantic cannot: names, references."""
    rows = rows or {}
    questions_raw = raw.get("questions") if isinstance(raw.get("questions"), list) else []
    try:
        survey = Survey.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = err["loc"]
            question = None
            field = ".".join(str(p) for p in loc) or None
            if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
                item = questions_raw[loc[1]] if loc[1] < len(questions_raw) else None
                question = item.get("name") if isinstance(item, dict) else f"№{loc[1] + 1}"
                field = ".".join(str(p) for p in loc[2:]) or None
            problems.append(
                DefinitionProblem(question, field, _ru_pydantic(err), rows.get(str(question)) if question else None)
            )
        raise DefinitionError(source, problems) from exc
    problems = check_survey(survey)
    for i, p in enumerate(problems):
        if p.question and p.row is None and p.question in rows:
            problems[i] = DefinitionProblem(p.question, p.field, p.message, rows[p.question])
    if problems:
        raise DefinitionError(source, problems)
    return survey


def _ru_pydantic(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "поле обязательно"
    if kind in ("enum", "literal_error"):
        return f"недопустимое значение {err.get('input')!r}; допустимы: {err.get('ctx', {}).get('expected', '')}"
    if kind == "extra_forbidden":
        return "неизвестное поле"
    if kind == "string_pattern_mismatch":
        return f"недопустимые символы в {err.get('input')!r} (латиница, цифры, _)"
    return err.get("msg", "неверное значение")


def check_survey(survey: Survey) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    seen: set[str] = set()
    for question in survey.questions:
        name = question.name
        if name in seen:
            problems.append(DefinitionProblem(name, "name", "имя вопроса повторяется"))
        qtype = question.type
        if qtype in CHOICE_TYPES:
            if len(question.choices) < 2:
                problems.append(DefinitionProblem(name, "choices", "нужно не меньше двух вариантов"))
            choice_names = [c.name for c in question.choices]
            if len(set(choice_names)) != len(choice_names):
                problems.append(DefinitionProblem(name, "choices", "имена вариантов повторяются"))
            if len(question.choices) > 40:
                problems.append(DefinitionProblem(name, "choices", "не больше 40 вариантов"))
        elif question.choices:
            problems.append(DefinitionProblem(name, "choices", f"у вопроса типа {qtype.value} не бывает вариантов"))
        if (question.min is not None or question.max is not None) and qtype not in NUMERIC_TYPES:
            problems.append(DefinitionProblem(name, "min/max", "границы бывают только у числовых вопросов"))
        if question.min is not None and question.max is not None and question.min > question.max:
            problems.append(DefinitionProblem(name, "min/max", "min больше max"))
        for field in ("relevant", "constraint"):
            source = getattr(question, field)
            if not source:
                continue
            try:
                expr = compile_expression(source)
            except ExpressionError as exc:
                shown = source if len(source) <= 120 else f"{source[:100]}…"
                problems.append(DefinitionProblem(name, field, f"ошибка в выражении {shown!r}: {exc}"))
                continue
            for ref in sorted(expr.references):
                if ref not in seen:
                    what = "следующий или этот же вопрос" if survey.has_question(ref) else "несуществующий вопрос"
                    problems.append(DefinitionProblem(name, field, f"ссылка ${{{ref}}} на {what}; можно ссылаться только на предыдущие"))
            for var in sorted(expr.variables - set(FACTS)):
                known = ", ".join(f"${f}" for f in FACTS)
                problems.append(DefinitionProblem(name, field, f"неизвестный факт ${var}; известны: {known}"))
            if field == "relevant" and expr.uses_dot:
                problems.append(DefinitionProblem(name, field, "«.» (текущий ответ) допустима только в constraint"))
        if question.inline:
            problems += _check_inline(survey, question)
        if question.carry_over and qtype == QuestionType.FILE:
            problems.append(DefinitionProblem(name, "carry_over", "файл из прошлого периода не переносится"))
        if question.constraint_message and not question.constraint:
            problems.append(DefinitionProblem(name, "constraint_message", "сообщение есть, а constraint нет"))
        if question.no_label is not None:
            if qtype != QuestionType.YESNO:
                problems.append(DefinitionProblem(name, "no_label", "слова для «нет» бывают только у вопроса «да/нет»"))
            elif not question.no_label.lower().startswith("нет"):
                problems.append(DefinitionProblem(name, "no_label", "кнопка должна начинаться со слова «Нет»"))
        if question.on_review:
            problems += _check_on_review(survey, question)
        seen.add(name)
    problems += _check_checklists(survey)
    return problems


def _check_on_review(survey: Survey, question: Question) -> list[DefinitionProblem]:
    """A question answered on the review screen: optional, typed, and read by no other question's condition."""
    name = question.name
    if question.required:
        return [DefinitionProblem(name, "on_review", "на экране проверки задаётся только необязательный вопрос (required: false)")]
    if TYPES[question.type].widget != TYPED:
        return [DefinitionProblem(name, "on_review", "на экране проверки задаётся только вопрос, ответ на который пишут")]
    if question.inline or question.checklist:
        return [DefinitionProblem(name, "on_review", "вопрос экрана проверки не бывает уточнением или пунктом списка")]
    if name in survey.triggers:
        return [DefinitionProblem(name, "on_review", "от ответа на вопрос экрана проверки не может зависеть другой вопрос")]
    return []


def _check_checklists(survey: Survey) -> list[DefinitionProblem]:
    """A checklist is two or more consecutive yes/no questions under one condition, each with its line."""
    problems: list[DefinitionProblem] = []
    for question in survey.questions:
        if question.checklist and question.checklist not in survey.checklists:
            problems.append(DefinitionProblem(question.name, "checklist", f"список «{question.checklist}» не описан в checklists"))
    for key in survey.checklists:
        members = survey.members(key)
        if survey.has_question(key):
            problems.append(DefinitionProblem(key, "checklists", "имя списка совпадает с именем вопроса"))
        if len(members) < 2:
            problems.append(DefinitionProblem(None, f"checklists.{key}", "в списке нужно не меньше двух вопросов"))
            continue
        indexes = [survey.index(q.name) for q in members]
        if indexes != list(range(indexes[0], indexes[0] + len(indexes))):
            problems.append(DefinitionProblem(members[0].name, "checklist", f"вопросы списка «{key}» должны идти подряд"))
        for q in members:
            if q.type != QuestionType.YESNO:
                problems.append(DefinitionProblem(q.name, "checklist", "в списке бывают только вопросы «да/нет»"))
            if not q.item:
                problems.append(DefinitionProblem(q.name, "item", "у вопроса списка нужна его строка в списке (item)"))
            if q.relevant != members[0].relevant:
                problems.append(DefinitionProblem(q.name, "relevant", "у вопросов одного списка должно быть одно условие"))
            if q.inline or q.on_review or survey.inline_follow_up(q.name) is not None:
                problems.append(DefinitionProblem(q.name, "checklist", "вопрос списка не бывает уточнением, не имеет уточнения на своём экране и не задаётся на экране проверки"))
    return problems


def _check_inline(survey: Survey, question: Question) -> list[DefinitionProblem]:
    """An inline follow-up is a choice question right after a yes/no one, asked exactly when that one is «да»."""
    name, index = question.name, survey.index(question.name)
    parent = survey.questions[index - 1] if index else None
    if question.type not in CHOICE_TYPES:
        return [DefinitionProblem(name, "inline", "на экран предыдущего вопроса выносится только вопрос с вариантами")]
    if parent is None or parent.type != QuestionType.YESNO:
        return [DefinitionProblem(name, "inline", "вопрос перед ним должен быть вопросом «да/нет»")]
    try:
        expr = compile_expression(question.relevant or "")
        exact = (expr.references == {parent.name} and not expr.variables
                 and expr.evaluate({parent.name: "yes"}) is True and expr.evaluate({parent.name: "no"}) is False)
    except ExpressionError:
        exact = False
    if not exact:
        return [DefinitionProblem(name, "inline", f"relevant должно быть ровно ${{{parent.name}}} = 'yes'")]
    return []


# --- XLSForm -------------------------------------------------------------------------------

_IGNOREDXLSFORM_TYPES = {"calculate", "note", "start", "end", "today", "deviceid", "username"}
_TRUE = {"yes", "true", "true()", "1", "да"}


def load_xlsform(path: str | Path, limits: Limits | None = None) -> Survey:
    """Read an XLSForm workbook (sheets survey, choices, settings) with pyxform.

    The file is checked first (storage.workbook: size, zip bomb, damaged or renamed files, formulas
    without a cached value), and pyxform gets it with the sheets' <dimension> removed, so a sheet that
    declares fewer rows than it has is read whole. pyxform does the reading, type aliases and choice
    lists; this maps its JSON to the model. A select_one list whose choices are exactly yes/no becomes
    a yes/no question; appearance "percent" on a decimal makes a percent question.
    """
    from io import BytesIO

    from pyxform.errors import PyXFormError
    from pyxform.xls2json import workbook_to_json
    from pyxform.xls2json_backends import get_xlsform

    from storage.workbook import WorkbookError, inspect, without_dimensions

    path = Path(path)
    source = str(path)
    try:
        package = inspect(path, limits)
        package.check_formulas()
        data = without_dimensions(package)
    except WorkbookError as exc:
        raise DefinitionError(source, [DefinitionProblem(None, None, exc.detail)]) from None
    try:
        workbook = get_xlsform(BytesIO(data), file_type=".xlsx")
        form = workbook_to_json(workbook, form_name=path.stem, default_language="default", warnings=[])
    except (PyXFormError, OSError, ValueError, KeyError) as exc:
        raise DefinitionError(source, [DefinitionProblem(None, None, f"XLSForm не читается: {exc}")]) from exc

    rows: dict[str, int] = {}
    for i, row in enumerate(workbook.survey or []):
        if isinstance(row, dict) and row.get("name"):
            rows[str(row["name"])] = i + 2  # header is row 1
    settings = (workbook.settings or [{}])[0] if workbook.settings else {}

    problems: list[DefinitionProblem] = []
    questions: list[dict[str, Any]] = []
    for child in form.get("children", []):
        ctype = child.get("type")
        name = child.get("name")
        if ctype in _IGNOREDXLSFORM_TYPES or (ctype == "group" and name == "meta"):
            continue
        if ctype not in XLSFORM_TYPES:
            problems.append(DefinitionProblem(name, "type", f"тип «{ctype}» не поддерживается", rows.get(name)))
            continue
        bind = child.get("bind", {})
        qtype = XLSFORM_TYPES[ctype]
        choices = [{"name": c["name"], "label": _label(c.get("label"))} for c in child.get("choices", [])]
        if qtype == QuestionType.SINGLE and sorted(c["name"] for c in choices) == ["no", "yes"]:
            qtype, choices = QuestionType.YESNO, []
        appearance = (child.get("control") or {}).get("appearance", "")
        if qtype == QuestionType.DECIMAL and "percent" in str(appearance):
            qtype = QuestionType.PERCENT
        questions.append(
            {
                "name": name,
                "type": qtype.value,
                "label": _label(child.get("label")),
                "hint": _label(child.get("hint")) or None,
                "required": str(bind.get("required", "")).strip().lower() in _TRUE,
                "relevant": bind.get("relevant"),
                "constraint": bind.get("constraint"),
                "constraint_message": _label(bind.get("jr:constraintMsg")) or None,
                "choices": choices,
                "carry_over": _label(child.get("carry_over")) or None,
                "purpose": _label(child.get("purpose")) or None,
                "inline": str(child.get("inline", "")).strip().lower() in _TRUE,
                "no_label": _label(child.get("no_label")) or None,
                "on_review": str(child.get("on_review", "")).strip().lower() in _TRUE,
            }
        )
    if problems:
        raise DefinitionError(source, problems)
    audience = str(settings.get("audience") or "teacher").strip()
    raw = {
        "id": str(settings.get("form_id") or path.stem),
        "version": str(settings.get("version") or "1"),
        "title": str(settings.get("form_title") or path.stem),
        "audience": audience,
        "questions": questions,
    }
    return build_survey(raw, source, rows)


def _label(value: Any) -> str:
    if isinstance(value, dict):  # translated labels: take the first
        value = next(iter(value.values()), "")
    return str(value or "").strip()


def load_definition(path: str | Path, limits: Limits | None = None) -> Survey:
    """A YAML definition, or an XLSForm workbook (.xlsx, .xlsm; an old .xls is refused with a hint to save it as .xlsx)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return load_xlsform(path, limits)
    return load_yaml(path)


def load_pack(name: str) -> Survey:
    return load_yaml(PACKS_DIR / f"{name}.yaml")


def available_packs() -> list[str]:
    return sorted(p.stem for p in PACKS_DIR.glob("*.yaml"))
