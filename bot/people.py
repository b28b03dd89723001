"""Who writes: the registered person of each account (channel, account id) with their municipality and school, read
once and kept `KEEP` seconds (cachetools' TTLCache, at most `LIMIT` accounts, the least recently used first out).

One cache for every channel a process runs (the pipeline of each channel shares it): registering, linking a second
channel and /forget drop the person's entries in every channel at once. Another process reads the change within
`KEEP` seconds.
"""

from __future__ import annotations

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.accounts import find_person, mark_reachable
from storage.models import TELEGRAM, Person

MISSING = object()


class People:
    KEEP = 60.0
    LIMIT = 100_000  # accounts

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self._people: TTLCache[tuple[str, int], Person | None] = TTLCache(self.LIMIT, self.KEEP)

    async def get(self, channel: str, account_id: int) -> Person | None:
        cached = self._people.get((channel, account_id), MISSING)
        if cached is not MISSING:
            return cached  # type: ignore[return-value]
        async with self.session_factory() as session:
            person = await find_person(session, channel, account_id, with_places=True)
        # they write to the bot again: they have unblocked it (Telegram's flag is on the person, read with it).
        # A transaction of its own, not the update's: the person is read before the update's unit of work
        # begins (and for updates that have none), once a `KEEP` for every channel of the process, and the
        # mark holds whatever the update then does.
        if person is not None and (person.unreachable or channel != TELEGRAM):
            async with self.session_factory.begin() as session:
                await mark_reachable(session, person.id, channel)
            if channel == TELEGRAM:
                person.unreachable = False  # the copy kept here says so too
        self._people[(channel, account_id)] = person
        return person

    def forget(self, channel: str, account_id: int) -> None:
        """The account's entry and, when it was somebody's, that person's entries in every channel."""
        person = self._people.pop((channel, account_id), None)
        if person is not None:
            for key in [k for k, p in self._people.items() if p is not None and p.id == person.id]:
                self._people.pop(key, None)
