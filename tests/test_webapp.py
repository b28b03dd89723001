"""The dashboard over HTTP (bot.webapp): launch data checked on every request in both messengers (forged, expired,
replayed), every role's access, the access log, the numbers against the summary, filters, sorting and the cache."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
from sqlalchemy import func, select

from bot import texts
from bot.webapp.initdata import BadLaunch, check, launch_data, sign
from monitoring.access import NOT_YOURS
from scoring import dashboard, shown
from scoring.service import build_summary
from storage.models import AccessLog, Campaign, Municipality, Response, ResponseStatus
from tests.webapp_world import (
    TOKENS,
    build_web_world,
    headers,
    init_data,
    make_webapp,
    serve,
    user_id,
)

CHANNELS = ("telegram", "max")


@pytest.fixture
async def web(session_factory, clock):
    world = await build_web_world(session_factory)
    webapp = make_webapp(session_factory, clock)
    runner, url = await serve(webapp)
    async with aiohttp.ClientSession() as http:
        yield world, webapp, url, http
    await runner.cleanup()


async def _get(http, url: str, path: str, hdrs: dict[str, str] | None = None, **query: str) -> tuple[int, str]:
    async with http.get(url + path + ("?" + urlencode(query) if query else ""), headers=hdrs or {}) as response:
        return response.status, await response.text()


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


async def _summary(session_factory, world, clock, period=None):
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        return await build_summary(session, municipality, period, now=clock.now)


async def _log(session_factory) -> list[AccessLog]:
    async with session_factory() as session:
        return list(await session.scalars(select(AccessLog).order_by(AccessLog.id)))


# --- the launch data -------------------------------------------------------------------------------------------


def test_launch_data_rules(clock) -> None:
    now = clock.now
    good = launch_data(42, TOKENS["telegram"], now, "s5")
    launch = check(good, "telegram", TOKENS, now, 600)
    assert (launch.channel, launch.user_id, launch.start) == ("telegram", 42, "s5")
    # the same data again and again within the window: the page's own requests
    for seconds in (1, 60, 599):
        assert check(good, "telegram", TOKENS, now + dt.timedelta(seconds=seconds), 600).user_id == 42
    with pytest.raises(BadLaunch) as info:  # past the window: a replay
        check(good, "telegram", TOKENS, now + dt.timedelta(seconds=601), 600)
    assert info.value.expired
    with pytest.raises(BadLaunch, match="signature"):  # Telegram's data is not MAX's
        check(good, "max", TOKENS, now, 600)
    fields = dict(parse_qsl(good))
    forged = urlencode({**fields, "user": fields["user"].replace("42", "43")})
    with pytest.raises(BadLaunch, match="signature"):
        check(forged, "telegram", TOKENS, now, 600)
    future = launch_data(42, TOKENS["max"], now + dt.timedelta(minutes=10))
    with pytest.raises(BadLaunch, match="future"):
        check(future, "max", TOKENS, now, 600)
    doubled = good + "&user=%7B%22id%22%3A1%7D"
    with pytest.raises(BadLaunch, match="repeats"):
        check(doubled, "telegram", TOKENS, now, 600)
    millis = sign({"auth_date": str(int(now.timestamp()) * 1000), "user": '{"id":7}'}, TOKENS["max"])
    assert check(millis, "max", TOKENS, now, 600).user_id == 7
    for bad in ("", "garbage", "a=1&hash=00"):
        with pytest.raises(BadLaunch):
            check(bad, "telegram", TOKENS, now, 600)
    with pytest.raises(BadLaunch):
        check(good, "whatsapp", TOKENS, now, 600)


@pytest.mark.parametrize("channel", CHANNELS)
async def test_forged_expired_and_replayed_launch_data(web, clock, channel: str) -> None:
    world, webapp, url, http = web
    # no launch data, the other messenger's, a forged user, a wrong channel header
    status, html = await _get(http, url, "api/home")
    assert status == 401 and texts.WEBAPP_BAD in _text(html)
    other = "max" if channel == "telegram" else "telegram"
    status, _ = await _get(http, url, "api/home", {"X-Init-Data": init_data(other, "coordinator", clock.now), "X-Channel": channel})
    assert status == 401
    fields = dict(parse_qsl(init_data(channel, "deputy", clock.now)))
    fields["user"] = fields["user"].replace(str(user_id(channel, "deputy")), str(user_id(channel, "coordinator")))
    status, html = await _get(http, url, "api/home", {"X-Init-Data": urlencode(fields), "X-Channel": channel})
    assert status == 401 and texts.WEBAPP_BAD in _text(html)
    # the same launch data serves every request of the page while it is fresh...
    hdrs = headers(channel, "coordinator", clock.now)
    for path in ("api/home", "api/completion", "api/municipal", "api/schools"):
        status, _ = await _get(http, url, path, hdrs)
        assert status == 200, path
    clock.advance(seconds=3599)
    assert (await _get(http, url, "api/home", hdrs))[0] == 200
    # ...and is refused past the window: a replay of an old copy
    clock.advance(seconds=2)
    status, html = await _get(http, url, "api/home", hdrs)
    assert status == 401 and texts.WEBAPP_EXPIRED in _text(html)
    status, _ = await _get(http, url, f"api/school/{world.schools[1].id}", hdrs)
    assert status == 401
    # fresh launch data from the bot works again
    assert (await _get(http, url, "api/home", headers(channel, "coordinator", clock.now)))[0] == 200
    assert {e.action for e in await _log(webapp.session_factory)} == {"webapp"}  # refusals are not views


# --- every role ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", CHANNELS)
async def test_every_role(web, session_factory, clock, channel: str) -> None:
    world, _webapp, url, http = web
    own, other_school = world.schools[0], world.schools[1]
    # the coordinator: the municipality and any of its schools
    status, html = await _get(http, url, "api/home", headers(channel, "coordinator", clock.now))
    assert status == 200 and world.municipality.name in html and "Школы по статусам" in html
    status, html = await _get(http, url, f"api/school/{other_school.id}", headers(channel, "coordinator", clock.now))
    assert status == 200 and other_school.name in _text(html) and "← Все школы" in html
    # ...but never another municipality's school
    status, html = await _get(http, url, f"api/school/{world.other_schools[0].id}", headers(channel, "coordinator", clock.now))
    assert status == 403 and NOT_YOURS in _text(html) and world.other_schools[0].name not in html
    # the other municipality's coordinator sees theirs, not ours
    status, html = await _get(http, url, "api/home", headers(channel, "other_coordinator", clock.now))
    assert status == 200 and world.other.name in html and world.municipality.name not in html
    status, _ = await _get(http, url, f"api/school/{own.id}", headers(channel, "other_coordinator", clock.now))
    assert status == 403
    # the deputy: their own school only, whatever they ask for
    status, html = await _get(http, url, "api/home", headers(channel, "deputy", clock.now))
    assert status == 200 and own.name in _text(html) and "← Все школы" not in html and "Школы по статусам" not in html
    status, html = await _get(http, url, "api/home", headers(channel, "deputy", clock.now), start=f"s{other_school.id}")
    assert status == 403 and NOT_YOURS in _text(html)
    status, html = await _get(http, url, f"api/school/{other_school.id}", headers(channel, "deputy", clock.now))
    assert status == 403 and other_school.name not in html
    for section in ("api/schools", "api/completion", "api/municipal"):
        status, html = await _get(http, url, section, headers(channel, "deputy", clock.now))
        assert status == 403 and texts.WEBAPP_ONLY in _text(html), section
    # an administrator of the municipality: a coordinator's rights, in their own municipality only
    status, html = await _get(http, url, f"api/school/{other_school.id}", headers(channel, "admin", clock.now))
    assert status == 200 and other_school.name in _text(html)
    status, _ = await _get(http, url, f"api/school/{world.other_schools[0].id}", headers(channel, "admin", clock.now))
    assert status == 403
    # a teacher and a stranger: refused, in Russian
    for path in ("api/home", f"api/school/{own.id}", "api/schools"):
        status, html = await _get(http, url, path, headers(channel, "teacher", clock.now))
        assert status == 403 and texts.WEBAPP_ONLY in _text(html)
        status, html = await _get(http, url, path, headers(channel, "stranger", clock.now))
        assert status == 403 and texts.WEBAPP_NOT_REGISTERED in _text(html)
    # every view written, with who and what
    log = await _log(session_factory)
    people = {p.id: role for role, p in world.people.items()}
    seen = [(people[e.person_id], e.action, e.municipality_id) for e in log]
    assert seen == [("coordinator", "webapp", world.municipality.id), ("coordinator", "webapp_school", world.municipality.id),
                    ("other_coordinator", "webapp", world.other.id), ("deputy", "webapp_school", world.municipality.id),
                    ("admin", "webapp_school", world.municipality.id)]
    assert log[1].detail == f"панель: {other_school.name}; период 2025-2026; {'Telegram' if channel == 'telegram' else 'MAX'}"


# --- the numbers -----------------------------------------------------------------------------------------------


async def test_numbers_are_the_summarys(web, session_factory, clock) -> None:
    world, _webapp, url, http = web
    summary = await _summary(session_factory, world, clock)
    hdrs = headers("telegram", "coordinator", clock.now)
    status, html = await _get(http, url, "api/home", hdrs)
    assert status == 200
    text = _text(html)
    assert shown.state_line(summary.state) in text
    # the three that most need a landing: the summary's lowest scorers
    lowest = re.search(r'<ol class="lowest">(.*?)</ol>', html, re.DOTALL).group(1)
    names = re.findall(r'data-id="(\d+)">([^<]+)</a> — ([^;]+);', lowest)
    expected = summary.lowest(3)
    assert [int(i) for i, _, _ in names] == [s.school.id for s in expected]
    for (_, _, total), score in zip(names, expected):
        assert unescape(total).startswith(f"{score.total} из ")
    # the matrix: every row's points and each cell as the scores say
    rows = re.findall(r'<tr data-school="(\d+)">(.*?)</tr>', html, re.DOTALL)
    assert len(rows) == len(summary.scores.schools)
    by_id = {s.school.id: s for s in summary.scores.schools}
    for sid, body in rows:
        score = by_id[int(sid)]
        assert f"{score.total}/{score.maximum}" in body
        cells = re.findall(r'<td class="c (\w+)" title="([^"]*)">([^<]*)</td>', body)
        assert [(m, unescape(t)) for m, t, _ in cells] == [
            (dashboard.mark(score.values[i.code]), dashboard.cell(score.values[i.code]).title)
            for i in summary.methodology.school_indicators]
        assert any(m == "nodata" for m, _, _ in cells) == bool(score.no_data)
    # completion: declared, registered, answered per school as the summary counts them
    status, html = await _get(http, url, "api/completion", hdrs)
    lines = re.findall(r'data-id="(\d+)">[^<]*</a></th>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td><td>([^<]*)</td>', html)
    assert len(lines) == len(summary.scores.schools)
    for sid, declared, registered, answered in lines:
        t = summary.completion.teachers[int(sid)]
        assert (declared, registered, answered) == (str(t.declared) if t.declared else "не заявлено", str(t.registered),
                                                    str(t.submitted))
    # the municipal indicators across the three years, in the summary's words
    status, html = await _get(http, url, "api/municipal", hdrs)
    assert [p for p in ("2023-2024", "2024-2025", "2025-2026") if f"<th>{p}</th>" in html] == ["2023-2024", "2024-2025", "2025-2026"]
    m = summary.scores.municipal["M2.4.4"]
    assert shown.value(m) in _text(html) and "<svg" in html


async def test_school_page_across_the_years(web, session_factory, clock) -> None:
    world, _webapp, url, http = web
    summary = await _summary(session_factory, world, clock)
    from scoring import card

    school = summary.lowest(1)[0]
    status, html = await _get(http, url, f"api/school/{school.school.id}", headers("max", "coordinator", clock.now))
    text = _text(html)
    assert status == 200
    plan = card.plan(summary, school)
    assert "Главное" in text and all(unescape(a.line()) in text for a in plan.main) and len(plan.main) == 3
    for value in school.zeros:
        assert summary.methodology.indicator(value.code).label in text
    assert [p for p in ("2023-2024", "2024-2025", "2025-2026") if f"<th>{p}</th>" in html] == ["2023-2024", "2024-2025", "2025-2026"]
    teachers = summary.completion.teachers[school.school.id]
    assert teachers.text() in text
    assert "Педагог " not in text  # the teachers' names never: counts only
    assert "<svg" in html and f"{school.total} из {school.maximum}" in text


async def test_filters_and_sorting(web, session_factory, clock) -> None:
    world, _webapp, url, http = web
    summary = await _summary(session_factory, world, clock)
    hdrs = headers("telegram", "coordinator", clock.now)
    by_id = {s.school.id: s for s in summary.scores.schools}

    async def ids(**query: str) -> list[int]:
        status, html = await _get(http, url, "api/schools", hdrs, **query)
        assert status == 200
        return [int(i) for i in re.findall(r'<tr data-school="(\d+)">', html)]

    assert await ids() == [s.school.id for s in dashboard.ranked(summary)]
    shnro = await ids(status="shnro")
    assert shnro == [s.school.id for s in dashboard.ranked(summary) if s.school.status.shnro]
    none = await ids(status="none")
    assert all(not (by_id[i].school.status.shnro or by_id[i].school.status.shnsu or by_id[i].school.status.risk_zone) for i in none)
    assert len(shnro) + len(none) <= len(by_id)
    totals = sorted(s.total for s in summary.scores.schools)
    below = totals[len(totals) // 2]
    assert await ids(below=str(below)) == [s.school.id for s in dashboard.ranked(summary) if s.total < below]
    code = next(i.code for i in summary.methodology.school_indicators
                if any(s.values[i.code].scored and not s.values[i.code].points for s in summary.scores.schools)
                and not all(s.values[i.code].scored and not s.values[i.code].points for s in summary.scores.schools))
    zero = await ids(zero=code)
    assert zero and set(zero) == {s.school.id for s in summary.scores.schools
                                  if s.values[code].scored and not s.values[code].points}
    assert await ids(sort="name") == [s.school.id for s in sorted(summary.scores.schools, key=lambda s: s.school.name)]
    assert await ids(sort="best") == list(reversed(await ids()))
    assert await ids(status="shnro", below="0") == []


async def test_the_cache_keeps_numbers_true(web, session_factory, clock) -> None:
    world, webapp, url, http = web
    hdrs = headers("telegram", "coordinator", clock.now)
    school = world.schools[2]
    await _get(http, url, "api/home", hdrs)
    await _get(http, url, f"api/school/{school.id}", hdrs)
    await _get(http, url, "api/completion", hdrs)
    assert webapp.cache.built == 1  # one summary, kept while nothing changed
    # a teacher's questionnaire goes back to a draft (a return): the counts change; the page shows the last numbers as
    # of their moment, says it is recounting, and the next request has the new ones
    before = await _summary(session_factory, world, clock)
    async with session_factory() as session:
        response = await session.scalar(select(Response).where(Response.school_id == school.id,
                                                                Response.subject.like("person:%"),
                                                                Response.status == ResponseStatus.SUBMITTED)
                                        .order_by(Response.id.desc()))
        response.status = ResponseStatus.DRAFT
        response.version += 1
        await session.commit()
    summary = await _summary(session_factory, world, clock)
    _status, html = await _get(http, url, "api/completion", hdrs)  # the first request after it: the kept numbers
    t = before.completion.teachers[school.id]
    assert re.search(rf'data-id="{school.id}">[^<]*</a></th>\s*<td>{t.declared}</td>\s*<td>{t.registered}</td><td>{t.submitted}</td>', html)
    await webapp.cache.settled()
    assert webapp.cache.built == 2  # built once in the background, however many asked meanwhile
    _status, page = await _get(http, url, "api/home", hdrs)
    assert "data-refreshing" not in page
    status, html = await _get(http, url, "api/completion", hdrs)
    t = summary.completion.teachers[school.id]
    assert t.submitted == before.completion.teachers[school.id].submitted - 1
    assert re.search(rf'data-id="{school.id}">[^<]*</a></th>\s*<td>{t.declared}</td>\s*<td>{t.registered}</td><td>{t.submitted}</td>', html)
    # a year before changes too (its school questionnaire goes back to a draft): that year is read again, the others kept
    async with session_factory() as session:
        response = await session.scalar(select(Response).join(Campaign).where(
            Response.school_id == school.id, Campaign.period == "2023-2024", Campaign.audience == "school"))
        response.status = ResponseStatus.DRAFT
        response.version += 1
        await session.commit()
    summary = await _summary(session_factory, world, clock)
    _status, page = await _get(http, url, f"api/school/{school.id}", hdrs)
    assert "data-refreshing" in page and "панель их пересчитывает" in page
    await webapp.cache.settled()
    _status, html = await _get(http, url, f"api/school/{school.id}", hdrs)
    assert webapp.cache.built == 3
    from scoring import card

    before, middle, now = (next(s for s in scores.schools if s.school.id == school.id) for scores in summary.history)
    for code in ("S2.1.1", "S2.2.1", "S2.4.4"):
        label = summary.methodology.indicator(code).label
        row = re.search(rf"<th>{re.escape(label)}</th>(.*?)</tr>", html).group(1)
        assert [unescape(w) for w in re.findall(r'<td class="v \w+" title="[^"]*">([^<]*)</td>', row)] == [
            card.cell(before.values[code]), card.cell(middle.values[code]), card.cell(now.values[code])]
    assert card.cell(before.values["S2.1.1"]) == "нет данных"
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(AccessLog)) == 8  # every view


async def test_numbers_older_than_the_bound_are_recounted_while_the_person_waits(session_factory, clock) -> None:
    """Past `stale_for` the kept summary is not shown: the request builds a new one (no «пересчитывает»)."""
    world = await build_web_world(session_factory)
    webapp = make_webapp(session_factory, clock)
    runner, url = await serve(webapp)
    hdrs = headers("telegram", "coordinator", clock.now)
    try:
        async with aiohttp.ClientSession() as http:
            await _get(http, url, "api/home", hdrs)
            async with session_factory() as session:
                response = await session.scalar(select(Response).where(Response.status == ResponseStatus.SUBMITTED,
                                                                        Response.subject.like("person:%")))
                response.status, response.version = ResponseStatus.DRAFT, response.version + 1
                await session.commit()
            clock.advance(seconds=webapp.stale_for + 1)
            hdrs = headers("telegram", "coordinator", clock.now)
            _status, page = await _get(http, url, "api/home", hdrs)
            assert webapp.cache.built == 2 and "data-refreshing" not in page
    finally:
        await runner.cleanup()


async def test_the_warm_up_builds_before_the_first_view(session_factory, clock) -> None:
    world = await build_web_world(session_factory)
    webapp = make_webapp(session_factory, clock)
    await webapp.warm()
    await webapp.cache.settled()
    assert webapp.cache.built == 2  # the world's two municipalities
    runner, url = await serve(webapp)
    try:
        async with aiohttp.ClientSession() as http:
            _status, page = await _get(http, url, "api/home", headers("telegram", "coordinator", clock.now))
        assert webapp.cache.built == 2 and world.municipality.name in page  # the warm one, nothing built again
    finally:
        await runner.cleanup()


async def test_the_start_parameter_opens_a_school(web, clock) -> None:
    world, _webapp, url, http = web
    school = world.schools[3]
    # signed in the launch data (a t.me/<bot>?startapp= link, MAX's open_app payload)
    hdrs = {"X-Init-Data": init_data("max", "coordinator", clock.now, start=f"s{school.id}"), "X-Channel": "max"}
    status, html = await _get(http, url, "api/home", hdrs)
    assert status == 200 and f'data-school-page="{school.id}"' in html
    # or passed by the page from the web_app button's URL
    status, html = await _get(http, url, "api/home", headers("telegram", "coordinator", clock.now), start=f"s{school.id}")
    assert status == 200 and f'data-school-page="{school.id}"' in html


async def test_shell_and_files(web) -> None:
    _world, _webapp, url, http = web
    async with http.get(url) as response:
        html = await response.text()
        assert response.status == 200 and "static/app.js" in html and "telegram.org" not in html
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    weight = len(html.encode())
    for name in ("app.js", "app.css"):
        async with http.get(url + "static/" + name) as response:
            assert response.status == 200
            body = await response.read()
            weight += len(body)
            assert b"http://" not in body and b"https://" not in body  # nothing from another origin
    assert weight < 40_000
    async with http.get(url + "static/../server.py") as response:
        assert response.status == 404
