"""The school card: one page a school acts on, as lines of text for a chat and as a Word page. Plain data
in, no database and no messenger (tests build a Summary by hand).

What the card says
    the school, its municipality, period and status; the state of its data when the card was made
    («по состоянию на …»: its teachers who answered against the staff it declared, its questionnaire sent
    or not, the deadline; «данные неполные» in the title while they are); its total against the period
    before; what to do, ranked; its indicators in every period on record (up to four) with points.

Actions
    Every indicator of the school that scored 0 in the period (a decided zero: not «нет данных», not a
    share whose point is not decided yet) gives at most one action, addressed to the school and true to its
    facts. The words are the indicator's `recommendation` (scoring/methodology.yaml).
    - Set by the municipality, not the school: its status (kind `status`, S2.1.2 ШНРО/ШНСУ) and the registry
      flags (kind `registry`, S2.4.6 and S2.4.7, internship sites). Never the school's action. S2.1.2's
      recommendation (the municipal support programme) is shown apart as «решение муниципалитета»; an
      internship site is suggested to the municipality only for a school without the ШНРО, ШНСУ or risk-zone
      status whose own indicators all scored (a site is where others learn from a school's success), otherwise
      not at all.
    - A note on a removed risk (S2.6.2-S2.6.4, risk-zone schools): only for a risk the school reported
      (S2.1.3-S2.1.5 «да»). Reported in this period: one action with the risk itself (removing it and writing
      the note scores both indicators). Reported in an earlier period on record and not in this one: write
      the note (the risk is gone). Never reported: no action, and one line says why the zero stays.
    - Every other zero: its recommendation, with the fact it rests on; for a teacher share, how many
      teachers it lacks to reach the threshold.
    Getting the data in comes first while a campaign of the period collects: the school's questionnaire if it
    is not sent; the teachers who have not answered, when their answers could still change a point (a share
    whose point is not decided, or without a single answer yet) — otherwise last, since it completes the data
    but changes no point (once the collection is over they count as «нет» in every share).

Ranking, best first; the first three are «Главное», the rest follow under «Также»:
    1. tier: 0 getting the data in; 1 what the school does alone (its documents and measures, its teachers'
       shares); 2 what it asks others for (S2.4.9 a leader school, S2.4.10 a landing: the municipality
       decides); 3 removing a resource risk (internet, computers, staff: money or people from outside);
       4 the teachers' answers that change no point;
    2. steps, fewest first: 1 for a document or a measure; for a teacher share, the teachers it lacks to
       reach the threshold. Nearest to the threshold first, since that is what the school can reach in the
       period: 65 % against 70 % of 20 teachers lacks 1 teacher and comes before 5 % against 70 % (13);
    3. points the action brings, most first (a risk removed with its note brings 2);
    4. the methodology's order, so that the same data always give the same order.

The Word card fits one A4 page up to four periods at the template's 12 pt (scoring/templates/card.docx,
made by scripts/make_word_templates.py): the actions are paragraphs above the table; the table has the
indicator (its code, short name and the number of its action) and one narrow column per period.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from enum import IntEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from scoring import shown
from scoring.indicators import Reason, SchoolScore, Value
from scoring.methodology import Indicator, Kind
from scoring.summary import Summary
from scoring.text import value_line
from storage.wording import count
from surveys.screens import Rich, bold, plain

PHRASES_FILE = Path(__file__).parent / "card.yaml"
TEMPLATE = Path(__file__).parent / "templates" / "card.docx"
MAIN = 3  # «Главное»: the first three actions
PERIODS = 4  # the Word card's table: the last four periods on record

REMOVED_RISK = {"S2.6.2": "S2.1.3", "S2.6.3": "S2.1.4", "S2.6.4": "S2.1.5"}  # the note on a removed risk -> the risk
RISK_NOTE = {risk: note for note, risk in REMOVED_RISK.items()}
ASKS_OTHERS = frozenset({"S2.4.9", "S2.4.10"})  # the school asks; the municipality or the region decides
SET_BY_MUNICIPALITY = (Kind.STATUS, Kind.REGISTRY)


@functools.cache
def phrases(path: Path = PHRASES_FILE) -> dict[str, str]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


class Tier(IntEnum):
    DATA = 0
    SCHOOL = 1
    ASKS = 2
    RISK = 3
    COMPLETE = 4


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do: `codes` the indicators it would score (none for getting the data in)."""

    tier: Tier
    steps: int
    points: int
    order: int
    codes: tuple[str, ...]
    text: str  # what to do (the indicator's recommendation)
    fact: str  # what it rests on: «S2.4.4 ИОМ педагогов: 65,0 % (13 из 20 заявленных педагогов), порог ≥ 70,0 %, …»
    short: str  # the action named in a few words: «S2.4.4 ИОМ педагогов (не хватает 1 педагога)»

    @property
    def key(self) -> tuple[int, int, int, int]:
        return (self.tier, self.steps, -self.points, self.order)

    def line(self) -> str:
        return phrases()["action"].format(text=self.text, fact=self.fact) if self.fact else self.text


