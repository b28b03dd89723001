"""The summary's charts, made for a phone: images of at most 1080 × 1350 px (a portrait photo in
Telegram and MAX), text of 28 px or more, sent as albums.

Two albums:
- the municipality: its shares against their thresholds (a row each, two images), and the teacher
  shares over the last periods (one image of small panels) when there is more than one period;
- the schools: each school's points against what it could score on the indicators with data, a row
  each, the lowest first and the schools with no data at all last; at most SCHOOL_IMAGES images,
  the rest of the schools (the highest scorers) in the workbook, as the album's caption says.

Bars, not a heat map of schools × indicators: a coordinator's question is «which schools are behind,
and by how much», which a ranked bar answers at a glance; a heat map's columns carry codes (the
short names do not fit 23 columns of a phone's width at a readable size) and its detail is the
workbook's «Показатели школ» sheet and each school's card.

Missing data is a mark of its own, never a bar: a hatched square with the number of indicators
without data (or «нет данных» and why, where a row has nothing else), a dotted square for points
not decided while answers are still coming, a struck square for «не применяется»; the legend says so.

`albums(summary)` builds the model of what is drawn (rows, bars, marks, texts already fitted to
their width) and `render(image)` draws one with matplotlib: the tests read the model, not pixels.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scoring import shown
from scoring.indicators import SchoolScore, Value
from scoring.methodology import Indicator, Kind
from scoring.summary import Summary

# --- sizes: one point is one pixel (72 dpi) -------------------------------------------------

WIDTH, MAX_HEIGHT = 1080, 1350  # a portrait photo (4:5), what Telegram and MAX show whole on a phone
DPI = 72
MARGIN = 36
CONTENT = WIDTH - 2 * MARGIN
TITLE, HEADING, TEXT = 34, 30, 28  # font sizes, px
LEADING = 1.3  # line height over font size

SCHOOL_IMAGES = 7  # at most; with the municipality's three, an album of ten at most (Telegram's limit)
MAX_PERIODS = 4  # the dynamics' last periods (the workbook's «Динамика» has them all)
ALBUM_LIMIT = 10  # photos in one Telegram album (sendMediaGroup); MAX's message carries as many

# the schools' rows: name | bar (points) and «N из M» | marks
SCHOOL_ROW = 50
NAME_WIDTH = 330
BAR_X = MARGIN + NAME_WIDTH + 14
BAR_WIDTH = 320
BAR_HEIGHT = 28
MARKS_X = 872
MARK = 26  # a mark's square
# the shares' rows: the name and the threshold on one line, the bar (0-100 %) under them
SHARE_ROW = 90
SHARE_BAR_WIDTH = 760

DARK, POSSIBLE = "#305496", "#d9d9d9"
REACHED, BELOW, NO_RULE, PENDING = "#548235", "#c00000", "#8eaadb", "#bf8f00"
INK, GREY, MISSING_EDGE = "#1a1a1a", "#595959", "#7f7f7f"

# marks and legend keys
NO_DATA, NOT_APPLICABLE, UNDECIDED = "no_data", "not_applicable", "pending"
SCORED_KEY, POSSIBLE_KEY, THRESHOLD_KEY, LEVEL_KEY = "scored", "possible", "threshold", "level"  # a bar's rule, a line's
COLOURS = {SCORED_KEY: DARK, POSSIBLE_KEY: POSSIBLE, "reached": REACHED, "below": BELOW, "no_rule": NO_RULE,
           UNDECIDED: PENDING}

SCHOOLS_SHEET = "Показатели школ"  # the workbook's sheet of every school's points (scoring.report)


# --- the model -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """A line of text, already fitted to the width."""

    text: str
    size: int = TEXT
    bold: bool = False
    colour: str = INK

    @property
    def height(self) -> int:
        return round(self.size * LEADING)


@dataclass(frozen=True)
class Mark:
    """Drawn instead of a value, or beside one: no data, not applicable, a point not decided yet."""

    kind: str  # NO_DATA | NOT_APPLICABLE | UNDECIDED
    text: str


@dataclass(frozen=True)
class Bar:
    length: float  # in the image's unit: points, or per cent
    colour: str
    text: str  # written after it
    possible: float | None = None  # the points the school could score on the indicators with data (a bar behind)
    threshold: float | None = None  # the rule's line, per cent


@dataclass(frozen=True)
class Row:
    label: str
    bar: Bar | None  # None: nothing to draw a length of (the marks say why)
    marks: tuple[Mark, ...] = ()
    note: str = ""  # right-aligned on the label's line (a share's threshold)
    heading: bool = False  # a group's heading across the row, not a school


@dataclass(frozen=True)
class Point:
    value: float | None  # per cent; None: no data that period
    text: str
    colour: str


@dataclass(frozen=True)
class Panel:
    """One indicator over the periods."""

    title: str
    note: str  # its threshold
    periods: tuple[str, ...]
    points: tuple[Point, ...]
    threshold: float | None


@dataclass(frozen=True)
class Image:
    name: str
    head: tuple[Line, ...]  # the place and period, what is counted, as of when, «данные неполные»
    kind: str  # "schools" | "shares" | "dynamics"
    rows: tuple[Row, ...] = ()
    panels: tuple[Panel, ...] = ()
    scale: float = 100.0  # the bars' full length, in their unit
    legend: tuple[tuple[tuple[str, str], ...], ...] = ()  # lines of (key, text)
    axes: int = 0  # a dynamics panel's plot height, px

    @property
    def height(self) -> int:
        return _height(self.head, self.kind, len(self.rows), len(self.panels), len(self.legend), self.axes)


@dataclass(frozen=True)
class Album:
    caption: str
    images: tuple[Image, ...]


# --- measuring text --------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _renderer() -> Any:
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(WIDTH, MAX_HEIGHT, DPI)


@lru_cache(maxsize=4096)
def measure(text: str, size: int = TEXT, bold: bool = False) -> float:
    """The width of `text` in pixels, as matplotlib draws it."""
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(size=size, weight="bold" if bold else "normal")
    return _renderer().get_text_width_height_descent(text, prop, ismath=False)[0]


def clip(text: str, width: float, size: int = TEXT, bold: bool = False) -> str:
    """`text` cut with «…» to fit `width`."""
    if measure(text, size, bold) <= width:
        return text
    while text and measure(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, width: float = CONTENT, size: int = TEXT, bold: bool = False, colour: str = INK,
         most: int = 4) -> list[Line]:
    """`text` in lines of `width` pixels at most, broken between words (a word longer than the width is cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}", size, bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(clip(word, width, size, bold))
    if len(lines) > most:
        lines = [*lines[:most - 1], clip(" ".join(lines[most - 1:]), width, size, bold)]
    return [Line(line, size, bold, colour) for line in lines]


