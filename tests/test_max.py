"""The same product in MAX: scenarios end to end through the strict fake MAX Bot API (tests/strict_max.py: every
request checked against MAX's published schema).

Registration by the start link, a whole teacher pack with bad input, a restart mid-questionnaire, a
reminder broadcast through 429s, /summary in the coordinators' group with its files, a person using
both channels. With TEST_DATABASE_URL and TEST_REDIS_URL they run on PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from PIL import Image as PILImage
from sqlalchemy import delete, func, select

from monitoring.campaigns import responses_of_campaign
from storage.models import Account, Consent, Delivery, Person, Response
from tests.harness import MaxRunner, MaxUser, register, register_max, snapshot

BOTH_MODES = pytest.mark.parametrize("max_runner", ["polling", "webhook"], indirect=True)


async def _answers(session_factory, campaign_id: int) -> dict:
    async with session_factory() as session:
        return next(iter((await responses_of_campaign(session, campaign_id)).values()))


@BOTH_MODES
async def test_registration_by_the_start_link(max_runner, max_api, world, session_factory):
    stranger = MaxUser(max_runner, 501, "Мария")
    await stranger.send("привет")
    assert "не зарегистрированы" in stranger.last

    before = await snapshot(session_factory)
    await stranger.start("no-such-invite")
    assert "не найдена" in stranger.last
    assert await snapshot(session_factory) == before

    await stranger.start(world.invites["teacher:0"].token)
    assert "согласие на обработку персональных данных" in stranger.texts[-2]
    assert stranger.buttons() == ["Согласен", "Не согласен"]
    # the name before the consent changes nothing
    await stranger.send("Иванова Мария Петровна")
    assert await snapshot(session_factory) == before

    await stranger.press("Согласен", exact=True)
    assert "Напишите, пожалуйста, ваши фамилию, имя и отчество" in stranger.last
    # the consent message lost its buttons: pressing it again is not possible
    consent = next(m for m in max_api.chat(stranger.chat_id).messages.values() if "Согласие" in (m["body"]["text"] or ""))
    assert not [a for a in consent["body"]["attachments"] if a["type"] == "inline_keyboard"]

    reply = await stranger.send("иванова 123")
    assert reply.startswith("⚠️") and "только буквы" in reply
    assert await snapshot(session_factory) == before
    await stranger.send("иванова мария петровна")
    assert "Готово, Мария Петровна!" in stranger.texts[-3]
    # the one questionnaire open for a teacher starts at once, as in Telegram
    assert stranger.texts[-2].startswith("Начнём: «Анкета педагога (2026-2027)», срок до 07.12.2026 10:00.")
    assert "осталось 10 вопросов" in stranger.last and "1. Учитель" in stranger.buttons()

    async with session_factory() as session:
        person = await session.scalar(select(Person).where(Person.full_name == "Иванова Мария Петровна"))
        account = await session.scalar(select(Account).where(Account.person_id == person.id))
        consents = await session.scalar(select(func.count()).select_from(Consent).where(Consent.person_id == person.id))
    assert person.tg_user_id is None and person.school_id == world.schools[0].id
    assert (account.channel, account.account_id, account.chat_id) == ("max", 501, max_api.dialog(501))
    assert consents == 1

    await stranger.start(world.invites["teacher:0"].token)  # the link opened again
    assert "уже зарегистрированы" in stranger.last
    # texts went as HTML within MAX's limits; the token never in a query
    sends = max_api.sent_bodies()
    assert sends and all(body.get("format") == "html" and len(body.get("text") or "") <= 4000 for body in sends)
    assert all("access_token" not in c["query"] for c in max_api.calls)
    assert not [c for c in max_api.calls if c["call"].startswith("PATCH")]  # no method of MAX's schema edits the menu
    assert not [r for r in max_api.refusals if r["call"] == "POST /answers"]  # never an empty answer


@BOTH_MODES
async def test_teacher_answers_the_whole_pack_in_max(max_runner, max_api, world, session_factory):
    teacher = await register_max(max_runner, 1001, world.invites["teacher:0"])
    assert "осталось 10 вопросов" in teacher.last and "Ваша должность" in teacher.last  # opened at registration
    reply = await teacher.send("повар")  # what no button says: one line why, and the question again
    assert reply.startswith("⚠️ Не понял ответ «повар»") and "Ваша должность" in reply
    question = max_api.current(teacher.chat_id)["body"]["mid"]
    calls = len(max_api.calls)
    answer = await teacher.press("Учитель")
    # one call: the pressed question becomes the next one in place
    assert [c["call"] for c in max_api.calls[calls:] if c["call"] != "GET /updates"] == ["POST /answers"]
    assert "message" in answer
    assert max_api.current(teacher.chat_id)["body"]["mid"] == question
    assert "осталось 9 вопросов" in teacher.last
    await teacher.press("Математика")
    await teacher.press("Русский язык")
    await teacher.press("Математика")
    assert "☑ 1. Русский язык и литература" in teacher.buttons() and "☐ 2. Математика" in teacher.buttons()
    await teacher.press("Готово")
    # diagnostics and, on the same screen, which kinds (an inline follow-up): «Да ✔» needs a kind
    assert "диагностике" in teacher.last and "Если да — какие дефициты" in teacher.last
    answer = await teacher.press("Да ✔")  # nothing selected for a required follow-up
    assert "хотя бы один" in answer.get("notification", "")
    await teacher.press("Методические")
    await teacher.press("Да ✔")
    await teacher.press("Нет, ИОМ у меня нет", exact=True)  # has_iom: no
    await teacher.press("Назад")
    assert "Сейчас ответ: <b>Нет</b>" in teacher.last and "2. Да: Реализуется" in teacher.buttons()
    await teacher.press("Да: Реализуется")  # yes and the ИОМ's state in one press
    await teacher.send("1, 3")  # the associations' checklist, typed: network and ММО
    await teacher.press("Наставник")  # support received: its form on the same screen
    await teacher.press("Да ✔")
    assert "Если да — вы выступали" in teacher.last
    await teacher.press("Да: без выступлений и публикаций")
    await teacher.press("Нет", exact=True)  # internship elsewhere
    before = await snapshot(session_factory)
    for bad in ("может быть", "12"):
        assert (await teacher.send(bad)).startswith("⚠️"), bad
    assert await snapshot(session_factory) == before  # bad input changes nothing
    await teacher.send("нет")  # a yes/no question answered by typing
    await teacher.press("Да", exact=True)  # courses: the last question
    assert "проверьте ответы" in teacher.last and "Наставник" in teacher.last

    answers = await _answers(session_factory, world.campaigns["teacher"].id)
    assert answers["subjects"] == ["russian"] and answers["diagnostics_kinds"] == ["methodical"]
    assert answers["has_iom"] == "yes" and answers["iom_state"] == "in_progress"
    assert answers["quality_events"] == "yes" and answers["events_productive"] == "no"
    assert answers["support_forms"] == ["mentor"] and answers["courses"] == "yes"
    assert (answers["network_association"], answers["rma_member"], answers["mmo_member"]) == ("yes", "no", "yes")
    thanks = await teacher.press("Отправить")
    assert thanks["notification"] == "Спасибо! Анкета отправлена ✅"
    assert "анкета отправлена ✅" in teacher.last
    async with session_factory() as session:
        assert await session.scalar(select(Response.status).where(Response.campaign_id == world.campaigns["teacher"].id)) == "submitted"

    # a forged or spoiled payload: the button is stale, nothing changes
    before = await snapshot(session_factory)
    message = max_api.current(teacher.chat_id)
    for payload in ("q:999999:0:p:0:0", "garbage", "q:" + "9" * 2000):
        note = await teacher.press_payload(message, payload)
        assert note.get("notification") in ("Эта кнопка уже неактуальна.", "Эта анкета вам недоступна.")
    assert await snapshot(session_factory) == before


@BOTH_MODES
async def test_a_file_and_a_number_typed_in_max(max_runner, max_api, world, session_factory, clock):
    """A questionnaire of the municipality's own with a file question and a number (the packs ask for neither)."""
    from monitoring.campaigns import open_campaign
    from storage.models import Municipality
    from surveys.loader import build_survey

    probe = build_survey({"id": "probe", "title": "Проба", "audience": "teacher", "questions": [
        {"name": "certificate", "type": "file", "label": "Приложите удостоверение", "required": False},
        {"name": "hours", "type": "integer", "label": "Сколько часов?", "min": 1, "max": 2000},
    ]}, "probe")
    async with session_factory() as session:
        campaign = await open_campaign(session, municipality=await session.get(Municipality, world.municipality.id), survey=probe,
                                       period="2026-2027", deadline=world.campaigns["teacher"].deadline, now=clock.now)
        await session.commit()
    teacher = await register_max(max_runner, 1002, world.invites["teacher:0"])
    assert "Ваши анкеты:" in teacher.last  # two open: the list, nothing started by itself
    await teacher.press("Начать: Проба")
    assert (await teacher.send("вот файл")).startswith("⚠️ Пришлите файл")
    await teacher.send_file("MAXFILE1", "удостоверение.pdf")
    assert "Сколько часов" in teacher.last
    before = await snapshot(session_factory)
    for bad in ("14ч. 50%", "abc", "-5", "5000"):
        assert (await teacher.send(bad)).startswith("⚠️"), bad
    assert await snapshot(session_factory) == before  # bad input changes nothing
    await teacher.send("72")
    assert "проверьте ответы" in teacher.last and "файл «удостоверение.pdf»" in teacher.last and "72" in teacher.last
    answers = await _answers(session_factory, campaign.id)
    assert answers == {"certificate": {"file_id": "MAXFILE1", "file_name": "удостоверение.pdf"}, "hours": 72}


