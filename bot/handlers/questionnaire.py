"""The questionnaire in chat: thin handlers over surveys.service, rendered by bot.views."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts, views
from bot.callbacks import OpenSurvey, QAction, QuestionCb, RAction, ReviewCb
from storage.models import Person
from surveys import service
from surveys.engine import AnswerError
from surveys.service import QuestionView, Refusal, ReviewView


def _registered(_: object, person: Person | None = None) -> bool:
    return person is not None



class Questionnaire(StatesGroup):
    active = State()


async def _activate(state: FSMContext, response_id: int, selection: list[str] | None = None) -> None:
    """Make `response_id` the questionnaire typed answers go to; writes only what changed."""
    data = {"response": response_id, "sel": selection or []}
    if await state.get_state() != Questionnaire.active.state:
        await state.set_state(Questionnaire.active)
    if await state.get_data() != data:
        await state.set_data(data)


async def _send(message: Message, screen: QuestionView | ReviewView) -> None:
    text, markup = views.render(screen)
    await message.answer(text, reply_markup=markup)


async def _close_pressed(callback: CallbackQuery, text: str | None = None) -> None:
    """Freeze the message whose button was pressed: show the answer given, drop the buttons."""
    if not isinstance(callback.message, Message):
        return
    with suppress(TelegramBadRequest):
        if text is None:
            await callback.message.edit_reply_markup(reply_markup=None)
        else:
            await callback.message.edit_text(text, reply_markup=None)


# --- opening a questionnaire ---------------------------------------------------------------


async def open_survey(
    callback: CallbackQuery, callback_data: OpenSurvey, state: FSMContext, session: AsyncSession, person: Person, now: dt.datetime
) -> None:
    screen = await service.start(session, person, callback_data.campaign, now)
    if isinstance(screen, Refusal):
        await callback.answer(screen.notice, show_alert=True)
        return
    await _activate(state, screen.response_id, list(getattr(screen, "selection", ())))
    await callback.answer()
    await _send(callback.message, screen)


# --- typed answers -------------------------------------------------------------------------


async def typed_answer(message: Message, state: FSMContext, session: AsyncSession, person: Person, now: dt.datetime) -> None:
    response_id = (await state.get_data()).get("response")
    result = await service.answer_text(session, person, int(response_id or 0), message.text, now)
    await _after_message(message, state, result)


async def file_answer(message: Message, state: FSMContext, session: AsyncSession, person: Person, now: dt.datetime) -> None:
    if message.document:
        file_id, name = message.document.file_id, message.document.file_name
    else:
        file_id, name = message.photo[-1].file_id, "фото"
    response_id = (await state.get_data()).get("response")
    result = await service.answer_file(session, person, int(response_id or 0), file_id, name, now)
    await _after_message(message, state, result)


async def not_text(message: Message) -> None:
    await message.answer(texts.NOT_TEXT)


async def _after_message(message: Message, state: FSMContext, result: object) -> None:
    if isinstance(result, AnswerError):
        await message.answer(texts.REPROMPT.format(error=result))
    elif isinstance(result, Refusal):
        await state.clear()
        await message.answer(result.notice)
    else:
        await _activate(state, result.response_id)
        await _send(message, result)


# --- buttons under a question --------------------------------------------------------------


async def question_button(
    callback: CallbackQuery, callback_data: QuestionCb, state: FSMContext, session: AsyncSession, person: Person, now: dt.datetime
) -> None:
    r, i, action = callback_data.r, callback_data.i, callback_data.a
    data = await state.get_data()
    if action == QAction.TOGGLE:
        selection = tuple(data.get("sel", [])) if data.get("response") == r and data.get("q") == i else None
        if selection is None:
            shown = await service.show(session, person, r, now)
            selection = tuple(shown.selection) if isinstance(shown, QuestionView) and shown.index == i else ()
        view = await service.toggle(session, person, r, i, callback_data.c, selection, now)
        if isinstance(view, Refusal):
            await callback.answer(view.notice)
            return
        await state.set_state(Questionnaire.active)
        await state.set_data({"response": r, "q": i, "sel": list(view.selection)})
        await callback.answer()
        _, markup = views.question(view)
        with suppress(TelegramBadRequest):
            await callback.message.edit_reply_markup(reply_markup=markup)
        return

    if action == QAction.PICK:
        result = await service.choose(session, person, r, i, callback_data.c, now)
    elif action == QAction.DONE:
        selection = tuple(data.get("sel", [])) if data.get("response") == r and data.get("q") == i else None
        if selection is None:
            shown = await service.show(session, person, r, now)
            selection = tuple(shown.selection) if isinstance(shown, QuestionView) else ()
        result = await service.done(session, person, r, i, selection, now)
    elif action == QAction.SKIP:
        result = await service.skip(session, person, r, i, now)
    elif action == QAction.KEEP:
        result = await service.keep(session, person, r, i, now)
    else:
        result = await service.back(session, person, r, i, now)

    if isinstance(result, Refusal):
        await callback.answer(result.notice)
        return
    await callback.answer()
    if result.answered:
        await _close_pressed(callback, views.answered(*result.answered))
    else:
        await _close_pressed(callback)
    await _activate(state, result.response_id)
    await _send(callback.message, result)


# --- the review screen ---------------------------------------------------------------------


async def review_button(
    callback: CallbackQuery, callback_data: ReviewCb, state: FSMContext, session: AsyncSession, person: Person, now: dt.datetime
) -> None:
    r = callback_data.r
    if callback_data.a == RAction.SUBMIT:
        result = await service.submit(session, person, r, now)
    elif callback_data.a == RAction.EDIT:
        result = await service.edit(session, person, r, callback_data.i, now)
    else:
        result = await service.back(session, person, r, None, now)
    if isinstance(result, Refusal):
        await callback.answer(result.notice, show_alert=callback_data.a == RAction.SUBMIT)
        return
    await _activate(state, result.response_id)
    if callback_data.a == RAction.SUBMIT:
        await callback.answer(texts.SUBMITTED)
        text, markup = views.review(result)
        if isinstance(callback.message, Message):
            with suppress(TelegramBadRequest):
                await callback.message.edit_text(text, reply_markup=markup)
        await callback.message.answer(texts.SUBMITTED)
        return
    await callback.answer()
    await _close_pressed(callback)
    await _send(callback.message, result)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.filter(_registered)
    router.callback_query.filter(_registered)
    router.callback_query.register(open_survey, OpenSurvey.filter())
    router.message.register(typed_answer, Questionnaire.active, F.text, ~F.text.startswith("/"))
    router.message.register(file_answer, Questionnaire.active, F.document | F.photo)
    router.message.register(not_text, Questionnaire.active, ~F.text)
    router.callback_query.register(question_button, QuestionCb.filter())
    router.callback_query.register(review_button, ReviewCb.filter())
    return router
