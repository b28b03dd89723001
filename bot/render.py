"""Telegram's renderer: a neutral Screen (surveys.screens) as HTML text and an inline keyboard, and
lines of rich text as messages under Telegram's length limit."""

from __future__ import annotations

import re
from html import escape, unescape

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import Q_ACTIONS, R_ACTIONS, OpenSurvey, QuestionCb, ReviewCb
from surveys.screens import (
    BOLD,
    ITALIC,
    OpenSurveyAction,
    QuestionAction,
    ReviewAction,
    Rich,
    Screen,
)

TAGS = {BOLD: ("<b>", "</b>"), ITALIC: ("<i>", "</i>")}


def html(rich: Rich) -> str:
    out = []
    for style, text in rich.runs:
        if style in TAGS:
            start, end = TAGS[style]
            out.append(f"{start}{escape(text, quote=False)}{end}")
        else:
            out.append(escape(text, quote=False))
    return "".join(out)


def html_of(text: Rich | str) -> str:
    """A reply's text as HTML: rich text rendered, a str taken as plain text (escaped)."""
    return html(text) if isinstance(text, Rich) else escape(text, quote=False)


def callback_data(action: object) -> str:
    if isinstance(action, QuestionAction):
        return QuestionCb(r=action.response, i=action.index, a=Q_ACTIONS[action.kind], c=action.choice, m=action.mask).pack()
    if isinstance(action, ReviewAction):
        return ReviewCb(r=action.response, a=R_ACTIONS[action.kind], i=action.index).pack()
    if isinstance(action, OpenSurveyAction):
        return OpenSurvey(campaign=action.campaign).pack()
    raise TypeError(f"no callback data for {type(action).__name__}")


def keyboard(screen: Screen) -> InlineKeyboardMarkup | None:
    """Built without validation (model_construct): the labels and the callback data are ours, checked by the
    screen and the callback factories; on the answer path this is a tenth of an answer's work."""
    if not screen.buttons:
        return None
    return InlineKeyboardMarkup.model_construct(inline_keyboard=[
        [InlineKeyboardButton.model_construct(text=button.label, callback_data=callback_data(button.action)) for button in row]
        for row in screen.buttons
    ])


def render(screen: Screen) -> tuple[str, InlineKeyboardMarkup | None]:
    return html(screen.text), keyboard(screen)


TELEGRAM_LIMIT = 4096  # characters of one message


def split_html(lines: list[str], limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Join HTML lines into messages under the limit, breaking only between lines (an over-long line,
    rare, is sent as plain text cut to the limit so that no tag is left open)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        if len(line) > limit:
            line = escape(unescape(re.sub(r"<[^>]+>", "", line)), quote=False)[: limit - 1] + "…"
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def messages(lines: list[Rich]) -> list[str]:
    """Lines of rich text (a summary, a card) as Telegram messages."""
    return split_html([html(line) for line in lines])
