"""The one sender for bulk messages, within Telegram's limits.

- At most `rate` messages per second overall (aiolimiter's leaky bucket in one process, or a
  limiter shared through Redis by several), about one per second to one private chat and 20
  per minute to one group.
- 429: waits retry_after (all sending pauses, since the limit is the bot's) and retries the
  same message.
- 403: the person blocked the bot; reported as UNREACHABLE, never retried.
- Timeouts, network errors and 5xx: retried with exponential backoff, then reported as FAILED.
"""

from __future__ import annotations

import asyncio
import logging
import time
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


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    value: Any = None
    error: str | None = None


class LocalPause:
    """The 429 pause of this process (RedisPause shares it between processes)."""

    def __init__(self) -> None:
        self._until = 0.0

    async def until(self) -> float:
        return self._until

    async def pause(self, until: float) -> None:
        self._until = max(self._until, until)


class Sender:
    def __init__(
        self,
        *,
        rate: float = 30,
        global_limiter: Any = None,
        pause: Any = None,
        group_per_minute: float = 20,
        private_per_second: float = 1,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_retry_after: float = 3600,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self._global = global_limiter or AsyncLimiter(rate, 1)
        self._pause = pause or LocalPause()
        self._group_per_minute = group_per_minute
        self._private_per_second = private_per_second
        self._chats: OrderedDict[int, AsyncLimiter] = OrderedDict()
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._sleep = sleep
        self.stats = {"sent": 0, "retry_after": 0, "retried": 0, "unreachable": 0, "failed": 0}

    def _chat_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._chats.get(chat_id)
        if limiter is None:
            if chat_id < 0:  # groups and channels
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
        while (left := await self._pause.until() - time.time()) > 0:
            await self._sleep(left)

    async def send(self, chat_id: int, call: Callable[[], Awaitable[T]]) -> SendResult:
        """Make one Bot API call to `chat_id` within the limits; never raises for Telegram errors."""
        attempts = 0
        while True:
            await self._wait_pause()
            async with self._chat_limiter(chat_id):
                async with self._global:
                    await self._wait_pause()
                    try:
                        value = await call()
                    except TelegramRetryAfter as exc:
                        wait = min(float(exc.retry_after), self.max_retry_after)
                        self.stats["retry_after"] += 1
                        log.warning("429 from Telegram: pausing bulk sending for %s s", wait)
                        await self._pause.pause(time.time() + wait)
                        continue
                    except TelegramForbiddenError as exc:
                        self.stats["unreachable"] += 1
                        return SendResult(Outcome.UNREACHABLE, error=exc.message)
                    except (TelegramBadRequest, TelegramNotFound) as exc:
                        if "chat not found" in exc.message.lower() or "user is deactivated" in exc.message.lower():
                            self.stats["unreachable"] += 1
                            return SendResult(Outcome.UNREACHABLE, error=exc.message)
                        self.stats["failed"] += 1
                        return SendResult(Outcome.FAILED, error=exc.message)
                    except (TelegramNetworkError, TelegramServerError, TimeoutError) as exc:
                        attempts += 1
                        if attempts >= self.max_attempts:
                            self.stats["failed"] += 1
                            return SendResult(Outcome.FAILED, error=f"{type(exc).__name__}: {exc}"[:300])
                        self.stats["retried"] += 1
                        delay = self.backoff * 2 ** (attempts - 1)
                        log.warning("sending failed (%s), retry %s in %.1f s", type(exc).__name__, attempts, delay)
                    else:
                        self.stats["sent"] += 1
                        return SendResult(Outcome.SENT, value)
            await self._sleep(delay)
