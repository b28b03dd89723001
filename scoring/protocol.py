"""The working group's protocol, as a municipality files it (seed 004), with its appendix, the analytical
report (справка), in one .docx: `shnor report`, /report.

The protocol stays two or three pages whatever the municipality's size: «УТВЕРЖДАЮ» with the head of the
education body, the meeting (number, date, place, who was present, the agenda), «Слушали» with the findings
for the municipality as a whole (status counts, totals, the dynamics D1-D4 and P1 over the periods on record),
«Выступили» with lines to write on, «Решили» with at most ten decisions drawn from the data, ranked, each with
who and by when, and the signatures. Everything per school is in the appendix, whose first page says in which
section each school is.

Its parts: the municipality's requisites (`Requisites`, stored once: migration 0014), the meeting's details
(`Meeting`: from the bot's dialogue or a YAML file, bot.features.report and `shnor report --meeting`), and the
data (scoring.summary.ReportInput). The sentences are in scoring/protocol.yaml, the decisions' wording in the
methodology's `decision` fields, the layout in scoring/templates/protocol.docx (scripts/make_word_templates.py).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from calendar import monthrange
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scoring import grammar
from scoring.development import answer_options
from scoring.dynamics import DYNAMICS_TITLES
from scoring.identification import CRITERIA_TITLES, METHOD_TITLES, SUPPORT_GROUP_TITLES, Method
from scoring.indicators import PeriodScores, SchoolScore, Value
from scoring.methodology import Indicator
from scoring.summary import ReportInput, Summary
from scoring.word import TEMPLATES, Cell, build_table, change_text, municipal_total, names, school_total
from scoring.word import _render as render
from scoring.word import phrases as word_phrases
from scoring.word import text_width, value_text
from storage.wording import count, percent

PROTOCOL_TEMPLATE = TEMPLATES / "protocol.docx"
PHRASES_FILE = Path(__file__).parent / "protocol.yaml"
REQUISITES = ("body_name", "head_title", "head_name")


@functools.cache
def phrases(path: Path = PHRASES_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --- what the protocol is made of ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requisites:
    """The municipality's requisites of its documents (storage.models.Municipality, migration 0014)."""

    body_name: str | None = None  # «Управление образования Администрации Сысертского городского округа»
    head_title: str | None = None  # «Начальник Управления образования»
    head_name: str | None = None  # «Л.М. Миннуллина»
    address: str | None = None

    @classmethod
    def of(cls, municipality: Any) -> Requisites:
        return cls(*(((getattr(municipality, name, None) or "").strip() or None)
                     for name in ("body_name", "head_title", "head_name", "address")))

    def missing(self) -> list[str]:
        """The requisites the protocol needs that are not set, in words."""
        titles = phrases()["protocol"]["requisite_names"]
        return [titles[name] for name in REQUISITES if not getattr(self, name)]


class MeetingError(ValueError):
    """A meeting file that cannot be read: the message says why, in Russian."""


class Meeting(BaseModel):
    """The meeting the protocol records. Every field may be empty: the protocol then leaves room to write it
    by hand. In a YAML file the keys are Russian (README, «Протокол заседания»)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    number: str = Field("", alias="номер")
    date: dt.date | None = Field(None, alias="дата")
    place: str = Field("", alias="место")
    chair: str = Field("", alias="председатель")
    secretary: str = Field("", alias="секретарь")
    attendees: list[str] = Field(default_factory=list, alias="присутствовали")
    agenda: list[str] = Field(default_factory=list, alias="повестка")
    speakers: str = Field("", alias="докладчик")

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return "" if value is None else str(value)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip():
            return parse_date(value)
        return value or None

    @field_validator("attendees", "agenda", mode="before")
    @classmethod
    def _lines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return value or []

    @field_validator("attendees", "agenda")
    @classmethod
    def _strip(cls, value: list[str]) -> list[str]:
        return [re.sub(r"[;.,]\s*$", "", str(line).strip()) for line in value if str(line).strip()]

    def stored(self) -> dict[str, Any]:
        """Plain data (JSON) to keep and offer again: the date as ISO."""
        data = self.model_dump()
        data["date"] = self.date.isoformat() if self.date else None
        return data


def parse_date(text: str) -> dt.date:
    for fmt in ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y"):
        try:
            return dt.datetime.strptime(text.strip().rstrip("г. "), fmt).date()
        except ValueError:
            pass
    raise ValueError(f"«{text}» — не дата; напишите, например, 25.05.2026")


FIELD_TITLES = {"номер": "номер", "дата": "дата", "место": "место", "председатель": "председатель",
                "секретарь": "секретарь", "присутствовали": "присутствовали", "повестка": "повестка",
                "докладчик": "докладчик"}


def load_meeting(text: str) -> Meeting:
    """The meeting from a YAML file (README: «Протокол заседания»); MeetingError says what is wrong in Russian."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise MeetingError(f"файл не читается как YAML: {exc}") from None
    if not isinstance(data, dict):
        raise MeetingError("в файле должны быть строки «ключ: значение», например «номер: 12»")
    try:
        return Meeting.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            if error["type"] == "extra_forbidden":
                problems.append(f"неизвестный ключ «{where}» (допустимы: {', '.join(FIELD_TITLES)})")
            else:
                message = str(error.get("ctx", {}).get("error") or error["msg"])
                problems.append(f"«{where}»: {message}")
        raise MeetingError("; ".join(problems)) from None


