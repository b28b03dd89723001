"""The one place a value becomes words: the chat's text, the Word documents, the workbook and the charts
all say a value, what it counts, its point and how complete the data are through these functions, so
the same value reads the same way everywhere.

A value is a number (a share, «да»/«нет»), «нет данных» with its reason, or «не применяется». A share
says its denominator and how many are missing; a point is decided, «не определён» while answers are
still coming, or absent for an informational indicator.
"""

from __future__ import annotations

import datetime as dt

from scoring.dynamics import Share
from scoring.indicators import Reason, Value
from scoring.methodology import Indicator, Kind
from scoring.summary import DataState
from storage.wording import count, percent

NO_DATA = "нет данных"
NOT_APPLICABLE = "не применяется"
INCOMPLETE = "данные неполные"
PENDING = "балл не определён"
INFORMATIONAL = "информационный, без баллов"

REASONS = {
    Reason.NOT_SENT: "анкета школы не отправлена",
    Reason.NOT_ANSWERED: "нет ответа на вопрос анкеты",
    Reason.NO_TEACHER_ANSWERS: "педагоги не ответили",
    Reason.STAFF_NOT_DECLARED: "школа не заявила число педагогических работников",
    Reason.NO_SCHOOL_DECLARED: "ни одна школа группы не заявила число педагогических работников",
    Reason.MUNICIPALITY_NOT_SENT: "анкета муниципалитета не отправлена",
    Reason.EMPTY_GROUP: "в группе нет школ",
    Reason.NO_SCHOOL_SENT: "ни одна школа группы не отправила анкету",
    Reason.EXAMS_NOT_LOADED: "результаты оценочных процедур за этот и прошлый год не загружены",
    Reason.NO_SERIES: "ни у одной школы группы нет результатов двух лет подряд",
}


def _schools(n: int) -> str:
    return count(n, "школы", "школ", "школ")


def value(v: Value | None) -> str:
    """«69,7 %», «да», «нет данных», «не применяется»."""
    if v is None or not v.applies:
        return NOT_APPLICABLE
    if v.value is None:
        return NO_DATA
    if isinstance(v.value, bool):
        return "да" if v.value else "нет"
    return percent(v.value)


def reason(v: Value | Share) -> str:
    """Why the value is missing («анкета школы не отправлена»); '' when it is not."""
    return REASONS.get(v.reason, "")


def with_reason(v: Value) -> str:
    """«нет данных: анкета школы не отправлена» or the value itself."""
    why = reason(v) if v.applies and v.value is None else ""
    return f"{value(v)}: {why}" if why else value(v)


def counted(indicator: Indicator, v: Value) -> str:
    """What a share counts and how many are missing: «7 из 10 заявленных педагогов; ответили 8»,
    «1 из 4 школ, приславших анкету; нет данных по 1 из 5»."""
    if not v.applies or v.numerator is None or not v.denominator:
        return ""
    if indicator.kind == Kind.TEACHER_SHARE:
        answered = v.denominator - v.missing
        text = f"{v.numerator} из {v.denominator} заявленных педагогов; ответили {answered}"
        return text + (f"; {v.note}" if v.note else "")
    if not v.group or not v.missing:  # statuses are known for every school; or every school has answered
        return f"{v.numerator} из {_schools(v.denominator)}"
    if v.denominator == v.group:  # the whole group (the collection is over and a missing school counts as no)
        return f"{v.numerator} из {_schools(v.group)}; без данных {v.missing}, они засчитаны как «нет»"
    with_data = "где ответили педагоги" if indicator.source.any_teacher else "приславших анкету"
    return f"{v.numerator} из {_schools(v.denominator)}, {with_data}; нет данных по {v.missing} из {v.group}"


def points(v: Value) -> str:
    """«1 балл», «0 баллов», «балл не определён», «информационный, без баллов»; '' when it does not apply."""
    if not v.applies:
        return ""
    if v.informational:
        return INFORMATIONAL
    if v.pending:
        return PENDING
    if v.points is None:
        return "баллы не начислены"
    return count(v.points, "балл", "балла", "баллов")


