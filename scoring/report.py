"""The summary's files: the .xlsx workbook and the PNG charts (the text is scoring.text, the Word
documents scoring.word).

Every cell goes through storage.xlsx.cell (text stays text); every sheet is set up to print:
landscape A4 fitted to the page width, its header rows repeated, the municipality and the period
at the top of each page and the page number at the bottom.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from monitoring import completion
from scoring import answers as answer_tables
from scoring import shown, stops
from scoring.development import answer_options
from scoring.dynamics import DYNAMICS_TITLES
from scoring.identification import CRITERIA_TITLES, SUPPORT_GROUP_TITLES
from scoring.indicators import SchoolScore, Value
from scoring.summary import Summary, completion_by_school
from scoring.text import rule_text, total_text
from storage.wording import percent
from storage.xlsx import cell, print_setup

# --- the workbook --------------------------------------------------------------------------

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
SUBHEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
# conditional formats take their colour from bgColor, cell styles from fgColor: set both
GREEN = PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE")
RED = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
GREY = PatternFill("solid", fgColor="EDEDED", bgColor="EDEDED")
UP_FONT = Font(color="006100")
DOWN_FONT = Font(color="9C0006")
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")
ROTATED = Alignment(textRotation=90, wrap_text=True, vertical="bottom", horizontal="center")
CENTER = Alignment(horizontal="center", vertical="top")
TOP = Alignment(vertical="top")
SHRINK = Alignment(shrink_to_fit=True, horizontal="center")
PERCENT_FORMAT = "0.0%"
POINTS_CHANGE_FORMAT = '+0.0" п. п.";-0.0" п. п.";0.0" п. п."'
COUNT_CHANGE_FORMAT = "+0;-0;0"
DATE_FORMAT = "DD.MM.YYYY HH:MM"

SHEET_ROWS = 100_000  # rows of a long sheet; a country has a million school values, and Excel stops at 1 048 576
NO_DATA = "нет данных"
NOT_APPLICABLE = "—"


@dataclass
class Table:
    """A second table under a sheet's data: its own caption and header, the sheet's column widths."""

    caption: str
    headers: list[str]
    rows: list[list[Any]]
    dates: tuple[int, ...] = ()
    wrap: tuple[int, ...] = ()


@dataclass
class Sheet:
    """What one sheet shows; `write` lays it out the same way for every sheet."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    widths: dict[int, float] = field(default_factory=dict)
    percent: tuple[int, ...] = ()  # columns of shares shown as percentages
    wrap: tuple[int, ...] = ()  # columns of long text
    points: tuple[int, int] | None = None  # first and last column of points: green 1, red 0, grey no data
    change: tuple[int, str] | None = None  # a column of changes and its number format: green up, red down
    dates: tuple[int, ...] = ()
    caption: str | None = None  # what the sheet is about, above the header
    legend: list[tuple[str, PatternFill | None]] = field(default_factory=list)  # keys, a row each, under the data
    subheaders: list[str] | None = None  # a second header row (short names under codes), rotated
    rotate_from: int = 1  # the first column whose subheader is rotated
    below: Table | None = None  # a second table under the data and the legend


LINE_HEIGHT = 12.75  # points per line of the default 10-11 pt font


