"""Screens: what a person is shown, in no messenger's terms.

A `Screen` is rich text (runs of plain, bold and italic text), rows of buttons that carry
typed actions (ids only, never labels), and an optional notice. The questionnaire's views
become screens here; each channel has one renderer that turns a screen into its own markup
and keyboard (bot.render for Telegram's HTML and callback data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from surveys import engine, types
from surveys.model import QuestionType
from surveys.questionnaire import CarryView, Kind, QuestionView, ReviewView, View
from surveys.types import TYPES

# --- the neutral model ---------------------------------------------------------------------

PLAIN, BOLD, ITALIC = "", "b", "i"


@dataclass(frozen=True, slots=True)
class Rich:
    """Text as runs of (style, text); styles are PLAIN, BOLD and ITALIC. Renderers escape the text."""

    runs: tuple[tuple[str, str], ...] = ()

    def __add__(self, other: Rich | str) -> Rich:
        other = other if isinstance(other, Rich) else plain(other)
        return Rich(self.runs + other.runs)

    def __radd__(self, other: str) -> Rich:
        return plain(other) + self

    @property
    def plain_text(self) -> str:
        return "".join(text for _, text in self.runs)


def plain(text: str) -> Rich:
    return Rich(((PLAIN, text),))


def bold(text: str) -> Rich:
    return Rich(((BOLD, text),))


def italic(text: str) -> Rich:
    return Rich(((ITALIC, text),))


def lines(*parts: Rich | str) -> Rich:
    return join(parts, "\n")


def join(parts: Iterable[Rich | str], between: str) -> Rich:
    """Rich and plain parts joined with `between` (plain text)."""
    out = Rich()
    for n, part in enumerate(parts):
        out = out + (between if n else "") + part
    return out


@dataclass(frozen=True, slots=True)
class QuestionAction:
    """A button under a question: which response, which question, what it does."""

    response: int
    index: int
    kind: Kind
    choice: int = 0
    mask: int = 0


@dataclass(frozen=True, slots=True)
class ReviewAction:
    response: int
    kind: Kind  # EDIT, SUBMIT or BACK
    index: int = 0


@dataclass(frozen=True, slots=True)
class OpenSurveyAction:
    campaign: int


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: Any


@dataclass(frozen=True, slots=True)
class Screen:
    text: Rich
    buttons: tuple[tuple[Button, ...], ...] = ()
    notice: str | None = None  # a short note for the person (a callback toast, or a line above)


# --- texts ---------------------------------------------------------------------------------

BUTTON_LABEL_MAX = 60
YES, NO, DONE, BACK, SKIP, KEEP, SUBMIT = "Да", "Нет", "Готово ✔", "← Назад", "Пропустить", "Оставить как есть", "Отправить ✅"
CHECKED, UNCHECKED = "☑ ", "☐ "
CARRY_KEEP, CARRY_EDIT = "Без изменений ✔", "Изменить"
YES_DONE = "Да ✔"
SUBMITTED_NOTICE = "Спасибо! Анкета отправлена ✅"
NO_CAMPAIGNS = "Сейчас открытых анкет для вас нет. Бот напишет, когда появится новая."
CAMPAIGN_LINE = {
    "new": "• {title} — не начата, срок до {deadline}",
    "draft": "• {title} — начата, срок до {deadline}",
    "submitted": "• {title} — ✅ отправлена (можно изменить до {deadline})",
}
CAMPAIGN_BUTTON = {"new": "Начать: {title}", "draft": "Продолжить: {title}", "submitted": "Изменить: {title}"}


def short(label: str) -> str:
    return label if len(label) <= BUTTON_LABEL_MAX else label[: BUTTON_LABEL_MAX - 1] + "…"


def local_time(moment: dt.datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%d.%m.%Y %H:%M")


# --- the questionnaire ---------------------------------------------------------------------


def question_screen(view: QuestionView) -> Screen:
    q = view.question
    parts: list[Rich | str] = []
    if view.notice:
        parts += [f"ℹ️ {view.notice}", ""]
    parts.append(italic(view.survey_title) + f" · Вопрос {view.position} из {view.total}")
    parts += ["", bold(q.label)]
    if q.hint:
        parts.append(italic(q.hint))
    spec = TYPES[q.type]
    if view.has_current:
        parts += ["", "Сейчас ответ: " + bold(engine.format_value(q, view.current))]
    elif view.has_previous:
        parts += ["", f"В прошлом году ({view.previous_period}): " + bold(engine.format_value(q, view.previous))]
        if spec.widget == types.MULTIPLE:
            parts.append(italic("Отмечено, как в прошлом году: измените, если нужно, и нажмите «Готово»."))
    follow = view.inline
    if follow is not None:
        multiple = follow.type == QuestionType.MULTIPLE
        parts += ["", italic(f"Если да — {follow.label}")]
        if view.inline_previous is not None:
            parts.append(f"В прошлом году ({view.previous_period}): " + bold(engine.format_value(follow, view.inline_previous)))
        if multiple:
            parts.append(italic("Отметьте нужное и нажмите «Да ✔»." if follow.required else
                                "Если есть, отметьте и нажмите «Да ✔»; если нет — сразу «Да ✔»."))
    elif spec.prompt:
        parts += ["", spec.prompt]

    r, i = view.response_id, view.index
    rows: list[tuple[Button, ...]] = []
    if follow is not None and follow.type == QuestionType.SINGLE:
        rows += [(Button(short(f"Да: {c.label}"), QuestionAction(r, i, Kind.FOLLOW, n)),) for n, c in enumerate(follow.choices)]
        rows.append((Button(NO, QuestionAction(r, i, Kind.PICK, 1)),))
    elif follow is not None:
        for n, choice in enumerate(follow.choices):
            mark = CHECKED if view.mask >> n & 1 else UNCHECKED
            rows.append((Button(short(mark + choice.label), QuestionAction(r, i, Kind.TOGGLE, n, view.mask)),))
        rows.append((Button(NO, QuestionAction(r, i, Kind.PICK, 1)), Button(YES_DONE, QuestionAction(r, i, Kind.FOLLOW_DONE, 0, view.mask))))
    elif spec.widget == types.YESNO:
        rows.append((Button(YES, QuestionAction(r, i, Kind.PICK, 0)), Button(NO, QuestionAction(r, i, Kind.PICK, 1))))
    elif spec.widget == types.SINGLE:
        rows += [(Button(short(c.label), QuestionAction(r, i, Kind.PICK, n)),) for n, c in enumerate(q.choices)]
    elif spec.widget == types.MULTIPLE:
        for n, choice in enumerate(q.choices):
            mark = CHECKED if view.mask >> n & 1 else UNCHECKED
            rows.append((Button(short(mark + choice.label), QuestionAction(r, i, Kind.TOGGLE, n, view.mask)),))
        rows.append((Button(DONE, QuestionAction(r, i, Kind.DONE, 0, view.mask)),))
    nav = []
    if view.can_back:
        nav.append(Button(BACK, QuestionAction(r, i, Kind.BACK)))
    if not q.required:
        nav.append(Button(SKIP, QuestionAction(r, i, Kind.SKIP)))
    if view.has_current:
        nav.append(Button(KEEP, QuestionAction(r, i, Kind.KEEP)))
    if nav:
        rows.append(tuple(nav))
    return Screen(lines(*parts), tuple(rows))


def review_screen(view: ReviewView) -> Screen:
    deadline = local_time(view.deadline, view.timezone)
    parts: list[Rich | str] = []
    if view.notice:
        parts += [f"ℹ️ {view.notice}", ""]
    if view.submitted:
        parts += [bold(view.survey_title) + ": анкета отправлена ✅", f"Изменить ответы можно до {deadline}."]
    else:
        parts.append(bold(view.survey_title) + ": проверьте ответы.")
    parts.append("")
    for n, item in enumerate(view.items, start=1):
        parts.append(f"{n}. {item.question.label}\n   — " + bold(item.text))
    parts += ["", "Чтобы изменить ответ, нажмите его номер." if view.submitted else
              "Если всё верно, нажмите «Отправить». Чтобы исправить ответ, нажмите его номер."]
    edits = [Button(f"✏️ {n}", ReviewAction(view.response_id, Kind.EDIT, item.index)) for n, item in enumerate(view.items, start=1)]
    rows = [tuple(edits[k:k + 6]) for k in range(0, len(edits), 6)]
    if not view.submitted:
        rows.append((Button(BACK, ReviewAction(view.response_id, Kind.BACK)), Button(SUBMIT, ReviewAction(view.response_id, Kind.SUBMIT))))
    return Screen(lines(*parts), tuple(rows), SUBMITTED_NOTICE if view.just_submitted else None)


def carry_screen(view: CarryView) -> Screen:
    parts: list[Rich | str] = []
    if view.notice:
        parts += [f"ℹ️ {view.notice}", ""]
    parts += [italic(view.survey_title), "", bold(f"Как в прошлом году ({view.period}):")]
    parts += [f"• {item.question.label}\n   — " + bold(item.text) for item in view.items]
    parts += ["", "Если всё так и осталось, нажмите «Без изменений»: эти ответы сохранятся за этот год, "
                  "и останутся только вопросы об этом учебном годе. Если что-то изменилось — «Изменить»."]
    first = view.items[0].index
    return Screen(lines(*parts), ((Button(CARRY_KEEP, QuestionAction(view.response_id, first, Kind.CARRY)),
                                   Button(CARRY_EDIT, QuestionAction(view.response_id, first, Kind.CARRY_EDIT))),))


def screen_of(view: View) -> Screen:
    if isinstance(view, QuestionView):
        return question_screen(view)
    if isinstance(view, CarryView):
        return carry_screen(view)
    return review_screen(view)


def campaigns_screen(entries: list[Any], timezone: str) -> Screen:
    """The person's open questionnaires, each with a button to start, continue or change it."""
    if not entries:
        return Screen(plain(NO_CAMPAIGNS))
    parts: list[Rich | str] = ["Ваши анкеты:"]
    rows = []
    for entry in entries:
        deadline = local_time(entry.campaign.deadline, timezone)
        parts.append(CAMPAIGN_LINE[entry.status].format(title=entry.title, deadline=deadline))
        rows.append((Button(short(CAMPAIGN_BUTTON[entry.status].format(title=entry.title)), OpenSurveyAction(entry.campaign.id)),))
    return Screen(lines(*parts), tuple(rows))
