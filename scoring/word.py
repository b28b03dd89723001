"""The Word documents: the working group's analytical report (`shnor report`, /report); the school card
(scoring/card.py) uses its tables. docxtpl fills the templates in scoring/templates (a municipality restyles them in
Word); the sentences come from scoring/word.yaml and the decisions from the methodology's `decision`
fields, so no wording lives here. Tables are built here (their columns follow the periods on record)
in the template's styles «Таблица ШНОР», «Шапка таблицы» and «Текст таблицы»: a row never breaks
across pages and the header row repeats on each page. Their columns are sized to the text width of the
template's section that holds them (the report's tables are in a landscape section), for 12 pt text.

docxtpl (python-docx, Jinja2) is imported when a document is rendered, never at bot start.
"""

from __future__ import annotations

import functools
import io
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from monitoring import completion as completion_text
from scoring.development import answer_options
from scoring.identification import (
    CRITERIA_TITLES,
    METHOD_TITLES,
    SUPPORT_GROUP_TITLES,
    Method,
)
from scoring.indicators import PeriodScores, SchoolScore, Value
from scoring.methodology import Indicator
from scoring.summary import ReportInput, Summary
from scoring.text import total_text
from storage.wording import count, percent

TEMPLATES = Path(__file__).parent / "templates"
REPORT_TEMPLATE = TEMPLATES / "report.docx"
PHRASES_FILE = Path(__file__).parent / "word.yaml"
TABLE_STYLE, HEAD_STYLE, CELL_STYLE = "Таблица ШНОР", "Шапка таблицы", "Текст таблицы"
MINUS = "\u2212"


