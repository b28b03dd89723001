"""Long polling through the inbox: an update is confirmed to Telegram only once it is recorded.

Each batch from getUpdates is read raw and recorded in the inbox in one durable write
(storage.inbox); only then does the next getUpdates confirm it, and the recorded updates are
handled, many at once (one user's in order, by the dispatcher's event isolation). A crash
loses nothing that Telegram was told arrived: at start, what the inbox holds unhandled is
handled first. An update aiogram cannot read is kept in the inbox as poison, confirmed and
skipped, so one bad update never stops the bot for everyone.

Every update is read inside one guard (`parse_update`, `parse_body`, `read_updates`): bounded in size
and depth, NaN, Infinity and integers beyond 64 bits refused, a message from nobody (no `from`
outside a channel) not handed to the flows; whatever it holds, it is recorded (poison under its
update_id, or a key of its bytes) and the offset moves past it. A batch that cannot be read as a
whole is asked for again one update at a time, so that only the bad one is poison.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import AnswerCallbackQuery, TelegramMethod
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from cachetools import LRUCache
from pydantic import ValidationError

from bot.telegram.middlewares import handling
from storage import outage
from storage.inbox import (
    INT_LIMIT,
    MAX_BATCH,
    MAX_BODY,
    Inbox,
    Received,
    Unreadable,
    check,
    excerpt,
    poison_key,
    read_json,
    unreadable,
)
from storage.outage import Unavailable, lost_dependency

log = logging.getLogger(__name__)
SEEN = 100_000  # update keys remembered in process

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


_UPDATE_ID = re.compile(r'(?<!\\)"update_id"\s*:\s*(\d{1,18})')
FROM_SOMEBODY = ("message", "edited_message")  # what the flows answer, and read `from` of


def _update_id(raw: Any) -> int | None:
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if isinstance(update_id, int) and not isinstance(update_id, bool) and 0 <= update_id < INT_LIMIT:
        return update_id
    return None


def _poison(received: Received) -> tuple[Received, None]:
    log.error("update %s cannot be read (%s): kept in the inbox as poison and skipped", received.update_id, received.poison)
    return received, None


def _nobody(raw: dict[str, Any]) -> str | None:
    """Why an update names nobody to answer, or None: a message without `from` outside a channel (a channel's
    post in a group), a pressed button without its message (an inline message's: this bot sends none)."""
    callback = raw.get("callback_query")
    if isinstance(callback, dict) and not isinstance(callback.get("message"), dict):
        return "callback_query without its message"
    for kind in FROM_SOMEBODY:
        message = raw.get(kind)
        if isinstance(message, dict) and not isinstance(message.get("from"), dict):
            chat = message.get("chat")
            if not (isinstance(chat, dict) and chat.get("type") == "channel"):
                return f"{kind} without from"
    return None


def parse_update(raw: Any, bot: Bot) -> tuple[Received, Update | None]:
    """One raw update from Telegram, already read as JSON: readable, or poison (logged without its content).
    Never raises: whatever it holds, it is recorded under its update_id or a key of its text."""
    update_id = _update_id(raw)
    try:
        check(raw)
    except Unreadable as exc:
        text = excerpt(raw)
        return _poison(unreadable(text, str(exc), update_id))
    if update_id is None:
        text = excerpt(raw)
        return _poison(Received(poison_key(text), {"unreadable": text}, "no update_id"))
    try:
        update = Update.model_validate(raw, context={"bot": bot})
        update.event_type  # noqa: B018 - an update of no kind aiogram knows (or all null) raises here, not in the dispatcher
        nobody = _nobody(raw)
        if nobody is not None:
            return _poison(Received(update_id, raw, nobody))
        return Received(update_id, raw), update
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        return _poison(Received(update_id, raw, f"cannot be read: {fields}"[:300]))
    except Exception as exc:  # noqa: BLE001 - whatever it holds: poison, and the next update is read
        return _poison(Received(update_id, raw, f"cannot be read: {type(exc).__name__}"))


def parse_body(data: bytes, bot: Bot) -> tuple[Received, Update | None]:
    """One update as its bytes (a webhook's body): read within the bounds, then `parse_update`."""
    try:
        raw = read_json(data, limit=MAX_BODY)
    except Unreadable as exc:
        found = _UPDATE_ID.search(data[:MAX_BODY].decode("utf-8", "replace"))
        return _poison(unreadable(data[:MAX_BODY], str(exc), int(found.group(1)) if found else None))
    return parse_update(raw, bot)


def read_updates(data: bytes) -> tuple[list[Any], str | None]:
    """getUpdates' answer read within bounds: (the updates, each checked apart by `parse_update`; None), or
    ([], why) when the answer cannot be read as a whole; raises RuntimeError when Telegram refused."""
    try:
        payload = read_json(data, limit=MAX_BATCH, lenient=True)
    except Unreadable as exc:
        return [], str(exc)
    if not isinstance(payload, dict):
        return [], "not an object"
    if payload.get("ok") is not True:
        raise RuntimeError(f"getUpdates: {payload.get('error_code')} {str(payload.get('description', ''))[:100]}")
    result = payload.get("result")
    return (result if isinstance(result, list) else []), None


class UpdateHandler:
    """Handles recorded updates: through the dispatcher, the callback answer a handler returns sent after.

    The whole handling (errors router included) runs as «handling an update» (bot.telegram.middlewares.handling):
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
        self._seen: LRUCache[int, None] = LRUCache(SEEN)  # ids taken in this process (in hand, or just handled)

    async def spawn(self, update: Update) -> None:
        """Start handling, unless this process has it in hand already (a redelivery met while resuming);
        waits while `concurrency` updates are being handled."""
        if update.update_id in self._seen:
            log.info("update %s is in hand already: skipped", update.update_id)
            return
        self._seen[update.update_id] = None
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
            result = await self._until_done(update)
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

    async def _until_done(self, update: Update) -> Any:
        """The update through the dispatcher; while the database or Redis is gone (storage.outage) it waits with
        backoff and goes through again: it was recorded, not done, and nobody was told anything."""
        waits = outage.backoff()
        while True:
            try:
                result = await self.dp.feed_update(self.bot, update, **self.kwargs)
            except Unavailable as exc:
                log.debug("update %s waits for %s", update.update_id, exc.name)
                await outage.pause(waits)
                continue
            outage.back(outage.DATABASE)
            outage.back(outage.REDIS)
            return result

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
        """getUpdates read raw: aiogram would refuse the whole batch for one update it cannot read. A batch that
        cannot be read as a whole: asked for again one update at a time; that one alone is poison."""
        data = await self._fetch(offset, timeout, limit or self.limit)
        updates, problem = read_updates(data)
        if problem is None:
            return updates
        if (limit or self.limit) > 1:
            log.warning("a batch of updates cannot be read (%s): asking one at a time", problem)
            return await self._get_updates(offset, 0, 1)
        found = _UPDATE_ID.search(data[:MAX_BATCH].decode("utf-8", "replace"))
        if found is None:
            raise RuntimeError(f"getUpdates: an update cannot be read and names no update_id ({problem})")
        return [unreadable(data[:MAX_BODY], problem, int(found.group(1)))]

    async def _fetch(self, offset: int | None, timeout: int, limit: int) -> bytes:
        session = await self.bot.session.create_session()
        url = self.bot.session.api.api_url(token=self.bot.token, method="getUpdates")
        body: dict[str, Any] = {"timeout": timeout, "limit": limit, "allowed_updates": self.dp.resolve_used_update_types()}
        if offset is not None:
            body["offset"] = offset
        async with session.post(url, json=body, timeout=timeout + (self.bot.session.timeout or 60)) as response:
            return await response.content.read(MAX_BATCH + 1)

    @staticmethod
    def _not_recorded(exc: Exception) -> None:
        lost = lost_dependency(exc)
        if lost is not None:
            outage.lost(lost, exc)
        else:
            log.error("a batch of updates could not be recorded (%s): not confirmed, asked for again",
                      type(exc).__name__, exc_info=exc)

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
            await outage.until_back(self.resume)  # a lost database here waits, as everywhere (storage.outage)
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
                # an item already Received: an update that could not be read at all (`_get_updates`), poison
                parsed = [_poison(item) if isinstance(item, Received) else parse_update(item, bot) for item in raw]
                readable = {received.update_id: update for received, update in parsed if update is not None}
                try:
                    to_handle = await self.inbox.record([received for received, _ in parsed])
                except Exception as exc:  # noqa: BLE001 - not recorded, so not confirmed: asked for again
                    self._not_recorded(exc)
                    await backoff.asleep()
                    continue
                for update_id in readable.keys() - set(to_handle):
                    log.info("update %s was handled before: skipped", update_id)
                ids = [received.update_id for received, _ in parsed if received.update_id >= 0]
                offset = max(ids) + 1 if ids else offset  # confirmed by the next getUpdates: recorded, so safe
                if not ids:  # nothing names where to go on from: Telegram would give the same again at once
                    await backoff.asleep()
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
