"""Callback-data factories: ids only, never labels, always well under Telegram's 64 bytes.

Every number is bounded: a forged button with an id beyond them matches no factory and is
answered as stale, never reaches the database.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from surveys.questionnaire import MAX_CHOICES, Kind

ID_MAX = 2**31 - 1  # database ids
Id = Field(ge=0, le=ID_MAX)
Small = Field(default=0, ge=0, le=10_000)


class OpenSurvey(CallbackData, prefix="o"):
    campaign: int = Id


class QAction(StrEnum):
    PICK = "p"
    TOGGLE = "t"
    DONE = "d"
    SKIP = "s"
    BACK = "b"
    KEEP = "k"
    CARRY = "c"
    CARRY_EDIT = "e"
    FOLLOW = "f"
    FOLLOW_DONE = "g"
    CARRY_CHANGE = "h"


Q_KINDS = {QAction.PICK: Kind.PICK, QAction.TOGGLE: Kind.TOGGLE, QAction.DONE: Kind.DONE, QAction.SKIP: Kind.SKIP,
           QAction.BACK: Kind.BACK, QAction.KEEP: Kind.KEEP, QAction.CARRY: Kind.CARRY, QAction.CARRY_EDIT: Kind.CARRY_EDIT,
           QAction.FOLLOW: Kind.FOLLOW, QAction.FOLLOW_DONE: Kind.FOLLOW_DONE, QAction.CARRY_CHANGE: Kind.CARRY_CHANGE}
Q_ACTIONS = {kind: action for action, kind in Q_KINDS.items()}


class QuestionCb(CallbackData, prefix="q"):
    """A button under a question: response id, question index, action, choice index, the selection shown (a bit mask)."""

    r: int = Id
    i: int = Field(ge=0, le=10_000)
    a: QAction
    c: int = Small
    m: int = Field(default=0, ge=0, lt=2**MAX_CHOICES)


class RAction(StrEnum):
    EDIT = "e"
    SUBMIT = "s"
    BACK = "b"


R_KINDS = {RAction.EDIT: Kind.EDIT, RAction.SUBMIT: Kind.SUBMIT, RAction.BACK: Kind.BACK}
R_ACTIONS = {kind: action for action, kind in R_KINDS.items()}


class ReviewCb(CallbackData, prefix="r"):
    r: int = Id
    a: RAction
    i: int = Small


class ConsentCb(CallbackData, prefix="pd"):
    """The answer to the consent to the processing of personal data."""

    ok: bool


class ForgetCb(CallbackData, prefix="fg"):
    ok: bool


class CopyCb(CallbackData, prefix="cp"):
    """The respondent's copy of a submitted questionnaire as a Word file: the response id."""

    r: int = Id


class CardExport(CallbackData, prefix="cx"):
    school: int = Id


class CardWord(CallbackData, prefix="cw"):
    """The school card as a one-page .docx."""

    school: int = Id


class CardAction(StrEnum):
    PAGE = "p"  # the coordinator's school picker, page v
    SHOW = "s"  # the card of `school`, shown from the picker's page v


class CardCb(CallbackData, prefix="cd"):
    """A coordinator's /card: a page of the school picker, or one school's card."""

    a: CardAction
    school: int = Field(default=0, ge=0, le=ID_MAX)
    v: int = Small


class CampaignAction(StrEnum):
    EXTEND_MENU = "m"
    EXTEND = "x"
    CLOSE_ASK = "a"  # asks for confirmation
    CLOSE = "c"
    CANCEL = "n"
    REOPEN = "r"
    RETURNS = "l"  # the schools that submitted: which questionnaire to return for correction


class CampaignCb(CallbackData, prefix="c"):
    a: CampaignAction
    id: int = Id
    v: int = Small


class NewCampaignCb(CallbackData, prefix="n"):
    step: str = Field(max_length=10)
    v: int = Small


class ChaseAction(StrEnum):
    NUDGE_ALL = "a"
    PICK = "p"  # the teachers to nudge one by one (page v)
    NUDGE = "n"  # one teacher (p)
    SUBMITTED = "s"  # the teachers who submitted: which questionnaire to return (page v)
    INVITE = "i"  # the school's teacher invite, to forward


class ChaseCb(CallbackData, prefix="ch"):
    """A deputy's /missing buttons: campaign, teacher (person id), page."""

    a: ChaseAction
    c: int = Id
    p: int = Field(default=0, ge=0, le=ID_MAX)
    v: int = Small


class ReturnAction(StrEnum):
    ASK = "a"  # asks for the comment
    CONFIRM = "c"
    CANCEL = "n"


class ReturnCb(CallbackData, prefix="rt"):
    """Returning a submitted questionnaire for correction: the response id."""

    a: ReturnAction
    r: int = Id


class CalendarAction(StrEnum):
    SHIFT_ASK = "s"  # asks for the date, typed as the next message
    SHIFT_CANCEL = "x"
    SKIP_ASK = "a"  # asks for confirmation
    SKIP = "k"
    SKIP_CANCEL = "n"
    PLAN = "p"  # make the plan of the school year starting in `id`


class CalendarCb(CallbackData, prefix="k"):
    a: CalendarAction
    id: int = Id  # a plan item; for PLAN the first year of the school year


class ReportAction(StrEnum):
    MAKE = "m"
    EDIT = "e"  # asks for a field (v: its index in bot.features.report.FIELDS), typed as the next message
    TODAY = "t"  # the meeting's date: today
    DECISIONS = "d"  # v=1: draft «Решили» although the data are incomplete; v=0: do not
    CANCEL = "x"


class ReportCb(CallbackData, prefix="rp"):
    """The protocol's dialogue (/report): the meeting's details before the protocol is made."""

    a: ReportAction
    v: int = Small
