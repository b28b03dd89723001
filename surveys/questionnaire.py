"""The questionnaire as pure use cases over one response's state: no database, no messenger.

A caller holds a `ResponseState` (loaded by surveys.store, or cached), applies one user
`Action` with `apply`, persists the returned `Change` as one guarded write and shows the
returned view. Anything the user may not do raises `Refused` (a stale button, a closed
campaign) or `BadInput` (what they typed does not fit); nothing is changed then.

A multiple-choice question carries its selection in its buttons (`mask`): each copy of the
question acts on what it shows, and nothing is stored until «Готово».

A person who answered the same pack in an earlier period starts from those answers: the
questions the pack declares `carry_over: fact` are offered together as «как в прошлом году»,
each on its own numbered line (one tap keeps them all, stored as answers of this period; the
number of one of them keeps the others and asks just that one), and every question with a
carry-over shows last period's answer (a multiple choice comes preselected with it, said to be
last year's, and what is kept is said when it is stored).

Consecutive yes/no questions of a checklist are offered on one screen, as a multiple choice
whose «Готово» stores each of them as «да» or «нет». An optional typed question marked
`on_review` is answered on the review screen by typing it there.

What a person types instead of pressing a button is read as the button it names (surveys.reading:
«да», «нет», an option's number or words); what cannot be read leaves everything as it was and
shows the screen again under one line saying why.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from storage.models import CampaignState, campaign_state
from storage.wording import count
from surveys import engine, reading
from surveys.engine import AnswerError
from surveys.errors import BadInput, DomainError, Refused
from surveys.model import Checklist, Question, QuestionType, Survey

DRAFT = "draft"
SUBMITTED = "submitted"
STALE_QUESTION = "Этот вопрос уже неактуален. Текущий вопрос — ниже; если его не видно, нажмите /surveys."
MAX_CHOICES = 40  # a selection is a bit mask of at most this many choices


@dataclass(frozen=True, slots=True)
class CampaignWindow:
    """What a response needs to know of its campaign."""

    id: int
    title: str
    period: str
    audience: str
    opens_at: dt.datetime
    deadline: dt.datetime
    closed_at: dt.datetime | None
    timezone: str

    def state(self, now: dt.datetime) -> CampaignState:
        return campaign_state(self.closed_at, self.opens_at, self.deadline, now)

    def accepting(self, now: dt.datetime) -> bool:
        return self.state(now) is CampaignState.OPEN


NOT_ACCEPTING = {CampaignState.NOT_YET: "Эта анкета ещё не открыта.", CampaignState.OVER: "Приём ответов по этой анкете завершён.",
                 CampaignState.CLOSED: "Приём ответов по этой анкете завершён."}


@dataclass(frozen=True, slots=True)
class ResponseState:
    id: int
    version: int  # bumped by every write: a cached state is used only while it matches the database
    subject: str
    status: str
    cursor: str | None  # the question on screen after Back or Edit; None: the next unanswered one
    answers: Mapping[str, Any]
    campaign: CampaignWindow
    survey: Survey
    facts: Mapping[str, Any] = field(default_factory=dict)
    previous: Mapping[str, Any] = field(default_factory=dict)  # the same person's answers in the last earlier period
    previous_period: str | None = None
    today: dt.date | None = None  # the respondent's local date at the last action, for `today()` in constraints

    @property
    def submitted(self) -> bool:
        return self.status == SUBMITTED


class Kind(StrEnum):
    SHOW = "show"
    PICK = "pick"  # a yes/no or single-choice button
    TOGGLE = "toggle"  # flip one option of a multiple choice (nothing stored)
    DONE = "done"  # store the multiple choice shown
    SKIP = "skip"
    KEEP = "keep"  # leave the current answer and go on
    BACK = "back"
    EDIT = "edit"  # from the review: go to one question
    SUBMIT = "submit"
    TEXT = "text"
    FILE = "file"
    FOLLOW = "follow"  # «да» with a choice of the inline follow-up (single choice)
    FOLLOW_DONE = "follow_done"  # «да» with the inline follow-up's selection shown (multiple choice)
    CARRY = "carry"  # keep every fact offered as «как в прошлом году»
    CARRY_EDIT = "carry_edit"  # go through them one by one instead (the buttons of screens shown before 2026.12)
    CARRY_CHANGE = "carry_change"  # keep the others and ask this one (choice: the question's index)


@dataclass(frozen=True, slots=True)
class Action:
    kind: Kind
    index: int | None = None  # the question the button belongs to (None: the review screen)
    choice: int = 0
    mask: int = 0  # a multiple choice's selection as shown on the pressed copy
    text: str = ""  # typed input
    file: tuple[str, str] | None = None  # (file id, file name)


@dataclass(frozen=True, slots=True)
class Change:
    """What to write: answers to upsert and delete, the response's cursor and status."""

    upsert: tuple[tuple[str, Any], ...] = ()
    delete: tuple[str, ...] = ()
    cursor: str | None = None
    status: str | None = None
    submitted_at: dt.datetime | None = None
    timed: bool = True  # the first upsert is the question of the screen acted on: the screen's time goes with it