@functools.cache
def phrases(path: Path = PHRASES_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- values as the documents show them -----------------------------------------------------


def value_text(value: Value | None, *, points: bool = True) -> str:
    """«69,7 % (0)», «да (1)», «нет данных», «—»: the value and, where it scored, its points in brackets."""
    v = phrases()["values"]
    if value is None or not value.applies:
        return v["not_applicable"]
    if value.value is None:
        return v["no_data"]
    if isinstance(value.value, bool):
        shown = v["yes"] if value.value else v["no"]
    else:
        shown = percent(value.value)
    return f"{shown} ({value.points})" if points and value.scored else shown


def _signed(number: float, template: str) -> str:
    sign = "+" if number > 0 else MINUS if number < 0 else ""
    text = f"{abs(number):.1f}".replace(".", ",") if isinstance(number, float) else str(abs(number))
    return template.format(sign=sign, value=text)


def change_text(before: Value | None, after: Value | None) -> str:
    """The change from the period before: «+5,2 п. п.; порог достигнут», «нет → да», «—» without both values."""
    v = phrases()["values"]
    if before is None or after is None or before.value is None or after.value is None or not after.applies:
        return v["not_applicable"]
    if isinstance(after.value, bool) or isinstance(before.value, bool):
        if bool(before.value) == bool(after.value):
            return v["same"]
        return v["became_yes"] if after.value else v["became_no"]
    text = _signed(round((float(after.value) - float(before.value)) * 100, 1), v["points_change"])
    if after.scored and before.scored and after.points != before.points:
        text += "; " + (v["reached"] if after.points else v["lost"])
    return text


def school_total(score: SchoolScore | None) -> str:
    if score is None:
        return phrases()["values"]["not_applicable"]
    return total_text(score.total, score.maximum, len(score.no_data))


def municipal_total(scores: PeriodScores) -> str:
    return total_text(scores.municipal_total, scores.municipal_maximum, len(scores.municipal_no_data))


def names(items: list[str]) -> str:
    return ", ".join(items)


# --- the report's text ---------------------------------------------------------------------


def overview(summary: Summary) -> list[str]:
    """The short summary written from the data: schools by status, completion, the municipal total
    against its maximum and the period before, the indicators that crossed their threshold."""
    o = phrases()["overview"]
    schools = summary.scores.schools
    flags = (("shnro", "ШНРО"), ("shnsu", "ШНСУ"), ("risk_zone", "зона риска"), ("project_500", "проект «500+»"))
    parts = [o["status"].format(title=title, count=sum(getattr(s.school.status, flag) for s in schools))
             for flag, title in flags if any(getattr(s.school.status, flag) for s in schools)]
    out = [o["schools"].format(period=summary.period, schools=count(len(schools), "школа", "школы", "школ"),
                               statuses="; ".join(parts) if parts else o["no_status"])]
    c = summary.completion
    if "teacher" in c.audiences:
        out.append(o["teachers"].format(completion=completion_text.total_text(c.teachers.values())))
    else:
        out.append(o["no_teacher_survey"])
    if summary.school_form_expected:
        sent = sum(summary.form_sent(s.school.id) for s in schools)
        out.append(o["school_forms"].format(sent=sent, total=len(schools)))
    now = summary.history[-1]
    if len(summary.history) < 2:
        out.append(o["municipal_total"].format(total=municipal_total(now)))
        out.append(o["first_period"])
        return out
    before = summary.history[-2]
    out.append(o["municipal_total_before"].format(total=municipal_total(now), previous=before.period,
                                                  before=municipal_total(before)))
    up, down = crossed(summary.methodology.municipal_indicators, before, now)
    if up:
        out.append(o["crossed_up"].format(previous=before.period, indicators=names(up)))
    if down:
        out.append(o["crossed_down"].format(previous=before.period, indicators=names(down)))
    if not up and not down:
        out.append(o["crossed_none"].format(previous=before.period))
    return out


def crossed(indicators: tuple[Indicator, ...], before: PeriodScores, now: PeriodScores) -> tuple[list[str], list[str]]:
    """The municipal indicators with a threshold that reached it / fell below it since the period before."""
    up, down = [], []
    for indicator in indicators:
        if indicator.threshold is None:
            continue
        a, b = before.municipal[indicator.code], now.municipal[indicator.code]
        if a.scored and b.scored and a.points != b.points:
            (up if b.points else down).append(indicator.label)
    return up, down


def in_scope(summary: Summary, all_schools: bool) -> list[SchoolScore]:
    """The report's schools: ШНРО, ШНСУ and risk-zone schools of the period (or every school)."""
    if all_schools:
        return list(summary.scores.schools)
    return [s for s in summary.scores.schools if s.school.status.low_results_or_unfavourable or s.school.status.risk_zone]


def school_notes(summary: Summary, score: SchoolScore, key: str = "school") -> list[str]:
    if not score.no_data:
        return []
    p = phrases()[key]
    reason = phrases()["school"]["form_not_sent" if summary.school_form_expected and not summary.form_sent(score.school.id)
                                  else "data_missing"]
    return [p["no_data"].format(count=count(len(score.no_data), "показателю", "показателям", "показателям"), reason=reason)]


def zero_lines(summary: Summary, score: SchoolScore) -> list[str]:
    p = phrases()["school"]
    lines = []
    for value in score.zeros:
        indicator = summary.methodology.indicator(value.code)
        template = p["zero"] if indicator.recommendation else p["zero_no_recommendation"]
        lines.append(template.format(code=indicator.code, title=indicator.title, value=value_text(value, points=False),
                                     recommendation=indicator.recommendation or ""))
    return lines


def decisions(summary: Summary, schools: list[SchoolScore]) -> list[str]:
    """The draft «Решили»: numbered decisions from the methodology's `decision` fields, each naming the
    schools where its indicator scored 0 (one line per decision, never per school and indicator)."""
    d = phrases()["decisions"]
    out = list(d.get("opening") or [])
    grouped: dict[str, list[str]] = {}
    for indicator in summary.methodology.school_indicators:
        if not indicator.decision:
            continue
        hit = [s.school.short_name for s in schools if (v := s.values[indicator.code]).scored and not v.points]
        for name in hit:
            bucket = grouped.setdefault(indicator.decision, [])
            if name not in bucket:
                bucket.append(name)
    out += [d["school"].format(decision=decision, schools=names(hit)) for decision, hit in grouped.items()]
    for indicator in summary.methodology.municipal_indicators:
        value = summary.scores.municipal[indicator.code]
        if indicator.decision and value.scored and not value.points:
            out.append(d["municipal"].format(decision=indicator.decision, period=summary.period,
                                             value=value_text(value, points=False)))
    missing = [s.school.short_name for s in schools if summary.school_form_expected and not summary.form_sent(s.school.id)]
    if missing:
        out.append(d["no_data"].format(period=summary.period, schools=names(missing)))
    return out + list(d.get("closing") or [])


def identification(summary: Summary) -> tuple[list[str], list[list[str]] | None, list[str], list[str]]:
    """The method, the schools by status; for the twelve criteria each school's criteria met (for the
    Sverdlovsk groups each school's groups): lines, table rows, table headers, notes."""
    p = phrases()["identification"]
    t = phrases()["table"]
    method = Method(summary.municipality.identification_method)
    lines = [p["method"].format(method=METHOD_TITLES[method])]
    schools = summary.scores.schools
    for flag, title in (("shnro", "ШНРО"), ("shnsu", "ШНСУ"), ("risk_zone", "Зона риска"), ("project_500", "Проект «500+»"),
                        ("pilot", "Пилотная площадка")):
        hit = [s.school.short_name for s in schools if getattr(s.school.status, flag)]
        if hit:
            lines.append(p["status_line"].format(title=title, count=len(hit), schools=names(hit)))
    none = [s.school.short_name for s in schools if s.school.status.title() == "нет статуса"]
    if none:
        lines.append(p["status_line"].format(title="Без статуса", count=len(none), schools=names(none)))
    if not summary.statuses:
        lines.append(p["none"])
    rows: list[list[str]] | None = None
    headers: list[str] = []
    notes: list[str] = []
    with_criteria = [s for s in schools if "criteria" in (s.school.status.details or {})]
    with_groups = [s for s in schools if "quality_group" in (s.school.status.details or {})]
    if with_criteria:
        headers = [t["school"], t["criteria_count"], t["criteria_met"]]
        rows = [[s.school.short_name, str(s.school.status.details.get("count", 0)),
                 ", ".join(str(n) for n in s.school.status.details["criteria"]) or "—"] for s in with_criteria]
        notes.append(p["criteria_note"].format(criteria="; ".join(f"{n} — {title}" for n, title in CRITERIA_TITLES.items())))
    elif with_groups:
        headers = [t["school"], t["quality_group"], t["isbsh_group"], t["support_group"]]
        rows = [[s.school.short_name, str(s.school.status.details["quality_group"]), str(s.school.status.details["isbsh_group"]),
                 SUPPORT_GROUP_TITLES.get(s.school.status.support_group or "", "—")] for s in with_groups]
    return lines, rows, headers, notes


# --- tables --------------------------------------------------------------------------------


def _unit(indicator: Indicator) -> str:
    return phrases()["units"].get(indicator.kind.value, "")


def indicator_rows(
    summary: Summary, indicators: tuple[Indicator, ...], values: list[dict[str, Value]],
) -> list[list[str]]:
    """Seed 004's rows: № (the code), criterion, indicator, unit, a value per period, the change."""
    rows = []
    for indicator in indicators:
        per_period = [v.get(indicator.code) for v in values]
        if all(v is None or not v.applies for v in per_period):
            continue
        rows.append([indicator.code, summary.methodology.criterion_title(indicator), indicator.title, _unit(indicator),
                     *[value_text(v) for v in per_period],
                     change_text(per_period[-2], per_period[-1]) if len(per_period) > 1 else ""])
    return rows


def _widths(periods: int, total: float, change: bool) -> list[float]:
    """Column widths in mm for 12 pt text: fixed for the code («M2.4.10»), the unit, each period
    («100,0 % (1)» and «нет данных» on one line) and the change; the rest shared by the criterion and
    the indicator. On a narrow page (a portrait section) a period's value takes two lines."""
    code, unit, period, change_width = 17.0, 14.0, 23.0, 32.0 if change else 0.0
    rest = total - code - unit - change_width - period * periods
    if rest < 100:
        period = 17.0
        rest = total - code - unit - change_width - period * periods
    rest = max(60.0, rest)
    return [code, rest * 0.4, rest * 0.6, unit, *[period] * periods, *([change_width] if change else [])]


def text_width(template: Any, tag: str) -> float:
    """The text width in mm of the template's section holding the paragraph `{{p tag }}` (a table's
    place): the page less its margins. A restyled template that moves a table to another section or
    changes its orientation gets columns to match."""
    from docx.oxml.ns import qn
    from docx.shared import Length

    document = template.get_docx()
    place = re.compile(r"\{\{p\s*" + re.escape(tag) + r"\s*\}\}")
    index = 0  # sections end at a paragraph holding w:sectPr; the last one at the body's own
    for child in document.element.body.iterchildren(qn("w:p")):
        if place.search("".join(t.text or "" for t in child.iter(qn("w:t")))):
            break
        if child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            index += 1
    else:
        index = 0
    section = document.sections[min(index, len(document.sections) - 1)]
    return Length(section.page_width - section.left_margin - section.right_margin).mm


def _row_properties(row: Any, header: bool) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))  # the header row repeats on every page
    for element in tr_pr.findall(qn("w:cantSplit")) + tr_pr.findall(qn("w:tblHeader")):
        element.set(qn("w:val"), "true")


