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

from storage.wording import count
from surveys import engine, types
from surveys.model import QuestionType
from surveys.questionnaire import CarryView, Kind, QuestionView, ReviewView, View, lowered
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
CARRY_KEEP = "Без изменений ✔"
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


def left_line(left: int) -> str:
    """How many question screens are ahead, this one included: a count that only goes down as the person answers."""
    return "последний вопрос" if left <= 1 else f"осталось {count(left, 'вопрос', 'вопроса', 'вопросов')}"


def numbered(n: int, label: str, mark: str = "") -> str:
    """A choice's button: its number (what a typed answer may name) and its label."""
    return short(f"{mark}{n}. {label}")


def _answer_lines(question: Any, value: Any) -> list[Rich]:
    """An answer under its question, one item a line (a skipped one in italics)."""
    return [plain("   — ") + (italic(line) if value is None else bold(line)) for line in engine.format_lines(question, value)]


def _heading(view: Any) -> list[Rich | str]:
    parts: list[Rich | str] = []
    if view.warning:
        parts += [f"⚠️ {view.warning}", ""]
    if view.notice:
        parts += [f"ℹ️ {view.notice}", ""]
    return parts


def _last_year(question: Any, value: Any, period: str | None, multiple: bool, empty: str = "ничего не отмечено") -> list[Rich | str]:
    """Last period's answer offered again: said to be last year's, a preselected choice one item a line."""
    if not multiple:
        return [f"В прошлом году ({period}): " + bold(engine.format_value(question, value))]
    if not value:
        return [f"В прошлом году ({period}): {empty}."]
    return [f"Отмечено в прошлом году ({period}):", *_answer_lines(question, value)]


def question_screen(view: QuestionView) -> Screen:
    q = view.question
    parts = _heading(view)
    parts.append(italic(view.survey_title) + f" · {left_line(view.left)}")
    parts += ["", bold(q.label)]
    if q.hint:
        parts.append(italic(q.hint))
    spec = TYPES[q.type]
    checklist = view.checklist
    spec_prompt_said = False  # last year's ticks already said what to do
    if view.has_current:
        if q.type == QuestionType.MULTIPLE and isinstance(view.current, list) and view.current:
            parts += ["", "Сейчас ответ:", *_answer_lines(q, view.current)]
        else:
            parts += ["", "Сейчас ответ: " + bold(engine.format_value(q, view.current))]
    elif view.has_previous:
        multiple = spec.widget == types.MULTIPLE
        parts += ["", *_last_year(q, view.previous, view.previous_period, multiple,
                                  checklist.none.lower() if checklist else "ничего не отмечено")]
        if multiple and view.previous:
            parts.append(italic("Отметки прошлого года уже стоят: измените их, если нужно, и нажмите «Готово»."))
            spec_prompt_said = True
    follow = view.inline
    if follow is not None:
        multiple = follow.type == QuestionType.MULTIPLE
        parts += ["", italic(f"Если да — {lowered(follow.label)}")]
        if view.inline_previous is not None:
            parts += _last_year(follow, view.inline_previous, view.previous_period, multiple)
        if multiple and view.inline_previous:
            parts.append(italic("Отметки прошлого года уже стоят: измените их, если нужно, и нажмите «Да ✔»."))
        elif multiple:
            parts.append(italic("Отметьте нужное и нажмите «Да ✔»." if follow.required else
                                "Если есть, отметьте и нажмите «Да ✔»; если нет — сразу «Да ✔»."))
    elif checklist is not None and not spec_prompt_said:
        parts += ["", f"Отметьте всё, что относится, и нажмите «Готово»; если ничего — «{checklist.none}». "
                      "Можно написать номера сообщением: 1 3."]
    elif spec.prompt and not spec_prompt_said:
        parts += ["", spec.prompt]

    r, i = view.response_id, view.index
    no = (q.no_label or NO) if follow is not None else NO
    rows: list[tuple[Button, ...]] = []
    if follow is not None and follow.type == QuestionType.SINGLE:
        rows += [(Button(numbered(n, f"Да: {c.label}"), QuestionAction(r, i, Kind.FOLLOW, n - 1)),)
                 for n, c in enumerate(follow.choices, start=1)]
        rows.append((Button(no, QuestionAction(r, i, Kind.PICK, 1)),))
    elif follow is not None:
        rows += _toggles(view, follow)
        rows.append((Button(no, QuestionAction(r, i, Kind.PICK, 1)), Button(YES_DONE, QuestionAction(r, i, Kind.FOLLOW_DONE, 0, view.mask))))
    elif spec.widget == types.YESNO:
        rows.append((Button(YES, QuestionAction(r, i, Kind.PICK, 0)), Button(NO, QuestionAction(r, i, Kind.PICK, 1))))
    elif spec.widget == types.SINGLE:
        rows += [(Button(numbered(n, c.label), QuestionAction(r, i, Kind.PICK, n - 1)),) for n, c in enumerate(q.choices, start=1)]
    elif spec.widget == types.MULTIPLE:
        rows += _toggles(view, q)
        rows.append((Button(DONE, QuestionAction(r, i, Kind.DONE, 0, view.mask)),))
        if checklist is not None:  # «none of them» and «all of them» in one press
            shortcuts = [Button(short(checklist.none), QuestionAction(r, i, Kind.DONE, 0, 0))]
            if checklist.every:
                shortcuts.append(Button(short(checklist.every), QuestionAction(r, i, Kind.DONE, 0, (1 << len(q.choices)) - 1)))
            rows.append(tuple(shortcuts))
    nav = []
    if view.can_back:
        nav.append(Button(BACK, QuestionAction(r, i, Kind.BACK)))
    if not q.required and checklist is None:
        nav.append(Button(SKIP, QuestionAction(r, i, Kind.SKIP)))
    if view.has_current:
        nav.append(Button(KEEP, QuestionAction(r, i, Kind.KEEP)))
    if nav:
        rows.append(tuple(nav))
    return Screen(lines(*parts), tuple(rows))


