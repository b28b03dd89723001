"""The button that opens the dashboard, as each messenger opens a Mini App (the features add it under /summary, /card
and /app; the channel's renderer draws it):

- Telegram, private chat: an inline `web_app` button with the page's URL (`?start=s<id>` opens a school);
- Telegram, a group: `web_app` buttons are refused there, so a `url` button to https://t.me/<bot>?startapp=<param>
  (the bot's Main Mini App, set in @BotFather to WEBAPP_URL); the parameter reaches the launch data (start_param);
- MAX: an inline button of type `open_app` with the bot's name and the parameter as its `payload` (MAX has one
  mini-app a bot, set in the partner cabinet to WEBAPP_URL; the payload reaches the launch data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.chat import Button, Link, OpenApp, WebApp


@dataclass
class AppLinks:
    url: str  # WEBAPP_URL: the page's public https address
    bots: dict[str, str] = field(default_factory=dict)  # channel -> the bot's public name (filled at start-up)
    cache: Any = None  # scoring.dashboard.SummaryCache of the dashboard this process serves: /summary fills it


def app_button(links: AppLinks | None, channel: str, private: bool, label: str, start: str = "") -> Button | None:
    """The button, or None when the dashboard is not set up (no WEBAPP_URL) or the bot's name is not known."""
    if links is None or not links.url:
        return None
    if channel == "max":
        bot = links.bots.get("max")
        return (label, OpenApp(bot, start)) if bot else None
    if private:
        return label, WebApp(links.url + (f"?start={start}" if start else ""))
    bot = links.bots.get("telegram")
    return (label, Link(f"https://t.me/{bot}?startapp" + (f"={start}" if start else ""))) if bot else None