@dataclass
class Plan:
    actions: list[Action]  # ranked, best first
    municipality: dict[str, str] = field(default_factory=dict)  # code -> what the municipality decides (not the school)
    no_action: list[str] = field(default_factory=list)  # zeros with nothing for the school to do, and why

    @property
    def main(self) -> list[Action]:
        return self.actions[:MAIN]

    @property
    def rest(self) -> list[Action]:
        return self.actions[MAIN:]

    def municipality_lines(self, methodology: Any) -> list[str]:
        return [f"{methodology.indicator(code).label}: {text}" for code, text in self.municipality.items()]

    def what_to_do(self, code: str) -> str:
        """What the card says to do about the indicator: «п. 2: …», «решение муниципалитета: …», or ''."""
        n = self.number(code)
        if n is not None:
            return f"п. {n}: {self.actions[n - 1].text}"
        if code in self.municipality:
            return f"{phrases()['municipality_short']}: {self.municipality[code]}"
        return ""

    def number(self, code: str) -> int | None:
        """The action's number (1-based) that would score `code`."""
        for n, action in enumerate(self.actions, start=1):
            if code in action.codes:
                return n
        return None


@dataclass(frozen=True, slots=True)
class SchoolState:
    """The school's data when the card was made: its part of the summary's state (scoring.summary.DataState)."""

    as_of: str  # «07.12.2026 12:30» (the municipality's time); "" when not known
    teachers: str  # «педагоги ответили 3 из 24 заявленных»
    form: str  # «анкета школы не отправлена»
    deadline: str  # «15.12.2026 18:00» while a campaign of the period collects; "" otherwise
    reasons: tuple[str, ...]  # why its data are incomplete; empty: complete

    @property
    def incomplete(self) -> bool:
        return bool(self.reasons)

    @property
    def open(self) -> bool:
        return bool(self.deadline)


# --- the facts -----------------------------------------------------------------------------


def lacking(indicator: Indicator, value: Value) -> int | None:
    """How many more teachers saying «да» the share needs to reach its threshold (None: not a share below one)."""
    if indicator.threshold is None or value.numerator is None or not value.denominator:
        return None
    limit = Fraction(str(indicator.threshold)) * value.denominator
    needed = math.floor(limit) + 1 if indicator.comparison == ">" else math.ceil(limit)
    more = needed - value.numerator
    return more if 0 < more and needed <= value.denominator else None


def _zero(value: Value | None) -> bool:
    return value is not None and value.scored and not value.points


def _school_values(summary: Summary, school_id: int) -> list[tuple[str, dict[str, Value]]]:
    """(period, the school's values) for every period on record up to the card's, oldest first."""
    out = []
    for scores in summary.history:
        found = next((s for s in scores.schools if s.school.id == school_id), None)
        if found is not None:
            out.append((scores.period, found.values))
    return out


def _reported_before(summary: Summary, school_id: int, risk: str) -> str | None:
    """The latest earlier period in which the school reported the risk («да» to S2.1.3-S2.1.5)."""
    for period, values in reversed(_school_values(summary, school_id)[:-1]):
        value = values.get(risk)
        if value is not None and value.value is True:
            return period
    return None


