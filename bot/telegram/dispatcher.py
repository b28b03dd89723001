"""Factories for the Bot and the Dispatcher, shared by __main__ and the tests."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import Response, TelegramMethod
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.context import Services
from bot.fsm_storage import SQLAlchemyStorage
from bot.people import People
from bot.pipeline import Pipeline
from bot.reminders import ReminderRunner
from bot.telegram.commands import set_default_commands
from bot.telegram.middlewares import InboxMark, ReleaseBeforeRequest, RetryTransient
from bot.telegram.session import JsonSession
from bot.telegram.updates import create_router
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
    links: dict[str, Callable[[str], str]] | None = None,
    services: Services | None = None,
) -> Dispatcher:
    """aiogram's dispatcher as Telegram's adapter: the inbox mark on every update, then one router
    (bot.telegram.updates) into the one pipeline (bot.pipeline). `inbox` and `pipeline` are in its workflow data."""
    inbox = Inbox(writer, session_factory, bot_id, clock)
    services = services or Services(session_factory, clock, Answering(session_factory, writer, clock), people or People(session_factory),
                        methodology or load_methodology(), calendar or load_calendar(), reminders,
                        links if links is not None else {})
    # Updates of one user are handled one after another (the pipeline's lock): a double press or two devices
    # cannot interleave two answers of the same person.
    pipeline = Pipeline(services, storage or SQLAlchemyStorage(session_factory), events_isolation or SimpleEventIsolation())
    dp = Dispatcher(disable_fsm=True, inbox=inbox, pipeline=pipeline, people=services.people)
    dp.update.outer_middleware(InboxMark(inbox))
    dp.include_router(create_router())
    dp.startup.register(set_default_commands)
    return dp