# --- the data, as the protocol tells it ------------------------------------------------------


def state_heading(summary: Summary) -> str:
    """«По состоянию на 07.12.2026 12:30: ответили …», after «Данные неполные: …» while they are (scoring.shown)."""
    from scoring import shown

    state = summary.state
    line = shown.state_line(state)
    return f"{shown.heading(state)} {line}" if state.incomplete else line


def _short_state(summary: Summary) -> str:
    """The protocol's heading while the data are incomplete: «Данные неполные: сбор данных не завершён.»"""
    from scoring import shown

    return shown.heading(summary.state)


def tight(name: str) -> str:
    """«СОШ\u00a017», «№\u00a01»: a number never apart from the word before it (in a table's narrow cell)."""
    return re.sub(r"(?<=\S) (?=\d)", "\u00a0", name)


def unbroken(text: str) -> str:
    """«2,6 % (1 из 39 школ)» wrapped only before its bracket: no-break spaces inside each part."""
    head, bracket, rest = text.partition(" (")
    if not bracket:
        return text
    return head.replace(" ", "\u00a0") + bracket + rest.replace(" ", "\u00a0")


def incomplete(summary: Summary) -> bool:
    return summary.state.incomplete


def natural_key(text: str) -> list[Any]:
    """«СОШ № 2» before «СОШ № 10»."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def in_scope(summary: Summary, all_schools: bool) -> list[SchoolScore]:
    """The appendix's schools, by name: ШНРО, ШНСУ and risk-zone schools of the period (or every school)."""
    schools = [s for s in summary.scores.schools
               if all_schools or s.school.status.low_results_or_unfavourable or s.school.status.risk_zone]
    return sorted(schools, key=lambda s: school_key(s.school.name))


def school_key(name: str) -> list[Any]:
    """A school's place in the appendix: by its name less the legal form («МКОУ», «МАОУ»), numbers as numbers."""
    return natural_key(re.sub(r"^[А-ЯЁ]{2,}\s+", "", name))


def signed(person: str) -> str:
    """«Едигарева Н.В., заместитель начальника» → «Едигарева Н.В.» with no break inside, for a signature line."""
    return person.split(",")[0].strip().replace(" ", "\u00a0")


STATUS_FLAGS = (("shnro", "ШНРО"), ("shnsu", "ШНСУ"), ("risk_zone", "зона риска"), ("project_500", "проект «500+»"))


def status_counts(summary: Summary, with_names: bool) -> str:
    f = phrases()["findings"]
    schools = sorted(summary.scores.schools, key=lambda s: natural_key(s.school.short_name))
    parts = []
    for flag, title in STATUS_FLAGS:
        hit = [s.school.short_name for s in schools if getattr(s.school.status, flag)]
        if hit:
            named = with_names and len(hit) <= f["names_limit"]
            parts.append(f["status_named" if named else "status"].format(title=title, count=len(hit), names=names(hit)))
    return "; ".join(parts) if parts else f["no_status"]


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


