"""The one route table: every command, button and typed answer of every channel, to the feature that owns it.

A route says what runs and under which rules: whether it needs the update's unit of work (a session; the
questionnaire's answers go through the writer instead), whether it is for the private chat only (a command in
a group is told so; a button pressed in a group, a forwarded keyboard, is refused with `refusal` and changes
nothing), and whether the person must be registered. bot.pipeline applies the rules and runs the route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram.filters.callback_data import CallbackData

from bot import features, texts
from bot.callbacks import (
    CalendarCb,
    CampaignCb,
    CardCb,
    CardExport,
    CardWord,
    ChaseCb,
    ConsentCb,
    CopyCb,
    ForgetCb,
    NewCampaignCb,
    OpenSurvey,
    QuestionCb,
    ReportCb,
    ReturnCb,
    ReviewCb,
)
from bot.features import questionnaire

STALE = "Эта кнопка уже неактуальна."


@dataclass(frozen=True, slots=True)
class Route:
    run: Callable[..., Awaitable[Any]]  # run(ctx) or, with `arg`, run(ctx, the command's arguments | the button's data | the text)
    arg: bool = False
    session: bool = True  # runs in the update's unit of work (bot.unit_of_work)
    private: bool = True  # the private chat only
    refusal: str | None = None  # a button pressed in a group: what it says (None: «not registered» or «stale»)
    registered: bool = False  # (buttons) for a registered person only


@dataclass(frozen=True, slots=True)
class Step:
    """Typed input while a conversation waits for it (bot.conversation): `text` takes typed text, `other` anything
    else (a file, a sticker); without `other`, anything else is not understood."""

    text: Route
    other: Route | None = None


COMMANDS: dict[str, Route] = {
    "/start": Route(features.start, arg=True),  # in a group: not for the bot (Telegram sends it to every bot there)
    "/surveys": Route(features.surveys),
    "/help": Route(features.help_, session=False, private=False),
    "/whoami": Route(features.whoami, private=False),
    "/link": Route(features.link),
    "/mydata": Route(features.my_data),
    "/forget": Route(features.forget_ask, session=False),
    "/setchat": Route(features.setchat, private=False),
    "/summary": Route(features.summary, arg=True, private=False),
    "/report": Route(features.report, arg=True, private=False),
    "/card": Route(features.card),
    "/app": Route(features.open_app, session=False, private=False),
    "/campaigns": Route(features.list_campaigns),
    "/newcampaign": Route(features.new_campaign, session=False),
    "/calendar": Route(features.show_calendar, arg=True),
    "/missing": Route(features.missing),
    "/copy": Route(features.copy_command, session=False),
}
SILENT_IN_GROUPS = {"/start"}

BUTTONS: dict[type[CallbackData], Route] = {
    OpenSurvey: Route(questionnaire.open_survey, arg=True, session=False, registered=True),
    QuestionCb: Route(questionnaire.question_button, arg=True, session=False, registered=True),
    ReviewCb: Route(questionnaire.review_button, arg=True, session=False, registered=True),
    CopyCb: Route(features.copy_button, arg=True, session=False, refusal=texts.COPY_PRIVATE, registered=True),
    ConsentCb: Route(features.consent_answer, arg=True),
    ForgetCb: Route(features.forget_answer, arg=True),
    CardExport: Route(features.card_file, arg=True, refusal=texts.CARD_PRIVATE),
    CardWord: Route(features.card_file, arg=True, refusal=texts.CARD_PRIVATE),
    CardCb: Route(features.card_button, arg=True, refusal=texts.CARD_PRIVATE),
    CampaignCb: Route(features.campaign_button, arg=True, refusal=texts.PRIVATE_BUTTON),
    NewCampaignCb: Route(features.new_campaign_button, arg=True, refusal=texts.PRIVATE_BUTTON),
    ChaseCb: Route(features.chase_button, arg=True, refusal=texts.CHASE_PRIVATE),
    ReturnCb: Route(features.return_button, arg=True, refusal=texts.CHASE_PRIVATE),
    CalendarCb: Route(features.calendar_button, arg=True, refusal=texts.CALENDAR_PRIVATE),
    ReportCb: Route(features.report_button, arg=True, refusal=texts.REPORT_PRIVATE),
}
PREFIXES: dict[str, type[CallbackData]] = {cls.__prefix__: cls for cls in BUTTONS}  # type: ignore[attr-defined]

STEPS: dict[str, Step] = {
    features.Registration.full_name: Step(Route(features.full_name, arg=True),
                                          Route(features.name_not_text, session=False)),
    features.NewCampaign.period: Step(Route(features.typed_period, arg=True, session=False)),
    features.NewCampaign.deadline: Step(Route(features.typed_deadline, arg=True)),
    features.ReturnFlow.comment: Step(Route(features.typed_comment, arg=True),
                                      Route(features.comment_not_text, session=False)),
    features.CalendarShift.date: Step(Route(features.typed_date, arg=True)),
    features.ReportFlow.typed: Step(Route(features.typed_meeting, arg=True)),
}

TYPED_ANSWER = Route(questionnaire.typed_answer, session=False)  # typed text or a file, outside any step
CHAT_MOVED = Route(features.chat_moved, arg=True, private=False)


def button(payload: str) -> tuple[Route, CallbackData] | None:
    """The route and the checked data of a pressed button; None for data that is unknown, spoiled, forged or
    too long (every number in it is bounded: bot.callbacks)."""
    cls = PREFIXES.get(payload.split(":", 1)[0])
    if cls is None:
        return None
    try:
        return BUTTONS[cls], cls.unpack(payload)
    except (ValueError, TypeError):  # pydantic's ValidationError is a ValueError
        return None
