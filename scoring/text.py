"""The summary and the school card as text: lines of rich text (surveys.screens.Rich), no markup of any
messenger and no length limit of any; each channel's renderer turns them into its messages."""

from __future__ import annotations

from monitoring import completion
from scoring import shown, stops
from scoring.dynamics import DYNAMICS_TITLES
from scoring.identification import METHOD_TITLES, Method
from scoring.indicators import Value
from scoring.methodology import Indicator
from scoring.summary import Summary, completion_by_school, schools_by_status
from surveys.screens import Rich, bold, plain


def total_text(total: int, maximum: int, no_data: int, pending: int = 0) -> str:
    return shown.total(total, maximum, no_data, pending)


def rule_text(indicator: Indicator) -> str:
    return shown.threshold(indicator)


def value_line(indicator: Indicator, value: Value) -> Rich:
    """«M2.1.6 Доля школ … — 25,0 % (1 из 4 школ, приславших анкету; нет данных по 1 из 5) — информационный»."""
    text = plain(f"{indicator.code} {indicator.title} — ") + bold(shown.value(value))
    detail = shown.detail(indicator, value)
    if detail:
        text += f" ({detail})"
    points = shown.points(value)
    if points and value.value is not None:
        text += f" — {points}"
    return text


def state_lines(summary: Summary) -> list[Rich]:
    """When the data were read and how complete they are; «Данные неполные: …» while they are."""
    state = summary.state
    lines = [plain(shown.state_line(state))]
    if state.incomplete:
        lines.append(bold(shown.heading(state)))
    return lines


def period_lines(summary: Summary) -> list[Rich]:
    """Which period this is and which others exist."""
    if summary.period == summary.current_year:
        which = f"Период {summary.period} — текущий учебный год."
    elif summary.current_year and summary.current_year not in summary.periods and summary.period == summary.periods[-1]:
        which = f"Период {summary.period} — последний с данными (за текущий {summary.current_year} данных нет)."
    else:
        which = f"Период {summary.period}."
    others = [p for p in summary.periods if p != summary.period]
    return [plain(which + (f" Другие периоды: {', '.join(others)}." if others else ""))]


def completion_lines(summary: Summary) -> list[Rich | str]:
    c = summary.completion
    schools = summary.scores.schools
    lines: list[Rich | str] = [bold("Заполнение")]
    if "teacher" in c.audiences:
        lines.append("Педагоги: " + completion.total_text(c.teachers.values()))
    else:
        lines.append("Анкета педагога в этом периоде не проводилась.")
    if summary.school_form_expected:
        sent = sum(summary.form_sent(s.school.id) for s in schools)
        lines.append(f"Анкеты школ: отправлено {sent} из {len(schools)}")
    if "municipality" in c.audiences:
        lines.append("Анкета муниципалитета: " + completion.FORM_STATES.get(c.municipality_form, completion.FORM_STATES[None]))
    returned_forms, returned_teachers = len(c.returned_forms), c.returned_teachers
    if returned_forms or returned_teachers:
        lines.append(f"Возвращены на доработку и ещё не отправлены снова: анкет школ — {returned_forms}, "
                     f"анкет педагогов — {returned_teachers}; пока их не отправят, в показателях их нет")
    for row in completion_by_school(summary):
        parts = []
        if "teacher" in c.audiences:
            parts.append("педагоги — " + (row.teachers.text() if row.teachers else "не опрашивались (вне адресатов кампании)"))
        if summary.school_form_expected:
            parts.append("анкета школы — " + completion.form_state(row.form, row.returned))
        if parts:
            lines.append(f"• {row.school}: {'; '.join(parts)}")
    return lines


def summary_lines(summary: Summary, lowest: int = 5) -> list[Rich]:
    """The summary as lines of text; a channel's renderer splits them into messages."""
    m = summary.municipality
    scores = summary.scores
    lines: list[Rich | str] = [
        bold(f"Сводка ШНОР: {m.name}, период {summary.period}"),
        *state_lines(summary),
        *period_lines(summary),
        f"Метод идентификации: {METHOD_TITLES[Method(m.identification_method)]}",
        "",
        *completion_lines(summary),
    ]
    lines += ["", bold("Школы по статусам")]
    for title, names in sorted(schools_by_status(summary).items(), key=lambda kv: kv[0] == "нет статуса"):
        lines.append(f"• {title} ({len(names)}): {', '.join(names)}")
    lines += [
        "",
        bold("Муниципальные показатели") + " — итого "
        + total_text(scores.municipal_total, scores.municipal_maximum, len(scores.municipal_no_data),
                     len(scores.municipal_pending)),
    ]
    for indicator in summary.methodology.municipal_indicators:
        lines.append("• " + value_line(indicator, scores.municipal[indicator.code]))
    if summary.dynamics:
        _, shares = summary.dynamics[-1]
        lines += ["", bold("Динамика")]
        for code, share in shares.items():
            lines.append(f"• {code} {DYNAMICS_TITLES[code]} — " + bold(shown.share(share)))
    lines += ["", bold("Школы с наименьшими баллами") + (" (из отправивших анкету школы)" if summary.school_form_expected else "")]
    ranked = summary.lowest(lowest)
    for n, score in enumerate(ranked, start=1):
        lines.append(
            f"{n}. {score.school.short_name} — {total_text(score.total, score.maximum, len(score.no_data), len(score.pending))}"
            f" ({score.school.status.title()})"
        )
    if not ranked:
        lines.append("Ни одна школа ещё не отправила анкету.")
    unsent = summary.unsent()
    if unsent:
        lines.append(
            f"Анкету школы не отправили ({len(unsent)}; их баллы неполные, в рейтинг не входят): "
            + ", ".join(s.school.short_name for s in unsent)
        )
    lines += stops.losing_lines(summary.stops)
    return [line if isinstance(line, Rich) else plain(line) for line in lines]
