"""Small pieces the features share: who a person is in words, a screen's buttons, when a queued message goes out."""

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.callbacks import (
    OpenSurvey,
)
from bot.chat import Buttons
from storage.models import (
    Municipality,
    Person,
    School,
)


def addressed(full_name: str) -> str:
    """How a message addresses a person: the name and patronymic without the surname («Смирнова Мария Ивановна» →
    «Мария Ивановна»; «Алиев Рашид Гусейн оглы» → «Рашид Гусейн оглы»; «Иванова Мария» → «Мария»)."""
    parts = full_name.split()
    return " ".join(parts[1:]) if len(parts) >= 2 else full_name


def describe(person: Person, municipality: Municipality | None, school: School | None = None) -> str:
    """Who a person is in words (plain text): their role, school (its short name: the legal one is for documents)
    and municipality."""
    parts = [texts.ROLE_TITLES.get(person.role, person.role)]
    if school is not None:
        parts.append(school.short_name)
    if municipality is not None:
        parts.append(municipality.name)
    return ", ".join(parts)


def screen_buttons(screen: Any) -> Buttons:
    """A neutral screen's buttons (surveys.screens) as callback data: the campaigns list's «Начать» buttons."""
    return [[(b.label, OpenSurvey(campaign=b.action.campaign)) for b in row] for row in screen.buttons]


def when_sent(due_at: dt.datetime, timezone: str, quiet: str, now: dt.datetime) -> str:
    """When a message asked for now goes out: now, or after the campaign's quiet hours."""
    if due_at <= now:
        return texts.NUDGE_NOW
    local = due_at.astimezone(ZoneInfo(timezone))
    return texts.NUDGE_LATER.format(time=f"{local:%H:%M %d.%m}", quiet=quiet)
