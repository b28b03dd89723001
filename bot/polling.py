"""Long polling through the inbox: an update is confirmed to Telegram only once it is recorded.

Each batch from getUpdates is read raw and recorded in the inbox in one durable write
(storage.inbox); only then does the next getUpdates confirm it, and the recorded updates are
handled, many at once (one user's in order, by the dispatcher's event isolation). A crash
loses nothing that Telegram was told arrived: at start, what the inbox holds unhandled is
handled first. An update aiogram cannot read is kept in the inbox as poison, confirmed and
skipped, so one bad update never stops the bot for everyone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from pydantic import ValidationError

from bot.middlewares import handling
from storage.inbox import Inbox, Received

log = logging.getLogger(__name__)

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


def parse_update(raw: Any, bot: Bot) -> tuple[Received, Update | None]:
    """One raw update from Telegram: readable, or poison (logged without its content)."""
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if not isinstance(update_id, int):
        return Received(-1, None, "no update_id"), None
    try:
        return Received(update_id, raw), Update.model_validate(raw, context={"bot": bot})
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        log.error("update %s cannot be read (%s): kept in the inbox as poison and skipped", update_id, fields)
        return Received(update_id, raw, f"cannot be read: {fields}"[:300]), None


class UpdateHandler:
    """Handles recorded updates: through the dispatcher, the callback answer a handler returns sent after.

    The whole handling (errors router included) runs as «handling an update» (bot.middlewares.handling):
    its replies ride out a short Telegram hiccup. `on_handled` (tests) is told when an update is done.
    """

    def __init__(self, dp: Dispatcher, bot: Bot, *, concurrency: int = 100,
                 on_handled: Callable[[int], Awaitable[None]] | None = None, **kwargs: Any) -> None:
        self.dp = dp
        self.bot = bot
        self.kwargs = kwargs
        self.on_handled = on_handled
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[int, None] = OrderedDict()  # ids taken in this process (in hand, or just handled)

    async def spawn(self, update: Update) -> None:
        """Start handling, unless this process has it in hand already (a redelivery met while resuming);
        waits while `concurrency` updates are being handled."""
        if update.update_id in self._seen:
            log.info("update %s is in hand already: skipped", update.update_id)
            return
        self._seen[update.update_id] = None
        if len(self._seen) > 100_000:
            self._seen.popitem(last=False)
        await self._slots.acquire()
        task = asyncio.create_task(self._one(update))
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _one(self, update: Update) -> None:
        handling.set(asyncio.current_task())
        started = time.perf_counter()
        try:
            result = await self.dp.feed_update(self.bot, update, **self.kwargs)
            if isinstance(result, AnswerCallbackQuery):
                try:
                    await self.bot(result)
                except TelegramAPIError as exc:  # the button's note is best effort, as in aiogram's polling
                    log.warning("answerCallbackQuery failed: %s", type(exc).__name__)
            elif isinstance(result, TelegramMethod):
                await self.dp.silent_call_request(self.bot, result)
            if log.isEnabledFor(logging.DEBUG):  # ids and times only: no personal data in the log
                log.debug("update %s (%s) handled in %.1f ms", update.update_id, update.event_type,
                          (time.perf_counter() - started) * 1000)
        except Exception as exc:  # noqa: BLE001 - the errors router has had its say; keep going
            log.error("update %s failed: %s", update.update_id, type(exc).__name__, exc_info=exc)
        finally:
            if self.on_handled is not None:
                await self.on_handled(update.update_id)

    async def wait(self, timeout: float | None = None) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)


class InboxPoller:
    def __init__(self, dp: Dispatcher, bot: Bot, inbox: Inbox, *, polling_timeout: int = 30, limit: int = 100,
                 concurrency: int = 100, on_handled: Callable[[int], Awaitable[None]] | None = None, **kwargs: Any) -> None:
        self.dp = dp
        self.bot = bot
        self.inbox = inbox
        self.polling_timeout = polling_timeout
        self.limit = limit
        self.kwargs = kwargs
        self.handler = UpdateHandler(dp, bot, concurrency=concurrency, on_handled=on_handled, **kwargs)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Stop asking Telegram for more, finish what is in hand and return from run()."""
        self._stop.set()

    async def _get_updates(self, offset: int | None, timeout: int, limit: int | None = None) -> list[Any]:
        """getUpdates read raw: aiogram would refuse the whole batch for one update it cannot read."""
        session = await self.bot.session.create_session()
        url = self.bot.session.api.api_url(token=self.bot.token, method="getUpdates")
        body: dict[str, Any] = {"timeout": timeout, "limit": limit or self.limit,
                                "allowed_updates": self.dp.resolve_used_update_types()}
        if offset is not None:
            body["offset"] = offset
        async with session.post(url, json=body, timeout=timeout + (self.bot.session.timeout or 60)) as response:
            payload = json.loads(await response.read())
        if not payload.get("ok"):
            raise RuntimeError(f"getUpdates: {payload.get('error_code')} {payload.get('description', '')[:100]}")
        result = payload.get("result")
        return result if isinstance(result, list) else []

    async def resume(self) -> None:
        """Handle what was recorded but not handled before the last stop."""
        pending = await self.inbox.pending()
        if pending:
            log.info("handling %d updates recorded before the last stop", len(pending))
        for update_id, raw in pending:
            received, update = parse_update(raw, self.bot)
            if update is None:
                await self.inbox.mark_done(update_id)
                continue
            await self.handler.spawn(update)

    async def run(self) -> None:
        bot, dp = self.bot, self.dp
        workflow = {"dispatcher": dp, "bots": [bot], **dp.workflow_data, **self.kwargs}
        await dp.emit_startup(bot=bot, **workflow)
        backoff = Backoff(BACKOFF)
        offset: int | None = None
        stopping = asyncio.create_task(self._stop.wait())
        try:
            await self.resume()
            while not self._stop.is_set():
                fetch = asyncio.ensure_future(self._get_updates(offset, self.polling_timeout))
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                if not fetch.done():
                    fetch.cancel()
                    break
                try:
                    raw = fetch.result()
                except Exception as exc:  # noqa: BLE001 - Telegram or the network is down: wait and retry
                    log.error("getUpdates failed (%s); retrying in %.1f s", type(exc).__name__, backoff.next_delay)
                    await backoff.asleep()
                    continue
                backoff.reset()
                if not raw:
                    continue
                parsed = [parse_update(item, bot) for item in raw]
                readable = {received.update_id: update for received, update in parsed if update is not None}
                to_handle = await self.inbox.record([received for received, _ in parsed if received.update_id >= 0])
                for update_id in readable.keys() - set(to_handle):
                    log.info("update %s was handled before: skipped", update_id)
                ids = [item.get("update_id") for item in raw if isinstance(item, dict) and isinstance(item.get("update_id"), int)]
                offset = max(ids) + 1 if ids else offset  # confirmed by the next getUpdates: recorded, so safe
                for update_id in to_handle:
                    if update_id in readable:
                        await self.handler.spawn(readable[update_id])
            if offset is not None:
                try:  # confirm the last batch, so that a restart does not see it again
                    await self._get_updates(offset, 0, limit=1)
                except Exception as exc:  # noqa: BLE001 - it is in the inbox: a restart skips or handles it
                    log.warning("could not confirm the last updates (%s)", type(exc).__name__)
        finally:
            stopping.cancel()
            await self.handler.wait(timeout=30)
            await dp.emit_shutdown(bot=bot, **workflow)