def _toggles(view: QuestionView, question: Any) -> list[tuple[Button, ...]]:
    return [(Button(numbered(n, choice.label, CHECKED if view.mask >> (n - 1) & 1 else UNCHECKED),
                    QuestionAction(view.response_id, view.index, Kind.TOGGLE, n - 1, view.mask)),)
            for n, choice in enumerate(question.choices, start=1)]


def _listed(items: Iterable[Any]) -> list[Rich | str]:
    """Numbered questions, each answer under its question one item a line."""
    out: list[Rich | str] = []
    for n, item in enumerate(items, start=1):
        skipped = item.text == engine.SKIPPED
        styled = [plain("   — ") + (italic(line) if skipped else bold(line)) for line in (item.lines or (item.text,))]
        out.append(join([f"{n}. {item.question.label}", *styled], "\n"))
    return out


def _edits(items: Iterable[Any], action: Any) -> list[tuple[Button, ...]]:
    buttons = [Button(f"✏️ {n}", action(item.index)) for n, item in enumerate(items, start=1)]
    return [tuple(buttons[k:k + 6]) for k in range(0, len(buttons), 6)]


def review_screen(view: ReviewView) -> Screen:
    deadline = local_time(view.deadline, view.timezone)
    parts = _heading(view)
    if view.submitted:
        parts += [bold(view.survey_title) + ": анкета отправлена ✅", f"Изменить ответы можно до {deadline}."]
    else:
        parts.append(bold(view.survey_title) + ": проверьте ответы.")
    parts.append("")
    parts += _listed(view.items)
    if view.asks and not view.submitted:
        parts.append("")
        parts += [f"✍️ {q.label.rstrip('.')}: если нужно, напишите сообщением до отправки." for q in view.asks]
    parts += ["", "Чтобы изменить ответ, нажмите его номер." if view.submitted else
              "Если всё верно, нажмите «Отправить». Чтобы исправить ответ, нажмите его номер."]
    rows = _edits(view.items, lambda index: ReviewAction(view.response_id, Kind.EDIT, index))
    if not view.submitted:
        rows.append((Button(BACK, ReviewAction(view.response_id, Kind.BACK)), Button(SUBMIT, ReviewAction(view.response_id, Kind.SUBMIT))))
    return Screen(lines(*parts), tuple(rows), SUBMITTED_NOTICE if view.just_submitted else None)


def carry_screen(view: CarryView) -> Screen:
    parts = _heading(view)
    parts += [italic(view.survey_title) + f" · {left_line(view.left)}", "", bold(f"Как в прошлом году ({view.period}):")]
    parts += _listed(view.items)
    parts += ["", "Если всё так и осталось, нажмите «Без изменений»: эти ответы сохранятся за этот год, "
                  "и останутся только вопросы об этом учебном годе. Если один из ответов изменился, нажмите его номер: "
                  "остальные сохранятся, а этот вы ответите заново."]
    r, first = view.response_id, view.items[0].index
    rows = [(Button(CARRY_KEEP, QuestionAction(r, first, Kind.CARRY)),)]
    rows += _edits(view.items, lambda index: QuestionAction(r, first, Kind.CARRY_CHANGE, index))
    return Screen(lines(*parts), tuple(rows))


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
