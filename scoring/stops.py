"""Where people stop: per question of each questionnaire, how many reached it, how many stopped there and how long
its screen was open before the answer. Plain code over the counts the database makes (scoring.data.stop_counts);
the summary's text and its workbook say it (scoring.text, scoring.report).

A respondent reached a question when they answered it (a skip is an answer) or it was the last screen they were
shown. A draft stopped at the screen it was shown last (response.screen: a screen of several questions — the carry
screen, a checklist — counts as its first question, the review as «Проверка ответов»); a submitted questionnaire stopped nowhere. While a campaign collects,
a draft may be a person still answering: the figures are as of when they were read. The time of an answer is the
seconds from its screen being shown to the answer (answer.seconds), counted only for the screen's first question
(not for the further questions of the carry screen, a checklist or an inline follow-up answered on it); its median is a lower median
in whole seconds, and a time of an hour or more counts as an hour (HOUR) — a median there is «час и больше».
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from storage.wording import count, percent
from surveys.screens import Rich, bold, plain

REVIEW = ":review"  # surveys.store.REVIEW_SCREEN: the review screen, where «Отправить» is
REVIEW_LABEL = "Проверка ответов (не нажали «Отправить»)"
HOUR = 3600  # seconds: longer times are counted as this (the database caps them; a median there is «час и больше»)
LOSING = Fraction(1, 10)  # a question is named in the summary's text when more than this share of those who reach it stop


@dataclass(frozen=True)
class PackCounts:
    """What the database counted for one questionnaire (a pack, all its versions) in one period."""

    key: str
    title: str
    questions: tuple[tuple[str, str], ...]  # (name, label) in the pack's order
    answered: Mapping[str, int] = field(default_factory=dict)  # questionnaires with an answer to it (a skip included)
    stopped: Mapping[str, int] = field(default_factory=dict)  # drafts whose last screen it is (REVIEW: the review)
    stopped_answered: Mapping[str, int] = field(default_factory=dict)  # of those, the ones that had answered it (went back)
    seconds: Mapping[str, Mapping[int, int]] = field(default_factory=dict)  # question -> {seconds: answers}
    submitted: int = 0
    drafts: int = 0
    unknown: int = 0  # drafts whose last screen was not recorded (written before migration 0016)


@dataclass(frozen=True)
class QuestionStop:
    name: str
    label: str
    reached: int
    stopped: int
    median: int | None  # seconds (at most HOUR); None: no answer with a time
    timed: int  # answers with a time

    @property
    def loss(self) -> Fraction | None:
        return Fraction(self.stopped, self.reached) if self.reached else None

    @property
    def losing(self) -> bool:
        """More than a tenth of those who reached it stopped there."""
        return self.reached > 0 and Fraction(self.stopped, self.reached) > LOSING


@dataclass(frozen=True)
class PackStops:
    key: str
    title: str
    rows: tuple[QuestionStop, ...]  # the questions in order, then the review
    started: int  # questionnaires begun (drafts and submitted)
    submitted: int
    unknown: int


def median(histogram: Mapping[int, int]) -> int | None:
    """The lower median of values given as {value: how many}; None for none."""
    total = sum(n for n in histogram.values() if n > 0)
    if not total:
        return None
    rank = (total + 1) // 2  # the lower middle's position, from 1
    seen = 0
    for value in sorted(histogram):
        seen += max(histogram[value], 0)
        if seen >= rank:
            return value
    raise AssertionError("unreachable")


def duration(seconds: int) -> str:
    """41 -> «41 с», 125 -> «2 мин 05 с», HOUR or more -> «час и больше»."""
    if seconds >= HOUR:
        return "час и больше"
    if seconds < 60:
        return f"{seconds} с"
    return f"{seconds // 60} мин {seconds % 60:02d} с"


def pack_stops(counts: PackCounts) -> PackStops:
    rows = []
    names = [name for name, _ in counts.questions]
    extra = sorted((set(counts.answered) | set(counts.stopped)) - set(names) - {REVIEW})  # a question an older version had
    labels = dict(counts.questions)
    for name in [*names, *extra]:
        stopped = counts.stopped.get(name, 0)
        reached = counts.answered.get(name, 0) + stopped - counts.stopped_answered.get(name, 0)
        histogram = counts.seconds.get(name, {})
        rows.append(QuestionStop(name, labels.get(name, name), reached, stopped, median(histogram), sum(histogram.values())))
    at_review = counts.stopped.get(REVIEW, 0)
    rows.append(QuestionStop(REVIEW, REVIEW_LABEL, counts.submitted + at_review, at_review, None, 0))
    return PackStops(counts.key, counts.title, tuple(rows), counts.submitted + counts.drafts, counts.submitted, counts.unknown)


def _short(label: str, limit: int = 80) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def stop_text(row: QuestionStop) -> str:
    """«остановились 5 из 38 дошедших (13,2 %); медиана времени на вопросе 41 с (по 33 ответам)»."""
    text = f"остановились {row.stopped} из {row.reached} дошедших ({percent(row.loss)})"
    if row.median is not None:
        text += f"; медиана времени на вопросе {duration(row.median)} (по {count(row.timed, 'ответу', 'ответам', 'ответам')})"
    return text


def losing_lines(stops: list[PackStops]) -> list[Rich]:
    """For the summary's text: one line per question that loses more than a tenth of those who reach it; none: nothing."""
    lines: list[Rich] = []
    for pack in stops:
        for row in pack.rows:
            if row.losing:
                lines.append(plain(f"• {pack.title}: «{_short(row.label)}» — {stop_text(row)}"))
    if not lines:
        return []
    head = bold("Где останавливаются") + (" (незаконченные анкеты по последнему показанному экрану; вопросы, где "
                                          "остановились больше 10 % дошедших до них)")
    return [plain(""), head, *lines]