# --- the layout's heights --------------------------------------------------------------------

TOP, GAP, BOTTOM, LEGEND_LINE = 28, 18, 22, 42
PANEL_TITLE = 2 * round(TEXT * LEADING)  # the short name, then the code and the threshold
PANEL_TICKS = 2 * round(TEXT * LEADING) + 8  # periods in two lines («2025-» / «2026»)
PANEL_GAP = 10
PANEL_COLUMNS = 2
PANEL_AXES = (120, 220)  # the plot's height, px: at least, at most


def _head_height(head: tuple[Line, ...] | list[Line]) -> int:
    return TOP + sum(line.height for line in head) + GAP


def _panel_height(axes: int) -> int:
    return PANEL_TITLE + 6 + axes + PANEL_TICKS + PANEL_GAP


def _height(head: tuple[Line, ...], kind: str, rows: int, panels: int, legend: int, axes: int = 0) -> int:
    body = {"schools": rows * SCHOOL_ROW, "shares": rows * SHARE_ROW,
            "dynamics": math.ceil(panels / PANEL_COLUMNS) * _panel_height(axes)}[kind]
    return _head_height(head) + body + GAP + legend * LEGEND_LINE + BOTTOM


def _capacity(head: list[Line], row: int, legend: int) -> int:
    """How many rows fit under the head and above the legend."""
    return max(1, (MAX_HEIGHT - _head_height(head) - GAP - legend * LEGEND_LINE - BOTTOM) // row)


def _legend(entries: list[tuple[str, str]]) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Entries laid left to right, a new line when the next does not fit."""
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for key, text in entries:
        text = clip(text, CONTENT - MARK - 12)
        width = MARK + 12 + measure(text) + 30
        if lines[-1] and used + width > CONTENT:
            lines.append([])
            used = 0.0
        lines[-1].append((key, text))
        used += width
    return tuple(tuple(line) for line in lines if line)


# --- what each image says --------------------------------------------------------------------

def _place(summary: Summary) -> str:
    return f"{summary.municipality.name}, {summary.period}"


def _state(summary: Summary) -> list[Line]:
    """«По состоянию на …: ответили …» and, while the data are incomplete, «Данные неполные: …» in red."""
    state = summary.state
    lines = wrap(shown.state_line(state), colour=GREY, most=4)
    if state.incomplete:
        lines += wrap(shown.heading(state), bold=True, colour=BELOW, most=2)
    return lines


def _head(summary: Summary, what: str, which: str = "") -> list[Line]:
    lines = wrap(_place(summary), size=TITLE, bold=True, most=2)
    lines += wrap(what, size=HEADING, bold=True, most=2)
    lines += _state(summary)
    if which:
        lines += wrap(which, colour=GREY, most=2)
    return lines


def _split(items: list[Any], capacity: int) -> list[list[Any]]:
    """`items` in as few images as `capacity` allows, the images evenly filled."""
    if not items:
        return []
    n = math.ceil(len(items) / capacity)
    per = math.ceil(len(items) / n)
    return [items[k:k + per] for k in range(0, len(items), per)]


def _reason(values: list[Value]) -> str:
    """Why a school has no data, when one reason covers every indicator («анкета школы не отправлена»)."""
    reasons = {shown.reason(v) for v in values}
    return reasons.pop() if len(reasons) == 1 else ""


# --- the schools -----------------------------------------------------------------------------

SCHOOLS_WHAT = "Баллы школ: набрано из возможного"


def school_row(score: SchoolScore) -> Row:
    """A school's row: its points against what it could score, and marks for the indicators without data or
    without a decided point; a school with no points to count has no bar, only the mark saying why."""
    missing, pending = score.no_data, score.pending
    name = clip(score.school.short_name, NAME_WIDTH)
    if score.maximum:
        marks = []
        if missing:
            marks.append(Mark(NO_DATA, str(len(missing))))
        if pending:
            marks.append(Mark(UNDECIDED, str(len(pending))))
        return Row(name, Bar(score.total, DARK, f"{score.total} из {score.maximum}", possible=score.maximum), tuple(marks))
    width = WIDTH - MARGIN - BAR_X - MARK - 12
    if missing:
        why = _reason(missing)
        return Row(name, None, (Mark(NO_DATA, clip(f"{shown.NO_DATA}: {why}" if why else shown.NO_DATA, width)),))
    if pending:
        return Row(name, None, (Mark(UNDECIDED, clip(f"{shown.PENDING}: ответили не все", width)),))
    return Row(name, None, (Mark(NOT_APPLICABLE, "показатели не применяются"),))


def _school_order(summary: Summary) -> tuple[list[SchoolScore], list[SchoolScore]]:
    """The schools in the ranking (their questionnaire sent, points to count), the lowest share first; then the
    others (their points are incomplete: as in the text's ranking, scoring.summary.Summary.lowest), those with
    some points first."""
    unsent = {s.school.id for s in summary.unsent()}
    ranked = sorted((s for s in summary.scores.schools if s.maximum and s.school.id not in unsent),
                    key=lambda s: (s.ratio, s.total, s.school.name))
    chosen = {s.school.id for s in ranked}
    rest = sorted((s for s in summary.scores.schools if s.school.id not in chosen),
                  key=lambda s: (not s.maximum, s.ratio, s.school.name))
    return ranked, rest


def _school_album(summary: Summary, start: int) -> Album | None:
    counted, rest = _school_order(summary)
    total = len(counted) + len(rest)
    if not total:
        return None
    any_missing = any(s.no_data for s in summary.scores.schools)
    any_pending = any(s.pending for s in summary.scores.schools)
    entries = [(SCORED_KEY, "набрано"), (POSSIBLE_KEY, "возможно по показателям с данными")]
    if any_missing:
        entries.append((NO_DATA, "N — показателей без данных (это не 0)"))
    if any_pending:
        entries.append((UNDECIDED, "N — балл не определён: ответили не все"))
    if any(not s.maximum and not s.no_data and not s.pending for s in rest):
        entries.append((NOT_APPLICABLE, "не применяется"))
    legend = _legend(entries)
    sample = _head(summary, SCHOOLS_WHAT, "Школы 100–150 из 150: от меньшей доли баллов к большей")
    capacity = _capacity(sample, SCHOOL_ROW, len(legend)) - (1 if rest else 0)  # a row for the heading of the rest
    room = capacity * SCHOOL_IMAGES
    ranked_out = rest_out = 0
    if total > room:  # the highest scorers give way; the schools without their data stay (someone must ask them)
        rest_out = max(0, len(rest) - room // 2)
        rest = rest[:len(rest) - rest_out]
        ranked_out = max(0, len(counted) - (room - len(rest)))
        counted = counted[:len(counted) - ranked_out]
    outside = {s.school.id for s in rest}
    unsent = {s.school.id for s in summary.unsent()}
    heading = ("Анкета школы не отправлена: вне рейтинга" if outside <= unsent
               else "Без анкеты школы или без данных: вне рейтинга")
    images = []
    first = 1
    scale = max((s.maximum for s in counted + rest), default=1) or 1
    for n, part in enumerate(_split(counted + rest, capacity)):
        last = first + len(part) - 1
        which = f"Школы {first}–{last} из {total}" if len(part) > 1 else f"Школа {first} из {total}"
        if any(s.school.id not in outside for s in part):
            which += ": от меньшей доли баллов к большей"
        rows = []
        for score in part:
            if score.school.id in outside and not any(r.heading for r in rows):
                rows.append(Row(clip(heading, CONTENT, bold=True), None, heading=True))
            rows.append(school_row(score))
        images.append(Image(f"chart_{start + n}.png", tuple(_head(summary, SCHOOLS_WHAT, which)), "schools",
                            tuple(rows), scale=scale, legend=legend))
        first = last + 1
    caption = (f"Баллы школ за период {summary.period}: набрано из возможного по показателям с данными, "
               f"от меньшей доли баллов к большей" + (f"; в конце — вне рейтинга ({heading.split(':')[0].lower()})."
                                                      if rest else "."))
    if ranked_out or rest_out:
        shown_ = len(counted) + len(rest)
        parts = [f"ещё {ranked_out} — с наибольшей долей баллов"] if ranked_out else []
        parts += [f"ещё {rest_out} вне рейтинга"] if rest_out else []
        caption += (f" На изображениях {shown_} из {total} школ; {' и '.join(parts)} — в файле Excel, "
                    f"лист «{SCHOOLS_SHEET}».")
    return Album(_caption(summary, caption), tuple(images))


# --- the municipality ------------------------------------------------------------------------

SHARES_WHAT = "Муниципальные доли против порогов (черта — порог)"
DYNAMICS_WHAT = "Доли педагогов по периодам"


def _share_indicators(summary: Summary) -> list[Indicator]:
    return [i for i in summary.methodology.municipal_indicators
            if i.threshold is not None or i.kind in (Kind.TEACHER_SHARE, Kind.SCHOOL_SHARE)]


def _colour(v: Value) -> str:
    if v.pending:
        return PENDING
    if v.scored:
        return REACHED if v.points else BELOW
    return NO_RULE


def share_row(indicator: Indicator, v: Value) -> Row:
    """A municipal share: its bar against the threshold, or a mark when it has no value."""
    note = f"порог {shown.threshold(indicator)}" if indicator.threshold is not None else ""
    label = clip(indicator.label, CONTENT - (measure(note) + 24 if note else 0))
    width = CONTENT - MARK - 12
    if not v.applies:
        return Row(label, None, (Mark(NOT_APPLICABLE, shown.NOT_APPLICABLE),), note)
    if v.value is None:
        why = shown.reason(v)
        return Row(label, None, (Mark(NO_DATA, clip(f"{shown.NO_DATA}: {why}" if why else shown.NO_DATA, width)),), note)
    threshold = indicator.threshold * 100 if indicator.threshold is not None else None
    marks = (Mark(UNDECIDED, shown.PENDING),) if v.pending else ()
    return Row(label, Bar(float(v.value) * 100, _colour(v), shown.value(v), threshold=threshold), marks, note)


def _share_images(summary: Summary, start: int) -> list[Image]:
    indicators = _share_indicators(summary)
    values = [summary.scores.municipal[i.code] for i in indicators]
    entries = [("reached", "порог достигнут"), ("below", "ниже порога"), ("no_rule", "без порога"),
               (THRESHOLD_KEY, "порог")]
    if any(v.pending for v in values):
        entries.append((UNDECIDED, "балл не определён: ответили не все"))
    if any(v.applies and v.value is None for v in values):
        entries.append((NO_DATA, shown.NO_DATA))
    if any(not v.applies for v in values):
        entries.append((NOT_APPLICABLE, "не применяется"))
    legend = _legend(entries)
    parts = _split(list(zip(indicators, values)), _capacity(_head(summary, SHARES_WHAT, "Показатели 1–9 из 18"),
                                                            SHARE_ROW, len(legend)))
    images, first = [], 1
    for n, part in enumerate(parts):
        last = first + len(part) - 1
        which = f"Показатели {first}–{last} из {len(indicators)}" if len(parts) > 1 else ""
        images.append(Image(f"chart_{start + n}.png", tuple(_head(summary, SHARES_WHAT, which)), "shares",
                            tuple(share_row(i, v) for i, v in part), legend=legend))
        first = last + 1
    return images


def _point(v: Value) -> Point:
    if not v.applies or v.value is None:
        return Point(None, shown.value(v), GREY)
    colour = PENDING if v.pending else REACHED if v.points else BELOW if v.scored else INK
    return Point(float(v.value) * 100, shown.value(v), colour)


def _dynamics_image(summary: Summary, name: str) -> Image | None:
    """The municipal teacher shares over the last periods; None with a single period (nothing to compare)."""
    history = summary.history[-MAX_PERIODS:]
    if len(history) < 2:
        return None
    indicators = [i for i in summary.methodology.municipal_indicators if i.kind == Kind.TEACHER_SHARE]
    periods = tuple(h.period for h in history)
    panels = []
    for indicator in indicators:
        points = tuple(_point(h.municipal[indicator.code]) for h in history)
        threshold = indicator.threshold * 100 if indicator.threshold is not None else None
        note = f"{indicator.code} · порог {shown.threshold(indicator)}" if threshold is not None else indicator.code
        panels.append(Panel(clip(indicator.short or indicator.code, CONTENT / PANEL_COLUMNS - 16, bold=True),
                            clip(note, CONTENT / PANEL_COLUMNS - 16), periods, points, threshold))
    which = (f"Последние {len(history)} периода из {len(summary.history)}; все — в файле Excel, лист «Динамика»"
             if len(summary.history) > len(history) else "")
    entries = [("reached", "порог достигнут"), ("below", "ниже порога"), (LEVEL_KEY, "порог")]
    if any(p.value is None for panel in panels for p in panel.points):
        entries.append((NO_DATA, f"{shown.NO_DATA} за период"))
    if any(p.colour == PENDING for panel in panels for p in panel.points):
        entries.append((UNDECIDED, "балл не определён"))
    head, legend = _head(summary, DYNAMICS_WHAT, which), _legend(entries)
    rows = math.ceil(len(panels) / PANEL_COLUMNS)
    room = (MAX_HEIGHT - _height(tuple(head), "dynamics", 0, 0, len(legend))) // max(rows, 1) - _panel_height(0)
    axes = max(PANEL_AXES[0], min(PANEL_AXES[1], room))
    return Image(name, tuple(head), "dynamics", panels=tuple(panels), legend=legend, axes=axes)


def _municipal_album(summary: Summary, start: int) -> Album | None:
    images = _share_images(summary, start)
    dynamics = _dynamics_image(summary, f"chart_{start + len(images)}.png")
    if dynamics is not None:
        images.append(dynamics)
    if not images:
        return None
    caption = f"Муниципальные доли за период {summary.period} против порогов"
    if dynamics is not None:
        caption += "; доли педагогов по периодам"
    return Album(_caption(summary, caption + "."), tuple(images))


def _caption(summary: Summary, text: str) -> str:
    """The album's caption: what it shows, and the state of the data in full."""
    state = summary.state
    parts = [text, shown.state_line(state)]
    if state.incomplete:
        parts.append(shown.heading(state))
    return "\n".join(p for p in parts if p)


def albums(summary: Summary) -> list[Album]:
    """What the charts show, image by image: the municipality's album, then the schools'."""
    out = []
    municipal = _municipal_album(summary, 1)
    if municipal is not None:
        out.append(municipal)
    schools = _school_album(summary, 1 + sum(len(a.images) for a in out))
    if schools is not None:
        out.append(schools)
    return out


# --- drawing ---------------------------------------------------------------------------------

def _pyplot() -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return matplotlib, plt


RC = {"text.parse_math": False,  # a «$» in a school's name is a dollar, not mathematics
      "font.size": TEXT, "hatch.linewidth": 1.5, "axes.spines.top": False, "axes.spines.right": False,
      "xtick.labelsize": TEXT, "ytick.labelsize": TEXT, "axes.edgecolor": GREY}


class _Canvas:
    """A figure drawn in pixels from its top-left corner."""

    def __init__(self, plt: Any, height: int) -> None:
        self.height = height
        self.fig = plt.figure(figsize=(WIDTH / DPI, height / DPI), dpi=DPI)

    def _xy(self, x: float, y: float) -> tuple[float, float]:
        return x / WIDTH, 1 - y / self.height

    def text(self, x: float, y: float, text: str, size: int = TEXT, bold: bool = False, colour: str = INK,
             ha: str = "left") -> None:
        """Text with its vertical centre at y."""
        self.fig.text(*self._xy(x, y), text, fontsize=size, fontweight="bold" if bold else "normal", color=colour,
                      ha=ha, va="center_baseline")

    def rect(self, x: float, y: float, w: float, h: float, **style: Any) -> None:
        from matplotlib.patches import Rectangle

        left, top = self._xy(x, y + h)
        self.fig.add_artist(Rectangle((left, top), w / WIDTH, h / self.height, transform=self.fig.transFigure, **style))

    def line(self, x0: float, y0: float, x1: float, y1: float, **style: Any) -> None:
        from matplotlib.lines import Line2D

        (a, b), (c, d) = self._xy(x0, y0), self._xy(x1, y1)
        self.fig.add_artist(Line2D([a, c], [b, d], transform=self.fig.transFigure, **style))

    def key(self, x: float, y: float, key: str) -> None:
        """A mark's or a legend key's square, centred on y."""
        top = y - MARK / 2
        if key == NO_DATA:
            self.rect(x, top, MARK, MARK, facecolor="white", edgecolor=MISSING_EDGE, hatch="///", linewidth=1.5)
        elif key == NOT_APPLICABLE:
            self.rect(x, top, MARK, MARK, facecolor="#f2f2f2", edgecolor=MISSING_EDGE, linewidth=1.5)
            self.line(x + 5, y, x + MARK - 5, y, color=MISSING_EDGE, linewidth=3)
        elif key == UNDECIDED:
            self.rect(x, top, MARK, MARK, facecolor="white", edgecolor=PENDING, linestyle=(0, (2, 2)), linewidth=2.5)
        elif key == THRESHOLD_KEY:
            self.line(x + MARK / 2, top - 3, x + MARK / 2, top + MARK + 3, color="black", linewidth=4)
        elif key == LEVEL_KEY:
            self.line(x - 4, y, x + MARK + 4, y, color="black", linewidth=2.5, linestyle=(0, (6, 4)))
        else:
            self.rect(x, top, MARK, MARK, facecolor=COLOURS[key], edgecolor="none")

    def png(self, plt: Any) -> bytes:
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="png", dpi=DPI)
        plt.close(self.fig)
        return buffer.getvalue()


def render(image: Image) -> bytes:
    """One image of the model as a PNG of WIDTH × image.height pixels."""
    matplotlib, plt = _pyplot()
    with matplotlib.rc_context(RC):
        canvas = _Canvas(plt, image.height)
        y = float(TOP)
        for line in image.head:
            canvas.text(MARGIN, y + line.height / 2, line.text, line.size, line.bold, line.colour)
            y += line.height
        y += GAP
        if image.kind == "schools":
            y = _draw_schools(canvas, image, y)
        elif image.kind == "shares":
            y = _draw_shares(canvas, image, y)
        else:
            y = _draw_dynamics(canvas, image, y)
        y += GAP
        for entries in image.legend:
            x = float(MARGIN)
            for key, text in entries:
                canvas.key(x, y + LEGEND_LINE / 2, key)
                canvas.text(x + MARK + 12, y + LEGEND_LINE / 2, text)
                x += MARK + 12 + measure(text) + 30
            y += LEGEND_LINE
        return canvas.png(plt)


def _marks(canvas: _Canvas, x: float, y: float, marks: tuple[Mark, ...]) -> None:
    for mark in marks:
        canvas.key(x, y, mark.kind)
        canvas.text(x + MARK + 8, y, mark.text, colour=GREY)
        x += MARK + 8 + measure(mark.text) + 22


def _draw_schools(canvas: _Canvas, image: Image, y: float) -> float:
    unit = BAR_WIDTH / image.scale
    for row in image.rows:
        middle = y + SCHOOL_ROW / 2
        canvas.text(MARGIN, middle, row.label, bold=row.heading, colour=GREY if row.heading else INK)
        if row.bar is not None:
            bar = row.bar
            top = middle - BAR_HEIGHT / 2
            canvas.rect(BAR_X, top, (bar.possible or 0) * unit, BAR_HEIGHT, facecolor=POSSIBLE, edgecolor="none")
            canvas.rect(BAR_X, top, bar.length * unit, BAR_HEIGHT, facecolor=bar.colour, edgecolor="none")
            canvas.text(BAR_X + (bar.possible or bar.length) * unit + 10, middle, bar.text)
            _marks(canvas, MARKS_X, middle, row.marks)
        elif not row.heading:
            _marks(canvas, BAR_X, middle, row.marks)
        canvas.line(MARGIN, y + SCHOOL_ROW, WIDTH - MARGIN, y + SCHOOL_ROW, color="#ededed", linewidth=1)
        y += SCHOOL_ROW
    return y


def _draw_shares(canvas: _Canvas, image: Image, y: float) -> float:
    unit = SHARE_BAR_WIDTH / 100
    label_y, bar_y = 20, 58
    for row in image.rows:
        canvas.text(MARGIN, y + label_y, row.label)
        if row.note:
            canvas.text(WIDTH - MARGIN, y + label_y, row.note, colour=GREY, ha="right")
        middle = y + bar_y
        if row.bar is not None:
            bar = row.bar
            canvas.rect(MARGIN, middle - BAR_HEIGHT / 2, SHARE_BAR_WIDTH, BAR_HEIGHT, facecolor="#f4f4f4", edgecolor="none")
            canvas.rect(MARGIN, middle - BAR_HEIGHT / 2, bar.length * unit, BAR_HEIGHT, facecolor=bar.colour, edgecolor="none")
            if bar.threshold is not None:
                x = MARGIN + bar.threshold * unit
                canvas.line(x, middle - BAR_HEIGHT / 2 - 6, x, middle + BAR_HEIGHT / 2 + 6, color="black", linewidth=4)
            end = MARGIN + max(bar.length * unit, (bar.threshold or 0) * unit + 4)
            inside = end + 10 + measure(bar.text) > MARGIN + SHARE_BAR_WIDTH + 200 - (MARK + 30 if row.marks else 0)
            if inside:  # near 100 %: the value inside the bar's end, in white
                canvas.text(MARGIN + bar.length * unit - 10, middle, bar.text, colour="white", bold=True, ha="right")
                _marks(canvas, MARGIN + SHARE_BAR_WIDTH + 12, middle, row.marks)
            else:
                canvas.text(end + 10, middle, bar.text)
                _marks(canvas, end + 10 + measure(bar.text) + 16, middle, row.marks)
        else:
            _marks(canvas, MARGIN, middle, row.marks)
        y += SHARE_ROW
    return y


def _draw_dynamics(canvas: _Canvas, image: Image, y: float) -> float:
    column = CONTENT / PANEL_COLUMNS
    left_pad, right_pad = 70, 28
    height = _panel_height(image.axes)
    for n, panel in enumerate(image.panels):
        x0 = MARGIN + (n % PANEL_COLUMNS) * column
        y0 = y + (n // PANEL_COLUMNS) * height
        canvas.text(x0, y0 + TEXT * LEADING / 2, panel.title, bold=True)
        canvas.text(x0, y0 + TEXT * LEADING * 1.5, panel.note, colour=GREY)
        top = y0 + PANEL_TITLE + 6
        left = x0 + left_pad
        width = column - left_pad - right_pad
        ax = canvas.fig.add_axes([left / WIDTH, 1 - (top + image.axes) / canvas.height,
                                  width / WIDTH, image.axes / canvas.height])
        _panel(ax, panel, image.axes)
    return y + math.ceil(len(image.panels) / PANEL_COLUMNS) * height


def _panel(ax: Any, panel: Panel, height: int) -> None:
    xs = list(range(len(panel.periods)))
    ax.set_xlim(-0.5, len(xs) - 0.5)
    ax.set_ylim(0, 125)
    ax.set_yticks([0, 50, 100])
    ax.set_xticks(xs, [p.replace("-", "-\n", 1) for p in panel.periods])
    ax.tick_params(length=4, colors=INK, labelcolor=INK)
    if panel.threshold is not None:
        ax.axhline(panel.threshold, color="black", linewidth=2.5, linestyle=(0, (6, 4)))
    run: list[tuple[int, float]] = []
    for x, point in enumerate([*panel.points, Point(None, "", INK)]):
        if point.value is None:  # a gap breaks the line
            if run:
                ax.plot([a for a, _ in run], [b for _, b in run], color=DARK, linewidth=3, marker="o", markersize=10)
            run = []
            if x < len(panel.points):
                ax.bar([x], [125], width=0.6, bottom=0, color="white", edgecolor=MISSING_EDGE, hatch="///", linewidth=1.5)
            continue
        run.append((x, point.value))
        above = point.value / 125 * height + 12 + TEXT <= height  # the label above its point when it fits there
        ax.annotate(point.text, (x, point.value), textcoords="offset points", xytext=(0, 12 if above else -14),
                    ha="center", va="bottom" if above else "top", fontsize=TEXT, color=point.colour,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1})


def images(summary: Summary) -> list[tuple[str, list[tuple[str, bytes]]]]:
    """Every album drawn: (caption, [(file name, PNG)])."""
    return [(album.caption, [(image.name, render(image)) for image in album.images]) for album in albums(summary)]
