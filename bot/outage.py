"""An outage of a channel, as the sender (bot.sender) waits it out: all bulk sending pauses, and the outage ends
only when a real message gets through, not when a harmless probe answers.

At each step, longer each time (aiogram's Backoff), the probe (`getMe`) is asked; when it answers, ONE waiting
message is let through as the trial: the one with the fewest ambiguous failures (the longest waiting of those),
so that the tries an outage costs fall on different people, each at most one possible extra copy. A trial the
channel answers ends the outage; a failed one makes the next step longer. With no message waiting to be tried at
two steps in a row, the probe's answer ends it. Waiting messages are woken at every step, to ask whether they are still wanted.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram.utils.backoff import Backoff, BackoffConfig

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True)
class _Waiter:
    """A tracked message waiting out an outage: a candidate for its trial."""

    ambiguous: int
    order: int
    chosen: asyncio.Event = field(default_factory=asyncio.Event)


async def first_of(*events: asyncio.Event | None) -> None:
    """Wait until one of the events is set."""
    waits = [asyncio.ensure_future(event.wait()) for event in events if event is not None]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


class Outage:
    def __init__(self, steps: BackoffConfig, sleep: Callable[[float], Awaitable[None]],
                 probe: Callable[[], Awaitable[Any]] | None, name: str, stats: dict[str, int]) -> None:
        self.steps = steps
        self.sleep = sleep
        self.probe = probe  # a harmless call (getMe) that tells whether the channel answers at all
        self.name = name
        self.stats = stats
        self.over = asyncio.Event()  # set while there is no outage
        self.over.set()
        self._stepped = asyncio.Event()  # set at every step (then replaced): the waiting messages look again
        self._task: asyncio.Task[None] | None = None
        self._waiting: list[_Waiter] = []
        self._order = itertools.count()
        self._verdict: asyncio.Future[bool | None] | None = None  # the trial's: answered, failed, or not made

    @property
    def on(self) -> bool:
        return not self.over.is_set()

    def start(self) -> None:
        if self._task is None:
            self.stats["outages"] += 1
            self.over.clear()
            self._task = asyncio.get_running_loop().create_task(self._wait_out())

    def report(self, verdict: bool | None) -> None:
        """The trial's result: True, the channel answered; False, it failed again; None, it was not made."""
        if self._verdict is not None and not self._verdict.done():
            self._verdict.set_result(verdict)

    def _step(self) -> None:
        self._stepped.set()
        self._stepped = asyncio.Event()

    def _pick(self) -> _Waiter | None:
        if not self._waiting:
            return None
        waiter = min(self._waiting, key=lambda w: (w.ambiguous, w.order))
        self._waiting.remove(waiter)
        return waiter

    async def _wait_out(self) -> None:
        steps = Backoff(self.steps)
        empty = False  # the last step found no message to try (the failed ones may still be on their way back)
        try:
            while True:
                await self.sleep(max(0.0, next(steps)))
                self._step()
                if self.probe is not None:
                    try:
                        await self.probe()
                    except Exception as exc:  # noqa: BLE001 - still down
                        log.warning("%s still does not answer (%s); next try in %.0f s", self.name, type(exc).__name__,
                                    steps.next_delay)
                        continue
                verdict = None
                while verdict is None:
                    waiter = self._pick()
                    if waiter is None:
                        break
                    self._verdict = asyncio.get_running_loop().create_future()
                    waiter.chosen.set()
                    verdict = await self._verdict
                if verdict is None:  # nothing waits to be tried: over if nothing came for a whole step either
                    if empty:
                        return
                    empty = True
                    continue
                empty = False
                self.stats["trials"] += 1
                if verdict:
                    return
                log.warning("%s still fails to send; next trial in %.0f s", self.name, steps.next_delay)
        finally:
            self._task = None
            self._verdict = None
            self.over.set()
            self._step()

    async def wait(self, ambiguous: int | None, wanted: Callable[[], Awaitable[bool]] | None,
                   halt: asyncio.Event | None) -> str:
        """Wait while the outage lasts: "trial" when chosen to try, "over" when it ended, "halted" or "unwanted".

        `ambiguous`: the message's ambiguous failures, or None for a call nobody keeps (never a trial)."""
        waiter = _Waiter(ambiguous, next(self._order)) if ambiguous is not None else None
        if waiter is not None:
            self._waiting.append(waiter)
        going = False
        try:
            while self.on:
                stepped = self._stepped
                await first_of(self.over, stepped, halt, waiter.chosen if waiter else None)
                if waiter is not None and waiter.chosen.is_set():
                    going = True
                    return "trial"
                if halt is not None and halt.is_set():
                    return "halted"
                if stepped.is_set() and self.on and wanted is not None and not await wanted():
                    return "unwanted"
            return "over"
        finally:
            if waiter is not None:
                if waiter in self._waiting:
                    self._waiting.remove(waiter)
                elif waiter.chosen.is_set() and not going:
                    self.report(None)  # chosen while leaving: another message tries
