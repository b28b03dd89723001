"""The summary's files: the .xlsx workbook and the PNG chart (the text is scoring.text)."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from scoring.dynamics import DYNAMICS_TITLES
from scoring.identification import CRITERIA_TITLES, SUPPORT_GROUP_TITLES
from scoring.indicators import SchoolScore, Value
from scoring.service import Summary, completion_by_school
from scoring.text import rule_text, total_text
from surveys import completion

# --- the workbook --------------------------------------------------------------------------

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
# conditional formats take their colour from bgColor, cell styles from fgColor: set both
GREEN = PatternFill("solid", fgColor="C6EFCE", bgColor="C6EFCE")
RED = PatternFill("solid", fgColor="FFC7CE", bgColor="FFC7CE")
GREY = PatternFill("solid", fgColor="EDEDED", bgColor="EDEDED")
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(wrap_text=True, vertical="center")


SHEET_ROWS = 100_000  # rows of a long sheet; a country has a million school values, and Excel stops at 1 048 576


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return value.get("file_name") or str(value)
    return value


def _sheet(
    wb: Workbook,
    title: str,
    headers: list[str],
    rows: list[list[Any]],
    widths: dict[int, int] | None = None,
    *,
    percent: tuple[int, ...] = (),
    wrap: tuple[int, ...] = (),
    points: tuple[int, int] | None = None,
    caption: str | None = None,
) -> None:
    """One sheet in openpyxl's write-only mode (streamed: a country's sheets stay fast and small).

    Text is always text, never a formula, whatever it starts with; `percent` columns show
    shares as percentages; `points` (first, last column) are coloured green for 1, red for 0
    and grey where the indicator does not apply or has no data (conditional formatting, not a
    style per cell). A `caption` (what the sheet is about: the school, the period) goes above
    the header.
    """
    ws = wb.create_sheet(title)
    total = len(rows)
    if total > SHEET_ROWS:
        rows = [*rows[:SHEET_ROWS], [f"… показаны первые {SHEET_ROWS:,} из {total:,} строк".replace(",", " ")]]
    top = 2 if caption else 1  # the header's row
    ws.freeze_panes = f"B{top + 1}"
    for c, title_ in enumerate(headers, start=1):
        longest = max([len(title_), *(len(str(row[c - 1])) for row in rows[:500] if c - 1 < len(row) and row[c - 1] is not None)])
        ws.column_dimensions[get_column_letter(c)].width = (widths or {}).get(c, min(max(10, longest + 2), 60))
    if rows:
        ws.auto_filter.ref = f"A{top}:{get_column_letter(len(headers))}{len(rows) + top}"
    if points and rows:
        area = f"{get_column_letter(points[0])}{top + 1}:{get_column_letter(points[1])}{len(rows) + top}"
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["1"], fill=GREEN))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["0"], fill=RED))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=['"—"'], fill=GREY))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=[f'"{NO_DATA}"'], fill=GREY))

    def header(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        return cell

    if caption:
        cell = WriteOnlyCell(ws, caption)
        cell.data_type = "s"
        cell.font = Font(bold=True, size=12)
        ws.append([cell])
    ws.append([header(h) for h in headers])
    for row in rows:
        out: list[Any] = []
        for c, value in enumerate(row, start=1):
            value = _plain(value)
            if isinstance(value, str) and (value.startswith("=") or c in wrap):
                cell = WriteOnlyCell(ws, value)
                cell.data_type = "s"  # never a formula
                if c in wrap:
                    cell.alignment = WRAP
                value = cell
            elif isinstance(value, float) and c in percent:
                cell = WriteOnlyCell(ws, value)
                cell.number_format = "0.0%"
                value = cell
            out.append(value)
        ws.append(out)


def _share(value: Any) -> Any:
    return round(float(value), 4) if value is not None and not isinstance(value, bool) else value


NO_DATA = "нет данных"


def _points_cell(value: Value) -> Any:
    """The matrix cell: points, «нет данных» (grey, not a red 0) or «—» where it does not apply."""
    if not value.applies:
        return "—"
    if value.no_data:
        return NO_DATA
    return value.points


def _shown(value: Value) -> Any:
    if not value.applies or value.value is None:
        return value.shown()
    if isinstance(value.value, bool):
        return "да" if value.value else "нет"
    return _share(value.value)


def workbook(summary: Summary) -> bytes:
    wb = Workbook(write_only=True)
    methodology = summary.methodology
    names = summary.school_names

    rows = []
    for indicator in methodology.municipal_indicators:
        v = summary.scores.municipal[indicator.code]
        rows.append([
            indicator.code, indicator.title, _shown(v), rule_text(indicator), v.points if v.scored else None,
            v.numerator, v.denominator, _share(v.response_rate), v.note,
        ])
    scores = summary.scores
    rows.append(["Итого", "", "", "", scores.municipal_total, "", "", "",
                 total_text(scores.municipal_total, scores.municipal_maximum, len(scores.municipal_no_data))])
    _sheet(wb, "Муниципальные показатели",
           ["Код", "Показатель", "Значение", "Правило", "Баллы", "Числитель", "Знаменатель", "Доля ответивших", "Примечание"],
           rows, {2: 70}, percent=(3, 8), wrap=(2,))

    codes = [i.code for i in methodology.school_indicators]
    matrix = []
    for score in summary.scores.schools:
        matrix.append([score.school.short_name, score.school.status.title(), score.total, score.maximum, len(score.no_data)]
                      + [_points_cell(score.values[c]) for c in codes])
    _sheet(wb, "Показатели школ", ["Школа", "Статус", "Итого", "Максимум (по показателям с данными)", "Нет данных", *codes],
           matrix, {c: 9 for c in range(6, len(codes) + 6)}, points=(6, len(codes) + 5))

    long_rows = []
    for score in summary.scores.schools:
        for indicator in methodology.school_indicators:
            v = score.values[indicator.code]
            long_rows.append([
                score.school.short_name, indicator.code, indicator.title, _shown(v), v.points if v.scored else None,
                v.numerator, v.denominator, _share(v.response_rate), v.note,
                indicator.recommendation if v.scored and not v.points else "",
            ])
    _sheet(wb, "Значения школ", ["Школа", "Код", "Показатель", "Значение", "Баллы", "Числитель", "Знаменатель",
                                 "Доля ответивших", "Примечание", "Рекомендация"], long_rows, {3: 60, 10: 60}, percent=(4, 8))

    ident = []
    for score in summary.scores.schools:
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
    _sheet(wb, "Идентификация", ["Школа", "ШНРО", "ШНСУ", "Зона риска", "500+", "Группа поддержки", "Критериев", "Подробности"],
           ident, {8: 80})

    periods = [h.period for h in summary.history]
    dyn_rows = []
    for indicator in methodology.municipal_indicators:
        row: list[Any] = [indicator.code, indicator.title]
        for h in summary.history:
            row.append(_shown(h.municipal[indicator.code]))
        dyn_rows.append(row)
    dyn_rows.append(["Итого", "Сумма баллов муниципальных показателей", *[h.municipal_total for h in summary.history]])
    for code, title in DYNAMICS_TITLES.items():
        dyn_rows.append([code, title, *[_share(shares[code].value) for _, shares in summary.dynamics]])
    _sheet(wb, "Динамика", ["Код", "Показатель", *periods], dyn_rows, {2: 70}, percent=tuple(range(3, len(periods) + 3)))

    totals = {(h.period, s.school.id): (s.total, s.maximum) for h in summary.history for s in h.schools}
    verdict = {True: "да", False: "нет", None: "нет данных"}
    school_dyn = [
        [names.get(d.school_id, str(d.school_id)), d.period, verdict[d.exams_rose], verdict[d.kdr_rose],
         "да" if d.productive else "нет", *totals.get((d.period, d.school_id), (None, None))]
        for d in summary.school_dynamics
    ]
    _sheet(wb, "Динамика школ", ["Школа", "Период", "ОГЭ/ЕГЭ выросли", "КДР выросли", "Продуктивное участие", "Баллы", "Максимум"], school_dyn)

    states = completion.FORM_STATES
    completion_rows = []
    for row in completion_by_school(summary):
        t = row.teachers
        completion_rows.append([
            row.school,
            (t.declared if t.declared else "не заявлено") if t else "не опрашивалась",
            t.registered if t else None, t.submitted if t else None,
            _share(t.share) if t and t.share is not None else None, t.started if t else None,
            states.get(row.form, states[None]) if summary.school_form_expected else "не проводилась",
        ])
    _sheet(wb, "Заполнение", ["Школа", "Педагогов заявлено школой", "Зарегистрировано (опрошено)", "Ответили",
                              "Ответили от заявленных", "Начали, не отправили", "Анкета школы"],
           completion_rows, percent=(5,))

    raw = [[r["survey"], r["respondent"], names.get(r["school_id"], "") if r["school_id"] else "", r["question"], r["value"]]
           for r in summary.raw]
    if summary.raw_truncated:
        shown = f"… показаны первые {len(summary.raw):,} ответов; все — командой shnor export"
        raw.append(["", "", "", "", shown.replace(",", " ")])
    _sheet(wb, "Ответы", ["Анкета", "Респондент", "Школа", "Вопрос", "Ответ"], raw, {5: 60})

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


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
    _sheet(wb, "Карточка школы", ["Код", "Показатель", "Значение", "Правило", "Баллы", "Числитель", "Знаменатель",
                                  "Доля ответивших", "Примечание", "Рекомендация"], rows, {2: 60, 9: 30, 10: 70},
           percent=(3, 8), wrap=(2, 9, 10), points=(5, 5), caption=caption)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the chart -----------------------------------------------------------------------------

CHART_SCHOOLS = 40


def _school_label(summary: Summary, score: SchoolScore) -> str:
    """«СОШ 1 · ответили 5/27» (completion against the declared staff), or «... 5, не заявлено»."""
    name = score.school.short_name[:24]
    teachers = summary.completion.teachers.get(score.school.id)
    if teachers is None:
        return name
    if teachers.declared:
        return f"{name} · ответили {teachers.submitted}/{teachers.declared}"
    return f"{name} · ответили {teachers.submitted}, штат не заявлен"


def chart(summary: Summary) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    with matplotlib.rc_context({"text.parse_math": False}):  # a «$» in a school's name is a dollar, not mathematics
        return _chart(summary, plt, Patch)


def _chart(summary: Summary, plt: Any, Patch: Any) -> bytes:
    unsent = {s.school.id for s in summary.unsent()}
    schools = sorted(summary.scores.schools, key=lambda s: (s.school.id in unsent, s.ratio, s.school.name))[:CHART_SCHOOLS]
    shares = [
        (i, summary.scores.municipal[i.code])
        for i in summary.methodology.municipal_indicators
        if i.threshold is not None or i.kind.value in ("teacher_share", "school_share")
    ]
    height = max(4.0, 0.28 * len(schools) + 1.8, 0.3 * len(shares) + 1.8)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, height), gridspec_kw={"width_ratios": [1.1, 1.1]})
    names = [_school_label(summary, s) for s in schools]
    left.barh(names, [s.maximum for s in schools], color="#e3e3e3")
    for y, score in enumerate(schools):
        missing = sum(v.max_points for v in score.no_data)
        if missing:
            left.barh([y], [missing], left=[score.maximum], color="white", edgecolor="#9e9e9e", hatch="///")
    left.barh(names, [s.total for s in schools], color="#305496")
    left.invert_yaxis()
    left.tick_params(axis="y", labelsize=8)
    title = "Баллы школ" + (f" (наименьшие {CHART_SCHOOLS})" if len(summary.scores.schools) > CHART_SCHOOLS else "")
    left.set_title(title)
    left.legend(
        handles=[Patch(color="#305496", label="баллы"), Patch(color="#e3e3e3", label="возможные по показателям с данными"),
                 Patch(facecolor="white", edgecolor="#9e9e9e", hatch="///", label="нет данных")],
        loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=3, frameon=False, fontsize=8,
    )

    labels = [i.code for i, _ in shares]
    values = [float(v.value) * 100 if v.value is not None else 0 for _, v in shares]
    colors = ["#70ad47" if v.points else "#c00000" if v.scored else "#8eaadb" for _, v in shares]
    right.barh(labels, values, color=colors)
    for y, (indicator, value) in enumerate(shares):
        if value.value is None:
            right.barh([y], [100], color="white", edgecolor="#9e9e9e", hatch="///")
            right.text(2, y, "нет данных", va="center", fontsize=8, color="#555555")
        if indicator.threshold is not None:
            right.plot([indicator.threshold * 100] * 2, [y - 0.4, y + 0.4], color="black", linewidth=2)
    right.set_xlim(0, 100)
    right.invert_yaxis()
    right.set_title("Муниципальные доли, % (черта — порог)")
    fig.suptitle(f"{summary.municipality.name}, {summary.period}")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