async def test_restart_mid_questionnaire(max_api, database_url, clock, world, session_factory):
    runner = MaxRunner(max_api, database_url, clock)
    await runner.start()
    teacher = await register_max(runner, 1101, world.invites["teacher:0"])
    await teacher.press("Учитель")  # the questionnaire opened at registration
    assert "осталось 9 вопросов" in teacher.last
    await runner.stop()

    # while the bot is down the teacher presses: the update waits in MAX and is handled after the restart
    message, payload = max_api.find_button(teacher.chat_id, "Математика")
    pressed = max_api.press_payload(1101, message, payload)
    runner2 = MaxRunner(max_api, database_url, clock)
    await runner2.start()
    try:
        await runner2.wait(pressed)
        teacher.runner = runner2
        assert "☑ 2. Математика" in teacher.buttons()
        await teacher.press("Готово")
        assert "диагностике" in teacher.last
        await teacher.send("/surveys")
        assert "начата" in teacher.last
        await teacher.press("Продолжить: Анкета педагога")
        assert "диагностике" in teacher.last  # resumed where they stopped
        answers = await _answers(session_factory, world.campaigns["teacher"].id)
        assert answers["position"] == "teacher" and answers["subjects"] == ["math"]
        # the same update delivered again (MAX did not see the marker): handled once
        max_api.updates.append((10_000, json.loads(json.dumps(pressed))))
        max_api._new.set()
        await runner2.wait(pressed)
        assert (await _answers(session_factory, world.campaigns["teacher"].id))["subjects"] == ["math"]
    finally:
        await runner2.stop()