def lines(text: Any, width: float) -> int:
    """How many lines `text` takes in a wrapped column `width` characters wide (an estimate: row heights
    are set, since neither Excel nor LibreOffice fits a streamed sheet's rows when it opens it)."""
    if text is None:
        return 1
    per_line = max(1, int(width * 1.1))
    return sum(max(1, -(-len(part) // per_line)) for part in str(text).split("\n"))


def _height(
    values: list[Any], widths: dict[int, float], columns: tuple[int, ...] | range, limit: int = 12, bold: bool = False,
) -> float | None:
    """A row's height for its wrapped cells; None when one line is enough."""
    scale = 0.8 if bold else 1.0
    n = max((lines(values[c - 1], widths[c] * scale) for c in columns if c - 1 < len(values) and c in widths), default=1)
    return LINE_HEIGHT * min(n, limit) + 2 if n > 1 else None


def _write(wb: Workbook, sheet: Sheet, page_header: str) -> None:
    """One sheet in openpyxl's write-only mode (streamed: a country's sheets stay fast and small)."""
    ws = wb.create_sheet(sheet.title)
    rows = sheet.rows
    total = len(rows)
    if total > SHEET_ROWS:
        rows = [*rows[:SHEET_ROWS], [f"… показаны первые {SHEET_ROWS:,} из {total:,} строк".replace(",", " ")]]
    top = 1 + bool(sheet.caption)  # the header's row
    last_header = top + bool(sheet.subheaders)
    first = last_header + 1
    ws.freeze_panes = f"B{first}"
    widths: dict[int, float] = {}
    for c, title_ in enumerate(sheet.headers, start=1):
        sample = (len(str(row[c - 1])) for row in rows[:500] if c - 1 < len(row) and row[c - 1] is not None)
        longest = max([min(len(title_), 30), *sample])
        widths[c] = sheet.widths.get(c, min(max(10, longest + 2), 60))
        ws.column_dimensions[get_column_letter(c)].width = widths[c]
    last = len(rows) + last_header
    if rows:
        ws.auto_filter.ref = f"A{last_header}:{get_column_letter(len(sheet.headers))}{last}"
    if sheet.points and rows:
        area = f"{get_column_letter(sheet.points[0])}{first}:{get_column_letter(sheet.points[1])}{last}"
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["1"], fill=GREEN))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["0"], fill=RED))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{NOT_APPLICABLE}"'], fill=GREY))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{NO_DATA}"'], fill=GREY))
    if sheet.change and rows:
        letter = get_column_letter(sheet.change[0])
        area = f"{letter}{first}:{letter}{last}"
        ws.conditional_formatting.add(area, CellIsRule(operator="greaterThan", formula=["0"], fill=GREEN, font=UP_FONT))
        ws.conditional_formatting.add(area, CellIsRule(operator="lessThan", formula=["0"], fill=RED, font=DOWN_FONT))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{CHANGE_UP}"'], fill=GREEN, font=UP_FONT))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{CHANGE_DOWN}"'], fill=RED, font=DOWN_FONT))
    print_setup(ws, header=page_header, title_rows=f"{top}:{last_header}")

    if sheet.caption:
        ws.append([cell(ws, sheet.caption, font=Font(bold=True, size=12))])
    height = _height(sheet.headers, widths, range(1, len(sheet.headers) + 1), bold=True)
    if height:
        ws.row_dimensions[top].height = height
    ws.append([cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGNMENT) for h in sheet.headers])
    if sheet.subheaders:
        ws.row_dimensions[last_header].height = 110
        ws.append([
            cell(ws, h, fill=SUBHEADER_FILL, alignment=ROTATED if c >= sheet.rotate_from else WRAP, font=Font(size=9))
            for c, h in enumerate(sheet.subheaders, start=1)
        ])
    for n, row in enumerate(rows, start=first):
        height = _height(row, widths, sheet.wrap) if sheet.wrap else None
        if height:
            ws.row_dimensions[n].height = height
        out: list[Any] = []
        align = TOP if height else None  # a row of several lines reads from its top
        for c, value in enumerate(row, start=1):
            if isinstance(value, float) and c in sheet.percent:
                out.append(cell(ws, value, number_format=PERCENT_FORMAT, alignment=align))
            elif sheet.change and c == sheet.change[0] and isinstance(value, (int, float)):
                out.append(cell(ws, value, number_format=sheet.change[1], alignment=align))
            elif c in sheet.dates and value is not None:
                out.append(cell(ws, value, number_format=DATE_FORMAT, alignment=align))
            elif c in sheet.wrap and isinstance(value, str):
                out.append(cell(ws, value, alignment=WRAP))
            elif value == NO_DATA and sheet.points and sheet.points[0] <= c <= sheet.points[1]:
                out.append(cell(ws, value, alignment=SHRINK))  # «нет данных» in full, in a narrow column
            else:
                out.append(cell(ws, value, alignment=align if value is not None else None))
        ws.append(out)
    if sheet.legend:
        ws.append([])
        for text, fill in sheet.legend:
            ws.append([cell(ws, text, fill=fill)])
    if sheet.below:
        written = last_header + len(rows) + (1 + len(sheet.legend) if sheet.legend else 0)
        _write_below(ws, sheet.below, widths, written + 1)