@dataclass(frozen=True, slots=True)
class QuestionView:
    response_id: int
    campaign_id: int
    survey_title: str
    question: Question  # for a checklist, the multiple choice it is shown as (Survey.checklist_question)
    index: int
    left: int  # question screens still ahead, this one included (engine.screens_left)
    current: Any = None
    has_current: bool = False
    mask: int = 0
    can_back: bool = False
    notice: str | None = None
    previous: Any = None  # last period's answer, when the question carries over and is not answered yet
    has_previous: bool = False
    previous_period: str | None = None
    inline: Question | None = None  # the follow-up offered on this yes/no question's screen (mask is its selection)
    inline_previous: Any = None  # last period's answer to it
    checklist: Checklist | None = None  # the question is a checklist of yes/no questions shown as one multiple choice
    warning: str | None = None  # why what was typed could not be read (nothing was changed)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    index: int
    question: Question
    text: str  # the answer on one line (engine.format_value)
    lines: tuple[str, ...] = ()  # the answer as a screen lists it, one item a line (engine.format_lines)


def _item(survey: Survey, question: Question, value: Any) -> ReviewItem:
    return ReviewItem(survey.index(question.name), question, engine.format_value(question, value),
                      tuple(engine.format_lines(question, value)))


@dataclass(frozen=True, slots=True)
class CarryView:
    """The facts of the previous period, offered at once: «Без изменений», or the number of the one that changed."""

    response_id: int
    campaign_id: int
    survey_title: str
    period: str  # the period they come from
    items: tuple[ReviewItem, ...]
    left: int = 1  # question screens ahead, this one included
    notice: str | None = None
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewView:
    response_id: int
    campaign_id: int
    survey_title: str
    items: tuple[ReviewItem, ...]
    submitted: bool
    deadline: dt.datetime
    timezone: str
    notice: str | None = None
    just_submitted: bool = False
    asks: tuple[Question, ...] = ()  # optional questions answered here by typing, not answered yet
    warning: str | None = None


View = QuestionView | CarryView | ReviewView


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one action: the state after it, what to write (None: nothing), what to show."""

    state: ResponseState
    change: Change | None
    view: View


# --- reading the state ---------------------------------------------------------------------


def current(state: ResponseState) -> Question | None:
    """The question on screen: the cursor's (after Back or Edit), else the next unanswered one; None: the review."""
    survey, answers, facts = state.survey, state.answers, state.facts
    if state.cursor and survey.has_question(state.cursor):
        question = survey.question(state.cursor)
        if engine.is_relevant(question, answers, facts):
            return question
    return engine.next_question(survey, answers, facts)


def mask_of(question: Question, selected: Any) -> int:
    if not isinstance(selected, (list, tuple)):
        return 0
    names = set(selected)
    return sum(1 << n for n, choice in enumerate(question.choices) if choice.name in names)


def selection_of(question: Question, mask: int) -> list[str]:
    return [choice.name for n, choice in enumerate(question.choices) if mask >> n & 1]


