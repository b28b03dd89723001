"""The questionnaire as pure use cases over one response's state: no database, no messenger.

A caller holds a `ResponseState` (loaded by surveys.store, or cached), applies one user
`Action` with `apply`, persists the returned `Change` as one guarded write and shows the
returned view. Anything the user may not do raises `Refused` (a stale button, a closed
campaign) or `BadInput` (what they typed does not fit); nothing is changed then.

A multiple-choice question carries its selection in its buttons (`mask`): each copy of the
question acts on what it shows, and nothing is stored until «Готово».

A person who answered the same pack in an earlier period starts from those answers: the
questions the pack declares `carry_over: fact` are offered together as «как в прошлом году»
(one tap keeps them all, stored as answers of this period; «Изменить» asks them one by one),
and every question with a carry-over shows last period's answer (a multiple choice comes
preselected with it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from storage.wording import count
from storage.models import CampaignState, campaign_state
from surveys import engine
from surveys.engine import AnswerError
from surveys.errors import BadInput, Refused
from surveys.model import Question, QuestionType, Survey

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
    CARRY_EDIT = "carry_edit"  # go through them one by one instead


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


@dataclass(frozen=True, slots=True)
class QuestionView:
    response_id: int
    campaign_id: int
    survey_title: str
    question: Question
    index: int
    position: int
    total: int
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


@dataclass(frozen=True, slots=True)
class ReviewItem:
    index: int
    question: Question
    text: str


@dataclass(frozen=True, slots=True)
class CarryView:
    """The facts of the previous period, offered at once: «Без изменений» or «Изменить»."""

    response_id: int
    campaign_id: int
    survey_title: str
    period: str  # the period they come from
    items: tuple[ReviewItem, ...]
    notice: str | None = None


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


def view(state: ResponseState, *, notice: str | None = None, mask: int | None = None, just_submitted: bool = False) -> View:
    survey, answers, facts = state.survey, state.answers, state.facts
    offered = _offers_carry(state)
    if offered:
        items = tuple(ReviewItem(survey.index(q.name), q, engine.format_value(q, value)) for q, value in offered)
        return CarryView(state.id, state.campaign.id, survey.title, state.previous_period or "", items, notice)
    question = current(state)
    if question is None:
        items = tuple(
            ReviewItem(survey.index(q.name), q, engine.format_value(q, answers.get(q.name)))
            for q in engine.visible_questions(survey, answers, facts)
        )
        return ReviewView(state.id, state.campaign.id, survey.title, items, state.submitted, state.campaign.deadline,
                          state.campaign.timezone, notice, just_submitted)
    visible = engine.visible_questions(survey, answers, facts)
    position, total = engine.progress(survey, answers, question, facts, visible)
    has_current = question.name in answers
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
            shown = answers[inline.name] if inline.name in answers else inline_previous
            mask = _valid_or_zero(inline, mask_of(inline, shown))
    return QuestionView(
        response_id=state.id,
        campaign_id=state.campaign.id,
        survey_title=survey.title,
        question=question,
        index=survey.index(question.name),
        position=position,
        total=total,
        current=value,
        has_current=has_current,
        mask=mask,
        can_back=engine.previous_question(survey, answers, question.name, facts, visible) is not None,
        notice=notice,
        previous=previous,
        has_previous=has_previous,
        previous_period=state.previous_period if has_previous or inline_previous is not None else None,
        inline=inline,
        inline_previous=inline_previous,
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
    if kind in (Kind.EDIT, Kind.SUBMIT) or (kind == Kind.BACK and action.index is None):
        return _review_action(state, action, now)
    if kind in (Kind.CARRY, Kind.CARRY_EDIT):
        return _carry_action(state, action, now)
    question = _pressed(state, action.index)
    if kind == Kind.PICK:
        if question.type == QuestionType.YESNO and action.choice in (0, 1):
            value: Any = ("yes", "no")[action.choice]
        elif question.type == QuestionType.SINGLE and 0 <= action.choice < len(question.choices):
            value = question.choices[action.choice].name
        else:
            raise Refused("Этот вариант неактуален.")
        return _answer(state, question, value, now)
    if kind == Kind.TOGGLE:
        target = question if question.type == QuestionType.MULTIPLE else state.survey.inline_follow_up(question.name)
        if target is None or target.type != QuestionType.MULTIPLE or not 0 <= action.choice < len(target.choices):
            raise Refused("Этот вариант неактуален.")
        return Step(state, None, view(state, mask=_valid_mask(target, action.mask) ^ (1 << action.choice)))
    if kind in (Kind.FOLLOW, Kind.FOLLOW_DONE):
        return _follow(state, question, action, now)
    if kind == Kind.DONE:
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
    return _record(state, question, "yes", engine.AnswerChange(second.answers, dropped), now,
                   also=((follow.name, value),))


def _carry_action(state: ResponseState, action: Action, now: dt.datetime) -> Step:
    offered = _offers_carry(state)
    if not offered or action.index != state.survey.index(offered[0][0].name):
        raise Refused("Этот экран уже неактуален. Текущий вопрос — ниже; если его не видно, нажмите /surveys.")
    if action.kind == Kind.CARRY_EDIT:  # the facts are asked one by one, from the first of them
        moved = replace(state, cursor=offered[0][0].name)
        return Step(moved, Change(cursor=moved.cursor), view(moved))
    answers: Mapping[str, Any] = state.answers
    dropped: list[str] = []
    for question, value in offered:
        change = engine.apply_answer(state.survey, answers, question.name, value, state.facts)
        answers = change.answers
        dropped += change.dropped
    new = replace(state, answers=answers, cursor=None)
    write = Change(upsert=tuple((q.name, value) for q, value in offered), delete=tuple(n for n in dropped if n not in answers),
                   cursor=None)
    kept = count(len(offered), "ответ", "ответа", "ответов")
    return Step(new, write, view(new, notice=f"Сохранено как в прошлом году: {kept}."))


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


def _typed(state: ResponseState, action: Action, now: dt.datetime) -> Step:
    question = current(state)
    if question is None:
        if state.submitted:
            raise BadInput("Анкета уже отправлена. Чтобы изменить ответ, нажмите его номер под сводкой ответов.")
        raise BadInput("Все вопросы отвечены: проверьте ответы и нажмите «Отправить» под сводкой.")
    if action.kind == Kind.FILE:
        if question.type != QuestionType.FILE or action.file is None:
            raise BadInput("Сейчас файл не нужен: ответьте на вопрос текстом или кнопкой.")
        file_id, name = action.file
        return _answer(state, question, {"file_id": file_id, "file_name": (name or "документ")[:200]}, now, checked=True)
    try:
        value = engine.parse_text(question, action.text)
    except AnswerError as exc:
        raise BadInput(str(exc)) from None
    return _answer(state, question, value, now, typed=True)


def _answer(state: ResponseState, question: Question, value: Any, now: dt.datetime, *, typed: bool = False,
            checked: bool = False) -> Step:
    if not checked:
        try:
            engine.check_value(question, value, state.answers, state.facts, state.today)
        except AnswerError as exc:
            raise (BadInput(str(exc)) if typed else Refused(str(exc))) from None
    change = engine.apply_answer(state.survey, state.answers, question.name, value, state.facts)
    return _record(state, question, value, change, now)


def _record(state: ResponseState, question: Question, value: Any, change: engine.AnswerChange, now: dt.datetime,
            also: tuple[tuple[str, Any], ...] = ()) -> Step:
    survey, facts = state.survey, state.facts
    notices = []
    if change.dropped:
        labels = ", ".join(f"«{survey.question(n).label[:60]}»" for n in change.dropped)
        notices.append(f"Ответы, которые больше не нужны, удалены: {labels}.")
    status = state.status
    if state.submitted:
        if engine.is_complete(survey, change.answers, facts):
            notices.append("Изменение сохранено, анкета остаётся отправленной.")
        else:
            status = DRAFT
            notices.append("Из-за этого ответа появились новые вопросы: ответьте на них и отправьте анкету снова.")
    elif question.name in survey.triggers and not also:  # only then can the number change (an inline pair answers what it adds)
        before = len(engine.visible_questions(survey, state.answers, facts))
        after = len(engine.visible_questions(survey, change.answers, facts))
        if after > before:
            notices.append(f"Из-за этого ответа добавились уточняющие вопросы: теперь их {after}.")
        elif after < before:
            notices.append(f"После этого ответа часть вопросов не нужна: теперь их {after}.")
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