def findings(summary: Summary, schools: list[SchoolScore]) -> list[str]:
    """«Слушали» on the first question: the municipality as a whole, in a few sentences."""
    f = phrases()["findings"]
    from scoring import shown

    out = [shown.state_line(summary.state),
           f["schools"].format(period=summary.period, schools=count(len(summary.scores.schools), "школа", "школы", "школ"),
                               statuses=status_counts(summary, with_names=True))]
    history = summary.history
    now = history[-1]
    if len(history) < 2:
        out += [f["municipal_total"].format(total=municipal_total(now)), f["first_period"]]
    else:
        before = history[-2]
        out.append(f["municipal_total_before"].format(total=municipal_total(now), previous=before.period,
                                                      before=municipal_total(before)))
        up, down = crossed(summary.methodology.municipal_indicators, before, now)
        if up:
            out.append(f["crossed_up"].format(previous=before.period, indicators=names(up)))
        if down:
            out.append(f["crossed_down"].format(previous=before.period, indicators=names(down)))
    below = [i.label for i in summary.methodology.municipal_indicators
             if i.threshold is not None and (v := now.municipal[i.code]).scored and not v.points]
    if below:
        out.append(f["below"].format(period=summary.period, indicators=names(below)))
    ranked = sorted((s for s in schools if s.maximum and not (summary.school_form_expected and not summary.form_sent(s.school.id))),
                    key=lambda s: (s.ratio, natural_key(s.school.short_name)))[:5]
    if ranked:
        out.append(f["lowest"].format(schools=", ".join(f["lowest_school"].format(name=s.school.short_name, total=school_total(s))
                                                        for s in ranked)))
    return out


def dynamics_rows(summary: Summary, with_schools: bool) -> tuple[list[str], list[list[str]]]:
    """D1-D4 and P1 over the periods on record (seed 004's first table): the share, how many of how many and,
    in the appendix, the schools with positive dynamics."""
    from scoring import shown

    d = phrases()["dynamics"]
    periods = [p for p, _ in summary.dynamics]
    short = {s.school.id: s.school.short_name for h in summary.history for s in h.schools}
    positive: dict[tuple[str, str], list[str]] = {}
    if with_schools:
        for entry in summary.school_dynamics:
            status = next((s.school.status for h in summary.history if h.period == entry.period
                           for s in h.schools if s.school.id == entry.school_id), None)
            if status is None:
                continue
            name = short.get(entry.school_id, str(entry.school_id))
            low, risk = status.low_results_or_unfavourable, status.risk_zone
            for code, hit in (("D1", low and entry.exams_rose), ("D2", risk and entry.exams_rose),
                              ("D3", low and entry.kdr_rose), ("D4", risk and entry.kdr_rose), ("P1", low and entry.productive)):
                if hit:
                    positive.setdefault((code, entry.period), []).append(name)
    rows = []
    for code, title in DYNAMICS_TITLES.items():
        row = [code, title]
        for period, shares in summary.dynamics:
            share = shares.get(code)
            if share is None:
                row.append(d["no_group"])
                continue
            text = unbroken(shown.share(share))
            hit = sorted(positive.get((code, period), []), key=natural_key)
            row.append(d["schools"].format(share=text, names=names([tight(n) for n in hit])) if hit else text)
        rows.append(row)
    return [*d["headers"], *periods], rows


# --- «Решили» --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    text: str
    who: str
    due: str
    schools: list[str] = field(default_factory=list)  # listed in the appendix when the protocol gives only their number
    affected: int = 0  # the schools it concerns (its rank)


def _due(days: int | None, due: str | None, meeting_date: dt.date | None) -> str:
    """«до 31.01.2027»: `days` after the meeting, to the end of that month; without a date, counted from the
    protocol's approval."""
    d = phrases()["decisions"]
    if due:
        return due
    days = days or 30
    if meeting_date is None:
        return d["due_no_date"].format(days=days)
    day = meeting_date + dt.timedelta(days=days)
    day = day.replace(day=monthrange(day.year, day.month)[1])
    return d["due"].format(date=day.strftime("%d.%m.%Y"))


def _who(code: str | None, level: str) -> tuple[str, int]:
    d = phrases()["decisions"]
    rule = d["by_indicator"].get(code or "") or d[f"{level}_default"]
    return rule["who"], rule.get("days", 30)


def _group(summary: Summary, indicator: Indicator) -> list[SchoolScore]:
    """The schools a municipal indicator is over."""
    return [s for s in summary.scores.schools
            if indicator.schools == "all" or (indicator.schools == "shnro_shnsu" and s.school.status.low_results_or_unfavourable)
            or (indicator.schools == "risk_zone" and s.school.status.risk_zone)]


