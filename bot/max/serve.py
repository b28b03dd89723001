"""MAX's updates in: long polling (GET /updates with a marker) or the webhook, both through the inbox, each update
then handled by the app (bot.max.app)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from bot.max.app import UPDATE_TYPES, MaxApp
from bot.max.updates import Event, parse

log = logging.getLogger(__name__)


class MaxPoller:
    """Long polling (GET /updates with a marker) through the inbox; `stop()` finishes what is in hand.

    MAX confirms a batch when the next poll passes its marker: the batch is recorded first, with the
    marker, in one durable write, so a restart starts from the saved marker and handles what was recorded
    and not handled. MAX allows about two polls a second: polls are at least `min_interval` apart.
    """

    def __init__(self, app: MaxApp, *, timeout: int = 30, limit: int = 100, concurrency: int = 50,
                 min_interval: float = 0.5, on_handled: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.app = app
        self.timeout = timeout
        self.limit = limit
        self.min_interval = min_interval
        self.on_handled = on_handled
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

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
            await self.app.handle(key, event)
        finally:
            if self.on_handled is not None:
                await self.on_handled(key)

    async def resume(self) -> None:
        pending = await self.app.inbox.pending()
        if pending:
            log.info("MAX: handling %d updates recorded before the last stop", len(pending))
        for key, raw in sorted(pending, key=lambda item: (item[1].get("timestamp") or 0, item[0])):
            _, event = parse(raw)
            await self.spawn(key, event)

    async def run(self) -> None:
        await self.app.start()
        marker = await self.app.inbox.marker()
        stopping = asyncio.create_task(self._stop.wait())
        delay = 1.0
        try:
            await self.resume()
            while not self._stop.is_set():
                started = time.monotonic()
                fetch = asyncio.ensure_future(self.app.client.updates(marker, self.timeout, self.limit, UPDATE_TYPES))
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    break
                try:
                    data = fetch.result()
                except Exception as exc:  # noqa: BLE001 - MAX or the network is down: wait and retry
                    log.error("MAX GET /updates failed (%s); retrying in %.1f s", type(exc).__name__, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 1.5, 5.0)
                    continue
                delay = 1.0
                raw = data.get("updates") or []
                new_marker = data.get("marker")
                parsed = [parse(item) for item in raw]
                readable = [(r.update_id, e) for r, e in parsed if r.update_id >= 0 and r.poison is None]
                for r, _ in parsed:
                    if r.poison:
                        log.error("MAX update %s cannot be read (%s): kept as poison and skipped", r.update_id, r.poison)
                received = [r for r, _ in parsed if r.update_id >= 0]
                if received or (new_marker is not None and new_marker != marker):
                    to_handle = set(await self.app.inbox.record(received, marker=new_marker))
                else:
                    to_handle = set()
                if new_marker is not None:
                    marker = new_marker
                for key, event in readable:
                    if key in to_handle:
                        await self.spawn(key, event)
                    else:
                        log.info("MAX update %s was handled before: skipped", key)
                left = self.min_interval - (time.monotonic() - started)
                if left > 0:
                    await asyncio.sleep(left)
        finally:
            stopping.cancel()
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=30)


def webhook_app(app: MaxApp, *, path: str, secret: str | None) -> Any:
    """Webhook mode: MAX posts each update to `path` with the secret in X-Max-Bot-Api-Secret; the update is
    recorded in the inbox and handled before the 200 (a failed delivery is retried by MAX for up to 8 hours)."""
    from aiohttp import web

    async def receive(request: web.Request) -> web.Response:
        if secret and request.headers.get("X-Max-Bot-Api-Secret") != secret:
            return web.Response(status=401)
        try:
            raw = json.loads(await request.read())
        except ValueError:
            return web.json_response({"ok": True})
        received, event = parse(raw)
        if received.update_id < 0:
            return web.json_response({"ok": True})
        to_handle = await app.inbox.record([received])
        if received.poison is None and received.update_id in to_handle:
            await app.handle(received.update_id, event)
        return web.json_response({"ok": True})

    web_app = web.Application()
    web_app.router.add_post(path, receive)
    return web_app


__all__ = ["MaxApp", "MaxPoller", "webhook_app"]