def build_table(template: Any, headers: list[str], rows: list[list[str]], widths: list[float], *,
                group_column: int | None = None) -> Any:
    """A table as a docxtpl subdocument in the template's styles; equal neighbouring cells of
    `group_column` (the criterion) are merged into one."""
    from docx.shared import Mm

    sub = template.new_subdoc()
    table = sub.add_table(rows=len(rows) + 1, cols=len(headers))
    table.style = TABLE_STYLE
    table.autofit = False
    for n, col in enumerate(table._tbl.tblGrid.gridCol_lst):
        col.w = Mm(widths[n])
    for r, values in enumerate([headers, *rows]):
        row = table.rows[r]
        _row_properties(row, header=r == 0)
        for c, cell in enumerate(row.cells):
            cell.width = Mm(widths[c])
            paragraph = cell.paragraphs[0]
            paragraph.style = HEAD_STYLE if r == 0 else CELL_STYLE
            text = values[c] if c < len(values) else ""
            if group_column is not None and c == group_column and r > 1 and text and text == rows[r - 2][c]:
                text = ""  # merged below
            paragraph.text = text
    if group_column is not None:
        start = 1
        for r in range(2, len(rows) + 2):
            if r == len(rows) + 1 or rows[r - 1][group_column] != rows[start - 1][group_column] or not rows[r - 1][group_column]:
                if r - 1 > start:
                    merged = table.cell(start, group_column).merge(table.cell(r - 1, group_column))
                    for extra in merged.paragraphs[1:]:  # the merged cells' empty paragraphs would add height
                        if not extra.text:
                            extra._p.getparent().remove(extra._p)
                start = r
    return sub


