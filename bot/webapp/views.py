"""The dashboard's fragments as HTML: Jinja2 templates (autoescaped: every school name and value is escaped) over
scoring.dashboard's plain data, and two small charts drawn as SVG here.

Why SVG by hand and not matplotlib (scoring.charts): a school page must answer within 300 ms and the page weigh
little. matplotlib's SVG of one small bar chart is 20-40 KB of paths (every glyph of its text drawn as a path) and
takes 50-150 ms to render, plus the import on the first one; these charts are a few rectangles and lines, 1-3 KB,
drawn in well under a millisecond, with the page's own font and colours (CSS classes, so the dark theme applies).
"""

from __future__ import annotations

import functools
from html import escape
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from monitoring.completion import total_text
from scoring import dashboard, shown
from scoring.summary import Summary
from storage.wording import percent


@functools.cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("bot.webapp", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(STATUSES=dashboard.STATUSES, SORTS=dashboard.SORTS, shown=shown, percent=percent)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def shell(base: str) -> str:
    return render("shell.html", base=base)


def message(text: str) -> str:
    return render("message.html", text=text)


def totals_chart(totals: list[tuple[str, int, int]]) -> Markup:
    """The school's points against the points decided, a bar a period."""
    if not totals:
        return Markup("")
    width, height, bar, gap, top = 320, 120, 56, 24, 18
    x0 = (width - len(totals) * (bar + gap) + gap) // 2
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height + 34}" role="img" aria-label="Баллы школы по годам">']
    for n, (period, points, maximum) in enumerate(totals):
        x = x0 + n * (bar + gap)
        share = points / maximum if maximum else 0
        parts.append(f'<rect class="track" x="{x}" y="{top}" width="{bar}" height="{height - top}" rx="3"/>')
        filled = max(0, round((height - top) * share))
        parts.append(f'<rect class="bar" x="{x}" y="{height - filled}" width="{bar}" height="{filled}" rx="3"/>')
        label = f"{points} из {maximum}" if maximum else "нет баллов"
        parts.append(f'<text x="{x + bar / 2}" y="{top - 5}" text-anchor="middle">{escape(label)}</text>')
        parts.append(f'<text x="{x + bar / 2}" y="{height + 16}" text-anchor="middle">{escape(period)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def spark(points: list[tuple[str, float | None]], threshold: float) -> Markup:
    """A municipal share over the periods against its threshold (dashed); a period without data is a gap."""
    width, height, pad = 150, 40, 4
    n = len(points)

    def x(k: int) -> float:
        return pad + (width - 2 * pad) * (k / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * v

    parts = [f'<svg class="spark" viewBox="0 0 {width} {height}" role="img" aria-label="по годам, порог {percent(threshold)}">',
             f'<line class="threshold" x1="{pad}" x2="{width - pad}" y1="{y(threshold):.1f}" y2="{y(threshold):.1f}"/>']
    line: list[str] = []
    for k, (_, v) in enumerate(points):
        if v is None:
            if len(line) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(line)}"/>')
            line = []
            continue
        line.append(f"{x(k):.1f},{y(v):.1f}")
        cls = "dot ok" if v >= threshold else "dot zero"
        parts.append(f'<circle class="{cls}" cx="{x(k):.1f}" cy="{y(v):.1f}" r="3"/>')
    if len(line) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(line)}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def municipality_page(summary: Summary, filters: dashboard.Filters) -> str:
    rows, found = dashboard.matrix(summary, filters)
    lowest = [dashboard.row(summary, s) for s in dashboard.ranked(summary)[:3]]
    return render("municipality.html", summary=summary, state=summary.state, filters=filters, rows=rows, found=found,
                  lowest=lowest, statuses=dashboard.status_counts(summary), page=dashboard.PAGE,
                  indicators=summary.methodology.school_indicators, matrix=matrix_fragment(summary, filters, rows, found))


def matrix_fragment(summary: Summary, filters: dashboard.Filters, rows: list[dashboard.Row] | None = None,
                    found: int | None = None) -> Markup:
    if rows is None:
        rows, found = dashboard.matrix(summary, filters)
    return Markup(render("matrix.html", summary=summary, filters=filters, rows=rows, found=found, page=dashboard.PAGE,
                         indicators=summary.methodology.school_indicators))


def completion_page(summary: Summary) -> str:
    teachers = summary.completion.teachers
    return render("completion.html", summary=summary, lines=dashboard.completion(summary),
                  total=total_text(teachers.values()) if teachers else "")


def municipal_page(summary: Summary) -> str:
    periods, lines = dashboard.municipal_history(summary)
    series = [(indicator, spark(points, indicator.threshold)) for indicator, points in dashboard.municipal_series(summary)]
    return render("municipal.html", summary=summary, periods=periods, lines=lines, series=series)


def school_page(page: dashboard.SchoolPage, summary: Summary, back: bool) -> str:
    return render("school.html", page=page, summary=summary, back=back, chart=totals_chart(page.totals))