@dataclass
class _Candidate:
    affected: int  # schools it concerns
    gap: float  # how far below its threshold (1 without one)
    text: str  # the decision's wording (methodology's `decision`)
    code: str | None
    level: str  # school | municipal | no_data
    schools: list[str] = field(default_factory=list)
    municipal: tuple[str, str] | None = None  # a school decision's municipal twin below its threshold: value, rule


def draft_decisions(summary: Summary, schools: list[SchoolScore], meeting_date: dt.date | None) -> list[Decision]:
    """At most `limit` decisions: the opening one, the schools' missing questionnaires (without them nothing else
    can be checked), those the data call for ranked by how many schools each concerns (a municipal indicator: the
    schools of its group) and then by the gap to its threshold, and the closing ones. A school decision names its schools (past names_limit the appendix lists them); a municipal
    indicator below its threshold whose school twin (M2.4.4 and S2.4.4) is decided on joins that decision."""
    d = phrases()["decisions"]
    limit = phrases()["findings"]["names_limit"]
    by_text: dict[str, _Candidate] = {}
    for indicator in summary.methodology.school_indicators:
        if not indicator.decision:
            continue
        hit = [s.school.short_name for s in schools if (v := s.values[indicator.code]).scored and not v.points]
        if hit:
            candidate = by_text.setdefault(indicator.decision, _Candidate(0, 1.0, indicator.decision, indicator.code, "school"))
            candidate.schools += [name for name in hit if name not in candidate.schools]
            candidate.affected = len(candidate.schools)
    candidates = list(by_text.values())
    twins = {c.code[1:]: c for c in candidates if c.code}
    for indicator in summary.methodology.municipal_indicators:
        value = summary.scores.municipal[indicator.code]
        if not (indicator.decision and value.scored and not value.points):
            continue
        shown = value_text(value, points=False)
        if indicator.threshold is not None and isinstance(value.value, Fraction):
            gap = float(Fraction(str(indicator.threshold)) - value.value)
            twin = twins.get(indicator.code[1:])
            if twin is not None:
                twin.municipal, twin.gap = (shown, percent(indicator.threshold)), gap
                twin.affected = max(twin.affected, len(_group(summary, indicator)))
                continue
            text = d["municipal"].format(decision=indicator.decision, period=summary.period, value=shown,
                                         rule=percent(indicator.threshold))
        else:
            gap, text = 1.0, d["municipal_answer"].format(decision=indicator.decision)
        candidates.append(_Candidate(len(_group(summary, indicator)), gap, text, indicator.code, "municipal"))
    candidates.sort(key=lambda c: (-c.affected, -c.gap))
    missing = [s.school.short_name for s in schools if summary.school_form_expected and not summary.form_sent(s.school.id)]
    if missing:  # first: without their data the other decisions cannot be checked
        candidates.insert(0, _Candidate(len(missing), 1.0, "", None, "no_data", missing))
    room = d["limit"] - 1 - len(d["closing"])
    opening = d["opening"]
    out = [Decision(opening["text"], opening["who"], _due(opening.get("days"), opening.get("due"), meeting_date))]
    for c in candidates[:room]:
        number = len(out) + 1
        hit = sorted(c.schools, key=natural_key)
        many = len(hit) > limit
        values = dict(schools=names(hit), count=count(len(hit), "школа", "школы", "школ"), number=number,
                      period=summary.period, decision=c.text)
        if c.level == "no_data":
            who, days = d["no_data_who"], d["no_data_days"]
            text = (d["no_data_many"] if many else d["no_data"]).format(**values)
        elif c.level == "school":
            who, days = _who(c.code, c.level)
            if c.municipal:
                text = (d["twin_many"] if many else d["twin"]).format(**values, value=c.municipal[0], rule=c.municipal[1])
            else:
                text = (d["school_many"] if many else d["school"]).format(**values)
        else:
            who, days = _who(c.code, c.level)
            text, many = c.text, False
        out.append(Decision(text, who, _due(days, None, meeting_date), hit if many else [], c.affected))
    for closing in d["closing"]:
        out.append(Decision(closing["text"], closing["who"], _due(closing.get("days"), closing.get("due"), meeting_date)))
    return out


# --- the appendix ------------------------------------------------------------------------------


def _unit(indicator: Indicator) -> str:
    return word_phrases()["units"].get(indicator.kind.value, "")


