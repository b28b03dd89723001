"""Rendering of questionnaire screens (service view models) into text and inline keyboards."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram.utils.text_decorations import html_decoration as hd

from bot import texts
from bot.callbacks import OpenSurvey, QAction, QuestionCb, RAction, ReviewCb
from surveys import engine
from surveys.model import QuestionType
from surveys.service import CampaignEntry, QuestionView, ReviewView

BUTTON_LABEL_MAX = 60


def _short(label: str) -> str:
    return label if len(label) <= BUTTON_LABEL_MAX else label[: BUTTON_LABEL_MAX - 1] + "…"


def campaigns(entries: list[CampaignEntry], timezone: str) -> tuple[str, InlineKeyboardMarkup | None]:
    if not entries:
        return texts.NO_CAMPAIGNS, None
    lines = [texts.CAMPAIGNS_HEADER]
    kb = InlineKeyboardBuilder()
    for entry in entries:
        deadline = texts.deadline_text(entry.campaign.deadline, timezone)
        lines.append(texts.CAMPAIGN_LINE[entry.status].format(title=hd.quote(entry.title), deadline=deadline))
        kb.button(
            text=_short(texts.CAMPAIGN_BUTTON[entry.status].format(title=entry.title)),
            callback_data=OpenSurvey(campaign=entry.campaign.id),
        )
    kb.adjust(1)
    return "\n".join(lines), kb.as_markup()


def question(view: QuestionView) -> tuple[str, InlineKeyboardMarkup]:
    q = view.question
    parts = []
    if view.notice:
        parts.append(f"ℹ️ {hd.quote(view.notice)}\n")
    parts.append(texts.QUESTION_HEADER.format(survey=hd.quote(view.survey_title), position=view.position, total=view.total))
    parts.append(f"\n<b>{hd.quote(q.label)}</b>")
    if q.hint:
        parts.append(f"<i>{hd.quote(q.hint)}</i>")
    if view.has_current:
        parts.append("\n" + texts.CURRENT_ANSWER.format(value=hd.quote(engine.format_value(q, view.current))))
    prompt = texts.TYPE_PROMPTS.get(q.type.value)
    if prompt:
        parts.append(f"\n{prompt}")

    kb = InlineKeyboardBuilder()
    r, i = view.response_id, view.index
    if q.type == QuestionType.YESNO:
        kb.row(
            InlineKeyboardButton(text=texts.BTN_YES, callback_data=QuestionCb(r=r, i=i, a=QAction.PICK, c=0).pack()),
            InlineKeyboardButton(text=texts.BTN_NO, callback_data=QuestionCb(r=r, i=i, a=QAction.PICK, c=1).pack()),
        )
    elif q.type == QuestionType.SINGLE:
        for c, choice in enumerate(q.choices):
            kb.row(InlineKeyboardButton(text=_short(choice.label), callback_data=QuestionCb(r=r, i=i, a=QAction.PICK, c=c).pack()))
    elif q.type == QuestionType.MULTIPLE:
        for c, choice in enumerate(q.choices):
            mark = texts.BTN_CHECKED if choice.name in view.selection else texts.BTN_UNCHECKED
            kb.row(
                InlineKeyboardButton(
                    text=_short(mark + choice.label), callback_data=QuestionCb(r=r, i=i, a=QAction.TOGGLE, c=c).pack()
                )
            )
        kb.row(InlineKeyboardButton(text=texts.BTN_DONE, callback_data=QuestionCb(r=r, i=i, a=QAction.DONE).pack()))
    nav = []
    if view.can_back:
        nav.append(InlineKeyboardButton(text=texts.BTN_BACK, callback_data=QuestionCb(r=r, i=i, a=QAction.BACK).pack()))
    if not q.required:
        nav.append(InlineKeyboardButton(text=texts.BTN_SKIP, callback_data=QuestionCb(r=r, i=i, a=QAction.SKIP).pack()))
    if view.has_current:
        nav.append(InlineKeyboardButton(text=texts.BTN_KEEP, callback_data=QuestionCb(r=r, i=i, a=QAction.KEEP).pack()))
    if nav:
        kb.row(*nav)
    return "\n".join(parts), kb.as_markup()


def review(view: ReviewView) -> tuple[str, InlineKeyboardMarkup]:
    deadline = texts.deadline_text(view.deadline, view.timezone)
    parts = []
    if view.notice:
        parts.append(f"ℹ️ {hd.quote(view.notice)}\n")
    if view.submitted:
        parts.append(texts.REVIEW_SUBMITTED.format(survey=hd.quote(view.survey_title), deadline=deadline))
    else:
        parts.append(texts.REVIEW_HEADER.format(survey=hd.quote(view.survey_title)))
    parts.append("")
    for n, item in enumerate(view.items, start=1):
        parts.append(f"{n}. {hd.quote(item.question.label)}\n   — <b>{hd.quote(item.text)}</b>")
    parts.append("")
    parts.append(texts.REVIEW_FOOTER_SUBMITTED if view.submitted else texts.REVIEW_FOOTER_DRAFT)

    kb = InlineKeyboardBuilder()
    for n, item in enumerate(view.items, start=1):
        kb.button(text=f"✏️ {n}", callback_data=ReviewCb(r=view.response_id, a=RAction.EDIT, i=item.index))
    kb.adjust(6)
    if not view.submitted:
        kb.row(
            InlineKeyboardButton(text=texts.BTN_BACK, callback_data=ReviewCb(r=view.response_id, a=RAction.BACK).pack()),
            InlineKeyboardButton(text=texts.BTN_SUBMIT, callback_data=ReviewCb(r=view.response_id, a=RAction.SUBMIT).pack()),
        )
    return "\n".join(parts), kb.as_markup()


def render(view: QuestionView | ReviewView) -> tuple[str, InlineKeyboardMarkup]:
    return question(view) if isinstance(view, QuestionView) else review(view)


def answered(label: str, value: str) -> str:
    return texts.ANSWERED.format(label=hd.quote(label), value=hd.quote(value))
