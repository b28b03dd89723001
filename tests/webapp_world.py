"""A world for the dashboard's tests (HTTP and browser): two municipalities from scoring.demo (three school years on
record), the people of every role in both messengers, and the dashboard served on loopback, as `shnor run` serves it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.webapp.initdata import launch_data
from bot.webapp.server import WebApp
from scoring.demo import build_demo
from scoring.methodology import load_methodology
from storage.models import (
    Account,
    Campaign,
    Municipality,
    Person,
    Response,
    Role,
    School,
)
from storage.registry import list_schools

TOKENS = {"telegram": "123456:TEST-TOKEN", "max": "max-test-token_0123456789"}
ROLES = ("coordinator", "deputy", "teacher", "other_coordinator", "admin")
HASH_KEY = {"telegram": "tgWebAppData", "max": "WebAppData"}


def user_id(channel: str, role: str) -> int:
    """A messenger user id per channel and role (a stranger: one nobody registered)."""
    base = 7100 if channel == "telegram" else 8100
    return base + (ROLES.index(role) if role in ROLES else 50)


@dataclass
class WebWorld:
    municipality: Municipality
    other: Municipality
    schools: list[School]
    other_schools: list[School]
    people: dict[str, Person] = field(default_factory=dict)

    @property
    def deputy_school(self) -> School:
        return self.schools[0]


async def build_web_world(session_factory: async_sessionmaker[AsyncSession], schools: int = 8, teachers: int = 4) -> WebWorld:
    async with session_factory() as session:
        municipality = await build_demo(session, schools=schools, teachers_per_school=teachers)
        other = await build_demo(session, name="Соседний городской округ", schools=3, teachers_per_school=2, seed=7)
        await session.flush()
        mine, theirs = await list_schools(session, municipality.id), await list_schools(session, other.id)
        mine.sort(key=lambda s: s.id)
        # one school has not sent its questionnaire this year: «нет данных» is on the page, apart from 0
        latest = await session.scalar(select(Campaign.id).where(Campaign.municipality_id == municipality.id,
                                                                Campaign.audience == "school")
                                      .order_by(Campaign.period.desc()).limit(1))
        await session.execute(delete(Response).where(Response.campaign_id == latest, Response.school_id == mine[-1].id))
        world = WebWorld(municipality, other, mine, theirs)
        places = {"coordinator": (municipality, None, Role.COORDINATOR), "deputy": (municipality, mine[0], Role.DEPUTY),
                  "teacher": (municipality, mine[0], Role.TEACHER), "other_coordinator": (other, None, Role.COORDINATOR),
                  "admin": (municipality, None, Role.ADMIN)}
        for role, (place, school, kind) in places.items():
            person = Person(tg_user_id=user_id("telegram", role), chat_id=user_id("telegram", role),
                            full_name=f"Тестов {role}", role=kind, municipality_id=place.id,
                            school_id=school.id if school is not None else None)
            session.add(person)
            await session.flush()
            session.add(Account(person_id=person.id, channel="max", account_id=user_id("max", role),
                                chat_id=user_id("max", role)))
            world.people[role] = person
        await session.commit()
    return world


def init_data(channel: str, role: str, when: dt.datetime, start: str = "") -> str:
    return launch_data(user_id(channel, role), TOKENS[channel], when, start)


def headers(channel: str, role: str, when: dt.datetime) -> dict[str, str]:
    return {"X-Init-Data": init_data(channel, role, when), "X-Channel": channel}


def make_webapp(session_factory, clock, max_age: float = 3600) -> WebApp:
    return WebApp(session_factory, clock, load_methodology(), dict(TOKENS), max_age)


async def serve(webapp: WebApp, path: str = "/app") -> tuple[web.AppRunner, str]:
    """The dashboard mounted at `path` of an aiohttp server on a free loopback port; (runner, the page's URL)."""
    root = web.Application()
    root.add_subapp(path, webapp.app())
    runner = web.AppRunner(root, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}{path}/"