def carried(state: ResponseState) -> list[tuple[Question, Any]]:
    """The facts of the previous period that would carry over now, in order: each still unanswered, a
    valid answer under this version of the pack, and relevant given the answers and facts before it."""
    if not state.previous:
        return []
    survey, facts = state.survey, state.facts
    answers = dict(state.answers)
    out = []
    for question in survey.questions:
        value = state.previous.get(question.name)
        if question.carry_over != "fact" or question.name in answers or value is None:
            continue
        if not engine.is_relevant(question, answers, facts):
            continue
        try:
            engine.check_value(question, value, answers, facts, state.today)
        except AnswerError:
            continue  # a choice this version no longer has: the question is asked
        answers = engine.apply_answer(survey, answers, question.name, value, facts).answers
        out.append((question, value))
    return out


def _offers_carry(state: ResponseState) -> list[tuple[Question, Any]]:
    """The carried facts to offer now: only before any of them is answered, on a draft, not after «Изменить»."""
    if state.submitted or state.cursor is not None or not state.previous:
        return []
    if any(q.carry_over == "fact" and q.name in state.answers for q in state.survey.questions):
        return []
    return carried(state)


def _checklist_shown(state: ResponseState, question: Question) -> str | None:
    """The checklist shown for this question: it opens one, and none of the checklist is answered yet."""
    survey = state.survey
    name = survey.checklist_head(question.name)
    if name is None or any(m.name in state.answers for m in survey.members(name)):
        return None
    return name


def _previous_ticks(state: ResponseState, checklist: str) -> list[str] | None:
    """A checklist's questions answered «да» last period (None: none of them carries over or has an answer then)."""
    members = state.survey.members(checklist)
    if not any(m.carry_over and state.previous.get(m.name) is not None for m in members):
        return None
    return [m.name for m in members if m.carry_over and state.previous.get(m.name) == "yes"]


def view(state: ResponseState, *, notice: str | None = None, mask: int | None = None, just_submitted: bool = False,
         warning: str | None = None) -> View:
    survey, answers, facts = state.survey, state.answers, state.facts
    offered = _offers_carry(state)
    if offered:
        items = tuple(_item(survey, q, value) for q, value in offered)
        kept = dict(answers)
        for q, value in offered:
            kept = engine.apply_answer(survey, kept, q.name, value, facts).answers
        return CarryView(state.id, state.campaign.id, survey.title, state.previous_period or "", items,
                         1 + engine.screens_left(survey, kept, facts), notice, warning)
    question = current(state)
    if question is None:
        visible = engine.visible_questions(survey, answers, facts)
        items = tuple(_item(survey, q, answers.get(q.name)) for q in visible if q.name in answers or not q.on_review)
        asks = tuple(q for q in visible if q.on_review and q.name not in answers)
        return ReviewView(state.id, state.campaign.id, survey.title, items, state.submitted, state.campaign.deadline,
                          state.campaign.timezone, notice, just_submitted, asks, warning)
    has_current = question.name in answers
    left = engine.screens_left(survey, answers, facts) + (1 if has_current else 0)
    index = survey.index(question.name)
    can_back = engine.previous_question(survey, answers, question.name, facts) is not None
    checklist = _checklist_shown(state, question)
    if checklist is not None:
        shown = survey.checklist_question(checklist)
        ticks = _previous_ticks(state, checklist)
        if mask is None:
            mask = mask_of(shown, ticks) if ticks is not None else 0
        return QuestionView(
            response_id=state.id, campaign_id=state.campaign.id, survey_title=survey.title, question=shown, index=index,
            left=left, mask=mask, can_back=can_back, notice=notice, previous=ticks, has_previous=ticks is not None,
            previous_period=state.previous_period if ticks is not None else None, checklist=survey.checklists[checklist],
            warning=warning)
    value = answers.get(question.name)
    has_previous = not has_current and question.carry_over is not None and state.previous.get(question.name) is not None
    previous = state.previous.get(question.name) if has_previous else None
    inline = survey.inline_follow_up(question.name)
    inline_previous = None
    if inline is not None:
        inline_previous = state.previous.get(inline.name) if inline.carry_over and inline.name not in answers else None
    if mask is None:
        mask = 0
        if question.type == QuestionType.MULTIPLE:
            mask = _valid_or_zero(question, mask_of(question, previous if has_previous else value))
        elif inline is not None and inline.type == QuestionType.MULTIPLE:
            shown_selection = answers[inline.name] if inline.name in answers else inline_previous
            mask = _valid_or_zero(inline, mask_of(inline, shown_selection))
    return QuestionView(
        response_id=state.id,
        campaign_id=state.campaign.id,
        survey_title=survey.title,
        question=question,
        index=index,
        left=left,
        current=value,
        has_current=has_current,
        mask=mask,
        can_back=can_back,
        notice=notice,
        previous=previous,
        has_previous=has_previous,
        previous_period=state.previous_period if has_previous or inline_previous is not None else None,
        inline=inline,
        inline_previous=inline_previous,
        warning=warning,
    )


