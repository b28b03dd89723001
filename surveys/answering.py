"""Answering questionnaires: the one service every channel calls, with each response's state kept in process.

The state of a response (its answers, cursor, facts, campaign window) is read from the
database once and then kept here; each action is applied to it in memory
(surveys.questionnaire) and its writes go to the group-commit writer as one unit guarded by
the response's version, together with the mark that the update was handled. The database
stays the authority: when the guard finds the version moved on (another process, another
deputy of the same school, an admin command), the state is read again and the action tried
once more. Nothing is shown to the person before their answer is durable.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.clock import Clock
from storage.models import Campaign, CampaignState, Person
from storage.writer import Sql, Writer
from surveys import store
from surveys.errors import Refused
from surveys.questionnaire import NOT_ACCEPTING, Action, Kind, ResponseState, Step, apply
from surveys.subjects import subject_of

# Statements to write with the action, asked for only when there is something to write (the
# update's inbox mark: an action that writes nothing leaves it to be written on its own).
Extra = Callable[[], Iterable[tuple[Sql, dict[str, Any]]]] | None


class LRU(OrderedDict):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key: Any, default: Any = None) -> Any:
        value = super().get(key, default)
        if key in self:
            self.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


class Answering:
    CACHED = 100_000  # response states kept (a region's teachers fit)

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], writer: Writer,
                 clock: Clock) -> None:
        self.session_factory = session_factory
        self.writer = writer
        self.clock = clock
        self.states: LRU = LRU(self.CACHED)
        self.shown: LRU = LRU(self.CACHED)  # response id -> when its current screen was shown (its last write)
        self.active: LRU = LRU(self.CACHED)  # person id -> the response their typed answers go to
        self.reads = 0  # states read from the database (cache misses and stale states)

    # --- the state -------------------------------------------------------------------------

    async def _load(self, response_id: int) -> ResponseState | None:
        self.reads += 1
        async with self.session_factory() as session:
            state = await store.load_state(session, response_id)
            shown_at = await store.shown_at(session, response_id) if state is not None else None
        if state is not None:
            self.states.put(response_id, state)
            self.shown.put(response_id, shown_at)
        else:
            self.states.pop(response_id, None)
            self.shown.pop(response_id, None)
        return state

    async def _state(self, person: Person, response_id: int) -> ResponseState:
        state = self.states.get(response_id) or await self._load(response_id)
        if state is None or subject_of(person, state.campaign.audience) != state.subject:
            raise Refused("Эта анкета вам недоступна.")
        return state

    def forget(self, response_ids: Iterable[int] = (), person_id: int | None = None) -> None:
        for rid in response_ids:
            self.states.pop(rid, None)
            self.shown.pop(rid, None)
        if person_id is not None:
            self.active.pop(person_id, None)

    # --- use cases -------------------------------------------------------------------------

    async def open(self, person: Person, campaign_id: int, extra: Extra = None) -> Step:
        """Start or resume the person's questionnaire of a campaign (from its list or a reminder)."""
        now = self.clock()
        async with self.session_factory() as session:
            campaign = await session.get(Campaign, campaign_id)
            if campaign is None or campaign.municipality_id != person.municipality_id:
                raise Refused("Эта анкета вам недоступна.")
            subject = subject_of(person, campaign.audience)
            if subject is None:
                raise Refused("Эта анкета предназначена для другой роли.")
            window = campaign.state(now)
            if window is not CampaignState.OPEN:
                raise Refused(NOT_ACCEPTING[window])
            response_id = await store.find_response(session, campaign.id, subject)
        if response_id is None:
            await self.writer.apply(store.create_unit(campaign.id, subject, person, now))
            async with self.session_factory() as session:
                response_id = await store.find_response(session, campaign.id, subject)
        return await self.act(person, response_id, Action(Kind.SHOW), extra, reset_cursor=True)

    async def act(self, person: Person, response_id: int, action: Action, extra: Extra = None, *,
                  reset_cursor: bool = False) -> Step:
        """One action on a response; raises Refused or BadInput (nothing written then)."""
        now = self.clock()
        taken: list[tuple[Sql, dict[str, Any]]] | None = None
        for _attempt in (1, 2):
            state = await self._state(person, response_id)
            if reset_cursor and state.cursor is not None:
                state = replace(state, cursor=None)
            step = apply(state, action, now)
            change = step.change
            if change is None and action.kind == Kind.SHOW:
                change = store.touch(state)  # the person is here now: their typed answers go to this response
            if change is None:
                return step
            unit = store.write_unit(state, change, person.id, now, screen=store.screen_name(step.view, state.survey),
                                    seconds=store.seconds_between(self.shown.get(response_id), now))
            if taken is None:
                taken = list(extra()) if extra else []
            for sql, params in taken:
                unit.add(sql, params)
            if await self.writer.apply(unit):
                self.states.put(response_id, replace(step.state, version=state.version + 1))
                self.shown.put(response_id, now)
                self.active.put(person.id, response_id)
                return step
            self.states.pop(response_id, None)  # stale: read it again and try once more
            self.shown.pop(response_id, None)
        raise Refused("Анкета изменилась, пока вы отвечали: откройте её снова командой /surveys.")

    async def typed(self, person: Person, action: Action, extra: Extra = None) -> Step:
        """Text or a file typed into the chat: an answer to the question on screen of their active questionnaire."""
        response_id = self.active.get(person.id)
        if response_id is None:
            async with self.session_factory() as session:
                response_id = await store.active_response(session, person.id, self.clock())
            if response_id is None:
                raise Refused("Сейчас нет открытой анкеты. Чтобы выбрать анкету, нажмите /surveys.")
            self.active.put(person.id, response_id)
        return await self.act(person, response_id, action, extra)
