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
from scoring.indicators import SchoolScore, Value
from scoring.methodology import Indicator, Kind
from scoring.service import Summary, completion_by_school, schools_by_status
from surveys import completion
from surveys.wording import count, percent

TELEGRAM_LIMIT = 4096


def _points(n: int) -> str:
    return count(n, "балл", "балла", "баллов")


def _no_data_phrase(n: int) -> str:
    return f"нет данных по {count(n, 'показателю', 'показателям', 'показателям')}"


def total_text(total: int, maximum: int, no_data: int) -> str:
    """«12 из 20 баллов; нет данных по 7 показателям»: the maximum counts only indicators with data."""
    text = f"{total} из {count(maximum, 'балла', 'баллов', 'баллов')}"
    return text + (f"; {_no_data_phrase(no_data)}" if no_data else "")


def rule_text(indicator: Indicator) -> str:
    if indicator.threshold is not None:
        sign = "≥" if indicator.comparison == ">=" else ">"
        return f"{sign} {percent(indicator.threshold)}"
    if indicator.points:
        return "да — 1, нет — 0" if indicator.points["yes"] else "да — 0, нет — 1"
    return "значение"


def counted(indicator: Indicator, value: Value) -> str:
    """What a share counts: «7 из 10 заявленных педагогов; ответили 8» or «3 из 12 школ; анкету отправили 10»."""
    if value.numerator is None or not value.denominator:
        return ""
    answered = round(value.response_rate * value.denominator) if value.response_rate is not None else None
    if indicator.kind == Kind.TEACHER_SHARE:
        return f"{value.numerator} из {value.denominator} заявленных педагогов; ответили {answered}"
    text = f"{value.numerator} из {count(value.denominator, 'школы', 'школ', 'школ')}"
    if answered is None or answered == value.denominator:
        return text
    return text + (f"; педагоги ответили в {answered}" if indicator.source.any_teacher else f"; анкету отправили {answered}")


def value_line(indicator: Indicator, value: Value) -> str:
    text = f"{indicator.code} {escape(indicator.title)} — <b>{value.shown()}</b>"
    detail = [] if value.value is None else [counted(indicator, value)]
    if indicator.threshold is not None and value.value is not None:
        detail.append(f"порог {rule_text(indicator)}")
    if value.note:
        detail.append(escape(value.note))
    detail = [d for d in detail if d]
    if detail:
        text += f" ({'; '.join(detail)})"
    if value.scored:
        text += f" — {_points(value.points or 0)}"
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


def period_lines(summary: Summary) -> list[str]:
    """Which period this is and which others exist."""
    if summary.period == summary.current_year:
        which = f"Период {escape(summary.period)} — текущий учебный год."
    elif summary.current_year and summary.current_year not in summary.periods and summary.period == summary.periods[-1]:
        which = f"Период {escape(summary.period)} — последний с данными (за текущий {escape(summary.current_year)} данных нет)."
    else:
        which = f"Период {escape(summary.period)}."
    others = [p for p in summary.periods if p != summary.period]
    return [which + (f" Другие периоды: {escape(', '.join(others))}." if others else "")]


def completion_lines(summary: Summary) -> list[str]:
    c = summary.completion
    schools = summary.scores.schools
    lines = ["<b>Заполнение</b>"]
    if "teacher" in c.audiences:
        lines.append("Педагоги: " + completion.total_text(c.teachers.values()))
    else:
        lines.append("Анкета педагога в этом периоде не проводилась.")
    if summary.school_form_expected:
        sent = sum(summary.form_sent(s.school.id) for s in schools)
        lines.append(f"Анкеты школ: отправлено {sent} из {len(schools)}")
    if "municipality" in c.audiences:
        lines.append("Анкета муниципалитета: " + completion.FORM_STATES.get(c.municipality_form, completion.FORM_STATES[None]))
    for row in completion_by_school(summary):
        parts = []
        if "teacher" in c.audiences:
            parts.append("педагоги — " + (row.teachers.text() if row.teachers else "не опрашивались (вне адресатов кампании)"))
        if summary.school_form_expected:
            parts.append("анкета школы — " + completion.FORM_STATES.get(row.form, completion.FORM_STATES[None]))
        if parts:
            lines.append(f"• {escape(row.school)}: {'; '.join(parts)}")
    return lines


