"""MAX's updates in: long polling (GET /updates with a marker) or the webhook, both through the inbox, each update
then handled by the app (bot.max.app) in a task of its own.

Every update is read inside one guard (bot.max.updates.parse / parse_body): what cannot be read is recorded as
poison and skipped, and polling's marker moves past it; the webhook answers 200 to any body once it is recorded
(MAX retries a failed delivery for up to 8 hours), and handles it after the answer, so a file MAX takes half a
minute to process never holds the HTTP reply. A person who stops the bot or deletes the dialog (`bot_stopped`,
`dialog_removed`) is marked unreachable at once, with the update's mark.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from bot.max.app import UPDATE_TYPES, MaxApp
from bot.max.updates import Event, parse, parse_body
from storage.inbox import MAX_BODY, Received, unreadable
from storage.models import MAX
from storage.writer import Sql

log = logging.getLogger(__name__)

UNREACHABLE = Sql("UPDATE account SET unreachable = :yes WHERE channel = :channel AND account_id = :account_id")
SUBSCRIBED = ("MAX: у бота есть подписка webhook ({urls}), а при активной подписке MAX не отдаёт обновления long "
              "polling — бот ничего не получит. Для работы задайте MAX_WEBHOOK_URL (режим webhook); для разработки "
              "удалите подписку (DELETE /subscriptions?url=...) или задайте MAX_POLLING_DROP_WEBHOOK=1, и бот удалит её сам.")
DROPPED = "MAX: подписка webhook {url} удалена (MAX_POLLING_DROP_WEBHOOK=1): обновления идут в long polling."


def log_poison(received: Received) -> None:
    if received.poison:
        log.error("MAX update %s cannot be read (%s): kept as poison and skipped", received.update_id, received.poison)


class Handling:
    """Recorded updates handled in tasks, many at once (one person's in order: the app's isolation), each at most
    once in this process; `stopped` updates mark the person unreachable instead of going to the app."""

    def __init__(self, app: MaxApp, *, concurrency: int = 50,
                 on_handled: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.app = app
        self.on_handled = on_handled
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def spawn(self, key: int, event: Event | None) -> None:
        if key in self._seen:
            return
        self._seen[key] = None
        if len(self._seen) > 100_000:
            self._seen.popitem(last=False)
        await self._slots.acquire()
        task = asyncio.create_task(self._one(key, event))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _one(self, key: int, event: Event | None) -> None:
        try:
            if event is not None and event.kind == "stopped":
                await self.stopped(key, event)
            else:
                await self.app.handle(key, event)
        except Exception as exc:  # noqa: BLE001 - one update never stops the channel
            log.error("MAX update %s failed: %s", key, type(exc).__name__, exc_info=exc)
        finally:
            if self.on_handled is not None:
                await self.on_handled(key)

    async def stopped(self, key: int, event: Event) -> None:
        """The person stopped the bot (or deleted the dialog): unreachable now, not at the next failed send."""
        await self.app.inbox.mark_done(key, also=[(UNREACHABLE, {"yes": True, "channel": MAX, "account_id": event.user_id})])
        self.app.services.people.forget(MAX, event.user_id)  # read again when they come back (bot_started): reachable then
        log.info("MAX: user %s stopped the bot: unreachable", event.user_id)

    async def resume(self) -> None:
        pending = await self.app.inbox.pending()
        if pending:
            log.info("MAX: handling %d updates recorded before the last stop", len(pending))
        for key, raw in sorted(pending, key=lambda item: (_stamp(item[1]), item[0])):
            received, event = parse(raw)
            if received.poison:
                await self.app.inbox.mark_done(key)
                continue
            await self.spawn(key, event)

    async def wait(self, timeout: float = 30) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


def _stamp(raw: Any) -> int:
    stamp = raw.get("timestamp") if isinstance(raw, dict) else None
    return stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0


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
        marker = await self.app.inbox.marker()
        stopping = asyncio.create_task(self._stop.wait())
        delay = 1.0
        isolating = False  # a batch could not be read: ask one update at a time until the bad one is passed
        try:
            await self.resume()
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


def webhook_app(app: MaxApp, *, path: str, secret: str | None, concurrency: int = 50,
                on_handled: Callable[[int], Awaitable[None]] | None = None) -> Any:
    """Webhook mode: MAX posts each update to `path` with the secret in X-Max-Bot-Api-Secret. A body is read
    within bounds (at most MAX_BODY bytes; the rest is not read), recorded in the inbox (poison too) and
    answered 200; it is handled after the answer. What was recorded and not handled (a crash) is handled at start."""
    from aiohttp import web

    handling = Handling(app, concurrency=concurrency, on_handled=on_handled)

    async def receive(request: web.Request) -> web.Response:
        if secret and request.headers.get("X-Max-Bot-Api-Secret") != secret:
            return web.Response(status=401)
        data = await request.content.read(MAX_BODY + 1)
        received, event = parse_body(data)
        log_poison(received)
        try:
            to_handle = await app.inbox.record([received])
        except Exception as exc:  # noqa: BLE001 - not recorded: MAX delivers it again later
            log.error("MAX webhook: the update could not be recorded (%s)", type(exc).__name__)
            return web.Response(status=503)
        if received.poison is None and received.update_id in to_handle:
            await handling.spawn(received.update_id, event)
        return web.json_response({"ok": True})

    async def started(_: web.Application) -> None:
        await handling.resume()

    async def stopping(_: web.Application) -> None:
        await handling.wait(30)

    web_app = web.Application(client_max_size=MAX_BODY + 1)
    web_app.router.add_post(path, receive)
    web_app.on_startup.append(started)
    web_app.on_shutdown.append(stopping)
    return web_app


__all__ = ["Handling", "MaxApp", "MaxPoller", "webhook_app"]
