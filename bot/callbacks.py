"""Callback-data factories: ids only, never labels, always well under Telegram's 64 bytes."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class OpenSurvey(CallbackData, prefix="o"):
    campaign: int


class QAction(StrEnum):
    PICK = "p"
    TOGGLE = "t"
    DONE = "d"
    SKIP = "s"
    BACK = "b"
    KEEP = "k"


class QuestionCb(CallbackData, prefix="q"):
    """A button under a question: response id, question index, action, choice index."""

    r: int
    i: int
    a: QAction
    c: int = 0


class RAction(StrEnum):
    EDIT = "e"
    SUBMIT = "s"
    BACK = "b"


class ReviewCb(CallbackData, prefix="r"):
    r: int
    a: RAction
    i: int = 0


class CardExport(CallbackData, prefix="cx"):
    school: int


class CampaignAction(StrEnum):
    EXTEND_MENU = "m"
    EXTEND = "x"
    CLOSE_ASK = "a"  # asks for confirmation
    CLOSE = "c"
    CANCEL = "n"
    REOPEN = "r"


class CampaignCb(CallbackData, prefix="c"):
    a: CampaignAction
    id: int
    v: int = 0


class NewCampaignCb(CallbackData, prefix="n"):
    step: str
    v: int = 0
