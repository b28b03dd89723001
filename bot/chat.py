"""The chat a feature talks to, in any channel (bot.features): a reply, a file, a note on the pressed button,
the pressed message changed or its buttons taken away, an album of pictures, «sending a file…» while a report is built.

Each channel's adapter has one: TelegramChat (bot.telegram.chat) speaks through aiogram, MaxChat
(bot.max.chat) through MAX's API. Buttons are rows of (label, callback data): the same packed data in both channels
(bot.callbacks), checked again when pressed; text is the product's rich text (surveys.screens.Rich) or
plain text (a str), which each channel's renderer turns into its own markup; a button may instead open a link (Link) or copy a text
to the clipboard (Copy), which both channels have. What differs by channel is the chat's own: its
message length limit, an invite's start link, how an invite is passed on (`share_button`).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, Protocol

from aiogram.filters.callback_data import CallbackData

from surveys.screens import Rich, Screen


@dataclass(frozen=True, slots=True)
class Link:
    """A button that opens a link."""

    url: str


@dataclass(frozen=True, slots=True)
class Copy:
    """A button that copies a text to the clipboard."""

    text: str


@dataclass(frozen=True, slots=True)
class WebApp:
    """Telegram: a button that opens the Mini App at `url` (a private chat only; bot.webapp.buttons picks it)."""

    url: str


@dataclass(frozen=True, slots=True)
class OpenApp:
    """MAX: a button of type open_app, the bot's mini-app with `payload` in its launch data (bot.webapp.buttons)."""

    bot: str  # the bot's public name (MAX's `web_app` field)
    payload: str


Button = tuple[str, CallbackData | Link | Copy | WebApp | OpenApp]
Buttons = list[list[Button]]


def rows(buttons: list[Button], width: int) -> Buttons:
    """Buttons laid out `width` to a row."""
    return [buttons[k:k + width] for k in range(0, len(buttons), width)]


ALBUM = 10  # photos in one album: Telegram's sendMediaGroup takes 2-10; a MAX message is given as many


def albums(photos: list[tuple[str, bytes]], size: int = ALBUM) -> list[list[tuple[str, bytes]]]:
    """Photos in as few albums of `size` at most as they need, evenly filled (never an album of one beside
    a full one: Telegram refuses a group of one)."""
    if not photos:
        return []
    n = -(-len(photos) // size)
    per = -(-len(photos) // n)
    return [photos[k:k + per] for k in range(0, len(photos), per)]


class Chat(Protocol):
    channel: str
    chat_id: int
    user_id: int
    private: bool
    group: bool
    limit: int  # characters of one message in this channel (its renderer splits longer text: say_lines)

    async def say(self, text: Rich | str, buttons: Buttons | None = None) -> None:
        """A message: rich text, or a str of plain text (the channel's renderer escapes it, never reads markup in it)."""
    async def say_lines(self, lines: list[Rich], buttons: Buttons | None = None) -> None:
        """Lines of rich text in as many messages as the channel's length limit needs, `buttons` under the last."""
    async def show(self, screen: Screen) -> None: ...
    async def replace(self, screen: Screen, *, keyboard_only: bool = False) -> None:
        """The pressed message becomes `screen` (only its buttons change: `keyboard_only`), its notice the note."""
    async def send_file(self, kind: str, name: str, data: bytes, caption: Rich | str | None = None) -> None: ...
    async def photos(self, photos: list[tuple[str, bytes]], caption: Rich | str | None = None) -> None:
        """Pictures (name, PNG) as one album, `caption` under it: a Telegram media group (a single photo alone), a
        MAX message carrying them all; more than ALBUM go as several albums, the caption with the first."""
    async def ack(self, notice: str | None = None, *, alert: bool = False) -> None:
        """The note on the pressed button: plain text in every channel (a message of plain text where none was pressed)."""
    async def drop_buttons(self) -> None: ...
    async def edit(self, text: Rich | str, buttons: Buttons | None = None) -> None: ...
    def uploading(self) -> AbstractAsyncContextManager[Any]: ...
    async def start_link(self, token: str) -> str: ...
    def share_button(self, link: str, text: str) -> Button: ...
    async def show_menu(self, role: str, app_url: str | None = None) -> None:
        """The commands menu of a person who has just registered (where the channel has one a chat); with `app_url`,
        a coordinator's or a deputy's menu button opens the dashboard there (Telegram's chat menu button)."""
    def discard(self) -> None:
        """Forget what waits to go out with the pressed button's answer (the update failed)."""
    async def finish(self) -> None:
        """Send what waits (the pressed button's answer), once the update is handled."""


@asynccontextmanager
async def nothing() -> AsyncIterator[None]:
    yield
