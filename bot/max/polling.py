"""MAX's long polling (GET /updates with a marker), through the inbox; each update then handled by the app
(bot.max.app.Handling) in a task of its own.

Every update is read inside one guard (bot.max.updates.parse): what cannot be read is recorded as poison and
skipped, and the marker moves past it. With a webhook subscription left, MAX gives long polling nothing: the
poller checks GET /subscriptions at start and says what to do (or removes it, when told to).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.max.app import UPDATE_TYPES, Handling, MaxApp, log_poison
from bot.max.updates import Event, parse
from storage import outage
from storage.inbox import MAX_BODY, unreadable
from storage.outage import lost_dependency

log = logging.getLogger(__name__)

SUBSCRIBED = ("MAX: у бота есть подписка webhook ({urls}), а при активной подписке MAX не отдаёт обновления long "
              "polling — бот ничего не получит. Для работы задайте MAX_WEBHOOK_URL (режим webhook); для разработки "
              "удалите подписку (DELETE /subscriptions?url=...) или задайте MAX_POLLING_DROP_WEBHOOK=1, и бот удалит её сам.")
DROPPED = "MAX: подписка webhook {url} удалена (MAX_POLLING_DROP_WEBHOOK=1): обновления идут в long polling."


class MaxPoller:
    """Long polling (GET /updates with a marker) through the inbox; `stop()` finishes what is in hand.

    MAX confirms a batch when the next poll passes its marker: the batch is recorded first, with the
    marker, in one durable write, so a restart starts from the saved marker and handles what was recorded
    and not handled. The first start asks from the start of MAX's queue (without a marker MAX gives only
    the latest update). A batch that cannot be read as a whole (an update nested too deep) is asked for
    again one update at a time, so that only the bad one is poison. MAX allows about two polls a second:
    polls are at least `min_interval` apart. At start the poller looks at GET /subscriptions: while a
    webhook subscription exists MAX gives polling nothing; it says so in one line, or removes it when
    `drop_webhook` (MAX_POLLING_DROP_WEBHOOK).
    """

    def __init__(self, app: MaxApp, *, timeout: int = 30, limit: int = 100, concurrency: int = 50,
                 min_interval: float = 0.5, on_handled: Callable[[int], Awaitable[None]] | None = None,
                 drop_webhook: bool = False) -> None:
        self.app = app
        self.timeout = timeout
        self.limit = limit
        self.min_interval = min_interval
        self.drop_webhook = drop_webhook
        self.handling = Handling(app, concurrency=concurrency, on_handled=on_handled)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def spawn(self, key: int, event: Event | None) -> None:
        await self.handling.spawn(key, event)

    async def resume(self) -> None:
        await self.handling.resume()

    async def check_subscriptions(self) -> None:
        try:
            found = await self.app.client.subscriptions()
        except Exception as exc:  # noqa: BLE001 - a check: polling goes on
            log.warning("MAX GET /subscriptions failed (%s)", type(exc).__name__)
            return
        urls = [str(s.get("url")) for s in found if s.get("url")]
        if not urls:
            return
        if not self.drop_webhook:
            log.error(SUBSCRIBED.format(urls=", ".join(urls)))
            return
        for url in urls:
            await self.app.client.unsubscribe(url)
            log.warning(DROPPED.format(url=url))

    async def run(self) -> None:
        await self.app.start()
        await self.check_subscriptions()
        marker = await outage.until_back(self.app.inbox.marker)  # a lost database waits (storage.outage)
        stopping = asyncio.create_task(self._stop.wait())
        delay = 1.0
        isolating = False  # a batch could not be read: ask one update at a time until the bad one is passed
        try:
            await outage.until_back(self.resume)
            while not self._stop.is_set():
                started = time.monotonic()
                limit = 1 if isolating else self.limit
                fetch = asyncio.ensure_future(self.app.client.updates(marker, self.timeout, limit, UPDATE_TYPES))
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    break
                try:
                    data = fetch.result()
                    marker = await self._batch(data, marker, limit)
                except Exception as exc:  # noqa: BLE001 - MAX, the network or the database is down: wait and retry
                    lost = lost_dependency(exc)  # the marker not saved: MAX gives the batch again
                    if lost is not None:
                        outage.lost(lost, exc)
                    else:
                        log.error("MAX GET /updates failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 1.5, 5.0)
                    continue
                delay = 1.0
                if data.get("unreadable"):
                    isolating = limit > 1
                elif not data.get("updates"):
                    isolating = False
                left = self.min_interval - (time.monotonic() - started)
                if left > 0:
                    await asyncio.sleep(left)
        finally:
            stopping.cancel()
            await self.handling.wait(30)

    async def _batch(self, data: dict[str, Any], marker: int | None, limit: int) -> int | None:
        """Record a batch with its marker (one durable write), then hand its readable updates over; returns the
        marker to poll from next."""
        new_marker = data.get("marker")
        if data.get("unreadable"):
            if limit > 1:  # asked again one at a time, from the same marker
                log.warning("MAX: a batch of updates cannot be read (%s): asking one at a time", data["unreadable"])
                return marker
            if new_marker is None:
                raise ValueError(f"an update cannot be read and names no marker ({data['unreadable']})")
            received = [unreadable(data.get("text", "")[:MAX_BODY], str(data["unreadable"]))]
            log_poison(received[0])
            await self.app.inbox.record(received, marker=new_marker)
            return new_marker
        parsed = [parse(item) for item in data.get("updates") or []]
        for received, _ in parsed:
            log_poison(received)
        received = [r for r, _ in parsed]
        if received or (new_marker is not None and new_marker != marker):
            to_handle = set(await self.app.inbox.record(received, marker=new_marker))
        else:
            to_handle = set()
        for r, event in parsed:
            if r.poison is None and r.update_id in to_handle:
                await self.handling.spawn(r.update_id, event)
            elif r.poison is None:
                log.info("MAX update %s was handled before: skipped", r.update_id)
        return new_marker if new_marker is not None else marker
