"""The dashboard's buttons under /summary, /card and /app in both messengers: a web_app button in Telegram's private
chat, a t.me/<bot>?startapp link in a group (the fake refuses a web_app button there, as Telegram does), MAX's
open_app button (the strict fake checks it against MAX's schema); none while WEBAPP_URL is not set."""

from __future__ import annotations

from bot import texts
from bot.webapp.buttons import AppLinks
from storage.models import Role
from tests.harness import MaxUser, User, register, register_directly, register_max

URL = "https://bot.example.ru/app/"


def _telegram_buttons(api, chat_id: int) -> list[dict]:
    return [b for m in api.bot_messages(chat_id) for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
            for b in row]


def _max_buttons(max_api, chat_id: int) -> list[dict]:
    return [b for m in max_api.chat(chat_id).messages.values() for a in m["body"].get("attachments") or []
            if a.get("type") == "inline_keyboard" for row in a["payload"]["buttons"] for b in row]


async def test_telegram_buttons(runner, api, world, session_factory):
    services = runner.dp["pipeline"].services
    coordinator = await register(runner, 3101, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    await coordinator.send("/app")
    assert coordinator.last == texts.APP_OFF  # no WEBAPP_URL: no button anywhere
    await coordinator.send("/summary")
    assert not [b for b in _telegram_buttons(api, 3101) if "web_app" in b or "Панель" in b["text"]]

    services.webapp = AppLinks(URL, {"telegram": "shnor_test_bot"})
    await coordinator.send("/summary")
    assert {"text": texts.BTN_APP_SUMMARY, "web_app": {"url": URL}} in _telegram_buttons(api, 3101)
    await coordinator.send("/card")
    await coordinator.press(world.schools[1].short_name)
    school = world.schools[1].id
    assert {"text": texts.BTN_APP_CARD, "web_app": {"url": f"{URL}?start=s{school}"}} in _telegram_buttons(api, 3101)
    await coordinator.send("/app")
    assert coordinator.last == texts.APP_OPEN
    assert api.menu_buttons[3101] == {"type": "web_app", "text": texts.BTN_APP_MENU, "web_app": {"url": URL}}

    group = -100600
    api.chat(group, "supergroup", "Координаторы")
    await runner.wait(api.message_update(3101, "/setchat", chat_id=group, chat_type="supergroup"))
    await runner.wait(api.message_update(3101, "/summary", chat_id=group, chat_type="supergroup"))
    buttons = _telegram_buttons(api, group)
    assert {"text": texts.BTN_APP_SUMMARY, "url": "https://t.me/shnor_test_bot?startapp"} in buttons
    assert not [b for b in buttons if "web_app" in b] and not api.html_errors

    deputy = await register(runner, 3102, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    assert api.menu_buttons[3102]["web_app"] == {"url": URL}  # registered with the dashboard on: the menu opens it
    await deputy.send("/card")
    assert {"text": texts.BTN_APP_CARD, "web_app": {"url": f"{URL}?start=s{world.schools[0].id}"}} in _telegram_buttons(api, 3102)
    teacher = await register(runner, 3105, world.invites["teacher:0"], "Учителева Анна Петровна")
    assert api.menu_buttons[3105] == {"type": "commands"} and await teacher.send("/app") == texts.WEBAPP_ONLY
    await register_directly(session_factory, world, 3103, Role.TEACHER)
    assert await User(runner, 3103).send("/app") == texts.WEBAPP_ONLY
    assert await User(runner, 3104).send("/app") == texts.WEBAPP_ONLY


async def test_max_buttons(max_runner, max_api, world):
    services = max_runner.app.services
    services.webapp = AppLinks(URL, {"max": "shnor_max_bot"})
    coordinator = await register_max(max_runner, 3201, world.invites["coordinator"], "Координаторова Елена Павловна")
    await coordinator.send("/summary")
    dialog = max_api.dialog(3201)
    assert {"type": "open_app", "text": texts.BTN_APP_SUMMARY, "web_app": "shnor_max_bot"} in _max_buttons(max_api, dialog)
    await coordinator.send("/card")
    await coordinator.press(world.schools[1].short_name)
    assert {"type": "open_app", "text": texts.BTN_APP_CARD, "web_app": "shnor_max_bot",
            "payload": f"s{world.schools[1].id}"} in _max_buttons(max_api, dialog)
    group = -70_600
    max_api.chat(group, "chat")
    await coordinator.send("/setchat", chat_id=group)
    await coordinator.send("/summary", chat_id=group)
    assert {"type": "open_app", "text": texts.BTN_APP_SUMMARY, "web_app": "shnor_max_bot"} in _max_buttons(max_api, group)
    await coordinator.send("/app")
    assert max_api.texts(dialog)[-1] == texts.APP_OPEN
    stranger = MaxUser(max_runner, 3202, "Пётр")
    await stranger.send("/app")
    assert max_api.texts(max_api.dialog(3202))[-1] == texts.WEBAPP_ONLY


async def test_the_summary_fills_the_dashboard(runner, api, world, session_factory, clock):
    """/summary builds the summary anyway: the dashboard its button opens shows that one, built no second time; an
    answer after it makes the page build again."""
    import aiohttp

    from bot.webapp.initdata import launch_data
    from bot.webapp.server import WebApp
    from tests.webapp_world import serve

    services = runner.dp["pipeline"].services
    webapp = WebApp(session_factory, clock, services.methodology, {"telegram": api.token})
    services.webapp = AppLinks(URL, {"telegram": "shnor_test_bot"}, webapp.cache)
    coordinator = await register(runner, 3301, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    await coordinator.send("/summary")
    site, url = await serve(webapp)
    try:
        async with aiohttp.ClientSession() as http:
            headers = {"X-Init-Data": launch_data(3301, api.token, clock.now), "X-Channel": "telegram"}
            async with http.get(url + "api/completion", headers=headers) as response:
                assert response.status == 200 and world.schools[0].short_name in await response.text()
            assert webapp.cache.built == 0  # the page is /summary's
            teacher = await register(runner, 3302, world.invites["teacher:0"], "Учителева Анна Петровна")
            await teacher.send("/surveys")
            async with http.get(url + "api/completion", headers=headers) as response:
                assert response.status == 200
            await webapp.cache.settled()
            assert webapp.cache.built == 1  # somebody registered since: built again (in the background)
    finally:
        await site.cleanup()