def _write_below(ws: Any, table: Table, widths: dict[int, float], row: int) -> None:
    """The second table after a blank row; `row` is the next row of the sheet (the blank one)."""
    ws.append([])
    ws.append([cell(ws, table.caption, font=Font(bold=True, size=12))])
    height = _height(table.headers, widths, range(1, len(table.headers) + 1), bold=True)
    if height:
        ws.row_dimensions[row + 2].height = height
    ws.append([cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=HEADER_ALIGNMENT) for h in table.headers])
    for n, values in enumerate(table.rows, start=row + 3):
        wrapped = max((len(textwrap.wrap(str(values[c - 1]), max(1, int(widths.get(c, 10))))) for c in table.wrap
                       if c - 1 < len(values) and values[c - 1] is not None), default=1)  # by words: names break there
        if wrapped > 1:
            ws.row_dimensions[n].height = LINE_HEIGHT * min(wrapped, 12) + 2
        align = TOP if wrapped > 1 else None
        ws.append([
            cell(ws, v, number_format=DATE_FORMAT, alignment=align) if c in table.dates and v is not None
            else cell(ws, v, alignment=WRAP) if c in table.wrap and isinstance(v, str)
            else cell(ws, v, alignment=align if v is not None else None)
            for c, v in enumerate(values, start=1)
        ])


def _share(value: Any) -> Any:
    return round(float(value), 4) if value is not None and not isinstance(value, bool) else value


def _points_cell(value: Value) -> Any:
    """The matrix cell: points, «нет данных» (grey, not a red 0) or «—» where it does not apply."""
    if not value.applies:
        return NOT_APPLICABLE
    if value.no_data:
        return NO_DATA
    if value.pending:
        return shown.PENDING
    return value.points


def _shown(value: Value) -> Any:
    if not value.applies or value.value is None:
        return shown.with_reason(value)
    if isinstance(value.value, bool):
        return "да" if value.value else "нет"
    return _share(value.value)


CHANGE_UP, CHANGE_DOWN = "нет → да", "да → нет"


def change(before: Value | None, after: Value) -> Any:
    """The change of a value from the period before: percentage points of a share, «нет → да» of a yes/no,
    None where either has no data."""
    if before is None or before.value is None or after.value is None or not after.applies:
        return None
    if isinstance(after.value, bool) or isinstance(before.value, bool):
        if bool(before.value) == bool(after.value):
            return "без изменений"
        return CHANGE_UP if after.value else CHANGE_DOWN
    return round((float(after.value) - float(before.value)) * 100, 1)


def page_header(summary: Summary) -> str:
    return f"{summary.municipality.name} — период {summary.period}"