def _no_status(score: SchoolScore) -> bool:
    status = score.school.status
    return not (status.shnro or status.shnsu or status.risk_zone)


def plan(summary: Summary, score: SchoolScore, state: SchoolState | None = None) -> Plan:
    """The school's actions, ranked (the rule is the module's docstring)."""
    state = state or school_state(summary, score)
    p = phrases()
    methodology = summary.methodology
    order = {indicator.code: n for n, indicator in enumerate(methodology.school_indicators)}
    values = score.values
    actions: list[Action] = []
    municipal: dict[str, str] = {}
    sites: dict[str, str] = {}  # the internship sites: suggested only to a school whose own indicators all scored
    not_reported: list[str] = []
    merged: set[str] = set()

    until = p["until"].format(deadline=state.deadline) if state.deadline else ""
    if state.open:
        if summary.school_form_expected and not summary.form_sent(score.school.id):
            text = p["form"].format(until=until)
            missing = count(len(score.no_data), "показателю", "показателям", "показателям")
            actions.append(Action(Tier.DATA, 0, len(score.no_data), -2, (), text, p["form_fact"].format(count=missing), text))
        teachers = summary.completion.teachers.get(score.school.id)
        if teachers is not None and teachers.declared and teachers.submitted < teachers.declared:
            text = p["teachers_action"].format(until=until)
            fact = p["teachers_fact"].format(submitted=teachers.submitted, declared=teachers.declared)
            waiting = [v for v in values.values() if v.pending or v.reason == Reason.NO_TEACHER_ANSWERS]
            actions.append(Action(Tier.DATA if waiting else Tier.COMPLETE, 0, len(waiting), -1, (), text, fact, text))

    for indicator in methodology.school_indicators:
        code, value, label = indicator.code, values.get(indicator.code), indicator.label
        if code in merged or not _zero(value) or not indicator.recommendation:
            continue
        if indicator.kind in SET_BY_MUNICIPALITY:
            if indicator.kind == Kind.STATUS:
                municipal[code] = indicator.recommendation
            else:
                sites[code] = indicator.recommendation
            continue
        if code in REMOVED_RISK:  # a note on a removed risk
            risk = REMOVED_RISK[code]
            if _zero(values.get(risk)):
                continue  # reported now: one action with the risk itself (below, in the methodology's order)
            before = _reported_before(summary, score.school.id, risk)
            if before is None:
                not_reported.append(label)
                continue
            fact = p["risk_before"].format(label=label, before=before, period=summary.period)
            actions.append(Action(Tier.SCHOOL, 1, 1, order[code], (code,), indicator.recommendation, fact, label))
            continue
        if code in RISK_NOTE:  # a risk reported in this period
            codes, text = (code,), indicator.recommendation
            note = methodology.indicator(RISK_NOTE[code])
            if _zero(values.get(note.code)) and note.recommendation:
                codes, text = (code, note.code), f"{text} {note.recommendation}"
                merged.add(note.code)
            actions.append(Action(Tier.RISK, 1, len(codes), order[code], codes, text, p["risk_now"].format(label=label), label))
            continue
        tier = Tier.ASKS if code in ASKS_OTHERS else Tier.SCHOOL
        if indicator.kind != Kind.TEACHER_SHARE:
            actions.append(Action(tier, 1, 1, order[code], (code,), indicator.recommendation, label, label))
            continue
        more = lacking(indicator, value)
        said = f"{shown.value(value)} ({value.numerator} из {value.denominator} заявленных педагогов)"
        if more is None:
            fact, short, steps = p["fact_share_far"].format(label=label, value=said, rule=shown.threshold(indicator)), label, \
                (value.denominator or 0) + 1
        else:
            lack = count(more, "педагога", "педагогов", "педагогов")
            fact = p["fact_share"].format(label=label, value=said, rule=shown.threshold(indicator), lacking=lack)
            short, steps = p["short_share"].format(label=label, lacking=lack), more
        actions.append(Action(tier, steps, 1, order[code], (code,), indicator.recommendation, fact, short))

    if _no_status(score) and not any(a.codes for a in actions):  # a school whose own indicators all scored
        municipal.update(sites)
    no_action = [p["risk_not_reported"].format(labels=", ".join(not_reported))] if not_reported else []
    actions.sort(key=lambda a: a.key)
    return Plan(actions, municipal, no_action)


