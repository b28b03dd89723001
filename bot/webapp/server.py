"""The dashboard's web server: an aiohttp application the bot runs in its own process (bot.app mounts it beside a
webhook, or listens on WEBAPP_PORT).

    GET  {path}/                 the HTML shell: no data; its script reads the launch data from the URL's hash
    GET  {path}/static/app.js    the script and the style (vendored: nothing from another origin)
    GET  {path}/api/home         the first screen: a coordinator's municipality, a deputy's school (`start=s<id>`
                                 opens a school: the start parameter the messenger passed)
    GET  {path}/api/schools      the matrix again with other filters, sort or page
    GET  {path}/api/completion   completion by school
    GET  {path}/api/municipal    the municipal indicators across periods
    GET  {path}/api/school/<id>  a school's page

Every /api request carries the launch data in `X-Init-Data` and the messenger in `X-Channel` (bot.webapp.initdata:
HMAC with that messenger's bot token, and age). The person is the identity map's (storage.accounts.find_person:
channel + messenger user id), read in the request's own session; the rules are those of /summary and /card
(monitoring.access): a coordinator sees their own municipality and any of its schools, a deputy their own school
only, anybody else is refused in Russian. Every view is written to the access log in the request's transaction
(this module owns it: tests/pure/test_transactions.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.webapp import views
from bot.webapp.initdata import BadLaunch, Launch, check
from monitoring.access import card_school, may_open_dashboard, summary_refusal
from scoring import dashboard
from scoring.errors import ScoringError
from storage.accounts import find_person
from storage.clock import Clock
from storage.privacy import log_access
from surveys.errors import Refused
from surveys.subjects import is_coordinator

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
FILES = {"app.js": "text/javascript", "app.css": "text/css"}
CHANNEL_NAMES = {"telegram": "Telegram", "max": "MAX"}
SCHOOL_START = re.compile(r"s(\d{1,9})")
HEADERS = {
    # one origin for everything; the messengers show the page in their own frame (no frame-ancestors rule)
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Denied(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@dataclass
class WebApp:
    session_factory: async_sessionmaker[AsyncSession]
    clock: Clock
    methodology: Any
    tokens: dict[str, str]  # channel -> its bot's token (the launch data's key)
    max_age: float = 3600.0
    stale_for: float = dashboard.STALE_FOR  # seconds (scoring.dashboard.SummaryCache)
    cache: dashboard.SummaryCache = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.cache is None:
            self.cache = dashboard.SummaryCache(session_factory=self.session_factory, stale_for=self.stale_for)

    async def warm(self) -> None:
        """Build every municipality's current summary in the background: the first view after a start need not wait."""
        await self.cache.warm(self.methodology, self.clock())

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_headers])
        app.router.add_get("/", self.shell)
        app.router.add_get("/static/{name}", self.static)
        app.router.add_get("/api/home", self.home)
        app.router.add_get("/api/schools", self.schools)
        app.router.add_get("/api/completion", self.completion)
        app.router.add_get("/api/municipal", self.municipal)
        app.router.add_get(r"/api/school/{school:\d{1,9}}", self.school)
        return app

    # --- the shell and its files -----------------------------------------------------------------------------

    async def shell(self, request: web.Request) -> web.Response:
        base = request.path if request.path.endswith("/") else request.path + "/"
        return web.Response(text=views.shell(base), content_type="text/html", charset="utf-8")

    async def static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in FILES:
            raise web.HTTPNotFound()
        return web.Response(body=(STATIC / name).read_bytes(), content_type=FILES[name], charset="utf-8")

    # --- who asks ---------------------------------------------------------------------------------------------

    def launch(self, request: web.Request) -> Launch:
        try:
            return check(request.headers.get("X-Init-Data", ""), request.headers.get("X-Channel", ""), self.tokens,
                         self.clock(), self.max_age)
        except BadLaunch as exc:
            log.info("webapp: launch data refused: %s", exc.reason)
            raise Denied(401, texts.WEBAPP_EXPIRED if exc.expired else texts.WEBAPP_BAD) from None

    async def _view(self, request: web.Request, make) -> web.Response:
        """Check the launch data, read the person, run `make(session, launch, person)` -> (html, action,
        municipality id, detail) and write the view to the access log; the refusals as a Russian fragment."""
        try:
            launch = self.launch(request)
            async with self.session_factory() as session:
                person = await find_person(session, launch.channel, launch.user_id, with_places=True)
                if person is None:
                    raise Denied(403, texts.WEBAPP_NOT_REGISTERED)
                html, action, municipality_id, detail = await make(session, launch, person)
                log_access(session, action=action, municipality_id=municipality_id, person=person,
                           detail=f"{detail}; {CHANNEL_NAMES[launch.channel]}", now=self.clock())
                await session.commit()
        except Denied as exc:
            return web.Response(text=views.message(exc.text), status=exc.status, content_type="text/html", charset="utf-8")
        except Refused as exc:
            return web.Response(text=views.message(exc.message), status=403, content_type="text/html", charset="utf-8")
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    async def _summary(self, session: AsyncSession, municipality: Any, period: str | None):
        try:
            return await self.cache.get(session, municipality, period or None, self.methodology, now=self.clock())
        except ScoringError as exc:
            raise Denied(404, str(exc)) from None

    async def _coordinator(self, session: AsyncSession, person: Any, launch: Launch):
        """The coordinator's municipality (the rule of /summary in a private chat), or Denied."""
        refusal = summary_refusal(person, person.municipality, 0, "private", launch.channel)
        if refusal:
            raise Denied(403, texts.WEBAPP_ONLY)
        return person.municipality

    def _only_for_staff(self, person: Any) -> None:
        if not may_open_dashboard(person):
            raise Denied(403, texts.WEBAPP_ONLY)

    # --- the views ---------------------------------------------------------------------------------------------

    async def home(self, request: web.Request) -> web.Response:
        start = request.query.get("start", "")

        async def make(session: AsyncSession, launch: Launch, person: Any):
            self._only_for_staff(person)
            wanted = SCHOOL_START.fullmatch(start or launch.start)
            if not is_coordinator(person) or wanted:
                return await self._school(session, launch, person, int(wanted.group(1)) if wanted else None,
                                          request.query.get("period"))
            municipality = await self._coordinator(session, person, launch)
            summary = await self._summary(session, municipality, request.query.get("period"))
            html = views.municipality_page(summary, dashboard.Filters.parse(dict(request.query)))
            return html, "webapp", municipality.id, f"панель: муниципалитет, период {summary.period}"

        return await self._view(request, make)

    async def schools(self, request: web.Request) -> web.Response:
        return await self._section(request, "школы", lambda s: views.matrix_fragment(s, dashboard.Filters.parse(dict(request.query))))

    async def completion(self, request: web.Request) -> web.Response:
        return await self._section(request, "заполнение", views.completion_page)

    async def municipal(self, request: web.Request) -> web.Response:
        return await self._section(request, "показатели муниципалитета", views.municipal_page)

    async def _section(self, request: web.Request, what: str, render) -> web.Response:
        async def make(session: AsyncSession, launch: Launch, person: Any):
            self._only_for_staff(person)
            municipality = await self._coordinator(session, person, launch)
            summary = await self._summary(session, municipality, request.query.get("period"))
            return str(render(summary)), "webapp", municipality.id, f"панель: {what}, период {summary.period}"

        return await self._view(request, make)

    async def school(self, request: web.Request) -> web.Response:
        school_id = int(request.match_info["school"])

        async def make(session: AsyncSession, launch: Launch, person: Any):
            self._only_for_staff(person)
            return await self._school(session, launch, person, school_id, request.query.get("period"))

        return await self._view(request, make)

    async def _school(self, session: AsyncSession, launch: Launch, person: Any, school_id: int | None,
                      period: str | None):
        school = await card_school(session, person, school_id)  # a deputy's own, a coordinator's municipality's
        summary = await self._summary(session, person.municipality, period)
        page = dashboard.school_page(summary, school.id)
        if page is None:
            raise Denied(404, texts.WEBAPP_NO_SCHOOL)
        html = views.school_page(page, summary, back=is_coordinator(person))
        return html, "webapp_school", school.municipality_id, f"панель: {school.name}; период {summary.period}"


@web.middleware
async def _headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.endswith((".js", ".css")):
        response.headers["Cache-Control"] = "public, max-age=3600"
    return response