def workbook(summary: Summary) -> bytes:
    wb = Workbook(write_only=True)
    header = page_header(summary)
    for sheet in summary_sheets(summary):
        _write(wb, sheet, header)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def summary_sheets(summary: Summary) -> list[Sheet]:
    methodology = summary.methodology
    names = summary.school_names
    scores = summary.scores
    sheets = []

    rows = []
    for indicator in methodology.municipal_indicators:
        v = scores.municipal[indicator.code]
        rows.append([
            indicator.code, indicator.title, _shown(v), rule_text(indicator), v.points if v.scored else None,
            v.numerator, v.denominator, _share(v.response_rate), v.note,
        ])
    rows.append(["Итого", "", "", "", scores.municipal_total, "", "", "",
                 total_text(scores.municipal_total, scores.municipal_maximum, len(scores.municipal_no_data))])
    sheets.append(Sheet(
        "Муниципальные показатели",
        ["Код", "Показатель", "Значение", "Правило", "Баллы", "Числитель", "Знаменатель", "Доля ответивших", "Примечание"],
        rows, {1: 9, 2: 60, 3: 12, 4: 16, 5: 8, 6: 11, 7: 12, 8: 11, 9: 40}, percent=(3, 8), wrap=(2, 9),
        caption=f"Муниципальные показатели: {summary.municipality.name}, период {summary.period}",
    ))

    indicators = methodology.school_indicators
    matrix = []
    for score in scores.schools:
        matrix.append([score.school.short_name, score.school.status.title(), score.total, score.maximum, len(score.no_data)]
                      + [_points_cell(score.values[i.code]) for i in indicators])
    fixed = 5
    sheets.append(Sheet(
        "Показатели школ", ["Школа", "Статус", "Итого", "Максимум (по показателям с данными)", "Нет данных",
                            *[i.code for i in indicators]],
        matrix, {1: 22, 2: 16, 3: 7, 4: 11, 5: 8, **{c: 7.5 for c in range(fixed + 1, len(indicators) + fixed + 1)}},
        points=(fixed + 1, len(indicators) + fixed), wrap=(1, 2),
        caption=f"Баллы школ по показателям, период {summary.period}",
        legend=[("Обозначения:", None), ("1 — балл получен", GREEN), ("0 — 0 баллов", RED),
                (f"{NO_DATA} — баллы не начислены (это не 0)", GREY), (f"{NOT_APPLICABLE} — показатель не применяется", GREY)],
        subheaders=["", "", "", "", "", *[i.short for i in indicators]], rotate_from=fixed + 1,
    ))

    long_rows = []
    for score in scores.schools:
        for indicator in indicators:
            v = score.values[indicator.code]
            if not v.applies:
                continue
            long_rows.append([
                score.school.short_name, indicator.code, indicator.title, _shown(v), _points_cell(v),
                v.numerator, v.denominator, _share(v.response_rate), v.note,
                indicator.recommendation if v.scored and not v.points else "",
            ])
    sheets.append(Sheet(
        "Значения школ", ["Школа", "Код", "Показатель", "Значение", "Баллы", "Числитель", "Знаменатель",
                          "Доля ответивших", "Примечание", "Рекомендация"],
        long_rows, {1: 16, 2: 8, 3: 48, 4: 11, 5: 8, 6: 10, 7: 11, 8: 10, 9: 30, 10: 55}, percent=(4, 8), wrap=(3, 9, 10),
        points=(5, 5),
    ))

    ident = []
    for score in scores.schools:
        s = score.school.status
        details = s.details or {}
        if "criteria" in details:
            detail = "; ".join(f"{n}. {CRITERIA_TITLES[n]}" for n in details["criteria"]) or "критериев нет"
        elif "quality_group" in details:
            detail = f"индекс качества: группа {details['quality_group']}; ИСБШ: группа {details['isbsh_group']}"
        else:
            detail = ""
        ident.append([score.school.short_name, "да" if s.shnro else "нет", "да" if s.shnsu else "нет",
                      "да" if s.risk_zone else "нет", "да" if s.project_500 else "нет",
                      SUPPORT_GROUP_TITLES.get(s.support_group or "", ""), details.get("count"), detail])
    sheets.append(Sheet("Идентификация", ["Школа", "ШНРО", "ШНСУ", "Зона риска", "500+", "Группа поддержки", "Критериев",
                                          "Подробности"], ident, {1: 22, 6: 24, 8: 80}, wrap=(8,)))

    sheets.append(_dynamics_sheet(summary))

    totals = {(h.period, s.school.id): (s.total, s.maximum) for h in summary.history for s in h.schools}
    verdict = {True: "да", False: "нет", None: NO_DATA}
    school_dyn = [
        [names.get(d.school_id, str(d.school_id)), d.period, verdict[d.exams_rose], verdict[d.kdr_rose],
         "да" if d.productive else "нет", *totals.get((d.period, d.school_id), (None, None))]
        for d in summary.school_dynamics
    ]
    sheets.append(Sheet("Динамика школ", ["Школа", "Период", "ОГЭ/ЕГЭ выросли", "КДР выросли", "Продуктивное участие",
                                          "Баллы", "Максимум"], school_dyn))

    completion_rows = []
    for row in completion_by_school(summary):
        t = row.teachers
        completion_rows.append([
            row.school,
            (t.declared if t.declared else "не заявлено") if t else "не опрашивалась",
            t.registered if t else None, t.submitted if t else None,
            _share(t.share) if t and t.share is not None else None, t.started if t else None,
            completion.form_state(row.form, row.returned) if summary.school_form_expected else "не проводилась",
        ])
    sheets.append(Sheet("Заполнение", ["Школа", "Педагогов заявлено школой", "Зарегистрировано (опрошено)", "Ответили",
                                       "Ответили от заявленных", "Начали, не отправили", "Анкета школы"],
                        completion_rows, {1: 22, 2: 14, 3: 16, 4: 24, 5: 16, 6: 16, 7: 46}, percent=(5,), wrap=(7,),
                        below=returns_table(summary, names)))

    if summary.development:
        sheets.append(_development_sheet(summary))
    if summary.stops:  # where people stop (scoring.stops)
        sheets.append(Sheet(stops.SHEET_TITLE, stops.SHEET_HEADERS, stops.sheet_rows(summary.stops),
                            {1: 20, 2: 5, 3: 60, 4: 9, 5: 13, 6: 14, 7: 12, 8: 12}, percent=(6,), wrap=(1, 3),
                            caption=stops.sheet_caption(summary.stops, summary.period)))

    sheets += answer_sheets(summary.surveys, summary.raw, names, summary.municipality.timezone,
                            truncated=len(summary.raw) if summary.raw_truncated else None)
    return sheets


