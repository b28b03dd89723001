"""A burst of server errors by time window, for the fake APIs (tests.fake_telegram, tests.fake_max).

The window is read on the test's clock (tests.conftest.Clock), the clock the product is given; the test moves it
(`call_seconds` per API call in the fakes, the sender's backoff through `sleep_on`), never the wall clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Clock = Any  # tests.conftest.Clock (not imported: the fakes are imported by conftest)


@dataclass
class Burst:
    """Every call of `methods` (lower case: «sendmessage», «post /messages») answered `status` while the clock
    reads from `start` to `end`. `delivers(n)`: whether the n-th failed call (from 0) did its work before failing
    to say so (the message arrived anyway)."""

    clock: Clock
    methods: frozenset[str]
    start: dt.datetime
    end: dt.datetime
    status: int = 502
    delivers: Callable[[int], bool] = lambda n: False
    failed: Counter = field(default_factory=Counter)  # chat id -> calls failed
    delivered: Counter = field(default_factory=Counter)  # chat id -> failed calls that delivered all the same

    def hits(self, method: str) -> bool:
        return method.lower() in self.methods and self.start <= self.clock() < self.end

    def fail(self, chat_id: int | None) -> bool:
        """Count a failed call; returns whether it delivers anyway."""
        n = sum(self.failed.values())
        self.failed[chat_id] += 1
        if self.delivers(n):
            self.delivered[chat_id] += 1
            return True
        return False


def sleep_on(clock: Clock, scale: float = 0.05, most: float = 0.25) -> Callable[[float], asyncio.Future]:
    """A sleep that moves the test's clock by its seconds and waits a twentieth of them (at most a quarter of a
    second): the sender's backoff through an outage passes quickly, while the other tasks still get the moment a
    real pause would give them to reach their next wait."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(min(seconds * scale, most))

    return sleep
