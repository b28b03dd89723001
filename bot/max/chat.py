"""bot.chat.Chat for MAX: what the shared flows say, said through MAX's API.

A pressed button is answered once (POST /answers): the note on it (`ack`) and the pressed message
changed (`edit`, or its buttons taken away: `drop_buttons`) wait and go together, before the next
message or at the end of the handling. With neither there is nothing to send (MAX refuses an empty
answer). A change MAX does not make (the pressed message was deleted: the press came with `message:
null`, or MAX answers `success: false`) goes as a new message. Replies to a person ride out a short hiccup: a 429 or a
5xx is waited out and retried twice (`call`), like Telegram's replies (bot.telegram.middlewares.RetryTransient).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from maxapi.exceptions.max import MaxApiError, MaxConnection

from bot import texts
from bot.chat import Button, Buttons, Copy, albums, nothing
from bot.max.client import MESSAGE_LIMIT, MaxClient
from bot.max.render import body, messages, screen_body
from bot.max.updates import Event
from bot.render import html_of
from bot.unit_of_work import commit_before_reply
from storage.accounts import start_link
from storage.models import MAX
from surveys.screens import Rich, Screen

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 3


async def call(make: Callable[[], Awaitable[T]], retry_after: float = 1.0) -> T:
    """One reply with the replies' retry rules: a 429 or a MAX hiccup (5xx, a dropped connection) retried twice."""
    for attempt in range(1, ATTEMPTS):
        try:
            return await make()
        except MaxApiError as exc:
            if exc.code != 429 and exc.code < 500:
                raise
            log.warning("MAX answered %s: retry %s", exc.code, attempt)
            await asyncio.sleep(retry_after if exc.code == 429 else 0.5 * attempt)
        except (MaxConnection, TimeoutError) as exc:
            log.warning("MAX: %s, retry %s", type(exc).__name__, attempt)
            await asyncio.sleep(0.5 * attempt)
    return await make()


class MaxChat:
    channel = "max"
    limit = MESSAGE_LIMIT

    def __init__(self, client: MaxClient, event: Event,
                 before_reply: Callable[[], Awaitable[None]] | None = commit_before_reply) -> None:
        self.client = client
        self.event = event
        self.chat_id = event.chat_id
        self.user_id = event.user_id
        self.private = event.private
        self.group = not event.private
        self.before_reply = before_reply  # commits the handler's session: what it wrote is stored before the person sees it
        self.answered = event.callback_id is None
        self._notice: str | None = None
        self._message: dict[str, Any] | None = None
        self._resend = False  # the change is a new screen: sent as a new message when MAX does not make it

    async def _ready(self) -> None:
        if self.before_reply is not None:
            await self.before_reply()

    async def flush(self) -> None:
        """Answer the pressed button (once): the note and the changed message together."""
        if self.answered:
            return
        self.answered = True
        if self._message is None and not self._notice:
            return  # nothing to say: MAX refuses an empty answer (400 proto.payload)
        await self._ready()
        try:
            done = await call(lambda: self.client.answer(self.event.callback_id, self._message, self._notice),
                              self.client.retry_after)
        except MaxApiError as exc:  # the note is best effort, as Telegram's callback answer is
            log.warning("POST /answers failed: %s", exc.code)
            done = self._message is None
        if not done and self._message is not None and self._resend:
            message = self._message
            await call(lambda: self.client.send(self.chat_id, message), self.client.retry_after)

    async def replace(self, screen: Screen, *, keyboard_only: bool = False) -> None:
        """The pressed message becomes the screen (a questionnaire's next one), with its notice, in one answer;
        a new message when the pressed one is gone."""
        message, notice = screen_body(screen), screen.notice
        if self.event.callback_id is None or self.answered:
            await self._ready()
            await call(lambda: self.client.send(self.chat_id, message), self.client.retry_after)
            return
        if notice:
            self._notice = notice
        if self.event.mid is None:  # deleted before the press arrived: the note, then the screen anew
            await self.flush()
            await self._ready()
            await call(lambda: self.client.send(self.chat_id, message), self.client.retry_after)
            return
        self._message, self._resend = message, True
        await self.flush()

    async def say(self, text: Rich | str, buttons: Buttons | None = None) -> None:
        await self._send(body(html_of(text), buttons))

    async def _send(self, message: dict[str, Any]) -> None:
        await self.flush()
        await self._ready()
        await call(lambda: self.client.send(self.chat_id, message), self.client.retry_after)

    async def say_lines(self, lines: list[Rich], buttons: Buttons | None = None) -> None:
        chunks = messages(lines)
        for n, chunk in enumerate(chunks):
            await self._send(body(chunk, buttons if n == len(chunks) - 1 else None))

    async def show(self, screen: Screen) -> None:
        """A questionnaire's screen (surveys.screens), with MAX's renderer."""
        await self.flush()
        await self._ready()
        await call(lambda: self.client.send(self.chat_id, screen_body(screen)), self.client.retry_after)

    async def send_file(self, kind: str, name: str, data: bytes, caption: Rich | str | None = None) -> None:
        await self.flush()
        await self._ready()
        text = html_of(caption) if caption else None
        await call(lambda: self.client.send_file(self.chat_id, kind, name, data, text), self.client.retry_after)

    async def photos(self, photos: list[tuple[str, bytes]], caption: Rich | str | None = None) -> None:
        """The pictures in one message (MAX's `attachments` is an array: a message carries several images)."""
        await self.flush()
        await self._ready()
        text = html_of(caption) if caption else None
        for n, album in enumerate(albums(photos)):
            files = [("photo", name, data) for name, data in album]
            first = text if n == 0 else None
            await call(lambda: self.client.send_files(self.chat_id, files, first), self.client.retry_after)

    async def ack(self, notice: str | None = None, *, alert: bool = False) -> None:
        if self.event.callback_id is None:
            if notice:
                await self.say(notice)
            return
        if notice and not self.answered:
            self._notice = notice

    async def drop_buttons(self) -> None:
        """The pressed message keeps its text and loses its buttons (its plain text: MAX's update carries no HTML)."""
        if self.event.callback_id is not None and not self.answered and self.event.mid is not None:
            self._message = body(html_of(self.event.message_text or ""))
            self._resend = False

    async def edit(self, text: Rich | str, buttons: Buttons | None = None) -> None:
        if self.event.callback_id is not None and not self.answered and self.event.mid is not None:
            self._message, self._resend = body(html_of(text), buttons), True
            return
        await self.say(text, buttons)

    def uploading(self) -> AbstractAsyncContextManager[Any]:
        return nothing()

    async def show_menu(self, role: str, app_url: str | None = None) -> None:
        """MAX has one menu for everybody (bot.max.app.COMMANDS)."""

    def discard(self) -> None:
        if not self.answered:
            self._notice = None
            self._message = None

    async def finish(self) -> None:
        await self.flush()

    async def start_link(self, token: str) -> str:
        return start_link(MAX, self.client.username, token)

    def share_button(self, link: str, text: str) -> Button:
        """MAX has no share dialog for bots: the button copies the invite's text, to paste into the teachers' chat."""
        return texts.BTN_COPY_INVITE, Copy(text)
