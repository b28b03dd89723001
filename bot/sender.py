"""The one sender for bulk messages, within a channel's limits (Telegram's here; MAX's in bot.max.outlet, which
gives the same core its own rate and its own reading of errors: `classify`).

- At most `rate` messages per second overall (aiolimiter's leaky bucket in one process, or a
  limiter shared through Redis by several), about one per second to one private chat and 20
  per minute to one group.
- 429: waits retry_after (all sending pauses, since the limit is the bot's) and retries the
  same message (nothing arrived).
- 403, «chat not found», a deactivated user: the person cannot be written to; UNREACHABLE, never
  retried. Any other 400: a definite refusal, FAILED.
- The channel unreachable (the connection was never made: nothing can have arrived): an outage
  (below), and the message is tried again however long it lasts.
- An ambiguous failure (5xx, a timeout, a connection dropped after the request went out: the
  message may have arrived): an outage, and `send` returns AMBIGUOUS at once. The caller keeps
  the message pending (its outbox row counts the failure through `Tries`, so a restart knows it)
  and offers it again later. Nothing is given up: a message ends only confirmed, refused, or no
  longer wanted (`wanted`, asked whenever it has waited: its campaign ended meanwhile).
- An outage pauses all sending until a real message gets through: the probe (`getMe`) answering
  is not enough, since Telegram may answer getMe while sendMessage fails. One waiting message at
  a time is tried, each step longer (bot.outage), so the tries an outage costs fall on different
  people, each at most one possible extra copy.
- A message that has failed ambiguously more than once waits a growing delay of its own before
  its next try (a chat the channel keeps failing is not written to every few seconds).
- `halt` (the caller stops): a message still waiting returns DEFERRED, nothing sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.utils.backoff import Backoff, BackoffConfig
from aiolimiter import AsyncLimiter

from bot.outage import Outage

log = logging.getLogger(__name__)
T = TypeVar("T")


class Outcome(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    AMBIGUOUS = "ambiguous"  # this try failed ambiguously (it may have arrived): still pending, to be offered again
    SUPERSEDED = "superseded"  # no longer wanted (asked after waiting: the campaign ended, the person answered)
    DEFERRED = "deferred"  # the caller halted while it waited: nothing sent, still pending


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    value: Any = None
    error: str | None = None
    ambiguous: int = 0  # ambiguous failures of this message so far (with SENT: it may have arrived 1 + that many times)


@dataclass(slots=True)
class Tries:
    """A message's tries as its outbox row keeps them, so that a restart knows them.

    `keep(ambiguous, in_flight)` is awaited with in_flight True before a call goes out, and with False once that
    call is known not to have arrived (429, never connected) or to have failed ambiguously (with the new count).
    A row found after a crash with a call in flight counts that call as an ambiguous failure.
    """

    ambiguous: int = 0
    keep: Callable[[int, bool], Awaitable[None]] | None = None

    async def kept(self, in_flight: bool) -> None:
        if self.keep is not None:
            await self.keep(self.ambiguous, in_flight)


# aiohttp's errors that mean the request never left: nothing can have arrived
NOT_SENT = ("ClientConnectorError", "ClientConnectorDNSError", "ClientConnectorSSLError", "ClientProxyConnectionError",
            "ClientConnectorCertificateError")


def never_sent(exc: Exception) -> bool:
    return isinstance(exc, TelegramNetworkError) and str(getattr(exc, "message", "")).startswith(NOT_SENT)


@dataclass(frozen=True, slots=True)
class Failure:
    """What a failed call means for bulk sending, whatever the channel."""

    kind: str  # RETRY_AFTER | UNREACHABLE | FAILED | AMBIGUOUS | NOT_SENT
    message: str = ""
    retry_after: float = 0.0


RETRY_AFTER, UNREACHABLE, FAILED, AMBIGUOUS, NOT_SENT_YET = "retry_after", "unreachable", "failed", "ambiguous", "not_sent"


def telegram_failure(exc: Exception) -> Failure | None:
    """Telegram's errors read for the sender; None: not a sending failure (raised to the caller)."""
    if isinstance(exc, TelegramRetryAfter):
        return Failure(RETRY_AFTER, exc.message, float(exc.retry_after))
    if isinstance(exc, TelegramForbiddenError):
        return Failure(UNREACHABLE, exc.message)
    if isinstance(exc, (TelegramBadRequest, TelegramNotFound)):
        lowered = exc.message.lower()
        if "chat not found" in lowered or "user is deactivated" in lowered:
            return Failure(UNREACHABLE, exc.message)
        return Failure(FAILED, exc.message)
    if isinstance(exc, (TelegramNetworkError, TelegramServerError, TimeoutError)):
        error = f"{type(exc).__name__}: {exc}"[:300]
        return Failure(NOT_SENT_YET if never_sent(exc) else AMBIGUOUS, error)
    return None