def detail(indicator: Indicator, v: Value) -> str:
    """Everything said in brackets after a value: what it counts, the threshold, why it is missing, whether its
    point waits for answers."""
    parts = [counted(indicator, v)]
    if indicator.threshold is not None and v.value is not None and v.applies:
        parts.append(f"порог {threshold(indicator)}")
    if v.applies and v.value is None:
        parts.append(reason(v))
        if not v.reason and v.note:
            parts.append(v.note)
    elif v.pending:
        parts.append("пока не ответили все, балл не определён")
    return "; ".join(p for p in parts if p)


def threshold(indicator: Indicator) -> str:
    """«≥ 70,0 %», «да — 1, нет — 0», «значение»."""
    if indicator.threshold is not None:
        sign = "≥" if indicator.comparison == ">=" else ">"
        return f"{sign} {percent(indicator.threshold)}"
    if indicator.points:
        return "да — 1, нет — 0" if indicator.points["yes"] else "да — 0, нет — 1"
    return "значение, без баллов"


def total(points_: int, maximum: int, no_data: int = 0, pending: int = 0) -> str:
    """«12 из 20 баллов; нет данных по 7 показателям; балл не определён по 2»: the maximum counts only
    indicators with a decided point."""
    text = f"{points_} из {count(maximum, 'балла', 'баллов', 'баллов')}"
    if no_data:
        text += f"; нет данных по {count(no_data, 'показателю', 'показателям', 'показателям')}"
    if pending:
        text += f"; {PENDING} по {count(pending, 'показателю', 'показателям', 'показателям')}"
    return text


def share(s: Share) -> str:
    """A dynamics share: «50,0 % (2 из 4 школ с данными; нет данных по 1)» or «нет данных: …»."""
    if s.value is None:
        why = REASONS.get(s.reason, "")
        return f"{NO_DATA}: {why}" if why else NO_DATA
    text = f"{percent(s.value)} ({s.numerator} из {_schools(s.denominator)}"
    return text + (f" с данными; нет данных по {s.missing})" if s.missing else ")")


def moment(when: dt.datetime) -> str:
    """«07.12.2026 12:30»."""
    return when.strftime("%d.%m.%Y %H:%M")


def state_line(state: DataState) -> str:
    """«По состоянию на 07.12.2026 12:30: ответили 3 из 24 заявленных педагогов (12,5 %); анкеты школ — 1 из 5;
    сбор открыт до 15.12.2026 18:00.»"""
    parts = []
    if state.teachers_asked:
        if state.teachers_declared:
            teachers = (f"ответили {state.teachers_answered_declared} из {state.teachers_declared} заявленных педагогов"
                        f" ({percent(state.completion)})")
            if state.teachers_answered != state.teachers_answered_declared:
                teachers += f", всего анкет педагогов — {state.teachers_answered}"
            if state.schools_undeclared:
                teachers += f"; школ, не заявивших число педагогов: {state.schools_undeclared}"
        else:
            teachers = f"анкет педагогов — {state.teachers_answered}; число педагогов школы не заявили"
        parts.append(teachers)
    if state.schools_sent is not None:
        parts.append(f"анкеты школ — {state.schools_sent} из {state.schools_total}")
    if state.municipality_sent is not None:
        parts.append("анкета муниципалитета " + ("отправлена" if state.municipality_sent else "не отправлена"))
    if state.open_until is not None:
        parts.append(f"сбор открыт до {moment(state.open_until)}")
    head = f"По состоянию на {moment(state.as_of)}" if state.as_of else "Состояние данных"
    return head + (": " + "; ".join(parts) if parts else "") + "."


def heading(state: DataState) -> str:
    """«Данные неполные: сбор данных не завершён, ответили менее 90 % педагогов.» or ''."""
    if not state.incomplete:
        return ""
    return f"{INCOMPLETE.capitalize()}: {', '.join(state.reasons)}."
