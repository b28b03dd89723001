"""Returning a submitted questionnaire for correction, with a comment, after a confirmation."""

from bot import texts
from bot.callbacks import (
    ReturnAction,
    ReturnCb,
)
from bot.context import Context
from bot.features.common import when_sent
from monitoring import returns as returns_service
from surveys.errors import BadInput, Refused
from surveys.subjects import subject_id


class ReturnFlow:
    """The step of a return: what to fix typed as the next message (bot.conversation); data: {"return": response
    id, "comment": the text typed, once typed}."""

    comment = "ReturnFlow:comment"


def _return_what(target: returns_service.Target) -> str:
    kind = subject_id(target.response.subject)[0]
    return texts.RETURN_WHAT["school" if kind == "school" else "person"].format(label=target.label)


async def return_button(ctx: Context, data: ReturnCb) -> None:
    """A questionnaire picked (the comment is asked for), the return confirmed or cancelled. Refusals (Refused)
    are answered by the pipeline: nothing written. Only the confirmation returns it."""
    chat, state, session, person, now = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now
    answering = ctx.services.answering
    if person is None:
        await chat.ack(texts.NOT_REGISTERED, alert=True)
        return
    response_id, action = data.r, data.a
    if action == ReturnAction.ASK:
        target = await returns_service.check_return(session, person, response_id, now)
        campaign = target.campaign
        await state.set_state(ReturnFlow.comment)
        await state.set_data({"return": response_id})
        await chat.ack()
        await chat.say(
            texts.RETURN_ASK.format(
                what=_return_what(target), title=campaign.survey_version.title, period=campaign.period,
                min=returns_service.COMMENT_MIN, max=returns_service.COMMENT_MAX,
                deadline=texts.deadline_text(campaign.deadline, campaign.timezone),
            ),
            [[(texts.BTN_CANCEL, ReturnCb(a=ReturnAction.CANCEL, r=response_id))]],
        )
        return
    stored = await state.get_data()
    ours = stored.get("return") == response_id and await state.get_state() == ReturnFlow.comment
    if action == ReturnAction.CANCEL:
        if ours:
            await state.clear()
        await chat.ack(texts.RETURN_CANCELLED)
        await chat.edit(texts.RETURN_CANCELLED)
        return
    if not ours or "comment" not in stored:  # CONFIRM: an old confirmation, or one of another conversation
        await chat.ack(texts.RETURN_STALE, alert=True)
        return
    done = await returns_service.return_response(session, person, response_id, stored["comment"], now)
    await state.clear()
    answering.forget([response_id])  # this process's cached state of it is stale (the version moved on too)
    campaign = done.target.campaign
    text = texts.RETURN_DONE.format(what=_return_what(done.target),
                                    when=when_sent(done.due_at, campaign.timezone, campaign.quiet_hours, now))
    await chat.ack(text[:200])
    await chat.drop_buttons()  # the confirmation has been done
    await chat.say(text)
    ctx.wake_outbox()


async def typed_comment(ctx: Context, text: str | None) -> None:
    """The comment: checked (a Russian reprompt when empty or too long), then shown back for confirmation."""
    chat, state, session, person, now = ctx.chat, ctx.state, ctx.session, ctx.person, ctx.now
    response_id = (await state.get_data()).get("return")
    if person is None or response_id is None:
        await state.clear()
        await chat.say(texts.RETURN_STALE)
        return
    try:
        comment = returns_service.clean_comment(text)
    except BadInput as exc:  # reprompted by the channel's errors; the state stays, and the way out is said
        raise BadInput(f"{exc.message} {texts.RETURN_HOW_TO_CANCEL}") from None
    try:
        target = await returns_service.check_return(session, person, response_id, now)
    except Refused:
        await state.clear()  # returned by someone else meanwhile, the deadline passed...: this return is over
        raise
    await state.update_data(comment=comment)
    await chat.say(
        texts.return_confirm(what=_return_what(target), comment=comment,
                             recipients=", ".join(p.full_name for p in target.recipients)),
        [[(texts.BTN_RETURN_YES, ReturnCb(a=ReturnAction.CONFIRM, r=response_id)),
          (texts.BTN_CANCEL, ReturnCb(a=ReturnAction.CANCEL, r=response_id))]],
    )


async def comment_not_text(ctx: Context) -> None:
    await ctx.chat.say(texts.RETURN_NOT_TEXT)
