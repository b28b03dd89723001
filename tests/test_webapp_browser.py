"""The dashboard in a real browser: Debian's headless Chromium driven by Playwright for Python (never a browser
downloaded at run time). The launch data is signed here as each messenger signs it and put after "#" in the URL as
each client does (Telegram: tgWebAppData with its theme; MAX: WebAppData), or given through the messenger's object
(window.Telegram.WebApp); the page's own script reads it and sends it with every request.

What a person sees is checked against the summary of the same world; the screenshots (phone 360×800 and desktop
1280×800, light and dark) go to $SHNOR_WEBAPP_SHOTS (or the test's temporary folder).

Without Chromium or Playwright these tests are skipped, unless SHNOR_REQUIRE_BROWSER=1 (.ci/run sets it): then they
fail, so CI never passes without having run them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from scoring import card, dashboard

try:
    from playwright.async_api import expect
except ImportError:  # skipped below
    expect = None
from scoring.service import build_summary
from storage.models import Municipality
from tests.webapp_world import build_web_world, init_data, make_webapp, serve

CHROMIUM = os.environ.get("SHNOR_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]
PHONE, DESKTOP = {"width": 360, "height": 800}, {"width": 1280, "height": 800}
TELEGRAM_DARK = {"bg_color": "#17212b", "text_color": "#f5f5f5", "hint_color": "#708499", "link_color": "#6ab3f3",
                 "secondary_bg_color": "#232e3c", "button_color": "#5288c1", "button_text_color": "#ffffff"}
TELEGRAM_LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#999999", "link_color": "#2481cc",
                  "secondary_bg_color": "#efeff3", "button_color": "#2481cc", "button_text_color": "#ffffff"}


def _missing() -> str:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "нет Playwright для Python (pip install playwright) / Playwright is not installed"
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        return f"нет Chromium из пакетов Debian ({CHROMIUM}: apt-get install chromium) / no system Chromium"
    return ""


MISSING = _missing()
if MISSING and os.environ.get("SHNOR_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"SHNOR_REQUIRE_BROWSER=1, но браузера нет: {MISSING}")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(MISSING), reason=MISSING)]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("SHNOR_WEBAPP_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def site(session_factory, clock):
    world = await build_web_world(session_factory, schools=12, teachers=4)
    runner, url = await serve(make_webapp(session_factory, clock))
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        summary = await build_summary(session, municipality, now=clock.now)
    yield world, url, summary
    await runner.cleanup()


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        await chromium.close()


def _url(url: str, channel: str, data: str, dark: bool) -> str:
    """The page's address as each client opens it: the launch data after "#"."""
    if channel == "telegram":
        theme = json.dumps(TELEGRAM_DARK if dark else TELEGRAM_LIGHT, separators=(",", ":"))
        return (f"{url}#tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=android"
                f"&tgWebAppThemeParams={quote(theme, safe='')}")
    return f"{url}#WebAppData={quote(data, safe='')}&WebAppPlatform=android&WebAppVersion=25.10.0"


async def _open(browser, url: str, channel: str, role: str, clock, *, size=PHONE, dark=False, start=""):
    context = await browser.new_context(viewport=size, color_scheme="dark" if dark else "light", locale="ru-RU",
                                        device_scale_factor=1)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if os.environ.get("SHNOR_DEBUG_REQUESTS"):
        page.on("request", lambda r: print("REQ", r.url.split("/app/")[-1]))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "403" not in msg.text else None)
    await page.goto(_url(url, channel, init_data(channel, role, clock.now, start), dark))
    return context, page, errors


