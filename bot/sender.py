"""The one sender for bulk messages, within a channel's limits (Telegram's here; MAX's in bot.max.outlet, which
gives the same core its own rate and its own reading of errors: `classify`).

- At most `rate` messages per second overall (aiolimiter's leaky bucket in one process, or a
  limiter shared through Redis by several), about one per second to one private chat and 20
  per minute to one group.
- 429: waits retry_after (all sending pauses, since the limit is the bot's) and retries the
  same message.
- 403, «chat not found», a deactivated user: the person cannot be written to; UNREACHABLE, never
  retried. Any other 400: a definite refusal, FAILED.
- Telegram unreachable (the connection was never made): all sending pauses until Telegram
  answers again (a probe, `getMe`, with a growing pause), then the message is sent; however long
  the outage, nothing is given up.
- An ambiguous failure (5xx, a timeout, a connection dropped after the request went out: the
  message may have arrived): all sending pauses the same way, and the message is tried once
  more; a second ambiguous failure ends it as UNCERTAIN (it may have arrived, and trying again
  could send a third copy). So a chat gets at most one extra copy, and the caller can say which
  deliveries may have arrived twice (`SendResult.ambiguous`).
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
from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)
T = TypeVar("T")


class Outcome(StrEnum):
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"
    UNCERTAIN = "uncertain"  # failed ambiguously twice: may have arrived
    SUPERSEDED = "superseded"  # after an outage the message was no longer wanted (deadline passed, answered)


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    value: Any = None
    error: str | None = None
    ambiguous: int = 0  # ambiguous failures met on the way (1 with SENT: it may have arrived twice)


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


class Sender:
    def __init__(
        self,
        *,
        rate: float = 30,
        global_limiter: Any = None,
        pause: Any = None,
        group_per_minute: float = 20,
        private_per_second: float = 1,
        max_attempts: int = 5,  # kept for compatibility; transient failures are no longer given up
        backoff: float = 1.0,
        max_backoff: float = 30.0,
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
        self._sleep = sleep
        self._probe = probe  # a harmless call (getMe) that tells whether Telegram answers again
        self._healthy = asyncio.Event()
        self._healthy.set()
        self._outage: asyncio.Task[None] | None = None
        self.stats = {"sent": 0, "retry_after": 0, "retried": 0, "unreachable": 0, "failed": 0, "ambiguous": 0,
                      "uncertain": 0, "outages": 0}

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

    async def _wait_pause(self) -> None:
        while (left := await self._pause.left()) > 0:
            await self._sleep(left)

    def _start_outage(self) -> None:
        if self._outage is None:
            self.stats["outages"] += 1
            self._healthy.clear()
            self._outage = asyncio.get_running_loop().create_task(self._wait_out())

    async def _wait_out(self) -> None:
        """Pause all sending until Telegram answers again (probed with a growing pause)."""
        delay = self.backoff
        try:
            while True:
                await self._sleep(delay)
                if self._probe is None:
                    return
                try:
                    await self._probe()
                    return
                except Exception as exc:  # noqa: BLE001 - still down
                    log.warning("%s still does not answer (%s); next try in %.0f s", self.name, type(exc).__name__, delay)
                    delay = min(delay * 2, self.max_backoff)
        finally:
            self._outage = None
            self._healthy.set()

    async def send(
        self, chat_id: int, call: Callable[[], Awaitable[T]], *, ambiguous: int = 0,
        on_ambiguous: Callable[[int], Awaitable[None]] | None = None,
        wanted: Callable[[], Awaitable[bool]] | None = None, group: bool | None = None,
    ) -> SendResult:
        """Make one API call to `chat_id` within the limits; never raises for the channel's errors.

        `ambiguous` counts ambiguous failures of this message before (from the database, after a
        restart); `on_ambiguous` is told the new count before the message is tried again, so that
        a restart keeps it. `group`: whether the chat is a group (default: Telegram's negative ids).
        """
        while True:
            await self._healthy.wait()
            await self._wait_pause()
            async with self._chat_limiter(chat_id, group):
                async with self._global:
                    await self._healthy.wait()
                    await self._wait_pause()
                    try:
                        value = await call()
                    except Exception as exc:
                        failure = self.classify(exc)
                        if failure is None:
                            raise
                        if failure.kind == RETRY_AFTER:
                            wait = min(failure.retry_after, self.max_retry_after)
                            self.stats["retry_after"] += 1
                            log.warning("429 from %s: pausing bulk sending for %s s", self.name, wait)
                            await self._pause.pause(wait)
                            continue
                        if failure.kind == UNREACHABLE:
                            self.stats["unreachable"] += 1
                            return SendResult(Outcome.UNREACHABLE, error=failure.message, ambiguous=ambiguous)
                        if failure.kind == FAILED:
                            self.stats["failed"] += 1
                            return SendResult(Outcome.FAILED, error=failure.message, ambiguous=ambiguous)
                        if failure.kind == NOT_SENT_YET:
                            log.warning("%s cannot be reached (%s): sending waits", self.name, type(exc).__name__)
                        else:
                            ambiguous += 1
                            self.stats["ambiguous"] += 1
                            if on_ambiguous is not None:
                                await on_ambiguous(ambiguous)
                            if ambiguous > 1:
                                self.stats["uncertain"] += 1
                                return SendResult(Outcome.UNCERTAIN, error=failure.message, ambiguous=ambiguous)
                            log.warning("sending failed ambiguously (%s): tried once more when %s answers",
                                        type(exc).__name__, self.name)
                        self.stats["retried"] += 1
                        self._start_outage()
                    else:
                        self.stats["sent"] += 1
                        return SendResult(Outcome.SENT, value, ambiguous=ambiguous)
