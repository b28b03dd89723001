"""The questionnaire in chat: thin handlers over surveys.answering, rendered by bot.render.

A press turns the pressed message into what comes next (one Bot API call; the callback's
own answer is returned, so that in webhook mode it rides back in the HTTP response); a typed
answer gets one reply. Refusals and bad input are raised by the service and answered by the
errors router.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Q_KINDS, R_KINDS, OpenSurvey, QuestionCb, ReviewCb
from bot.filters import DocumentOrPhoto, PrivateChat, Registered, TypedText
from bot.middlewares import UpdateMark
from bot.render import render
from storage.models import Person
from surveys.answering import Answering
from surveys.questionnaire import Action, Kind
from surveys.screens import Screen, screen_of


async def _replace(callback: CallbackQuery, screen: Screen, *, keyboard_only: bool = False) -> None:
    """The pressed message becomes the screen; a message that cannot be edited any more is sent anew."""
    message = callback.message
    text, markup = render(screen)
    try:
        if keyboard_only:
            await callback.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=message.message_id,
                                                         reply_markup=markup)
        else:
            await callback.bot.edit_message_text(text=text, chat_id=message.chat.id, message_id=message.message_id,
                                                 reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" in exc.message:
            return
        await message.answer(text, reply_markup=markup)


async def open_survey(
    callback: CallbackQuery, callback_data: OpenSurvey, person: Person, answering: Answering, mark: UpdateMark
) -> AnswerCallbackQuery:
    step = await answering.open(person, callback_data.campaign, mark.take)
    text, markup = render(screen_of(step.view))
    await callback.message.answer(text, reply_markup=markup)
    return callback.answer()


async def question_button(
    callback: CallbackQuery, callback_data: QuestionCb, person: Person, answering: Answering, mark: UpdateMark
) -> AnswerCallbackQuery:
    action = Action(Q_KINDS[callback_data.a], callback_data.i, callback_data.c, callback_data.m)
    step = await answering.act(person, callback_data.r, action, mark.take)
    screen = screen_of(step.view)
    await _replace(callback, screen, keyboard_only=action.kind == Kind.TOGGLE)
    return callback.answer(screen.notice)


async def review_button(
    callback: CallbackQuery, callback_data: ReviewCb, person: Person, answering: Answering, mark: UpdateMark
) -> AnswerCallbackQuery:
    kind = R_KINDS[callback_data.a]
    step = await answering.act(person, callback_data.r, Action(kind, None if kind == Kind.BACK else callback_data.i), mark.take)
    screen = screen_of(step.view)
    await _replace(callback, screen)
    return callback.answer(screen.notice)


async def typed_answer(message: Message, person: Person, answering: Answering, mark: UpdateMark) -> None:
    step = await answering.typed(person, Action(Kind.TEXT, text=message.text or ""), mark.take)
    text, markup = render(screen_of(step.view))
    await message.answer(text, reply_markup=markup)


async def file_answer(message: Message, person: Person, answering: Answering, mark: UpdateMark) -> None:
    if message.document:
        file = (message.document.file_id, message.document.file_name or "документ")
    else:
        file = (message.photo[-1].file_id, "фото")
    step = await answering.typed(person, Action(Kind.FILE, file=file), mark.take)
    text, markup = render(screen_of(step.view))
    await message.answer(text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat(), Registered())
    router.callback_query.filter(PrivateChat(), Registered())
    router.callback_query.register(open_survey, OpenSurvey.filter())
    router.callback_query.register(question_button, QuestionCb.filter())
    router.callback_query.register(review_button, ReviewCb.filter())
    # typed answers: any text that is not a command, outside registration and the campaign wizard
    router.message.register(typed_answer, StateFilter(None), TypedText())
    router.message.register(file_answer, StateFilter(None), DocumentOrPhoto())
    return router