def _development_sheet(summary: Summary) -> Sheet:
    """The teacher answers no indicator reads (scoring.development): per answer, the municipality and each school."""
    schools = [s.school for s in summary.scores.schools]
    rows: list[list[Any]] = []
    for entry in summary.development:
        question = entry.question
        rows.append([question.label, "Ответили на вопрос", entry.total_answered(), None,
                     *[entry.answered.get(school.id, 0) for school in schools]])
        for value, label in answer_options(question):
            chosen = entry.total_chosen(value)
            answered = entry.total_answered()
            rows.append(["", label, chosen, _share(Fraction(chosen, answered)) if answered else None,
                         *[entry.chosen[value].get(school.id, 0) for school in schools]])
    width = {1: 46, 2: 34, 3: 11, 4: 11, **{5 + n: 9 for n in range(len(schools))}}
    return Sheet(
        "Развитие педагогов",
        ["Вопрос", "Ответ", "Педагогов по МСО", "Доля от ответивших", *[school.short_name for school in schools]],
        rows, width, percent=(4,), wrap=(1, 2),
        caption=(f"Профессиональное развитие педагогов: ответы, которые не входят в показатели, период {summary.period}. "
                 "Считаются отправленные анкеты; в множественном выборе педагог учитывается в каждом отмеченном варианте."),
    )


RETURNS_CAPTION = (
    "Возвраты на доработку. Возвращённая анкета — черновик, пока её не отправят снова: в «Ответили» и в "
    "показателях её нет, в «Начали, не отправили» — есть"
)
RETURNS_HEADERS = ["Школа", "Анкета", "Респондент", "Вернул(а)", "Когда вернули", "Отправлена снова", "Комментарий"]


def returns_table(summary: Summary, names: dict[int, str]) -> Table:
    """Every return of the period: the school, whose questionnaire (the teacher by their number, as in the
    answer sheets), who returned it, when, when it was sent again, and why."""
    tz = summary.municipality.timezone
    rows: list[list[Any]] = [
        [names.get(r.school_id, "—") if r.school_id is not None else "—", r.survey, r.respondent, r.returned_by,
         answer_tables.local(r.returned_at, tz), answer_tables.local(r.resubmitted_at, tz) or "ещё нет", r.comment]
        for r in summary.completion.returns
    ]
    if not rows:
        rows = [["В этом периоде анкеты на доработку не возвращались."]]
    return Table(RETURNS_CAPTION, RETURNS_HEADERS, rows, dates=(5, 6), wrap=(2, 3, 4, 7))


def _dynamics_sheet(summary: Summary) -> Sheet:
    """Every period on record side by side, and the change from the period before the last."""
    history = summary.history
    periods = [h.period for h in history]
    n = len(periods)
    before = history[-2] if n > 1 else None
    rows: list[list[Any]] = []
    for indicator in summary.methodology.municipal_indicators:
        values = [h.municipal[indicator.code] for h in history]
        rows.append([indicator.code, indicator.title, *[_shown(v) for v in values],
                     change(before.municipal[indicator.code] if before else None, values[-1])])
    totals = [h.municipal_total for h in history]
    rows.append(["Итого", "Сумма баллов муниципальных показателей", *totals, totals[-1] - totals[-2] if n > 1 else None])
    shares = [s for _, s in summary.dynamics]
    for code, title in DYNAMICS_TITLES.items():
        values = [s[code].value for s in shares]
        delta = None
        if n > 1 and values[-1] is not None and values[-2] is not None:
            delta = round((float(values[-1]) - float(values[-2])) * 100, 1)
        rows.append([code, title, *[_share(v) for v in values], delta])
    since = f"Изменение к {periods[-2]}" if n > 1 else "Изменение"
    return Sheet(
        "Динамика", ["Код", "Показатель", *periods, since], rows,
        {1: 9, 2: 60, **{c: 12 for c in range(3, n + 3)}, n + 3: 16}, percent=tuple(range(3, n + 3)), wrap=(2,),
        change=(n + 3, POINTS_CHANGE_FORMAT),
        caption=f"Динамика муниципальных показателей по периодам (изменение: доли — в процентных пунктах; "
                f"зелёный — рост, красный — снижение)",
    )


