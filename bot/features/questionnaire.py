"""The questionnaire in chat: thin over surveys.answering, which writes through the writer with the update's mark
(no session of the update's own: the answer path). A press turns the pressed message into what comes next; a
typed answer or a file gets one reply. Refusals and bad input are raised by the service (bot.pipeline answers)."""

from __future__ import annotations

from bot.callbacks import Q_KINDS, R_KINDS, OpenSurvey, QuestionCb, ReviewCb
from bot.context import Context
from bot.events import EventKind
from bot.features.copies import after_submit
from surveys.questionnaire import Action, Kind, ReviewView
from surveys.screens import screen_of


async def open_survey(ctx: Context, data: OpenSurvey) -> None:
    step = await ctx.services.answering.open(ctx.person, data.campaign, ctx.marks)
    await ctx.chat.show(screen_of(step.view))
    await ctx.chat.ack()


async def question_button(ctx: Context, data: QuestionCb) -> None:
    action = Action(Q_KINDS[data.a], data.i, data.c, data.m)
    step = await ctx.services.answering.act(ctx.person, data.r, action, ctx.marks)
    await ctx.chat.replace(screen_of(step.view), keyboard_only=action.kind == Kind.TOGGLE)


async def review_button(ctx: Context, data: ReviewCb) -> None:
    kind = R_KINDS[data.a]
    step = await ctx.services.answering.act(ctx.person, data.r, Action(kind, None if kind == Kind.BACK else data.i), ctx.marks)
    await ctx.chat.replace(screen_of(step.view))
    await _copy_if_sent(ctx, step.view)


async def typed_answer(ctx: Context) -> None:
    event = ctx.event
    if event.kind is EventKind.FILE:
        action = Action(Kind.FILE, file=event.file)
    else:
        action = Action(Kind.TEXT, text=event.text or "")
    step = await ctx.services.answering.typed(ctx.person, action, ctx.marks)
    await ctx.chat.show(screen_of(step.view))
    await _copy_if_sent(ctx, step.view)


async def _copy_if_sent(ctx: Context, view) -> None:
    """Once the questionnaire is sent (a press of «Отправить» or a typed «отправить»), the respondent's copy follows."""
    if isinstance(view, ReviewView) and view.just_submitted:
        await after_submit(ctx, view.response_id)