def indicator_rows(summary: Summary, indicators: tuple[Indicator, ...], values: list[dict[str, Value]]) -> list[list[str]]:
    """Seed 004's rows: № (the code), criterion, indicator («информационный» without points), unit, a value per
    period, the change."""
    informational = phrases()["appendix"]["informational"]
    rows = []
    for indicator in indicators:
        per_period = [v.get(indicator.code) for v in values]
        if all(v is None or not v.applies for v in per_period):
            continue
        title = indicator.title if indicator.has_rule else f"{indicator.title} ({informational})"
        rows.append([indicator.code, summary.methodology.criterion_title(indicator), title, _unit(indicator),
                     *[value_text(v) for v in per_period],
                     change_text(per_period[-2], per_period[-1]) if len(per_period) > 1 else ""])
    return rows


def missing_lines(score: SchoolScore) -> list[str]:
    """Under a school's table: the indicators without data, by reason, and those whose point waits for answers."""
    from scoring import shown

    p = phrases()["school"]
    reasons: dict[str, int] = {}
    for value in score.no_data:
        why = shown.reason(value) or p["no_reason"]
        reasons[why] = reasons.get(why, 0) + 1
    lines = [p["no_data"].format(count=count(n, "показателю", "показателям", "показателям"), reason=why)
             for why, n in reasons.items()]
    if score.pending:
        lines.append(p["pending"].format(count=count(len(score.pending), "показателю", "показателям", "показателям")))
    return lines


def zero_lines(summary: Summary, score: SchoolScore) -> list[str]:
    p = phrases()["school"]
    lines = []
    for value in score.zeros:
        indicator = summary.methodology.indicator(value.code)
        template = p["zero"] if indicator.recommendation else p["zero_no_recommendation"]
        lines.append(template.format(code=indicator.code, title=indicator.title, value=value_text(value, points=False),
                                     recommendation=indicator.recommendation or ""))
    return lines


def identification(summary: Summary) -> tuple[list[str], list[list[str]] | None, list[str], list[str]]:
    """The method, the schools by status; for the twelve criteria each school's criteria met (for the
    Sverdlovsk groups each school's groups): lines, table rows, table headers, notes."""
    p = word_phrases()["identification"]
    t = word_phrases()["table"]
    method = Method(summary.municipality.identification_method)
    lines = [p["method"].format(method=METHOD_TITLES[method])]
    schools = sorted(summary.scores.schools, key=lambda s: natural_key(s.school.short_name))
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


# --- the document ----------------------------------------------------------------------------------


def _place_phrase(name: str) -> str:
    return grammar.in_place(name) or f"на территории «{name}»"


def _body_phrase(body: str) -> str:
    return grammar.genitive(body) or f"органа управления образованием «{body}»"