async def test_reminders_through_429s(max_api, max_runner, world, session_factory, clock):
    teachers = [await register_max(max_runner, 1200 + n, world.invites["teacher:0"], f"Учителева Анна {n}вна".replace("0вна", "Ивановна").replace("1вна", "Петровна").replace("2вна", "Сергеевна")) for n in range(3)]
    deputy = await register_max(max_runner, 1290, world.invites["deputy:0"], "Завучева Ольга Ивановна")
    await teachers[0].press("Учитель")  # opened at registration: one answer in
    async with session_factory() as session:  # the other two left it unopened (as a teacher added by hand)
        await session.execute(delete(Response).where(Response.person_id.in_(
            select(Account.person_id).where(Account.account_id.in_([1201, 1202])))))
        await session.commit()
    max_runner.app.services.answering.states.clear()
    async with session_factory() as session:  # the world's campaigns were opened without a reminder plan
        from monitoring.campaigns import plan_reminders
        from storage.models import Campaign

        await plan_reminders(session, await session.get(Campaign, world.campaigns["teacher"].id), clock.now)
        await session.commit()
    max_api.fail_next("POST /messages", 429, "too.many.requests", times=3)
    clock.advance(days=7, hours=1)  # the 7-day reminder is due (10:00 local + 1 h)
    await max_runner.reminders.tick()
    async with session_factory() as session:
        rows = (await session.execute(select(Delivery.kind, Delivery.channel, Delivery.state, Delivery.chat_id))).all()
    respondents = [r for r in rows if r.kind == "respondent"]
    assert respondents and all(r.channel == "max" and r.state == "sent" for r in respondents)
    assert {r.chat_id for r in respondents} >= {max_api.dialog(1201), max_api.dialog(1202)}
    assert max_runner.reminders.outlets["max"].sender.stats["retry_after"] == 3
    assert "⏰ Напоминание" in teachers[1].last and "Начать анкету" in teachers[1].buttons()
    assert "Продолжить анкету" in teachers[0].buttons()
    # the deputy of the school hears who has not answered, by name
    assert "Ещё не ответили" in deputy.last and "Учителева Анна Петровна" in deputy.last
    # a person who stopped the bot: unreachable, not tried again, and back when they write again
    max_api.chat(max_api.dialog(1202)).stopped = True  # 403 chat.denied, as MAX answers (no bot_stopped seen)
    clock.advance(days=4)
    await max_runner.reminders.tick()
    async with session_factory() as session:
        account = await session.scalar(select(Account).where(Account.account_id == 1202))
    assert account.unreachable
    max_api.chat(max_api.dialog(1202)).stopped = False
    max_runner.app.services.people.forget("max", 1202)
    await teachers[2].send("/surveys")
    async with session_factory() as session:
        assert not (await session.scalar(select(Account).where(Account.account_id == 1202))).unreachable


