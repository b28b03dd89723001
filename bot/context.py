"""What a feature is handed for one update: who (the person with their municipality and school, read once per
update from bot.people), where (the chat, the conversation), when (the clock's now), the update's unit of
work (its session, when the route asked for one) and the process's services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.chat import Chat
from bot.conversation import Conversation
from bot.events import Incoming
from bot.people import People
from storage.clock import Clock
from storage.models import Municipality, Person, School
from surveys.answering import Answering


@dataclass(slots=True)
class Services:
    """The process's services, the same for every update and every channel."""

    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    answering: Answering
    people: People
    methodology: Any  # scoring.methodology.Methodology
    calendar: Any  # monitoring.calendar.CalendarDef
    reminders: Any = None  # bot.reminders.ReminderRunner: wakes the outbox at once
    links: dict[str, Callable[[str], str]] = field(default_factory=dict)  # channel -> its start link of a token
    webapp: Any = None  # bot.webapp.buttons.AppLinks: the dashboard's address and the bots' names; None: no dashboard


@dataclass(slots=True)
class Context:
    event: Incoming
    chat: Chat
    state: Conversation
    person: Person | None
    now: dt.datetime
    services: Services
    marks: Callable[[], list[Any]]  # the update's inbox mark, for the first write that takes it
    session: AsyncSession = None  # type: ignore[assignment]  # the unit of work's, set for routes that ask for one
    committed: list[Callable[[], Any]] = field(default_factory=list)  # run once the unit of work is committed

    def wake_outbox(self) -> None:
        """Wake the outbox's runner once what this update wrote is committed (it would not see it before)."""
        if self.services.reminders is not None:
            self.committed.append(self.services.reminders.kick)

    @property
    def municipality(self) -> Municipality | None:
        return self.person.municipality if self.person is not None else None

    @property
    def school(self) -> School | None:
        return self.person.school if self.person is not None else None

    def forget_person(self) -> None:
        """The person's cached identity, in every channel (after registering, linking or /forget)."""
        self.services.people.forget(self.chat.channel, self.chat.user_id)