def protocol_context(data: ReportInput, meeting: Meeting, requisites: Requisites, *, decisions: bool = False,
                     all_schools: bool = False) -> tuple[dict[str, Any], Any]:
    """The template's values and a function that builds its tables (they need the template). `decisions`:
    the coordinator asked for the draft «Решили» (it is drafted anyway when the data are complete)."""
    summary = data.summary
    pr, ap, sc = phrases()["protocol"], phrases()["appendix"], phrases()["school"]
    t = word_phrases()["table"]
    history = summary.history
    periods = [h.period for h in history]
    multi = len(periods) > 1
    schools = in_scope(summary, all_schools)
    partial = incomplete(summary)
    drafted = decisions or not partial

    # the protocol
    date_text = meeting.date.strftime("%d.%m.%Y") if meeting.date else ""
    agenda = meeting.agenda or [item.format(period=summary.period) for item in pr["default_agenda"]]
    heard = []
    for n, item in enumerate(agenda):
        ordinal = pr["ordinals"][n] if n < len(pr["ordinals"]) else f"{n + 1}-му"
        speakers = meeting.speakers.rstrip(". ") if n == 0 else ""
        heard.append({
            "line": pr["heard"].format(ordinal=ordinal, speakers=speakers) if speakers else pr["heard_blank"].format(ordinal=ordinal),
            "findings": findings(summary, schools) if n == 0 else [],
            "blank": not speakers,
        })
    drafts = draft_decisions(summary, schools, meeting.date) if drafted else []
    missing = requisites.missing()
    place = meeting.place or requisites.address or ""
    context = {
        "approve": pr["approve"],
        "head_title": requisites.head_title or pr["head_title_blank"],
        "head_name": signed(requisites.head_name) if requisites.head_name else pr["head_name_blank"],
        "approve_date": pr["approve_date"],
        "no_requisites": pr["no_requisites"].format(missing="; ".join(missing)) if missing else "",
        "protocol_title": pr["title"],
        "protocol_subtitle": (pr["subtitle"].format(body=_body_phrase(requisites.body_name), place=_place_phrase(summary.municipality.name))
                              if requisites.body_name else pr["subtitle_no_body"].format(place=_place_phrase(summary.municipality.name))),
        "meeting_date": pr["date"].format(date=date_text) if date_text else pr["no_date"],
        "meeting_number": pr["number"].format(number=meeting.number) if meeting.number else pr["no_number"],
        "meeting_place": pr["place"].format(place=place) if place else pr["no_place"],
        "place_blank": not place,
        "chair_line": pr["chair"].format(name=meeting.chair) if meeting.chair else "",
        "secretary_line": pr["secretary"].format(name=meeting.secretary) if meeting.secretary else "",
        "present": pr["present"],
        "attendees": [line + (";" if n < len(meeting.attendees) - 1 else ".") for n, line in enumerate(meeting.attendees)],
        "agenda_title": pr["agenda"],
        "agenda": agenda,
        "heard": heard,
        "dynamics_intro": phrases()["findings"]["dynamics_intro"],
        "details": phrases()["findings"]["details"],
        "spoke": pr["spoke"],
        "decided": pr["decided"],
        "decisions": [pr["decision"].format(text=d.text.rstrip("."), who=d.who, due=d.due) for d in drafts],
        "chair_sign": pr["chair_sign"] if meeting.chair else "",
        "chair_name": signed(meeting.chair),
        "secretary_sign": pr["secretary_sign"],
        "secretary_name": signed(meeting.secretary),
    }

    # the appendix
    headers = [t["number"], t["criterion"], t["indicator"], t["unit"], *periods, *([t["change"]] if multi else [])]

    def trim(rows: list[list[str]]) -> list[list[str]]:
        return rows if multi else [row[:-1] for row in rows]

    def total_row(values: list[str]) -> list[str | Cell]:
        return [Cell(t["total"], span=4, bold=True), *[Cell(v, bold=True) for v in values], *([Cell("")] if multi else [])]

    municipal_rows: list[list[str | Cell]] = list(trim(indicator_rows(summary, summary.methodology.municipal_indicators,
                                                                      [h.municipal for h in history])))
    municipal_rows.append(total_row([municipal_total(h) for h in history]))
    by_period = [{s.school.id: s for s in h.schools} for h in history]
    school_items = []
    contents = []
    for n, score in enumerate(schools, start=1):
        scores = [p.get(score.school.id) for p in by_period]
        rows: list[list[str | Cell]] = list(trim(indicator_rows(summary, summary.methodology.school_indicators,
                                                                [s.values if s else {} for s in scores])))
        rows.append(total_row([school_total(s) for s in scores]))
        deputy = names(data.deputies.get(score.school.id, []))
        status = score.school.status.title()
        zeros = zero_lines(summary, score)
        school_items.append({
            "number": f"3.{n}",
            "name": score.school.name,
            "line": (sc["line_deputy"] if deputy else sc["line"]).format(period=summary.period, status=status, deputy=deputy,
                                                                         total=school_total(score)),
            "rows": rows,
            "notes": missing_lines(score),
            "zeros": [sc["zeros"], *zeros] if zeros else [sc["no_zeros"]],
        })
        contents.append([f"3.{n}", tight(score.school.name), status, school_total(score)])
    ident_lines, ident_rows, ident_headers, ident_notes = identification(summary)
    count_text = count(len(schools), "школа", "школы", "школ")
    o = phrases()["overview"]
    overview = [o["schools"].format(period=summary.period, schools=count(len(summary.scores.schools), "школа", "школы", "школ"),
                                    statuses=status_counts(summary, with_names=False))]
    overview += findings(summary, schools)[2:]
    cut = [(n, d) for n, d in enumerate(drafts, start=1) if d.schools]
    number_text = meeting.number or "______"
    context.update({
        "appendix_label": ap["label"],
        "appendix_of": ap["label_of"].format(date=date_text or "«___» ________ 20___ г.", number=number_text),
        "title": ap["title"],
        "subtitle": ap["subtitle"],
        "municipality": summary.municipality.name,
        "body_name": requisites.body_name or "",
        "period_line": ap["period"].format(period=summary.period),
        "state_line": state_heading(summary),
        "incomplete": partial,
        "protocol_state": _short_state(summary),
        "contents_title": ap["contents"],
        "contents_intro": (ap["contents_intro_all"] if all_schools else ap["contents_intro"]).format(period=summary.period),
        "legend_title": ap["legend_title"],
        "legend": ap["legend"],
        "sections": ap["sections"] | ({"schools": ap["sections"]["schools_all"]} if all_schools else {}),
        "overview": overview,
        "municipal_intro": (ap["municipal_intro"].format(previous=periods[-2]) if multi
                            else ap["municipal_intro_single"].format(period=summary.period)),
        "dynamics_appendix_intro": ap["dynamics_intro"],
        "schools_intro": (ap["schools_intro_all"] if all_schools else ap["schools_intro"]).format(
            period=summary.period, count=count_text) if schools else ap["no_schools"].format(period=summary.period),
        "schools": [],
        "identification": ident_lines,
        "identification_notes": ident_notes,
        "development_intro": (ap["development_intro"] if summary.development else ap["development_none"]).format(
            period=summary.period, answered=count(summary.state.teachers_answered, "анкета", "анкеты", "анкет")),
        "decision_lists": bool(cut),
        "decisions_intro": ap["decisions_intro"],
    })
    development_rows = development(summary, ap["development_answered"])
    dyn_headers, dyn_short = dynamics_rows(summary, with_schools=False)
    _, dyn_long = dynamics_rows(summary, with_schools=True)

    def build(template: Any) -> dict[str, Any]:
        landscape = text_width(template, "school.table")
        fitted = dict(total_width=landscape, flexible=(1, 2))
        items = [{**item, "table": build_table(template, headers, item.pop("rows"), group_column=1, totals=1, **fitted)}
                 for item in school_items]
        out = {
            "protocol_dynamics": build_table(template, dyn_headers, dyn_short, total_width=text_width(template, "protocol_dynamics"),
                                             flexible=(1,), keep_together=True, cap=24.0),
            "contents_table": build_table(template, ap["contents_headers"], contents, total_width=text_width(template, "contents_table"),
                                          flexible=(1, 3)) if contents else "",
            "municipal_table": build_table(template, headers, municipal_rows, group_column=1, totals=1,
                                           total_width=text_width(template, "municipal_table"), flexible=(1, 2)),
            "dynamics_table": build_table(template, dyn_headers, dyn_long, total_width=text_width(template, "dynamics_table"),
                                          flexible=tuple(range(1, len(dyn_headers)))),
            "schools": items,
            "identification_table": "",
            "development_table": "",
            "decisions_table": "",
        }
        if ident_rows:
            out["identification_table"] = build_table(template, ident_headers, ident_rows,
                                                      total_width=text_width(template, "identification_table"),
                                                      flexible=(len(ident_headers) - 1,))
        if development_rows:
            t_ = word_phrases()["table"]
            out["development_table"] = build_table(template, [t_["question"], t_["answer"], t_["teachers"], t_["share"]],
                                                   development_rows, group_column=0,
                                                   total_width=text_width(template, "development_table"), flexible=(0, 1))
        if cut:
            out["decisions_table"] = build_table(template, ap["decisions_headers"], [[str(n), names([tight(x) for x in d.schools])] for n, d in cut],
                                                 total_width=text_width(template, "decisions_table"), flexible=(1,))
        return out

    return context, build


def protocol_docx(data: ReportInput, meeting: Meeting | None = None, requisites: Requisites | None = None, *,
                  decisions: bool = False, all_schools: bool = False, template: Path | None = None) -> bytes:
    """The protocol with its appendix, as .docx."""
    requisites = requisites or Requisites.of(data.summary.municipality)
    context, build = protocol_context(data, meeting or Meeting(), requisites, decisions=decisions, all_schools=all_schools)
    return render(template or PROTOCOL_TEMPLATE, context, build)


def file_name(municipality: str, period: str, meeting: Meeting | None = None) -> str:
    """«Протокол_12_Сысертский_ГО_2026-2027.docx»: safe for any file system."""
    number = f"{meeting.number} " if meeting and meeting.number else ""
    stem = re.sub(r"[^\w\-]+", "_", f"Протокол {number}{municipality} {period}").strip("_")
    return f"{stem[:90]}.docx"