SHEET_TITLE = "Где останавливаются"
SHEET_HEADERS = ["Анкета", "№", "Вопрос", "Дошли", "Остановились", "Доля остановившихся", "Медиана времени, с",
                 "Ответов со временем"]


def sheet_rows(stops: list[PackStops]) -> list[list[object]]:
    """The workbook's rows: a question a row, the review last in each questionnaire; a share as a number from 0 to 1
    (None: nobody reached it), a median in seconds (the text «час и больше» at HOUR; None: no answer with a time)."""
    out: list[list[object]] = []
    for pack in stops:
        for n, row in enumerate(pack.rows, start=1):
            number = "" if row.name == REVIEW else n
            median_cell: object = None
            if row.median is not None:
                median_cell = duration(row.median) if row.median >= HOUR else row.median
            share = round(float(row.loss), 4) if row.loss is not None else None
            out.append([pack.title, number, row.label, row.reached, row.stopped, share, median_cell,
                        row.timed if row.name != REVIEW else None])
    return out


def sheet_caption(stops: list[PackStops], period: str) -> str:
    started = "; ".join(f"{p.title}: начали {p.started}, отправили {p.submitted}"
                        + (f", у {count(p.unknown, 'черновика', 'черновиков', 'черновиков')} экран не записан (начаты до учёта экранов)"
                           if p.unknown else "")
                        for p in stops)
    return (f"Где останавливаются, период {period} ({started}). «Дошли» — ответили на вопрос (пропуск — тоже ответ) или "
            "он был последним показанным экраном; «Остановились» — незаконченные анкеты, чей последний показанный экран — "
            "этот вопрос (экран с несколькими вопросами — «как в прошлом году» или перечень «да/нет» — считается за его "
            "первый вопрос); пока кампания идёт, среди них есть те, кто ещё отвечает. Время — от показа экрана до "
            "ответа, у первого вопроса экрана; время дольше часа считается за час.")