@BOTH_MODES
async def test_summary_in_the_max_group(max_api, max_runner, world, session_factory):
    coordinator = await register_max(max_runner, 1301, world.invites["coordinator"], "Координаторова Елена Павловна")
    group = -70_001
    max_api.chat(group, "chat")
    before = await snapshot(session_factory)
    stranger = MaxUser(max_runner, 1302, "Пётр")
    await stranger.send("/setchat", chat_id=group)
    assert "только муниципальным координаторам" in max_api.texts(group)[-1]
    await coordinator.send("/summary", chat_id=group)
    assert "ещё не назначен" in max_api.texts(group)[-1]
    assert await snapshot(session_factory) == before

    await coordinator.send("/setchat", chat_id=group)
    assert "назначен чатом координаторов" in max_api.texts(group)[-1]
    await coordinator.send("/surveys", chat_id=group)
    assert "только в личном чате" in max_api.texts(group)[-1]
    await coordinator.send("/summary", chat_id=group)
    texts = max_api.texts(group)
    assert any("Сводка" in t or "сводка" in t for t in texts[-6:])
    files = max_api.files(group)
    assert [f["kind"] for f in files][:2] == ["file", "image"]
    assert files[0]["name"].endswith(".xlsx") and files[0]["content"][:2] == b"PK" and files[0]["caption"]
    # the charts as albums: one message carries the municipality's two images, the next the schools' one
    albums = [[a for a in m["body"]["attachments"] if a["type"] == "image"] for m in max_api.chat(group).messages.values()
              if m["sender"]["user_id"] == max_api.bot_id and any(a["type"] == "image" for a in m["body"]["attachments"])]
    assert [len(album) for album in albums] == [2, 1]
    images = [f for f in files if f["kind"] == "image"]
    assert [f["name"] for f in images] == ["chart_1.png", "chart_2.png", "chart_3.png"]
    assert images[0]["caption"].startswith("Муниципальные доли") and images[2]["caption"].startswith("Баллы школ")
    for image in images:
        width, height = PILImage.open(io.BytesIO(image["content"])).size
        assert width == 1080 and height <= 1350
    assert all(auth is None for auth in max_api.upload_auth)  # the bot's token never goes to the upload host
    await coordinator.send("/report", chat_id=group)
    assert max_api.files(group)[-1]["name"].endswith(".docx")
    async with session_factory() as session:
        from storage.models import AccessLog, Municipality

        municipality = await session.get(Municipality, world.municipality.id)
        actions = list(await session.scalars(select(AccessLog.action)))
    assert (municipality.coordinators_channel, municipality.coordinators_chat_id) == ("max", group)
    assert actions.count("summary") == 1 and actions.count("report") == 1