def _valid_or_zero(question: Question, mask: int) -> int:
    return mask if 0 <= mask < 1 << len(question.choices) else 0


# --- acting on it --------------------------------------------------------------------------


def apply(state: ResponseState, action: Action, now: dt.datetime) -> Step:
    """One user action on the response; raises Refused or BadInput and changes nothing then."""
    window = state.campaign.state(now)
    if window is not CampaignState.OPEN:
        raise Refused(NOT_ACCEPTING[window])
    today = now.astimezone(ZoneInfo(state.campaign.timezone)).date()
    if state.today != today:
        state = replace(state, today=today)
    kind = action.kind
    if kind == Kind.SHOW:
        return Step(state, None, view(state))
    if kind in (Kind.TEXT, Kind.FILE):
        return _typed(state, action, now)
    return _act(state, action, now)


def _act(state: ResponseState, action: Action, now: dt.datetime) -> Step:
    """A button's action (a typed answer is read into one)."""
    kind = action.kind
    if kind in (Kind.EDIT, Kind.SUBMIT) or (kind == Kind.BACK and action.index is None):
        return _review_action(state, action, now)
    if kind in (Kind.CARRY, Kind.CARRY_EDIT, Kind.CARRY_CHANGE):
        return _carry_action(state, action, now)
    question = _pressed(state, action.index)
    checklist = _checklist_shown(state, question)
    if kind == Kind.PICK:
        if question.type == QuestionType.YESNO and action.choice in (0, 1):
            value: Any = ("yes", "no")[action.choice]
        elif question.type == QuestionType.SINGLE and 0 <= action.choice < len(question.choices):
            value = question.choices[action.choice].name
        else:
            raise Refused("Этот вариант неактуален.")
        return _answer(state, question, value, now)
    if kind == Kind.TOGGLE:
        if checklist is not None:
            target: Question | None = state.survey.checklist_question(checklist)
        elif question.type == QuestionType.MULTIPLE:
            target = question
        else:
            target = state.survey.inline_follow_up(question.name)
        if target is None or target.type != QuestionType.MULTIPLE or not 0 <= action.choice < len(target.choices):
            raise Refused("Этот вариант неактуален.")
        return Step(state, None, view(state, mask=_valid_mask(target, action.mask) ^ (1 << action.choice)))
    if kind in (Kind.FOLLOW, Kind.FOLLOW_DONE):
        return _follow(state, question, action, now)
    if kind == Kind.DONE:
        if checklist is not None:
            return _answer_checklist(state, checklist, action.mask, now)
        if question.type != QuestionType.MULTIPLE:
            raise Refused("Этот вопрос уже неактуален.")
        return _answer(state, question, selection_of(question, _valid_mask(question, action.mask)), now)
    if kind == Kind.SKIP:
        try:
            change = engine.skip(state.survey, state.answers, question, state.facts)
        except AnswerError as exc:
            raise Refused(str(exc)) from None
        return _record(state, question, None, change, now)
    if kind == Kind.KEEP:
        if question.name not in state.answers:
            raise Refused("На этот вопрос ещё нет ответа.")
        moved = replace(state, cursor=None)
        return Step(moved, Change(cursor=None), view(moved))
    if kind == Kind.BACK:
        previous = engine.previous_question(state.survey, state.answers, question.name, state.facts)
        if previous is None:
            raise Refused("Это первый вопрос.")
        moved = replace(state, cursor=previous.name)
        return Step(moved, Change(cursor=previous.name), view(moved))
    raise Refused("Такого действия нет.")