def answer_sheets(
    surveys: dict[int, Any], raw: list[dict[str, Any]], schools: dict[int, str], timezone: str, *, truncated: int | None = None,
) -> list[Sheet]:
    """One sheet per questionnaire, a row per respondent, question texts as headers and answer labels as
    values; then every respondent's answers in codes on one sheet («Коды ответов»)."""
    by_response: dict[int, list[dict[str, Any]]] = {}
    for row in raw:
        by_response.setdefault(row["response_id"], []).append(row)
    respondents = list(answer_tables.group((r for rows in by_response.values() for r in rows), schools))
    forms = answer_tables.questionnaires(surveys, answer_tables.answered(raw))
    sheets = []
    note = (f"… показаны ответы из первых {truncated:,} строк; все — командой shnor export".replace(",", " ")
            if truncated else None)
    for form in forms:
        rows: list[list[Any]] = [answer_tables.label_row(form, r, timezone) for r in respondents if r.survey == form.key]
        if note:
            rows.append([note])
        fixed = len(answer_tables.LABEL_HEADERS)
        sheets.append(Sheet(
            form.sheet_title, answer_tables.label_headers(form), rows,
            {1: 9, 2: 11, 3: 18, 4: 13, 5: 16, **{c: 18 for c in range(fixed + 1, fixed + 1 + len(form.questions))}},
            dates=(5,), wrap=tuple(range(fixed + 1, fixed + 1 + len(form.questions))),
            caption=f"{form.title}: ответ каждого респондента в строке",
        ))
    columns = answer_tables.code_columns(forms)
    codes = [answer_tables.code_row(columns, r, timezone) for r in respondents]
    sheets.append(Sheet(
        "Коды ответов", [*answer_tables.CODE_HEADERS, *columns], codes + ([[note]] if note else []),
        {1: 10, 2: 10, 3: 12, 4: 14, 5: 16, 6: 16, **{c: 12 for c in range(7, 7 + len(columns))}}, dates=(6,),
    ))
    return sheets


def card_file_name(summary: Summary, score: SchoolScore, suffix: str = "xlsx") -> str:
    """«Карточка_СОШ_1_2026-2027.xlsx»: the school and the period in the name, safe for any file system."""
    import re

    name = re.sub(r"[^\w\-]+", "_", f"Карточка {score.school.short_name} {summary.period}").strip("_")
    return f"{name[:80]}.{suffix}"


def card_workbook(summary: Summary, score: SchoolScore) -> bytes:
    wb = Workbook(write_only=True)
    rows = []
    for indicator in summary.methodology.school_indicators:
        v = score.values[indicator.code]
        if not v.applies:
            continue
        rows.append([indicator.code, indicator.title, _shown(v), rule_text(indicator), _points_cell(v),
                     v.numerator, v.denominator, _share(v.response_rate), v.note,
                     indicator.recommendation if v.scored and not v.points else ""])
    rows.append(["Итого", "", "", "", score.total, "", "", "", total_text(score.total, score.maximum, len(score.no_data)), ""])
    caption = f"{score.school.name} — карточка школы за период {summary.period} ({summary.municipality.name})"
    _write(wb, Sheet("Карточка школы", ["Код", "Показатель", "Значение", "Правило", "Баллы", "Числитель", "Знаменатель",
                                        "Доля ответивших", "Примечание", "Рекомендация"], rows,
                     {1: 9, 2: 50, 3: 11, 4: 14, 5: 8, 6: 10, 7: 11, 8: 10, 9: 30, 10: 60},
                     percent=(3, 8), wrap=(2, 9, 10), points=(5, 5), caption=caption),
           f"{score.school.short_name} — период {summary.period}")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the charts ----------------------------------------------------------------------------
#
# Made for a phone: 1080 px wide (7.2 in at 150 dpi), panels stacked, not side by side; every
# label 10 pt or more (21 px at that size). Colours are explained by a legend, values are written on
# the bars, thresholds are named, missing data is hatched and says «нет данных».

CHART_SCHOOLS = 40
CHART_DPI = 150
CHART_WIDTH_IN = 7.2  # 1080 px
FONT_PT = 10
DARK, POSSIBLE, MISSING_EDGE = "#305496", "#d9d9d9", "#7f7f7f"
REACHED, BELOW, NO_RULE = "#548235", "#c00000", "#8eaadb"


