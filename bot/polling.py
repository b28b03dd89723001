"""Long polling that confirms updates to Telegram only after they have been handled.

aiogram's polling confirms each update (the next getUpdates' offset) as soon as it has been
read and handed to a task, so a crash loses the updates in flight. Here a batch is handled to
the end, its updates concurrently (one user's updates still one after another, by the
dispatcher's event isolation), before the next getUpdates confirms it. After a crash Telegram
delivers the unconfirmed batch again and `bot.middlewares.HandleOnce` skips what was already
handled, so an answer is neither lost nor applied twice.

A batch waits at most STRAGGLER_WAIT for its slowest update: a coordinator's report that takes
seconds must not hold up every teacher's answer. What is still running then is confirmed and
finishes in the background (it alone would be lost to a crash in that window; the user asks
again).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import GetUpdates
from aiogram.utils.backoff import Backoff, BackoffConfig

log = logging.getLogger(__name__)

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)
STRAGGLER_WAIT = 2.0  # seconds; an answer takes milliseconds


class ConfirmingPoller:
    def __init__(self, dp: Dispatcher, bot: Bot, *, polling_timeout: int = 30, limit: int = 100, **kwargs: Any) -> None:
        self.dp = dp
        self.bot = bot
        self.polling_timeout = polling_timeout
        self.limit = limit
        self.kwargs = kwargs
        self._stop = asyncio.Event()
        self._background: set[asyncio.Task] = set()

    def stop(self) -> None:
        """Finish the batch in hand, confirm it and return from run()."""
        self._stop.set()

    async def run(self) -> None:
        bot, dp = self.bot, self.dp
        request = GetUpdates(timeout=self.polling_timeout, limit=self.limit, allowed_updates=dp.resolve_used_update_types())
        timeout = int((bot.session.timeout or 0) + self.polling_timeout) or None
        backoff = Backoff(BACKOFF)
        workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data, **self.kwargs}
        await dp.emit_startup(bot=bot, **workflow)
        stopping = asyncio.create_task(self._stop.wait())
        try:
            while not self._stop.is_set():
                fetch = asyncio.ensure_future(bot(request, request_timeout=timeout))
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    break
                try:
                    updates = fetch.result()
                except Exception as exc:  # noqa: BLE001 - Telegram or the network is down: wait and retry
                    log.error("getUpdates failed (%s); retrying in %.1f s", type(exc).__name__, backoff.next_delay)
                    await backoff.asleep()
                    continue
                backoff.reset()
                if not updates:
                    continue
                await self._handle(updates)
                request.offset = updates[-1].update_id + 1  # confirmed by the next getUpdates
            if request.offset is not None:
                try:  # confirm the last batch, so that a restart does not see it again
                    await bot(GetUpdates(offset=request.offset, timeout=0, limit=1), request_timeout=10)
                except Exception as exc:  # noqa: BLE001 - HandleOnce skips it after the restart anyway
                    log.warning("could not confirm the last updates (%s)", type(exc).__name__)
        finally:
            stopping.cancel()
            if self._background:
                await asyncio.wait(self._background, timeout=30)
            await dp.emit_shutdown(bot=bot, **workflow)

    async def _handle(self, updates: list) -> None:
        tasks = {asyncio.create_task(self._one(update)) for update in updates}
        _, slow = await asyncio.wait(tasks, timeout=STRAGGLER_WAIT)
        for task in slow:
            log.warning("an update is still being handled after %.0f s: it finishes in the background", STRAGGLER_WAIT)
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _one(self, update) -> None:
        try:
            await self.dp.feed_update(self.bot, update, **self.kwargs)
        except Exception as exc:  # noqa: BLE001 - the errors router has had its say; keep polling
            log.error("update %s failed: %s", update.update_id, type(exc).__name__, exc_info=exc)