@pytest.mark.parametrize("channel", ["telegram", "max"])
async def test_a_coordinator_finds_three_schools_and_opens_one_across_three_years(site, browser, clock, shots, channel):
    """The issue's «done when»: on a phone, the three schools that most need a methodical landing this year, then
    one of them across the three years on record — two taps."""
    world, url, summary = site
    context, page, errors = await _open(browser, url, channel, "coordinator", clock)
    lowest = page.locator(".lowest a")
    await lowest.first.wait_for()
    expected = summary.lowest(3)
    assert [await a.inner_text() for a in await lowest.all()] == [s.school.name for s in expected]
    assert await page.locator("h1").inner_text() == world.municipality.name
    await page.screenshot(path=shots / f"{channel}-coordinator-phone-light.png", full_page=False)
    # tap the first: its page, every year on record, what to do first
    await lowest.first.click()
    await page.locator("[data-school-page]").wait_for()
    school = expected[0]
    assert await page.locator("[data-school-page]").get_attribute("data-school-page") == str(school.school.id)
    heads = await page.locator(".history thead th").all_inner_texts()
    assert heads[1:] == ["2023-2024", "2024-2025", "2025-2026"]
    plan = card.plan(summary, school)
    assert await page.locator(".main ol li").all_inner_texts() == [a.line() for a in plan.main]
    assert len(plan.main) == 3
    assert f"{school.total} из {school.maximum}" in (await page.locator("svg.chart").text_content() or "")
    await page.screenshot(path=shots / f"{channel}-school-phone-light.png", full_page=True)
    # and back to every school
    await page.locator("a.back").click()
    await page.locator(".lowest a").first.wait_for()
    assert errors == []
    await context.close()