def _school_label(summary: Summary, score: SchoolScore) -> str:
    """«СОШ 1 · ответили 5/27» (completion against the declared staff), or «... 5, не заявлено»."""
    name = score.school.short_name[:22]
    teachers = summary.completion.teachers.get(score.school.id)
    if teachers is None:
        return name
    if teachers.declared:
        return f"{name} · ответили {teachers.submitted}/{teachers.declared}"
    return f"{name} · ответили {teachers.submitted}, штат не заявлен"


def _pyplot() -> tuple[Any, Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    return matplotlib, plt, Patch


def _rc() -> dict[str, Any]:
    # a «$» in a school's name is a dollar, not mathematics
    return {"text.parse_math": False, "font.size": FONT_PT, "axes.titlesize": FONT_PT + 2, "axes.titleweight": "bold",
            "axes.spines.top": False, "axes.spines.right": False, "legend.fontsize": FONT_PT}


def _png(fig: Any, plt: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI)
    plt.close(fig)
    return buffer.getvalue()


def chart(summary: Summary) -> bytes:
    """The summary's chart: the schools' points against what they could score, and the municipal shares
    against their thresholds."""
    matplotlib, plt, Patch = _pyplot()
    with matplotlib.rc_context(_rc()):
        return _chart(summary, plt, Patch)


def _shares(summary: Summary) -> list[tuple[Any, Value]]:
    return [
        (i, summary.scores.municipal[i.code])
        for i in summary.methodology.municipal_indicators
        if i.threshold is not None or i.kind.value in ("teacher_share", "school_share")
    ]


def _labelled_bars(ax: Any, labels: list[str]) -> None:
    """Each bar's name above it, over the whole width (a phone has no room for names beside the bars)."""
    for y, label in enumerate(labels):
        ax.text(0, y - 0.3, label, va="bottom", ha="left", fontsize=FONT_PT)
    ax.set_yticks([])
    ax.set_ylim(len(labels) - 0.55, -1.05)
    ax.spines["left"].set_visible(False)


def _legend_below(ax: Any, handles: list[Any], panel_height: float) -> None:
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, -0.5 / panel_height - 0.02), ncol=2, frameon=False,
              handlelength=1.5, columnspacing=1.0)


def _chart(summary: Summary, plt: Any, Patch: Any) -> bytes:
    unsent = {s.school.id for s in summary.unsent()}
    schools = sorted(summary.scores.schools, key=lambda s: (s.school.id in unsent, s.ratio, s.school.name))[:CHART_SCHOOLS]
    shares = _shares(summary)
    top_h = 0.5 * len(schools) + 1.4
    bottom_h = 0.5 * len(shares) + 1.4
    fig, (left, right) = plt.subplots(
        2, 1, figsize=(CHART_WIDTH_IN, top_h + bottom_h + 0.5), gridspec_kw={"height_ratios": [top_h, bottom_h]},
    )
    longest = max([s.maximum + sum(v.max_points for v in s.no_data) for s in schools], default=1) or 1
    for y, score in enumerate(schools):
        missing = sum(v.max_points for v in score.no_data)
        left.barh([y], [score.maximum], color=POSSIBLE, height=0.45)
        if missing:
            left.barh([y], [missing], left=[score.maximum], color="white", edgecolor=MISSING_EDGE, hatch="///",
                      linewidth=0.6, height=0.45)
        left.barh([y], [score.total], color=DARK, height=0.45)
        label = f"{score.total} из {score.maximum}" + (f"; нет данных: {len(score.no_data)}" if score.no_data else "")
        left.text(score.maximum + missing + longest * 0.015, y, label, va="center", fontsize=FONT_PT)
    _labelled_bars(left, [_school_label(summary, s) for s in schools])
    left.set_xlim(0, longest * 1.5)
    left.set_xlabel("баллы")
    title = "Баллы школ" + (f" (наименьшие {CHART_SCHOOLS})" if len(summary.scores.schools) > CHART_SCHOOLS else "")
    left.set_title(title, loc="left")
    _legend_below(left, [Patch(color=DARK, label="набрано"), Patch(color=POSSIBLE, label="возможно (есть данные)"),
                         Patch(facecolor="white", edgecolor=MISSING_EDGE, hatch="///", label="нет данных: баллов нет")], top_h)

    values = [float(v.value) * 100 if v.value is not None else 0 for _, v in shares]
    labels = []
    for y, (indicator, value) in enumerate(shares):
        color = REACHED if value.points else BELOW if value.scored else NO_RULE
        if value.value is None:
            right.barh([y], [100], color="white", edgecolor=MISSING_EDGE, hatch="///", linewidth=0.6, height=0.45)
            right.text(2, y, "нет данных", va="center", fontsize=FONT_PT, color="#404040",
                       bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
        else:
            right.barh([y], [values[y]], color=color, height=0.45)
            inside = values[y] > 82
            right.text(values[y] - 1 if inside else values[y] + 1, y, percent(value.value), va="center",
                       ha="right" if inside else "left", fontsize=FONT_PT, color="white" if inside else "black")
        label = f"{indicator.code} {indicator.short}".strip()
        if indicator.threshold is not None:
            x = indicator.threshold * 100
            right.plot([x, x], [y - 0.32, y + 0.32], color="black", linewidth=2.2)
            label += f" · порог {'≥' if indicator.comparison == '>=' else '>'} {percent(indicator.threshold)}"
        labels.append(label)
    _labelled_bars(right, labels)
    right.set_xlim(0, 100)
    right.set_xticks([0, 25, 50, 75, 100])
    right.set_xlabel("%")
    right.set_title("Муниципальные доли против порогов (черта — порог)", loc="left")
    _legend_below(right, [Patch(color=REACHED, label="порог достигнут"), Patch(color=BELOW, label="ниже порога"),
                          Patch(color=NO_RULE, label="без порога"),
                          Patch(facecolor="white", edgecolor=MISSING_EDGE, hatch="///", label="нет данных")], bottom_h)
    fig.suptitle(f"{summary.municipality.name}, {summary.period}", fontsize=FONT_PT + 3, fontweight="bold")
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))
    return _png(fig, plt)