async def test_a_file_not_ready_is_sent_again(max_api, max_runner, world, session_factory):
    coordinator = await register_max(max_runner, 1401, world.invites["coordinator"], "Координаторова Елена Павловна")
    max_api.large_file_bytes, max_api.processing_seconds = 0, 0.1  # MAX processes every file a while
    await coordinator.send("/report")  # the meeting's details first, then the protocol
    await coordinator.press("Сформировать протокол")
    sent = max_api.files(coordinator.chat_id)
    assert len(sent) == 1 and sent[0]["name"].endswith(".docx")
    refusals = [r for r in max_api.refusals if r["code"] == "attachment.not.ready"]
    tries = [b for b in max_api.sent_bodies() if any(a["type"] == "file" for a in b.get("attachments") or [])]
    assert refusals and len(tries) == len(refusals) + 1  # «attachment.not.ready», waited for with pauses, then sent


async def test_a_person_using_both_channels(runner, api, max_api, database_url, clock, world, session_factory, monkeypatch):
    telegram = await register(runner, 1501, world.invites["teacher:0"], "Обоева Нина Сергеевна")
    max_runner = MaxRunner(max_api, database_url, clock)
    await max_runner.start()
    runner.dp["pipeline"].services.links = max_runner.app.services.links  # one installation: each channel's start link known to both
    try:
        await telegram.send("/link")
        link = telegram.last
        assert "MAX" in link and "https://max.ru/shnor_max_bot?start=" in link
        token = link.split("?start=")[1].split()[0]
        max_user = MaxUser(max_runner, 2501, "Нина")
        await max_user.start(token)
        assert "MAX подключён к вашей записи" in max_user.texts[-2]
        async with session_factory() as session:
            people = list(await session.scalars(select(Person).where(Person.full_name == "Обоева Нина Сергеевна")))
            invites_left = (await session.execute(select(func.count()).select_from(Account))).scalar()
        assert len(people) == 1 and invites_left == 1  # one person, two accounts
        # the link is spent: opened again by someone else it changes nothing
        before = await snapshot(session_factory)
        other = MaxUser(max_runner, 2502, "Чужой")
        await other.start(token)
        assert "уже зарегистрировались все" in other.last or "не найдена" in other.last
        assert await snapshot(session_factory) == before

        # begun in Telegram (opened at registration), finished in MAX: the same questionnaire
        await telegram.press("Учитель")
        await max_user.send("/surveys")
        await max_user.press("Продолжить: Анкета педагога")
        assert "осталось 9 вопросов" in max_user.last
        await max_user.press("Математика")
        await max_user.press("Готово")
        answers = await _answers(session_factory, world.campaigns["teacher"].id)
        assert answers["position"] == "teacher" and answers["subjects"] == ["math"]
        # and back in Telegram, where the old question is stale: what would write is refused
        await telegram.press("Русский язык")  # a selection on screen only: nothing is written
        notice = await telegram.press("Готово")
        assert "неактуален" in notice.get("text", "")
        assert (await _answers(session_factory, world.campaigns["teacher"].id))["subjects"] == ["math"]

        await max_user.send("/mydata")
        assert "Идентификатор в Telegram: 1501" in max_user.last and "Идентификатор в MAX: 2501" in max_user.last

        # reminders go to MAX, where the person is reachable in both
        async with session_factory() as session:
            from monitoring.campaigns import plan_reminders
            from storage.models import Campaign

            await plan_reminders(session, await session.get(Campaign, world.campaigns["teacher"].id), clock.now)
            await session.commit()
        clock.advance(days=7, hours=1)
        await runner.reminders.tick()  # the Telegram process: no MAX delivery is its to send
        async with session_factory() as session:
            delivery = await session.scalar(select(Delivery).where(Delivery.person_id == people[0].id))
        assert (delivery.channel, delivery.state) == ("max", "pending")
        await max_runner.reminders.tick()
        assert "⏰ Напоминание" in max_user.last

        # /forget in MAX removes both channels' ids
        await max_user.send("/forget")
        await max_user.press("Да, удалить")
        async with session_factory() as session:
            person = await session.get(Person, people[0].id)
            accounts = (await session.execute(select(func.count()).select_from(Account))).scalar()
        assert person.full_name == "(данные удалены)" and person.tg_user_id < 0 and accounts == 0
        # the Telegram process keeps a person a minute (bot.people.People): once it reads again
        telegram.runner.dp["people"]._people.clear()  # a minute later: the person's entry has expired
        assert "не зарегистрированы" in await telegram.send("/surveys")
    finally:
        await max_runner.stop()