@pytest.mark.parametrize("channel", ["telegram", "max"])
async def test_what_the_coordinator_sees_is_the_summary(site, browser, clock, shots, channel):
    _world, url, summary = site
    context, page, errors = await _open(browser, url, channel, "coordinator", clock, size=DESKTOP)
    await page.locator("table.matrix").wait_for()
    ranked = dashboard.ranked(summary)
    rows = page.locator("table.matrix tbody tr")
    assert await rows.count() == len(ranked)
    for n, score in enumerate(ranked):
        row = rows.nth(n)
        assert await row.get_attribute("data-school") == str(score.school.id)
        assert (await row.locator("td.sum").inner_text()).startswith(f"{score.total}/{score.maximum}")
        marks = [c.split()[-1] for c in await row.locator("td.c").evaluate_all("els => els.map(e => e.className)")]
        assert marks == [dashboard.mark(score.values[i.code]) for i in summary.methodology.school_indicators]
    await page.screenshot(path=shots / f"{channel}-coordinator-desktop-light.png", full_page=True)
    # the status filter, from its select
    await page.select_option("select[name=status]", "shnro")
    shnro = [s.school.id for s in ranked if s.school.status.shnro]
    await expect(page.locator("[data-found]")).to_have_text(str(len(shnro)))
    assert [int(i) for i in await page.locator("table.matrix tbody tr").evaluate_all(
        "els => els.map(e => e.dataset.school)")] == shnro
    # points below N and an indicator at 0 together
    await page.select_option("select[name=status]", "")
    await expect(page.locator("[data-found]")).to_have_text(str(len(ranked)))
    below = sorted(s.total for s in ranked)[len(ranked) // 2]
    await page.fill("input[name=below]", str(below))
    await page.locator("input[name=below]").dispatch_event("change")
    kept = [s.school.id for s in ranked if s.total < below]
    await expect(page.locator("[data-found]")).to_have_text(str(len(kept)))
    code = "S2.1.1"
    await page.select_option("select[name=zero]", code)
    both = [i for i in kept if next(s for s in ranked if s.school.id == i).values[code].scored
            and not next(s for s in ranked if s.school.id == i).values[code].points]
    await expect(page.locator("[data-found]")).to_have_text(str(len(both)))
    # sorting by name (each step waits for the page to show its answer, as a person does)
    await page.select_option("select[name=zero]", "")
    await expect(page.locator("[data-found]")).to_have_text(str(len(kept)))
    await page.fill("input[name=below]", "")
    await page.locator("input[name=below]").dispatch_event("change")
    await expect(page.locator("[data-found]")).to_have_text(str(len(ranked)))
    await page.select_option("select[name=sort]", "name")
    by_name = sorted(ranked, key=lambda s: s.school.name)
    await expect(page.locator("[data-found]")).to_have_text(str(len(ranked)))
    await expect(page.locator("table.matrix tbody tr").first).to_have_attribute("data-school", str(by_name[0].school.id))
    shown_names = await page.locator("table.matrix tbody th.school a").all_inner_texts()
    assert shown_names == [s.school.short_name for s in sorted(ranked, key=lambda s: s.school.name)]
    # completion: declared, registered, answered as the summary counts them
    await page.click("[data-tab=completion]")
    await page.locator("#completion").wait_for()
    for line in dashboard.completion(summary)[:5]:
        row = page.locator(f"#completion tbody tr:has(a[data-id='{line.id}'])")
        cells = await row.locator("td").all_inner_texts()
        assert cells[:3] == [str(line.declared), str(line.registered), str(line.answered)]
    await page.click("[data-tab=municipal]")
    await page.locator("#municipal svg.spark").first.wait_for()
    await page.screenshot(path=shots / f"{channel}-municipal-desktop-light.png", full_page=True)
    assert errors == []
    await context.close()


@pytest.mark.parametrize("channel", ["telegram", "max"])
async def test_themes_and_sizes(site, browser, clock, shots, channel):
    _world, url, summary = site
    school = summary.lowest(1)[0].school.id
    for size, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context, page, errors = await _open(browser, url, channel, "coordinator", clock, size=size, dark=True)
        await page.locator("table.matrix").wait_for()
        background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(23, 33, 43)"  # Telegram's theme, or the page's own dark one under prefers-color-scheme
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"]  # nothing wider than the screen: the matrix scrolls inside its box
        await page.screenshot(path=shots / f"{channel}-coordinator-{name}-dark.png", full_page=False)
        await context.close()
        context, page, errors = await _open(browser, url, channel, "coordinator", clock, size=size, dark=True,
                                            start=f"s{school}")
        await page.locator("[data-school-page]").wait_for()
        assert await page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        await page.screenshot(path=shots / f"{channel}-school-{name}-dark.png", full_page=True)
        assert errors == []
        await context.close()


@pytest.mark.parametrize("channel", ["telegram", "max"])
async def test_the_deputy_sees_their_school_only(site, browser, clock, shots, channel):
    world, url, _summary = site
    context, page, errors = await _open(browser, url, channel, "deputy", clock)
    await page.locator("[data-school-page]").wait_for()
    assert await page.locator("[data-school-page]").get_attribute("data-school-page") == str(world.deputy_school.id)
    assert await page.locator("a.back").count() == 0 and await page.locator("table.matrix").count() == 0
    text = await page.locator("body").inner_text()
    assert world.deputy_school.name in text
    assert all(s.name not in text for s in world.schools[1:])
    await page.screenshot(path=shots / f"{channel}-deputy-phone-light.png", full_page=True)
    # asking for another school by the start parameter is refused, in Russian
    other = world.schools[1].id
    context2, page2, _ = await _open(browser, url, channel, "deputy", clock, start=f"s{other}")
    await page2.locator(".message").wait_for()
    assert "Это не ваши данные." in await page2.locator(".message").inner_text()
    await context2.close()
    context3, page3, _ = await _open(browser, url, channel, "teacher", clock)
    await page3.locator(".message").wait_for()
    assert "Педагогам она не показывается" in await page3.locator(".message").inner_text()
    await context3.close()
    assert errors == []
    await context.close()


async def test_the_messengers_object_and_an_expired_launch(site, browser, clock):
    """No launch data in the URL: the script takes window.Telegram.WebApp.initData (as when telegram-web-app.js has
    read it); launch data past its window is refused with the way back."""
    _world, url, _summary = site
    context = await browser.new_context(viewport=PHONE)
    data = init_data("telegram", "coordinator", clock.now)
    await context.add_init_script("window.Telegram = {WebApp: {initData: " + json.dumps(data) +
                                  ", themeParams: {}, ready: function () {}}};")
    page = await context.new_page()
    await page.goto(url)
    await page.locator(".lowest a").first.wait_for()
    clock.advance(hours=2)
    await page.click("[data-tab=completion]")
    await page.locator(".message").wait_for()
    assert "Откройте её из бота заново" in await page.locator(".message").inner_text()
    await context.close()
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(url)
    await page.locator(".message").wait_for()
    assert "Откройте панель из бота" in await page.locator(".message").inner_text()
    await context.close()