# --- the data's state ----------------------------------------------------------------------


def school_state(summary: Summary, score: SchoolScore) -> SchoolState:
    """The school's part of the summary's state: when, its teachers against its declared staff, its
    questionnaire, whether a campaign still collects. Incomplete while a campaign collects, while fewer of its
    teachers answered than the municipality's threshold (`complete_at` per cent), while its questionnaire is not
    sent, or while an indicator has no data or no decided point."""
    p = phrases()
    state = summary.state
    school_id = score.school.id
    teachers = summary.completion.teachers.get(school_id)
    short = False
    if not state.teachers_asked or teachers is None:
        teachers_text = p["teachers_not_asked"]
    elif teachers.declared:
        teachers_text = p["teachers"].format(submitted=min(teachers.submitted, teachers.declared), declared=teachers.declared)
        short = teachers.share is not None and teachers.share * 100 < state.complete_at
    else:
        teachers_text, short = p["teachers_undeclared"].format(submitted=teachers.submitted), True
    if not summary.school_form_expected:
        form_text, unsent = p["form_not_asked"], False
    else:
        unsent = not summary.form_sent(school_id)
        form_text = p["form_not_sent"] if unsent else p["form_sent"]
    deadline = shown.moment(state.open_until) if state.open_until is not None else ""
    why = p["why"]
    reasons = [why["open"] if deadline else "",
               (why["teachers"].format(at=state.complete_at) if teachers and teachers.declared else why["undeclared"])
               if short else "",
               why["form"] if unsent else "",
               why["values"] if (score.no_data or score.pending) and not unsent else ""]
    return SchoolState(
        as_of=shown.moment(state.as_of) if state.as_of is not None else "",
        teachers=teachers_text,
        form=form_text,
        deadline=deadline,
        reasons=tuple(r for r in reasons if r),
    )


def state_line(state: SchoolState) -> str:
    """«По состоянию на 07.12.2026 12:30: педагоги ответили 3 из 24 заявленных; анкета школы не отправлена; сбор
    открыт до 15.12.2026 18:00. Данные неполные: сбор данных не завершён, …» (the title says «данные неполные» too)."""
    p = phrases()
    parts = [state.teachers, state.form]
    if state.open:
        parts.append(p["deadline"].format(deadline=state.deadline))
    head = p["as_of"].format(moment=state.as_of) if state.as_of else p["state"]
    line = head + ": " + "; ".join(parts) + "."
    said = {p["why"]["open"], p["why"]["form"]}  # the line says these already
    reasons = [r for r in state.reasons if r not in said]
    if reasons:
        return line + " " + p["incomplete_why"].format(reasons=", ".join(reasons))
    return line + (" " + p["incomplete_short"] if state.incomplete else "")


def title(score: SchoolScore, state: SchoolState) -> str:
    p = phrases()
    text = p["title"].format(school=score.school.name)
    return f"{text} — {p['incomplete']}" if state.incomplete else text


def _total(score: SchoolScore | None) -> str:
    return shown.total(score.total, score.maximum, len(score.no_data), len(score.pending)) if score is not None else "—"


def total_line(summary: Summary, score: SchoolScore) -> str:
    p = phrases()
    if len(summary.history) < 2:
        return p["total"].format(total=_total(score))
    previous = summary.history[-2]
    before = next((s for s in previous.schools if s.school.id == score.school.id), None)
    if before is None:
        return p["total"].format(total=_total(score))
    return p["total_before"].format(total=_total(score), previous=previous.period, before=_total(before))


def missing_lines(score: SchoolScore) -> list[str]:
    """«Нет данных по 20 показателям: анкета школы не отправлена; …», «Балл не определён по 2 показателям: …»."""
    p = phrases()
    out = []
    if score.no_data:
        reasons = list(dict.fromkeys(why for v in score.no_data if (why := shown.reason(v))))
        out.append(p["no_data"].format(count=count(len(score.no_data), "показателю", "показателям", "показателям"),
                                       reason="; ".join(reasons) or p["reason_other"]))
    if score.pending:
        out.append(p["pending"].format(count=count(len(score.pending), "показателю", "показателям", "показателям"),
                                       codes=", ".join(v.code for v in score.pending)))
    return out


