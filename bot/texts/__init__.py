"""Every text the bot shows (Russian), a module a part of the product; `bot.texts.NAME` reads any of them."""

from __future__ import annotations

from bot.texts.calendar import *  # noqa: F403
from bot.texts.campaigns import *  # noqa: F403
from bot.texts.chase import *  # noqa: F403
from bot.texts.copies import *  # noqa: F403
from bot.texts.people import *  # noqa: F403
from bot.texts.report import *  # noqa: F403
from bot.texts.returns import *  # noqa: F403
from bot.texts.webapp import *  # noqa: F403