class LocalPause:
    """The 429 pause of this process, on the event loop's monotonic clock (RedisPause shares it between processes)."""

    def __init__(self) -> None:
        self._until = 0.0

    async def left(self) -> float:
        """Seconds the pause still lasts (0 or less: none)."""
        return self._until - asyncio.get_running_loop().time()

    async def pause(self, seconds: float) -> None:
        self._until = max(self._until, asyncio.get_running_loop().time() + seconds)


WAIT_ENDS = {"halted": Outcome.DEFERRED, "unwanted": Outcome.SUPERSEDED}


class Sender:
    def __init__(
        self,
        *,
        rate: float = 30,
        global_limiter: Any = None,
        pause: Any = None,
        group_per_minute: float = 20,
        private_per_second: float = 1,
        max_attempts: int = 5,  # kept for compatibility; nothing is given up for a transient failure
        backoff: float = 1.0,  # the first step of an outage, and of a message's own delay
        max_backoff: float = 30.0,  # the longest step of an outage
        max_message_backoff: float = 600.0,  # the longest own delay of a message the channel keeps failing
        max_retry_after: float = 3600,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        probe: Callable[[], Awaitable[Any]] | None = None,
        classify: Callable[[Exception], Failure | None] = telegram_failure,
        name: str = "Telegram",
    ) -> None:
        self.rate = rate
        self.classify = classify
        self.name = name
        self._global = global_limiter or AsyncLimiter(rate, 1)
        self._pause = pause or LocalPause()
        self._group_per_minute = group_per_minute
        self._private_per_second = private_per_second
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        # aiogram's Backoff (as its polling and storage.writer use), a tenth of the first step as jitter
        self._outage_steps = BackoffConfig(min_delay=backoff, max_delay=max(max_backoff, backoff * 1.5), factor=2.0,
                                           jitter=backoff / 10)
        self._message_steps = BackoffConfig(min_delay=backoff, max_delay=max(max_message_backoff, backoff * 1.5),
                                            factor=2.0, jitter=backoff / 10)
        self._sleep = sleep
        self.stats = {"sent": 0, "retry_after": 0, "retried": 0, "unreachable": 0, "failed": 0, "ambiguous": 0,
                      "outages": 0, "trials": 0, "superseded": 0}
        self.outage = Outage(self._outage_steps, sleep, probe, name, self.stats)

    def _chat_limiter(self, chat_id: int, group: bool | None = None) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if group if group is not None else chat_id < 0:  # groups and channels (Telegram's group ids are negative)
                limiter = AsyncLimiter(self._group_per_minute, 60)
            else:
                limiter = AsyncLimiter(self._private_per_second, 1)
            self._chats[chat_id] = limiter
            if len(self._chats) > 10_000:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return limiter

    async def _nap(self, seconds: float, halt: asyncio.Event | None) -> bool:
        """Sleep (the sleep this sender was given); False: halted first."""
        if halt is None:
            await self._sleep(seconds)
            return True
        nap, stop = asyncio.ensure_future(self._sleep(seconds)), asyncio.ensure_future(halt.wait())
        try:
            await asyncio.wait({nap, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            nap.cancel()
            stop.cancel()
        return not halt.is_set()

    async def _wait_pause(self, halt: asyncio.Event | None) -> bool:
        while (left := await self._pause.left()) > 0:
            if not await self._nap(left, halt):
                return False
        return True

    def _message_delay(self, ambiguous: int) -> float:
        """The own delay of a message before its try after `ambiguous` (two or more) ambiguous failures."""
        steps = Backoff(self._message_steps)
        delay = 0.0
        for _ in range(ambiguous - 1):
            delay = next(steps)
        return max(0.0, delay)

    # --- one message ---------------------------------------------------------------------

    async def send(
        self, chat_id: int, call: Callable[[], Awaitable[T]], *, tries: Tries | None = None,
        wanted: Callable[[], Awaitable[bool]] | None = None, group: bool | None = None,
        halt: asyncio.Event | None = None,
    ) -> SendResult:
        """Make one API call to `chat_id` within the limits; never raises for the channel's errors.

        `tries`: the message's count of ambiguous failures, kept by its outbox row (None: a call nobody keeps,
        such as a progress edit, which is never an outage's trial). `wanted` is asked whenever the message has
        waited (an outage, its own delay); `halt` ends a wait with DEFERRED. `group`: whether the chat is a group
        (default: Telegram's negative ids).
        """
        waited = False

        def result(outcome: Outcome, value: Any = None, error: str | None = None) -> SendResult:
            if outcome == Outcome.SUPERSEDED:
                self.stats["superseded"] += 1
            return SendResult(outcome, value, error, tries.ambiguous if tries is not None else 0)

        if tries is not None and tries.ambiguous > 1:  # a chat the channel keeps failing: a growing delay of its own
            if not await self._nap(self._message_delay(tries.ambiguous), halt):
                return result(Outcome.DEFERRED)
            waited = True
        while True:
            trial = False
            if self.outage.on:
                turn = await self.outage.wait(tries.ambiguous if tries is not None else None, wanted, halt)
                if turn in WAIT_ENDS:
                    return result(WAIT_ENDS[turn])
                trial, waited = turn == "trial", True
            verdict: bool | None = None  # a trial's: whether the channel answered
            try:
                if waited and wanted is not None and not await wanted():
                    return result(Outcome.SUPERSEDED)
                waited = False
                if not await self._wait_pause(halt):
                    return result(Outcome.DEFERRED)
                async with self._chat_limiter(chat_id, group):
                    async with self._global:
                        if not trial and self.outage.on:
                            continue  # an outage began meanwhile: wait it out
                        if not await self._wait_pause(halt):
                            return result(Outcome.DEFERRED)
                        if tries is not None:
                            await tries.kept(True)
                        try:
                            value = await call()
                        except Exception as exc:
                            failure = self.classify(exc)
                            if failure is None:
                                raise
                            verdict = failure.kind in (RETRY_AFTER, UNREACHABLE, FAILED)  # the channel answered
                            if failure.kind == RETRY_AFTER:
                                wait = min(failure.retry_after, self.max_retry_after)
                                self.stats["retry_after"] += 1
                                log.warning("429 from %s: pausing bulk sending for %s s", self.name, wait)
                                await self._pause.pause(wait)
                                if tries is not None:
                                    await tries.kept(False)
                                continue
                            if failure.kind in (UNREACHABLE, FAILED):
                                self.stats[failure.kind] += 1
                                return result(Outcome(failure.kind), error=failure.message)
                            self.outage.start()
                            self.stats["retried"] += 1
                            if failure.kind == NOT_SENT_YET:  # nothing arrived: tried again after the outage
                                log.warning("%s cannot be reached (%s): sending waits", self.name, type(exc).__name__)
                                if tries is not None:
                                    await tries.kept(False)
                                waited = True
                                continue
                            self.stats["ambiguous"] += 1
                            if tries is not None:
                                tries.ambiguous += 1
                                await tries.kept(False)
                            log.warning("sending failed ambiguously (%s): tried again when %s sends again",
                                        type(exc).__name__, self.name)
                            return result(Outcome.AMBIGUOUS, error=failure.message)
                        verdict = True
                        self.stats["sent"] += 1
                        return result(Outcome.SENT, value)
            finally:
                if trial:
                    self.outage.report(verdict)