def summary_text(summary: Summary, lowest: int = 5) -> list[str]:
    m = summary.municipality
    scores = summary.scores
    lines = [
        f"<b>Сводка ШНОР: {escape(m.name)}, период {escape(summary.period)}</b>",
        *period_lines(summary),
        f"Метод идентификации: {METHOD_TITLES[Method(m.identification_method)]}",
        "",
        *completion_lines(summary),
    ]
    lines += ["", "<b>Школы по статусам</b>"]
    for title, names in sorted(schools_by_status(summary).items(), key=lambda kv: kv[0] == "нет статуса"):
        lines.append(f"• {escape(title)} ({len(names)}): {escape(', '.join(names))}")
    lines += [
        "",
        "<b>Муниципальные показатели</b> — итого "
        + total_text(scores.municipal_total, scores.municipal_maximum, len(scores.municipal_no_data)),
    ]
    for indicator in summary.methodology.municipal_indicators:
        lines.append("• " + value_line(indicator, scores.municipal[indicator.code]))
    if summary.dynamics:
        _, shares = summary.dynamics[-1]
        lines += ["", "<b>Динамика</b>"]
        for code, share in shares.items():
            lines.append(f"• {code} {escape(DYNAMICS_TITLES[code])} — <b>{percent(share.value)}</b> ({share.numerator} из {share.denominator})")
    lines += ["", "<b>Школы с наименьшими баллами</b>" + (" (из отправивших анкету школы)" if summary.school_form_expected else "")]
    ranked = summary.lowest(lowest)
    for n, score in enumerate(ranked, start=1):
        lines.append(
            f"{n}. {escape(score.school.short_name)} — {total_text(score.total, score.maximum, len(score.no_data))}"
            f" ({escape(score.school.status.title())})"
        )
    if not ranked:
        lines.append("Ни одна школа ещё не отправила анкету.")
    unsent = summary.unsent()
    if unsent:
        lines.append(
            f"Анкету школы не отправили ({len(unsent)}; их баллы неполные, в рейтинг не входят): "
            + escape(", ".join(s.school.short_name for s in unsent))
        )
    return split_message(lines)


def _mark(value: Value) -> str:
    if value.no_data:
        return "⬜"
    return "✅" if value.points else "❌"


def card_text(summary: Summary, score: SchoolScore) -> list[str]:
    school = score.school
    lines = [
        f"<b>Карточка школы: {escape(school.name)}</b>",
        f"Период {escape(summary.period)}; статус: {escape(school.status.title())}",
        f"Итого: <b>{total_text(score.total, score.maximum, len(score.no_data))}</b>",
        "✅ — балл получен, ❌ — 0 баллов, ⬜ — нет данных (баллы не начислены).",
        "",
    ]
    for indicator in summary.methodology.school_indicators:
        value = score.values[indicator.code]
        if not value.applies:
            continue
        lines.append(f"{_mark(value)} " + value_line(indicator, value))
    zeros = score.zeros
    if zeros:
        lines += ["", "<b>Что сделать</b>"]
        for value in zeros:
            indicator = summary.methodology.indicator(value.code)
            if indicator.recommendation:
                lines.append(f"• {indicator.code}: {escape(indicator.recommendation)}")
    elif not score.no_data:
        lines += ["", "Все показатели школы набрали баллы."]
    if score.no_data:
        lines += ["", f"Нет данных по {count(len(score.no_data), 'показателю', 'показателям', 'показателям')}: "
                  + ", ".join(v.code for v in score.no_data) + ". Отправьте анкету школы (/surveys), чтобы они были посчитаны."]
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