# --- the chat's lines ----------------------------------------------------------------------


def _mark(value: Value) -> str:
    if value.pending:
        return "⏳"
    if value.no_data:
        return "⬜"
    return "✅" if value.points else "❌"


def lines(summary: Summary, score: SchoolScore) -> list[Rich]:
    """The card as lines of rich text: the actions first, then every indicator with its value and points."""
    p = phrases()
    state = school_state(summary, score)
    ranked = plan(summary, score, state)
    school = score.school
    out: list[Rich | str] = [
        bold(title(score, state)),
        p["subtitle"].format(municipality=summary.municipality.name, period=summary.period, status=school.status.title()),
        state_line(state),
        bold(total_line(summary, score)),
    ]
    out += _action_lines(summary, score, ranked, bold)
    out += ["", bold(p["indicators"]), p["legend_chat"]]
    for indicator in summary.methodology.school_indicators:
        value = score.values[indicator.code]
        if value.applies:
            out.append(f"{_mark(value)} " + value_line(indicator, value))
    return [line if isinstance(line, Rich) else plain(line) for line in out]


def _action_lines(summary: Summary, score: SchoolScore, ranked: Plan, heading: Any) -> list[Rich | str]:
    p = phrases()
    out: list[Rich | str] = []
    if ranked.main:
        out += ["", heading(p["main"])]
        out += [f"{n}. {a.line()}" for n, a in enumerate(ranked.main, start=1)]
    if ranked.rest:
        out += ["", heading(p["rest"])]
        out += [f"{n}. {a.line()}" for n, a in enumerate(ranked.rest, start=MAIN + 1)]
    if ranked.municipality:
        out += ["", heading(p["municipality"])]
        out += [f"• {line}" for line in ranked.municipality_lines(summary.methodology)]
    notes = [*ranked.no_action, *missing_lines(score)]
    if not score.zeros and not score.no_data and not score.pending:
        notes.append(p["all_scored"])
    if notes:
        out += ["", *notes]
    return out


# --- the Word page -------------------------------------------------------------------------


PERIOD_MM = 25.0  # a period's column: «нет данных» and «100,0 % (1)» on one line at 12 pt
# The page's estimate, in lines of 12 pt text (about 4.9 mm): a row of the table takes a little more (its borders),
# a heading more (the space around it); the named actions' paragraph (short words, digits) holds more characters a
# line than prose. Calibrated on LibreOffice's rendering with Times New Roman's metrics (Liberation Serif): the page
# holds 54-55 such lines; tests/test_render.py renders the fullest card there is (every indicator over four
# periods, 22 actions) and the demo's, and counts one page each.
PAGE_LINES = 54.0
CHARS_PER_LINE = 88  # characters of 12 pt prose a line of the page's 180 mm holds, word wrap included
NAMED_CHARS_PER_LINE = 110
ROW_LINES = 1.05
HEADING_LINES = 1.3


def cell(value: Value | None) -> str:
    """A period's cell: «58,8 % (1)», «нет (0)», «58,8 % (?)» (the point waits for answers), «нет данных», «—»
    (does not apply: «не применяется» is too wide for the column; the legend says it)."""
    if value is None or not value.applies:
        return "—"
    text = shown.value(value)
    if value.scored:
        return f"{text} ({value.points})"
    return f"{text} (?)" if value.pending else text


def table_rows(summary: Summary, score: SchoolScore, ranked: Plan) -> tuple[list[str], list[list[str]]]:
    """The headers and rows of the periods table: the indicator (with the number of its action) and its value
    with points in each of the last PERIODS periods on record."""
    p = phrases()
    periods = _school_values(summary, score.school.id)[-PERIODS:]
    headers = [p["indicator"], *[period for period, _ in periods]]
    rows = []
    for indicator in summary.methodology.school_indicators:
        values = [v.get(indicator.code) for _, v in periods]
        if all(v is None or not v.applies for v in values):
            continue
        n = ranked.number(indicator.code)
        name = indicator.label + (p["action_ref"].format(n=n) if n else "")
        rows.append([name, *[cell(v) for v in values]])
    return headers, rows