def _preselected(state: ResponseState, question: Question) -> bool:
    """The question came up with last period's answer already marked (a multiple choice not answered this period)."""
    return question.name not in state.answers and bool(question.carry_over) and state.previous.get(question.name) is not None


def lowered(label: str) -> str:
    """A label inside a sentence: its first letter small, unless the first word is an abbreviation («ИОМ»)."""
    first = label.split(" ", 1)[0]
    return label if len(first) > 1 and first[1:2].isupper() else label[:1].lower() + label[1:]


def _kept(label: str, items: list[str], empty: str = "ничего не отмечено", lead: str = "Сохранено") -> str:
    """What a preselected choice (or a typed one) stored, one item a line: nothing of last year's is kept unsaid."""
    return "\n".join([f"{lead} — {lowered(label).rstrip('?:. ')}:", *(f"— {item}" for item in items or [lowered(empty)])])


def _follow(state: ResponseState, question: Question, action: Action, now: dt.datetime) -> Step:
    """«Да» to a yes/no question and the answer to its inline follow-up, pressed on one screen."""
    follow = state.survey.inline_follow_up(question.name)
    single = action.kind == Kind.FOLLOW
    wanted = QuestionType.SINGLE if single else QuestionType.MULTIPLE
    if follow is None or follow.type != wanted or (single and not 0 <= action.choice < len(follow.choices)):
        raise Refused("Этот вариант неактуален.")
    value: Any
    if single:
        value = follow.choices[action.choice].name
    else:
        value = selection_of(follow, _valid_mask(follow, action.mask))
        if not value:
            if follow.required:
                raise Refused("Отметьте хотя бы один вариант или нажмите «Нет».", alert=True)
            value = None  # «да», and nothing to add: the optional follow-up is skipped
    survey, facts = state.survey, state.facts
    try:
        engine.check_value(question, "yes", state.answers, facts, state.today)
        first = engine.apply_answer(survey, state.answers, question.name, "yes", facts)
        if value is not None:
            engine.check_value(follow, value, first.answers, facts, state.today)
    except AnswerError as exc:
        raise Refused(str(exc)) from None
    second = engine.apply_answer(survey, first.answers, follow.name, value, facts)
    dropped = tuple(n for n in (*first.dropped, *second.dropped) if n not in second.answers)
    kept = None
    if not single and _preselected(state, follow):
        kept = _kept(follow.label, [follow.choice_label(v) for v in value or []])
    return _record(state, question, "yes", engine.AnswerChange(second.answers, dropped), now,
                   also=((follow.name, value),), kept=kept)


def _answer_checklist(state: ResponseState, checklist: str, mask: int, now: dt.datetime) -> Step:
    """A checklist's «Готово»: each of its questions «да» when ticked, «нет» when not."""
    survey, facts = state.survey, state.facts
    shown = survey.checklist_question(checklist)
    ticked = set(selection_of(shown, _valid_mask(shown, mask)))
    members = survey.members(checklist)
    answers: Mapping[str, Any] = state.answers
    dropped: list[str] = []
    try:
        for member in members:
            value = "yes" if member.name in ticked else "no"
            engine.check_value(member, value, answers, facts, state.today)
            change = engine.apply_answer(survey, answers, member.name, value, facts)
            answers, dropped = change.answers, dropped + list(change.dropped)
    except AnswerError as exc:
        raise Refused(str(exc)) from None
    kept = None
    if _previous_ticks(state, checklist) is not None:
        spec = survey.checklists[checklist]
        kept = _kept(spec.label, [m.item or m.label for m in members if m.name in ticked], spec.none)
    first = members[0]
    return _record(state, first, "yes" if first.name in ticked else "no",
                   engine.AnswerChange(dict(answers), tuple(n for n in dropped if n not in answers)), now,
                   also=tuple((m.name, "yes" if m.name in ticked else "no") for m in members[1:]), kept=kept)