def dynamics_chart(summary: Summary) -> bytes | None:
    """The municipal teacher-share indicators across every period on record, one small panel each, with
    its threshold; None with a single period (nothing to compare)."""
    if len(summary.history) < 2:
        return None
    matplotlib, plt, _ = _pyplot()
    with matplotlib.rc_context(_rc()):
        return _dynamics_chart(summary, plt)


def _dynamics_chart(summary: Summary, plt: Any) -> bytes:
    indicators = [i for i in summary.methodology.municipal_indicators if i.kind.value == "teacher_share"]
    periods = [h.period for h in summary.history]
    columns = 2
    rows = -(-len(indicators) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(CHART_WIDTH_IN, 2.5 * rows + 0.9), squeeze=False, sharex=True)
    xs = list(range(len(periods)))
    short = [p.replace("-", "–\n", 1) if len(periods) > 3 else p for p in periods]
    for n, ax in enumerate(axes.flat):
        if n >= len(indicators):
            ax.axis("off")
            continue
        indicator = indicators[n]
        values = [h.municipal[indicator.code] for h in summary.history]
        ys = [float(v.value) * 100 if v.value is not None else None for v in values]
        known = [(x, y) for x, y in zip(xs, ys) if y is not None]
        if known:
            ax.plot([x for x, _ in known], [y for _, y in known], color=DARK, linewidth=2, marker="o")
        for x, (y, v) in enumerate(zip(ys, values)):
            if y is None:
                ax.text(x, 50, "нет\nданных", ha="center", va="center", fontsize=FONT_PT - 1, color="#404040")
            else:
                ax.annotate(percent(v.value), (x, y), textcoords="offset points", xytext=(0, 7), ha="center",
                            fontsize=FONT_PT, color=REACHED if v.points else BELOW if v.scored else "black")
        if indicator.threshold is not None:
            ax.axhline(indicator.threshold * 100, color="#404040", linestyle="--", linewidth=1)
            ax.text(xs[-1] + 0.35, indicator.threshold * 100, f"порог\n{percent(indicator.threshold)}", va="center",
                    fontsize=FONT_PT - 1, color="#404040")
        ax.set_ylim(0, 112)
        ax.set_xlim(-0.4, xs[-1] + 0.4)
        ax.set_yticks([0, 50, 100])
        ax.set_xticks(xs, short)
        ax.set_title(f"{indicator.code} {indicator.short}", loc="left", fontsize=FONT_PT + 1)
    fig.suptitle(f"Доли педагогов по периодам, %: {summary.municipality.name}", fontsize=FONT_PT + 2, fontweight="bold")
    fig.text(0.5, 0.005, "пунктир — порог; зелёное значение — порог достигнут, красное — ниже порога",
             ha="center", va="bottom", fontsize=FONT_PT - 1, color="#404040")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _png(fig, plt)
