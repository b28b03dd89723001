"""The respondent's copy: the message after «Отправить», and the Word file on its button or /copy. The service
(surveys.respondent_copy) finds the questionnaire and says who may have it; this only says and sends."""

from __future__ import annotations

import asyncio

from bot import texts
from bot.callbacks import CopyCb
from bot.context import Context
from surveys import respondent_copy


async def after_submit(ctx: Context, response_id: int) -> None:
    """The answers just sent, as one readable message (split within the channel's limit), the file's button under it."""
    copy = await respondent_copy.read(ctx.services.session_factory, ctx.person, response_id)
    await ctx.chat.say_lines(respondent_copy.lines(copy), [[(texts.BTN_COPY_DOCX, CopyCb(r=copy.response_id))]])


async def _send_file(ctx: Context, response_id: int | None) -> None:
    from surveys.copy_docx import copy_docx

    copy = await respondent_copy.read(ctx.services.session_factory, ctx.person, response_id)
    await ctx.chat.ack()
    async with ctx.chat.uploading():
        data = await asyncio.to_thread(copy_docx, copy, ctx.now)
        caption = texts.COPY_DOCUMENT.format(title=copy.title, period=copy.period, sent=copy.local(copy.submitted_at))
        await ctx.chat.send_file("document", respondent_copy.file_name(copy), data, caption)


async def copy_button(ctx: Context, data: CopyCb) -> None:
    await _send_file(ctx, data.r)


async def copy_command(ctx: Context) -> None:
    """/copy: the Word copy of the questionnaire the person sent last."""
    if ctx.person is None:
        await ctx.chat.say(texts.NOT_REGISTERED)
        return
    await _send_file(ctx, None)