def _carry_action(state: ResponseState, action: Action, now: dt.datetime) -> Step:
    offered = _offers_carry(state)
    if not offered or action.index != state.survey.index(offered[0][0].name):
        raise Refused("Этот экран уже неактуален. Текущий вопрос — ниже; если его не видно, нажмите /surveys.")
    survey, screen_first = state.survey, offered[0][0].name
    if action.kind == Kind.CARRY_EDIT:  # the facts are asked one by one, from the first of them
        moved = replace(state, cursor=offered[0][0].name)
        return Step(moved, Change(cursor=moved.cursor), view(moved))
    answers: dict[str, Any] = dict(state.answers)
    dropped: list[str] = []
    for question, value in offered:  # as last year, the one to change included: what depends on it stays
        change = engine.apply_answer(survey, answers, question.name, value, state.facts)
        answers, dropped = change.answers, dropped + list(change.dropped)
    cursor = None
    if action.kind == Kind.CARRY_CHANGE:  # this one is asked (with its follow-up on its screen); the others kept
        names = {q.name for q, _ in offered}
        if not 0 <= action.choice < len(survey.questions) or survey.questions[action.choice].name not in names:
            raise Refused("Этот экран уже неактуален. Текущий вопрос — ниже; если его не видно, нажмите /surveys.")
        cursor = survey.questions[action.choice].name
        follow = survey.inline_follow_up(cursor)
        asked = {cursor, follow.name} if follow is not None else {cursor}
        offered = [(q, value) for q, value in offered if q.name not in asked]
        for name in asked:  # unanswered again; its new answer drops what no longer applies then
            answers.pop(name, None)
    new = replace(state, answers=answers, cursor=cursor)
    write = Change(upsert=tuple((q.name, value) for q, value in offered), delete=tuple(n for n in dropped if n not in answers),
                   cursor=cursor, timed=bool(offered) and offered[0][0].name == screen_first)  # the first fact changed: untimed
    kept = count(len(offered), "ответ", "ответа", "ответов")
    notice = (f"Сохранено как в прошлом году: {kept}." if cursor is None else
              f"Остальные ответы сохранены как в прошлом году ({kept}). Измените этот; если изменилось ещё что-то, "
              "исправьте это на экране проверки ответов, нажав номер ответа:") if offered else None
    return Step(new, write, view(new, notice=notice))


def _valid_mask(question: Question, mask: int) -> int:
    if not 0 <= mask < 1 << len(question.choices):
        raise Refused("Этот вариант неактуален.")
    return mask


def _pressed(state: ResponseState, index: int | None) -> Question:
    """The question a button belongs to, if it is the one on screen now; otherwise the button is stale."""
    question = current(state)
    survey = state.survey
    if question is None or index is None or not 0 <= index < len(survey.questions) or survey.questions[index].name != question.name:
        raise Refused(STALE_QUESTION)
    return question


# --- typed answers -------------------------------------------------------------------------


def _typed(state: ResponseState, action: Action, now: dt.datetime) -> Step:
    """Text or a file typed into the chat: read as the button it names, or as the answer to a typed question.
    What cannot be read changes nothing: the screen comes again under one line saying why."""
    shown = view(state)
    try:
        step = _read(state, shown, action, now)
    except DomainError as exc:
        return Step(state, None, view(state, warning=exc.message))
    return _said(state, step) if action.kind == Kind.TEXT and not isinstance(shown, CarryView) else step


def _said(state: ResponseState, step: Step) -> Step:
    """A typed choice is said as it was stored («Записано — ваша должность: Педагог-психолог, …»), one item a line:
    a word read as an option («педагог») is seen at once, not found on the review."""
    if step.change is None or isinstance(step.view, CarryView) or getattr(step.view, "just_submitted", False):
        return step
    said = []
    for name, value in step.change.upsert:
        question = state.survey.question(name)
        if question.choices:
            said.append(_kept(question.label, engine.format_lines(question, value), lead="Записано"))
    if not said:
        return step
    notice = "\n".join([*said, *([step.view.notice] if step.view.notice else [])])
    return Step(step.state, step.change, replace(step.view, notice=notice))