def _lines(texts: list[str], chars: int = CHARS_PER_LINE) -> int:
    """The lines the paragraphs take across the page (an estimate: `chars` a line)."""
    return sum(max(1, math.ceil(len(text) / chars)) for text in texts)


def estimate(context: dict[str, Any], rows: int) -> float:
    """The lines the card's page takes: its paragraphs, its headings and the table (`rows` and its header)."""
    headings = bool(context["main"]) + bool(context["rest"] or context["named"]) + bool(context["municipality"])
    paragraphs = [context["title"], context["subtitle"], context["state"], context["total"], context["legend"],
                  *context["main"], *context["rest"], *context["municipality"], *context["notes"]]
    named = _lines([context["named"]], NAMED_CHARS_PER_LINE) if context["named"] else 0
    return _lines(paragraphs) + named + HEADING_LINES * headings + ROW_LINES * (rows + 1)


def _rest(ranked: Plan, context: dict[str, Any], rows: int) -> tuple[list[str], str]:
    """The actions after the main three: in full while the page holds them, then the others named in one
    paragraph by their indicator and what a share lacks («9. S2.4.4 ИОМ педагогов (не хватает 4 педагогов);
    10. S2.4.9 Школа-лидер.»): the table numbers each indicator's action, and the chat's card says what to do
    for each."""
    numbered = list(enumerate(ranked.rest, start=MAIN + 1))
    for full in range(len(numbered), -1, -1):
        lines = [f"{n}. {a.line()}" for n, a in numbered[:full]]
        named = "; ".join(f"{n}. {a.short}" for n, a in numbered[full:]) + "." if full < len(numbered) else ""
        if estimate({**context, "rest": lines, "named": named}, rows) <= PAGE_LINES or full == 0:
            return lines, named
    return [], ""


def word_context(summary: Summary, score: SchoolScore) -> tuple[dict[str, Any], Any]:
    """The template's values and a function that builds its table (it needs the template).

    The three main actions are written in full, and so are as many of the rest as the page holds (`_rest`);
    the others are named in one paragraph by their indicator."""
    from scoring.word import build_table, text_width

    p = phrases()
    state = school_state(summary, score)
    ranked = plan(summary, score, state)
    notes = [*ranked.no_action, *missing_lines(score)]
    if not ranked.actions and not notes:
        notes.append(p["all_scored"] if not score.zeros else p["nothing_to_do"])
    headers, rows = table_rows(summary, score, ranked)
    context = {
        "title": title(score, state),
        "subtitle": p["subtitle"].format(municipality=summary.municipality.name, period=summary.period,
                                         status=score.school.status.title()),
        "state": state_line(state),
        "total": total_line(summary, score),
        "main_heading": p["main"],
        "main": [f"{n}. {a.line()}" for n, a in enumerate(ranked.main, start=1)],
        "rest_heading": p["rest"],
        "rest": [],
        "named": "",
        "municipality_heading": p["municipality"],
        "municipality": ranked.municipality_lines(summary.methodology),
        "notes": notes,
        "legend": p["legend"],
    }
    context["rest"], context["named"] = _rest(ranked, context, len(rows))

    def build(template: Any) -> dict[str, Any]:
        periods = len(headers) - 1
        widths = [text_width(template, "table") - PERIOD_MM * periods, *[PERIOD_MM] * periods]
        return {"table": build_table(template, headers, rows, widths)}

    return context, build


def docx(summary: Summary, score: SchoolScore, *, template: Path | None = None) -> bytes:
    from scoring.word import _render

    context, build = word_context(summary, score)
    return _render(template or TEMPLATE, context, build)


def file_name(summary: Summary, score: SchoolScore, suffix: str = "docx") -> str:
    """«Карточка_СОШ_1_2026-2027.docx»: the school and the period, safe for any file system."""
    import re

    name = re.sub(r"[^\w\-]+", "_", f"Карточка {score.school.short_name} {summary.period}").strip("_")
    return f"{name[:80]}.{suffix}"
