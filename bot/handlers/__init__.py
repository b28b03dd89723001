"""One router per feature; get_routers() is shared by __main__ and the tests.

Each call builds fresh routers (a router can belong to one dispatcher only), so a test
can restart the bot in the same process. Order matters only for the fallbacks: `common`
goes last, so that its catch-all handlers see only what no feature claimed.
"""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    from bot.handlers import (
        calendar,
        campaigns,
        chase,
        common,
        coordinator,
        deputy,
        errors,
        privacy,
        questionnaire,
        registration,
        returns,
    )

    modules = (errors, registration, privacy, questionnaire, coordinator, campaigns, calendar, deputy, chase, returns, common)
    return [m.create_router() for m in modules]