async def test_start_link_time_and_campaigns_in_max(max_api, max_runner, world, session_factory, clock):
    """The coordinator manages campaigns from MAX as from Telegram: the list, close with confirmation, the wizard."""
    coordinator = await register_max(max_runner, 1601, world.invites["coordinator"], "Координаторова Елена Павловна")
    await coordinator.send("/campaigns")
    assert "Кампании муниципалитета" in coordinator.last
    campaign = world.campaigns["school"].id
    await coordinator.press(f"№{campaign}: закрыть")
    assert "досрочно?" in coordinator.last
    await coordinator.press("Отмена", exact=True)
    assert coordinator.last == f"Кампания №{campaign} не закрыта."
    await coordinator.send("/newcampaign")
    await coordinator.press("Анкета педагога")
    await coordinator.press("Всем школам")
    assert "Период" in coordinator.last
    reply = await coordinator.send("двадцать шестой")
    assert reply.startswith("⚠️")
    await coordinator.send("2027-2028")
    await coordinator.press("через 14 дн.")
    assert "Проверьте" in coordinator.last
    await coordinator.press("Открыть кампанию")
    assert "открыта" in coordinator.last
    # a campaign button pressed in a group changes nothing
    group = -70_002
    max_api.chat(group, "chat")
    message, payload = max_api.find_button(coordinator.chat_id, "закрыть")
    before = await snapshot(session_factory)
    update = max_api.press_payload(1601, {**message, "recipient": {"chat_id": group, "chat_type": "chat", "user_id": None}},
                                   payload, message_gone=False)
    await max_runner.wait(update)
    assert "личном чате" in max_api.answers[update["callback"]["callback_id"]]["notification"]
    assert await snapshot(session_factory) == before


async def test_webhook_checks_the_secret_and_handles_once(max_api, database_url, clock, world, session_factory):
    """MAX's webhook: the secret header is checked; an update is recorded, handled before the 200, and a
    redelivery (MAX retries what it thinks failed) is answered without handling it again."""
    from aiohttp import ClientSession, web

    from bot.max.webhook import webhook_app
    from tests.conftest import free_port

    runner = MaxRunner(max_api, database_url, clock)
    await runner.start()
    runner.poller.stop()
    await asyncio.wait_for(runner._task, 10)
    runner._task = None
    app_runner = web.AppRunner(webhook_app(runner.app, path="/max", secret="s3cret-value", on_handled=runner._handled))
    await app_runner.setup()
    port = free_port()
    await web.TCPSite(app_runner, "127.0.0.1", port).start()
    try:
        update = max_api.bot_started(1701, world.invites["teacher:0"].token, "Вера")
        async with ClientSession() as http:
            refused = await http.post(f"http://127.0.0.1:{port}/max", json=update, headers={"X-Max-Bot-Api-Secret": "wrong"})
            assert refused.status == 401
            for _ in range(2):
                ok = await http.post(f"http://127.0.0.1:{port}/max", json=update, headers={"X-Max-Bot-Api-Secret": "s3cret-value"})
                assert ok.status == 200
        await runner.wait(update)  # handled after the 200 (an upload MAX takes long to process never holds the reply)
        texts = max_api.texts(max_api.dialog(1701))
        assert len([t for t in texts if "Согласие" in t]) == 1  # handled once
    finally:
        await app_runner.cleanup()
        await runner.client.close()
        await runner.storage.close()
        await runner.writer.close()
        await runner.engine.dispose()