def _read(state: ResponseState, shown: View, action: Action, now: dt.datetime) -> Step:
    text = action.text
    if isinstance(shown, CarryView):
        return _read_carry(state, shown, action, now)
    if isinstance(shown, ReviewView):
        return _read_review(state, shown, action, now)
    question, index = shown.question, shown.index
    if action.kind == Kind.FILE:
        if shown.checklist is not None or question.type != QuestionType.FILE or action.file is None:
            raise BadInput("Сейчас файл не нужен: ответьте на вопрос текстом или кнопкой.")
        file_id, name = action.file
        return _answer(state, question, {"file_id": file_id, "file_name": (name or "документ")[:200]}, now, checked=True)
    if not reading.normal(text):
        raise BadInput("Пустой ответ: напишите ответ сообщением или нажмите кнопку.")
    if shown.checklist is not None:
        return _act(state, Action(Kind.DONE, index, mask=_read_checklist(question, shown.checklist, text)), now)
    follow = shown.inline
    if follow is not None:
        return _read_with_follow_up(state, question, follow, index, text, now)
    try:
        value = engine.parse_text(question, text)
    except AnswerError as exc:
        raise BadInput(str(exc)) from None
    return _answer(state, question, value, now, typed=True)


def _read_checklist(shown: Question, checklist: Checklist, text: str) -> int:
    low = reading.normal(text)
    everything = (1 << len(shown.choices)) - 1
    if low in reading.NONE_WORDS or (len(low) >= reading.MIN_PREFIX and reading.normal(checklist.none).startswith(low)):
        return 0
    if low in reading.ALL_WORDS or (checklist.every and len(low) >= reading.MIN_PREFIX
                                    and reading.normal(checklist.every).startswith(low)):
        return everything
    return sum(1 << n for n in reading.picks([c.label for c in shown.choices], text))


def _read_with_follow_up(state: ResponseState, question: Question, follow: Question, index: int, text: str,
                         now: dt.datetime) -> Step:
    """A yes/no question with its follow-up's buttons: «нет»; «да» alone (the follow-up is asked next); or the
    follow-up's option(s) by number or words, with or without a leading «да»."""
    answer = reading.yes_no(text, question.no_label)
    if answer is not None:
        return _answer(state, question, "yes" if answer else "no", now, typed=True)
    labels = [c.label for c in follow.choices]
    rest = reading.leading_yes(text) or text
    try:
        if follow.type == QuestionType.SINGLE:
            return _act(state, Action(Kind.FOLLOW, index, reading.pick(labels, rest)), now)
        mask = sum(1 << n for n in reading.picks(labels, rest))
    except AnswerError:
        raise BadInput(f"Не понял ответ {reading.quoted(text)}: напишите «нет», «да» или номер варианта "
                       f"(от 1 до {len(labels)}).") from None
    return _act(state, Action(Kind.FOLLOW_DONE, index, mask=mask), now)


def _read_carry(state: ResponseState, shown: CarryView, action: Action, now: dt.datetime) -> Step:
    low = reading.normal(action.text)
    first = shown.items[0].index
    if action.kind == Kind.TEXT and (reading.yes_no(low) is True or low.startswith("без изменений")):
        return _carry_action(state, Action(Kind.CARRY, first), now)
    number = int(low) if re.fullmatch(r"[0-9]{1,3}", low) else 0
    if action.kind == Kind.TEXT and 1 <= number <= len(shown.items):
        return _carry_action(state, Action(Kind.CARRY_CHANGE, first, shown.items[number - 1].index), now)
    raise BadInput(f"Напишите «да», если всё как в прошлом году, или номер ответа, который изменился "
                   f"(от 1 до {len(shown.items)}).")


def _read_review(state: ResponseState, shown: ReviewView, action: Action, now: dt.datetime) -> Step:
    if state.submitted:
        raise BadInput("Анкета уже отправлена. Чтобы изменить ответ, нажмите его номер под сводкой ответов.")
    low = reading.normal(action.text.replace("✅", ""))
    if action.kind == Kind.TEXT and low.startswith("отправ"):  # «отправить», «Отправить ✅» (the button's text), «отправляю»
        return _review_action(state, Action(Kind.SUBMIT), now)
    if action.kind == Kind.TEXT and shown.asks and low:
        question = shown.asks[0]
        if reading.yes_no(low) is not None or re.fullmatch(r"[0-9\s,;]+", low):  # typed ahead, not a comment
            raise BadInput(f"{reading.quoted(action.text)} — не похоже на {lowered(question.label).rstrip('?:. ')}: "
                           "напишите его словами. Чтобы отправить анкету, нажмите «Отправить» или напишите «отправить»; "
                           "чтобы исправить ответ — нажмите его номер.")
        try:
            value = engine.parse_text(question, action.text)
        except AnswerError as exc:
            raise BadInput(str(exc)) from None
        return _answer(state, question, value, now, typed=True)
    raise BadInput("Все вопросы отвечены: проверьте ответы и нажмите «Отправить» под сводкой (или напишите «отправить»).")


