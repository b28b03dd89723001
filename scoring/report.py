"""The summary in three forms: Telegram text (HTML, split under 4096), an .xlsx workbook, a PNG chart."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from scoring.dynamics import DYNAMICS_TITLES
from scoring.identification import (
    CRITERIA_TITLES,
    METHOD_TITLES,
    SUPPORT_GROUP_TITLES,
    Method,
)
from scoring.indicators import SchoolScore, Value, percent
from scoring.methodology import Indicator
from scoring.service import Summary, completion_by_school, schools_by_status

TELEGRAM_LIMIT = 4096


def _points(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} балл"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} балла"
    return f"{n} баллов"


def rule_text(indicator: Indicator) -> str:
    if indicator.threshold is not None:
        sign = "≥" if indicator.comparison == ">=" else ">"
        return f"{sign} {percent(indicator.threshold)}"
    if indicator.points:
        return "да — 1, нет — 0" if indicator.points["yes"] else "да — 0, нет — 1"
    return "значение"


def value_line(indicator: Indicator, value: Value) -> str:
    text = f"{indicator.code} {escape(indicator.title)} — <b>{value.shown()}</b>"
    if indicator.threshold is not None:
        text += f" (порог {rule_text(indicator)})"
    if value.max_points:
        text += f" — {_points(value.points or 0)}"
    if value.response_rate is not None:
        text += f"; ответили {percent(value.response_rate)}"
    return text


def split_message(lines: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join lines into messages under the limit, breaking only between lines (over-long lines are cut)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if len(line) > limit:
            line = line[: limit - 1] + "…"
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def summary_text(summary: Summary, lowest: int = 5) -> list[str]:
    c = summary.completion
    m = summary.municipality
    schools = summary.scores.schools
    registered = sum(c.teachers_registered.values())
    submitted = sum(c.teachers_submitted.values())
    drafts = sum(c.teachers_draft.values())
    forms = sum(1 for s in c.school_form.values() if s == "submitted")
    lines = [
        f"<b>Сводка ШНОР: {escape(m.name)}, период {escape(summary.period)}</b>",
        f"Метод идентификации: {METHOD_TITLES[Method(m.identification_method)]}",
        "",
        "<b>Заполнение</b>",
        f"Педагоги: отправили {submitted} из {registered} зарегистрированных"
        + (f" ({percent(submitted / registered)})" if registered else "")
        + (f", начали ещё {drafts}" if drafts else ""),
        f"Анкеты школ: отправлено {forms} из {len(schools)}",
        "Анкета муниципалитета: " + {"submitted": "отправлена", "draft": "начата"}.get(c.municipality_form or "", "не начата"),
    ]
    for name, reg, sub, draft, form in completion_by_school(summary):
        lines.append(f"• {escape(name)}: педагоги {sub}/{reg}" + (f" (+{draft} начали)" if draft else "") + f"; анкета школы — {form}")
    lines += ["", "<b>Школы по статусам</b>"]
    for title, names in sorted(schools_by_status(summary).items(), key=lambda kv: kv[0] == "нет статуса"):
        lines.append(f"• {escape(title)} ({len(names)}): {escape(', '.join(names))}")
    lines += [
        "",
        f"<b>Муниципальные показатели</b> — итого {summary.scores.municipal_total} из {summary.scores.municipal_maximum}",
    ]
    for indicator in summary.methodology.municipal_indicators:
        lines.append("• " + value_line(indicator, summary.scores.municipal[indicator.code]))
    if summary.dynamics:
        _, shares = summary.dynamics[-1]
        lines += ["", "<b>Динамика</b>"]
        for code, share in shares.items():
            lines.append(f"• {code} {escape(DYNAMICS_TITLES[code])} — <b>{percent(share.value)}</b> ({share.numerator} из {share.denominator})")
    lines += ["", "<b>Школы с наименьшими баллами</b>"]
    for n, score in enumerate(summary.lowest(lowest), start=1):
        lines.append(f"{n}. {escape(score.school.short_name)} — {score.total} из {score.maximum} ({escape(score.school.status.title())})")
    return split_message(lines)


def card_text(summary: Summary, score: SchoolScore) -> list[str]:
    school = score.school
    lines = [
        f"<b>Карточка школы: {escape(school.name)}</b>",
        f"Период {escape(summary.period)}; статус: {escape(school.status.title())}",
        f"Итого: <b>{score.total} из {score.maximum}</b>",
        "",
    ]
    for indicator in summary.methodology.school_indicators:
        value = score.values[indicator.code]
        if not value.applies:
            continue
        mark = "✅" if value.points else "❌"
        line = f"{mark} {indicator.code} {escape(indicator.title)} — {value.shown()}"
        if value.numerator is not None and value.denominator:
            line += f" ({value.numerator} из {value.denominator})"
        lines.append(line)
    zeros = score.zeros
    if zeros:
        lines += ["", "<b>Что сделать</b>"]
        for value in zeros:
            indicator = summary.methodology.indicator(value.code)
            if indicator.recommendation:
                lines.append(f"• {indicator.code}: {escape(indicator.recommendation)}")
    else:
        lines += ["", "Все показатели школы набрали баллы."]
    return split_message(lines)


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
) -> None:
    """One sheet in openpyxl's write-only mode (streamed: a country's sheets stay fast and small).

    Text is always text, never a formula, whatever it starts with; `percent` columns show
    shares as percentages; `points` (first, last column) are coloured green for 1, red for 0
    and grey where the indicator does not apply (conditional formatting, not a style per cell).
    """
    ws = wb.create_sheet(title)
    total = len(rows)
    if total > SHEET_ROWS:
        rows = [*rows[:SHEET_ROWS], [f"… показаны первые {SHEET_ROWS:,} из {total:,} строк".replace(",", " ")]]
    ws.freeze_panes = "B2"
    for c, title_ in enumerate(headers, start=1):
        longest = max([len(title_), *(len(str(row[c - 1])) for row in rows[:500] if c - 1 < len(row) and row[c - 1] is not None)])
        ws.column_dimensions[get_column_letter(c)].width = (widths or {}).get(c, min(max(10, longest + 2), 60))
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    if points and rows:
        area = f"{get_column_letter(points[0])}2:{get_column_letter(points[1])}{len(rows) + 1}"
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["1"], fill=GREEN))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=["0"], fill=RED))
        ws.conditional_formatting.add(area, CellIsRule(operator="equal", formula=['"—"'], fill=GREY))

    def header(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value)
        cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGNMENT
        return cell

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
            indicator.code, indicator.title, _shown(v), rule_text(indicator), v.points if v.max_points else None,
            v.numerator, v.denominator, _share(v.response_rate), v.note,
        ])
    rows.append(["Итого", "", "", "", summary.scores.municipal_total, "", "", "", f"из {summary.scores.municipal_maximum}"])
    _sheet(wb, "Муниципальные показатели",
           ["Код", "Показатель", "Значение", "Правило", "Баллы", "Числитель", "Знаменатель", "Доля ответивших", "Примечание"],
           rows, {2: 70}, percent=(3, 8), wrap=(2,))

    codes = [i.code for i in methodology.school_indicators]
    matrix = []
    for score in summary.scores.schools:
        matrix.append([score.school.short_name, score.school.status.title(), score.total, score.maximum]
                      + [score.values[c].points if score.values[c].applies else "—" for c in codes])
    _sheet(wb, "Показатели школ", ["Школа", "Статус", "Итого", "Максимум", *codes], matrix,
           {c: 9 for c in range(5, len(codes) + 5)}, points=(5, len(codes) + 4))

    long_rows = []
    for score in summary.scores.schools:
        for indicator in methodology.school_indicators:
            v = score.values[indicator.code]
            long_rows.append([
                score.school.short_name, indicator.code, indicator.title, _shown(v), v.points if v.applies else None,
                v.numerator, v.denominator, _share(v.response_rate), v.note,
                indicator.recommendation if v.applies and v.max_points and not v.points else "",
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

    _sheet(wb, "Заполнение", ["Школа", "Педагогов зарегистрировано", "Отправили анкету", "Начали", "Анкета школы"],
           [list(r) for r in completion_by_school(summary)])

    raw = [[r["survey"], r["respondent"], names.get(r["school_id"], "") if r["school_id"] else "", r["question"], r["value"]]
           for r in summary.raw]
    if summary.raw_truncated:
        shown = f"… показаны первые {len(summary.raw):,} ответов; все — командой shnor export"
        raw.append(["", "", "", "", shown.replace(",", " ")])
    _sheet(wb, "Ответы", ["Анкета", "Респондент", "Школа", "Вопрос", "Ответ"], raw, {5: 60})

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def card_workbook(summary: Summary, score: SchoolScore) -> bytes:
    wb = Workbook(write_only=True)
    rows = []
    for indicator in summary.methodology.school_indicators:
        v = score.values[indicator.code]
        rows.append([indicator.code, indicator.title, _shown(v), rule_text(indicator), v.points if v.applies else None,
                     v.numerator, v.denominator, _share(v.response_rate),
                     indicator.recommendation if v.applies and v.max_points and not v.points else ""])
    rows.append(["Итого", "", "", "", score.total, "", "", "", f"из {score.maximum}"])
    _sheet(wb, "Карточка школы", ["Код", "Показатель", "Значение", "Правило", "Баллы", "Числитель", "Знаменатель",
                                  "Доля ответивших", "Рекомендация"], rows, {2: 60, 9: 70}, percent=(3, 8), wrap=(2, 9))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# --- the chart -----------------------------------------------------------------------------

CHART_SCHOOLS = 40


def chart(summary: Summary) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    schools = sorted(summary.scores.schools, key=lambda s: (s.total / s.maximum if s.maximum else 0))[:CHART_SCHOOLS]
    shares = [
        (i, summary.scores.municipal[i.code])
        for i in summary.methodology.municipal_indicators
        if i.threshold is not None or i.kind.value in ("teacher_share", "school_share")
    ]
    height = max(4.0, 0.28 * len(schools) + 1.5, 0.3 * len(shares) + 1.5)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, height), gridspec_kw={"width_ratios": [1, 1.2]})
    names = [s.school.short_name[:28] for s in schools]
    left.barh(names, [s.maximum for s in schools], color="#e3e3e3", label="максимум")
    left.barh(names, [s.total for s in schools], color="#305496", label="баллы")
    left.invert_yaxis()
    title = "Баллы школ" + (f" (наименьшие {CHART_SCHOOLS})" if len(summary.scores.schools) > CHART_SCHOOLS else "")
    left.set_title(title)
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=2, frameon=False)

    labels = [i.code for i, _ in shares]
    values = [float(v.value) * 100 if v.value is not None else 0 for _, v in shares]
    colors = ["#70ad47" if v.points else "#c00000" if v.max_points else "#8eaadb" for _, v in shares]
    right.barh(labels, values, color=colors)
    for y, (indicator, _) in enumerate(shares):
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
