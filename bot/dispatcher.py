"""Factories for the Bot and the Dispatcher, shared by __main__ and the tests."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import Response, TelegramMethod
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.commands import set_default_commands
from bot.fsm_storage import SQLAlchemyStorage
from bot.handlers import get_routers
from bot.middlewares import (
    HandlerSession,
    InboxMark,
    PersonMiddleware,
    ReleaseBeforeRequest,
    RetryTransient,
)
from bot.people import People
from bot.reminders import ReminderRunner
from bot.session import JsonSession
from monitoring.calendar import CalendarDef, load_calendar
from scoring.methodology import Methodology, load_methodology
from storage.clock import Clock
from storage.inbox import Inbox
from storage.writer import Writer
from surveys.answering import Answering

_RESPONSE_TYPES: list[type] = []


def keep_response_types() -> None:
    """pydantic caches parametrized generics weakly, so aiogram's `Response[ReturnType]` was
    rebuilt (schema and all) on each call whose return type nothing else kept alive, such as
    the `Message | bool` of every edit: most of the bot's CPU in bench/answers.py. One strong
    reference per Bot API method keeps them built."""
    if _RESPONSE_TYPES:
        return
    import aiogram.methods as methods

    for name in methods.__all__:
        cls = getattr(methods, name)
        returning = getattr(cls, "__returning__", None) if isinstance(cls, type) and issubclass(cls, TelegramMethod) else None
        if returning is not None and not isinstance(returning, property):
            _RESPONSE_TYPES.append(Response[returning])


def create_bot(token: str, api_base: str | None = None) -> Bot:
    keep_response_types()
    session = JsonSession(api=TelegramAPIServer.from_base(api_base)) if api_base else JsonSession()
    session.middleware(ReleaseBeforeRequest())
    session.middleware(RetryTransient())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_dispatcher(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    writer: Writer,
    bot_id: int,
    storage: BaseStorage | None = None,
    events_isolation: BaseEventIsolation | None = None,
    clock: Clock,
    methodology: Methodology | None = None,
    reminders: ReminderRunner | None = None,
    calendar: CalendarDef | None = None,
    people: People | None = None,
) -> Dispatcher:
    """The dispatcher with its middlewares, routers and services (`inbox`, `answering` in its workflow data)."""
    inbox = Inbox(writer, session_factory, bot_id, clock)
    dp = Dispatcher(
        disable_fsm=True,  # registered below, inside the inbox mark
        storage=storage or SQLAlchemyStorage(session_factory),
        # Updates of one user are handled one after another: a double press or two devices
        # cannot interleave two answers of the same person.
        events_isolation=events_isolation or SimpleEventIsolation(),
        session_factory=session_factory,
        clock=clock,
        methodology=methodology or load_methodology(),
        reminders=reminders,
        calendar=calendar or load_calendar(),
        inbox=inbox,
        answering=Answering(session_factory, writer, clock),
    )
    dp.update.outer_middleware(InboxMark(inbox))
    dp.update.outer_middleware(dp.fsm)
    dp["people"] = people = people or People(session_factory)
    dp.update.outer_middleware(PersonMiddleware(people))
    session = HandlerSession(session_factory)
    dp.message.middleware(session)
    dp.callback_query.middleware(session)
    dp.include_routers(*get_routers())
    dp.startup.register(set_default_commands)
    return dp