def _render(template_path: Path, context: dict[str, Any], build: Any) -> bytes:
    from docxtpl import DocxTemplate

    template = DocxTemplate(template_path)
    context = {**context, **build(template)}
    template.render(context, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


# --- the report ----------------------------------------------------------------------------


def report_context(data: ReportInput, all_schools: bool = False) -> tuple[dict[str, Any], Any]:
    """The template's values and a function that builds its tables (they need the template)."""
    summary = data.summary
    r = phrases()["report"]
    t = phrases()["table"]
    history = summary.history
    periods = [h.period for h in history]
    multi = len(periods) > 1
    headers = [t["number"], t["criterion"], t["indicator"], t["unit"], *periods, *( [t["change"]] if multi else [])]

    def trim(rows: list[list[str]]) -> list[list[str]]:
        return rows if multi else [row[:-1] for row in rows]

    municipal_rows = trim(indicator_rows(summary, summary.methodology.municipal_indicators, [h.municipal for h in history]))
    municipal_rows.append(["", "", t["total"], "", *[municipal_total(h) for h in history], *([""] if multi else [])])

    by_period = [{s.school.id: s for s in h.schools} for h in history]
    schools = in_scope(summary, all_schools)
    school_items = []
    for score in schools:
        scores = [p.get(score.school.id) for p in by_period]
        rows = trim(indicator_rows(summary, summary.methodology.school_indicators,
                                   [s.values if s else {} for s in scores]))
        rows.append(["", "", t["total"], "", *[school_total(s) for s in scores], *([""] if multi else [])])
        deputy = names(data.deputies.get(score.school.id, [])) or phrases()["school"]["no_deputy"]
        zeros = zero_lines(summary, score)
        school_items.append({
            "name": score.school.name,
            "line": phrases()["school"]["line"].format(period=summary.period, status=score.school.status.title(),
                                                       deputy=deputy, total=school_total(score)),
            "rows": rows,
            "notes": school_notes(summary, score),
            "zeros": [phrases()["school"]["zeros"], *zeros] if zeros else [phrases()["school"]["no_zeros"]],
        })
    ident_lines, ident_rows, ident_headers, ident_notes = identification(summary)
    count_text = count(len(schools), "школа", "школы", "школ")
    context = {
        "municipality": summary.municipality.name,
        "period": summary.period,
        "title": r["title"],
        "subtitle": r["subtitle"],
        "date": r["date"].format(date=data.today.strftime("%d.%m.%Y")),
        "overview": overview(summary),
        "municipal_intro": (r["municipal_intro"].format(previous=periods[-2]) if multi
                            else r["municipal_intro_single"].format(period=summary.period)),
        "table_note": r["table_note"],
        "schools_intro": (r["schools_intro_all"] if all_schools else r["schools_intro"]).format(
            period=summary.period, count=count_text) if schools else r["no_schools"].format(period=summary.period),
        "identification": ident_lines,
        "identification_notes": ident_notes,
        "decisions": decisions(summary, schools),
        "development_intro": (r["development_intro"] if summary.development else r["development_none"]).format(
            period=summary.period),
    }
    development_rows = development(summary, r["development_answered"])

    def build(template: Any) -> dict[str, Any]:
        widths = _widths(len(periods), text_width(template, "school.table"), multi)
        items = [{**item, "table": build_table(template, headers, item.pop("rows"), widths, group_column=1)}
                 for item in school_items]
        ident_table = ""
        if ident_rows:
            total = text_width(template, "identification_table")
            width = [50.0, 30.0, total - 80.0] if len(ident_headers) == 3 else [50.0, 30.0, 30.0, total - 110.0]
            ident_table = build_table(template, ident_headers, ident_rows, width)
        development_table = ""
        if development_rows:
            total = text_width(template, "development_table")
            development_table = build_table(template, [t["question"], t["answer"], t["teachers"], t["share"]],
                                            development_rows, [total - 130.0, 65.0, 28.0, 37.0], group_column=0)
        return {
            "development_table": development_table,
            "municipal_table": build_table(template, headers, municipal_rows,
                                           _widths(len(periods), text_width(template, "municipal_table"), multi),
                                           group_column=1),
            "schools": items,
            "identification_table": ident_table,
        }

    return context, build


def development(summary: Summary, answered_label: str) -> list[list[str]]:
    """Section 5: per tallied question (scoring.development), how many teachers answered it, then each answer."""
    rows = []
    for entry in summary.development:
        label, answered = entry.question.label, entry.total_answered()
        rows.append([label, answered_label, str(answered), ""])
        for value, option in answer_options(entry.question):
            chosen = entry.total_chosen(value)
            rows.append([label, option, str(chosen), percent(Fraction(chosen, answered)) if answered else "—"])
    return rows


def report_docx(data: ReportInput, *, all_schools: bool = False, template: Path | None = None) -> bytes:
    context, build = report_context(data, all_schools)
    return _render(template or REPORT_TEMPLATE, context, build)


def file_name(kind: str, name: str, period: str) -> str:
    """«Справка_Сысертский_ГО_2026-2027.docx»: safe for any file system."""
    stem = re.sub(r"[^\w\-]+", "_", f"{kind} {name} {period}").strip("_")
    return f"{stem[:90]}.docx"