# --- storing an answer ---------------------------------------------------------------------


def _answer(state: ResponseState, question: Question, value: Any, now: dt.datetime, *, typed: bool = False,
            checked: bool = False) -> Step:
    if not checked:
        try:
            engine.check_value(question, value, state.answers, state.facts, state.today)
        except AnswerError as exc:
            raise (BadInput(str(exc)) if typed else Refused(str(exc))) from None
    change = engine.apply_answer(state.survey, state.answers, question.name, value, state.facts)
    kept = None
    if question.type == QuestionType.MULTIPLE and _preselected(state, question):
        kept = _kept(question.label, [question.choice_label(v) for v in value or []])
    return _record(state, question, value, change, now, kept=kept)


def _record(state: ResponseState, question: Question, value: Any, change: engine.AnswerChange, now: dt.datetime,
            also: tuple[tuple[str, Any], ...] = (), kept: str | None = None) -> Step:
    survey, facts = state.survey, state.facts
    notices = [kept] if kept else []
    if change.dropped:
        notices.append("\n".join(["Ответы, которые больше не нужны, удалены:",
                                   *(f"— {survey.question(n).label}" for n in change.dropped)]))
    status = state.status
    if state.submitted:
        if engine.is_complete(survey, change.answers, facts):
            notices.append("Изменение сохранено, анкета остаётся отправленной.")
        else:
            status = DRAFT
            notices.append("Из-за этого ответа появились новые вопросы: ответьте на них и отправьте анкету снова.")
    else:
        before = engine.screens_left(survey, state.answers, facts)
        after = engine.screens_left(survey, change.answers, facts)
        expected = before - (0 if question.name in state.answers else 1)  # an answer to a new question: one screen less
        if after > expected and question.name in state.answers:
            notices.append("Из-за этого ответа добавились уточняющие вопросы.")
        elif after < expected and not change.dropped:
            notices.append("После этого ответа часть вопросов не нужна.")
    new = replace(state, answers=change.answers, cursor=None, status=status)
    write = Change(upsert=((question.name, value), *also), delete=change.dropped, cursor=None,
                   status=status if status != state.status else None)
    return Step(new, write, view(new, notice="\n".join(notices) or None))


def _review_action(state: ResponseState, action: Action, now: dt.datetime) -> Step:
    if current(state) is not None:
        raise Refused("Этот экран уже неактуален.")
    survey = state.survey
    if action.kind == Kind.EDIT:
        index = action.index
        if index is None or not 0 <= index < len(survey.questions) or not engine.is_relevant(survey.questions[index], state.answers, state.facts):
            raise Refused("Такого вопроса в анкете нет.")
        moved = replace(state, cursor=survey.questions[index].name)
        return Step(moved, Change(cursor=moved.cursor), view(moved))
    if action.kind == Kind.BACK:
        previous = engine.previous_question(survey, state.answers, None, state.facts)
        if previous is None:
            raise Refused("Это первый вопрос.")
        moved = replace(state, cursor=previous.name)
        return Step(moved, Change(cursor=previous.name), view(moved))
    # submit
    if not engine.is_complete(survey, state.answers, state.facts):
        raise Refused("Сначала ответьте на все обязательные вопросы.", alert=True)
    if state.submitted:
        raise Refused("Анкета уже отправлена.", alert=True)
    new = replace(state, status=SUBMITTED, cursor=None)
    return Step(new, Change(cursor=None, status=SUBMITTED, submitted_at=now), view(new, just_submitted=True))
