"""Campaign reminders through the fake Bot API: local times, quiet hours, exactly once, 429 and 403."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.reminders import ReminderRunner
from bot.scheduler import create_scheduler
from bot.sender import Sender
from monitoring.campaigns import (
    close_campaign,
    create_campaign,
    extend_campaign,
    open_campaign,
    reopen_campaign,
)
from storage.models import (
    Answer,
    Campaign,
    Delivery,
    Municipality,
    Person,
    Reminder,
    Response,
    Role,
    School,
)
from surveys.loader import load_pack
from tests.conftest import Clock
from tests.harness import BotRunner
from tests.worlds import one_school_with_teachers

EKB = ZoneInfo("Asia/Yekaterinburg")
KRS = ZoneInfo("Asia/Krasnoyarsk")
GROUP = -5000


@dataclass
class Town:
    municipality: Municipality
    schools: list[School]
    people: dict[str, Person]
    campaign: Campaign


async def make_town(session_factory, clock: Clock, *, tz: str = "Asia/Yekaterinburg", teachers: dict[str, int] | None = None,
                    name: str = "Ревдинский ГО", base_id: int = 100) -> Town:
    teachers = teachers or {"A": 0, "B": 0, "C": 0, "D": 1, "E": 1}
    async with session_factory() as session:
        municipality = Municipality(name=name, timezone=tz, coordinators_chat_id=GROUP - base_id)
        session.add(municipality)
        await session.flush()
        schools = [School(municipality_id=municipality.id, name=f"Школа {n}", short_name=f"Ш{n}") for n in (1, 2)]
        session.add_all(schools)
        await session.flush()
        people: dict[str, Person] = {}
        for n, (label, school) in enumerate(teachers.items()):
            people[label] = Person(tg_user_id=base_id * 100 + n, chat_id=base_id * 100 + n, full_name=f"Учитель {label}",
                                   role=Role.TEACHER, municipality_id=municipality.id, school_id=schools[school].id)
        for n, school in enumerate(schools):
            people[f"dep{n + 1}"] = Person(tg_user_id=base_id * 100 + 90 + n, chat_id=base_id * 100 + 90 + n,
                                           full_name=f"Заместитель {n + 1}", role=Role.DEPUTY,
                                           municipality_id=municipality.id, school_id=school.id)
        session.add_all(people.values())
        await session.flush()
        zone = ZoneInfo(tz)
        deadline = dt.datetime(2026, 12, 3, 18, 0, tzinfo=zone).astimezone(dt.UTC)
        campaign = await create_campaign(session, municipality=municipality, survey=load_pack("teacher"),
                                         period="2026-2027", deadline=deadline, now=clock.now)
        await session.commit()
        return Town(municipality, schools, people, campaign)


async def set_response(session_factory, town: Town, label: str, status: str) -> None:
    person = town.people[label]
    async with session_factory() as session:
        session.add(Response(campaign_id=town.campaign.id, subject=f"person:{person.id}", person_id=person.id,
                             school_id=person.school_id, status=status))
        await session.commit()


@pytest.fixture
def reminders(runner: BotRunner, session_factory, clock):
    return ReminderRunner(runner.bot, session_factory, Sender(rate=200, backoff=0.01), clock, workers=4)


def texts_of(api, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in api.bot_messages(chat_id)]


def at_local(tz: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


async def test_opening_notice_offsets_deputies_and_digest(api, runner, reminders, session_factory, clock):
    town = await make_town(session_factory, clock)
    await reminders.tick()  # the opening notice is due at once (10:00 local)
    for label in "ABCDE":
        chat = town.people[label].chat_id
        assert texts_of(api, chat) == [texts_of(api, chat)[0]] and "📋 Открыта анкета «Анкета педагога»" in texts_of(api, chat)[0]
        assert api.last_message(chat)["reply_markup"]["inline_keyboard"][0][0]["text"] == "Начать анкету"
    assert texts_of(api, town.people["dep1"].chat_id) == []

    await set_response(session_factory, town, "A", "submitted")
    await set_response(session_factory, town, "B", "draft")
    await set_response(session_factory, town, "D", "submitted")
    async with session_factory() as session:  # Ш1 declares 4 pedagogical workers in its questionnaire; Ш2 has not
        school_campaign = await open_campaign(session, municipality=await session.get(Municipality, town.municipality.id),
                                              survey=load_pack("school"), period="2026-2027", deadline=town.campaign.deadline,
                                              now=clock.now)
        form = Response(campaign_id=school_campaign.id, subject=f"school:{town.schools[0].id}", school_id=town.schools[0].id,
                        status="submitted")
        session.add(form)
        await session.flush()
        session.add(Answer(response_id=form.id, question="ped_workers", value=4))
        await session.commit()
    clock.now = at_local(EKB, 2026, 11, 26, 17, 59)
    await reminders.tick()
    assert len(texts_of(api, town.people["C"].chat_id)) == 1  # the 7-day reminder is not due before 18:00
    clock.now = at_local(EKB, 2026, 11, 26, 18, 0)
    await reminders.tick()
    await reminders.tick()  # a second tick sends nothing again
    assert len(texts_of(api, town.people["A"].chat_id)) == 1 and len(texts_of(api, town.people["D"].chat_id)) == 1
    for label, button in (("B", "Продолжить анкету"), ("C", "Начать анкету"), ("E", "Начать анкету")):
        got = texts_of(api, town.people[label].chat_id)
        assert len(got) == 2 and got[1].startswith("⏰ Напоминание") and "осталось 7 дней" in got[1], got
        assert api.last_message(town.people[label].chat_id)["reply_markup"]["inline_keyboard"][0][0]["text"] == button
    dep1 = texts_of(api, town.people["dep1"].chat_id)
    assert len(dep1) == 1 and "Ещё не ответили: Учитель B, Учитель C." in dep1[0] and "Учитель A" not in dep1[0]
    assert dep1[0].startswith("⏰ Ш1, анкета «Анкета педагога»: педагоги ответили 1 из 4 заявленных (25,0 %); "
                              "зарегистрировано 3; начали 1; осталось 7 дней, срок до 03.12.2026 18:00.")
    assert "Анкета школы: отправлена." in dep1[0]
    dep2 = texts_of(api, town.people["dep2"].chat_id)
    assert len(dep2) == 1 and "Ещё не ответили: Учитель E." in dep2[0]
    assert "педагоги ответили 1; число педагогов школа не заявила; зарегистрировано 2" in dep2[0]
    digest = texts_of(api, town.municipality.coordinators_chat_id)
    assert len(digest) == 1 and digest[0].startswith(
        "📊 Заполнение «Анкета педагога» (2026-2027): ответили 1 из 4 заявленных (25,0 %); зарегистрировано 3; начали 1. "
        "Школ, не заявивших число педагогов: 1 (в них ответили 1, зарегистрировано 2); осталось 7 дней")
    assert "• Ш1: ответили 1 из 4 заявленных (25,0 %); зарегистрировано 3; начали 1" in digest[0]
    assert "• Ш2: ответили 1; число педагогов школа не заявила; зарегистрировано 2" in digest[0]
    # the reminder button resumes the questionnaire
    user_b = town.people["B"]
    message, data = api.find_button(user_b.chat_id, "Продолжить анкету")
    await runner.wait(api.callback_update(user_b.tg_user_id, message, data))
    assert "осталось 10 вопросов" in api.last_message(user_b.chat_id)["text"]


async def test_two_time_zones_fire_at_their_own_local_time(api, runner, reminders, session_factory, clock):
    ekb = await make_town(session_factory, clock, teachers={"A": 0}, name="Екатеринбургский", base_id=100)
    krs = await make_town(session_factory, clock, tz="Asia/Krasnoyarsk", teachers={"A": 0}, name="Саянский", base_id=200)
    async with session_factory() as session:
        due = {(r.campaign_id, r.key): r.due_at for r in await session.scalars(select(Reminder))}
    assert due[(ekb.campaign.id, "7d")] == at_local(EKB, 2026, 11, 26, 18, 0)
    assert due[(krs.campaign.id, "7d")] == at_local(KRS, 2026, 11, 26, 18, 0)
    assert due[(krs.campaign.id, "morning")] == at_local(KRS, 2026, 12, 3, 8, 0)
    await reminders.tick()  # opening notices
    clock.now = at_local(KRS, 2026, 11, 26, 18, 0)  # 16:00 in Yekaterinburg
    await reminders.tick()
    assert len(texts_of(api, krs.people["A"].chat_id)) == 2 and len(texts_of(api, ekb.people["A"].chat_id)) == 1
    clock.now = at_local(EKB, 2026, 11, 26, 18, 0)
    await reminders.tick()
    assert len(texts_of(api, ekb.people["A"].chat_id)) == 2 and len(texts_of(api, krs.people["A"].chat_id)) == 2


async def test_quiet_hours_hold_messages_until_morning(api, runner, reminders, session_factory, clock):
    clock.now = at_local(EKB, 2026, 11, 23, 22, 30)  # a campaign opened late in the evening
    town = await make_town(session_factory, clock, teachers={"A": 0})
    await reminders.tick()
    assert texts_of(api, town.people["A"].chat_id) == []
    clock.now = at_local(EKB, 2026, 11, 24, 7, 59)
    await reminders.tick()
    assert texts_of(api, town.people["A"].chat_id) == []
    clock.now = at_local(EKB, 2026, 11, 24, 8, 0)
    await reminders.tick()
    assert len(texts_of(api, town.people["A"].chat_id)) == 1


async def test_downtime_sends_only_the_latest_due_reminder(api, runner, reminders, session_factory, clock):
    town = await make_town(session_factory, clock, teachers={"A": 0})
    await reminders.tick()
    clock.now = at_local(EKB, 2026, 12, 2, 19, 0)  # the bot was down through the 7d, 3d and 1d reminders
    await reminders.tick()
    got = texts_of(api, town.people["A"].chat_id)
    assert len(got) == 2 and "срок завтра, 03.12.2026 до 18:00" in got[1]
    async with session_factory() as session:
        states = {r.key: r.state for r in await session.scalars(select(Reminder).where(Reminder.campaign_id == town.campaign.id))}
    assert states["7d"] == states["3d"] == "superseded" and states["1d"] == "done" and states["morning"] == "pending"
    clock.now = at_local(EKB, 2026, 12, 4, 9, 0)  # down again past the deadline: no reminder, only the final report
    await reminders.tick()
    assert len(texts_of(api, town.people["A"].chat_id)) == 2
    group = texts_of(api, town.municipality.coordinators_chat_id)
    assert any(t.startswith("🏁 Приём ответов «Анкета педагога» (2026-2027) завершён. Итог: ответили 0; "
                            "ни одна школа не заявила число педагогов; зарегистрировано 1") for t in group)
    documents = [m for m in api.bot_messages(town.municipality.coordinators_chat_id) if "document" in m]
    assert documents and documents[-1]["document"]["file_name"] == "shnor_2026-2027.xlsx"
    # the charts as albums through the outlet: the municipality's shares (a media group), the schools' points
    photos = [m for m in api.bot_messages(town.municipality.coordinators_chat_id) if "photo" in m]
    (shares,) = api.albums(town.municipality.coordinators_chat_id)
    assert len(shares) == 2 and shares[0]["caption"].startswith("Муниципальные доли за период 2026-2027")
    assert photos[-1]["caption"].startswith("Баллы школ за период 2026-2027") and "media_group_id" not in photos[-1]
    assert all(p["photo"][0]["width"] == 1080 and p["photo"][0]["height"] <= 1350 for p in photos)


async def test_extension_moves_what_has_not_gone_out(api, runner, reminders, session_factory, clock):
    town = await make_town(session_factory, clock, teachers={"A": 0})
    await reminders.tick()
    clock.now = at_local(EKB, 2026, 11, 26, 18, 0)
    await reminders.tick()  # the 7-day reminder goes out
    async with session_factory() as session:
        campaign = await session.get(Campaign, town.campaign.id)
        await extend_campaign(session, campaign, at_local(EKB, 2026, 12, 10, 18, 0), clock.now)
        await session.commit()
        reminders_by_key = {r.key: r for r in await session.scalars(select(Reminder).where(Reminder.campaign_id == campaign.id))}
    assert reminders_by_key["7d"].state == "done"
    assert reminders_by_key["3d"].due_at == at_local(EKB, 2026, 12, 7, 18, 0)
    assert reminders_by_key["morning"].due_at == at_local(EKB, 2026, 12, 10, 8, 0)
    assert reminders_by_key["final@2026-12-03T13:00"].state == "cancelled"
    assert reminders_by_key["final@2026-12-10T13:00"].state == "pending"
    clock.now = at_local(EKB, 2026, 11, 30, 18, 0)  # the old 3-day moment: nothing
    await reminders.tick()
    assert len(texts_of(api, town.people["A"].chat_id)) == 2

    async with session_factory() as session:
        campaign = await session.get(Campaign, town.campaign.id)
        await close_campaign(session, campaign, clock.now)
        await session.commit()
    await reminders.tick()
    assert any(t.startswith("🏁") for t in texts_of(api, town.municipality.coordinators_chat_id))
    async with session_factory() as session:
        campaign = await session.get(Campaign, town.campaign.id)
        await reopen_campaign(session, campaign, clock.now)
        await session.commit()
        pending = {r.key for r in await session.scalars(select(Reminder).where(Reminder.campaign_id == campaign.id, Reminder.state == "pending"))}
    assert pending == {"3d", "1d", "morning", "final@2026-12-10T13:00", "reopen-1"}
    await reminders.tick()  # the reopening is announced in the coordinators' chat, as the close was
    notice = texts_of(api, town.municipality.coordinators_chat_id)[-1]
    assert notice.startswith(f"🔓 Кампания №{town.campaign.id} «Анкета педагога» (2026-2027) снова открыта") and "осталось 10 дней" in notice


async def test_submitted_respondent_gets_nothing_even_between_fixing_and_sending(api, runner, reminders, session_factory, clock):
    town = await make_town(session_factory, clock, teachers={"A": 0, "B": 0})
    async with session_factory() as session:
        from monitoring.campaigns import fire_due

        ids = await fire_due(session, clock.now)  # the opening notice's recipients are fixed: A and B
        await session.commit()
    assert len(ids) == 1
    await set_response(session_factory, town, "A", "submitted")  # A answers before the notice goes out
    await reminders.tick()
    assert texts_of(api, town.people["A"].chat_id) == []
    assert len(texts_of(api, town.people["B"].chat_id)) == 1
    async with session_factory() as session:
        states = dict((await session.execute(select(Delivery.person_id, Delivery.state))).all())
    assert states[town.people["A"].id] == "skipped" and states[town.people["B"].id] == "sent"


async def test_429_is_retried_and_403_marks_the_person_unreachable(api, runner, reminders, session_factory, clock):
    town = await make_town(session_factory, clock)
    api.fail("sendMessage", 429, retry_after=1, times=2)
    api.blocked.add(town.people["C"].chat_id)
    await reminders.tick()
    for label in "ABDE":
        assert len(texts_of(api, town.people[label].chat_id)) == 1, label
    assert texts_of(api, town.people["C"].chat_id) == []
    assert reminders.sender.stats["retry_after"] == 2
    async with session_factory() as session:
        assert (await session.get(Person, town.people["C"].id)).unreachable
    clock.now = at_local(EKB, 2026, 11, 26, 18, 0)
    api.blocked.clear()
    calls_before = len([c for c in api.calls if c[0] == "sendMessage" and int(c[1]["chat_id"]) == town.people["C"].chat_id])
    await reminders.tick()
    calls_after = len([c for c in api.calls if c[0] == "sendMessage" and int(c[1]["chat_id"]) == town.people["C"].chat_id])
    assert calls_after == calls_before  # nobody writes to an unreachable person again
    digest = texts_of(api, town.municipality.coordinators_chat_id)[-1]
    assert "Недоступны (заблокировали бота), им ничего не отправляется: Учитель C." in digest
    # C unblocks the bot and writes to it: reachable again
    await runner.wait(api.message_update(town.people["C"].tg_user_id, "/help"))
    async with session_factory() as session:
        assert not (await session.get(Person, town.people["C"].id)).unreachable


async def test_ambiguous_failures_are_tried_again_until_confirmed(api, runner, session_factory, clock):
    """A 5xx may come after Telegram delivered: the notice is tried again (each try at most one extra copy), never
    given up; a failed one waits behind the others, so the next tries fall on other people."""
    town = await make_town(session_factory, clock, teachers={"A": 0, "B": 0})
    sender = Sender(rate=200, backoff=0.01, probe=runner.bot.get_me)
    runner_ = ReminderRunner(runner.bot, session_factory, sender, clock, workers=1)
    api.fail("sendMessage", 502, times=1)  # A: one ambiguous failure, then delivered
    await runner_.tick()
    assert len(texts_of(api, town.people["A"].chat_id)) == 1 and len(texts_of(api, town.people["B"].chat_id)) == 1
    assert sender.stats["ambiguous"] == 1 and sender.stats["outages"] == 1
    clock.now = at_local(EKB, 2026, 11, 26, 18, 0)
    api.fail("sendMessage", 500, times=2)  # A's reminder fails, then B's (the outage's trial): both go next
    await runner_.tick()
    async with session_factory() as session:
        rows = (await session.execute(
            select(Delivery.person_id, Delivery.state, Delivery.ambiguous).join(Reminder)
            .where(Reminder.key == "7d", Delivery.kind == "respondent")
        )).all()
    assert {person: (state, ambiguous) for person, state, ambiguous in rows} == {
        town.people["A"].id: ("sent", 1), town.people["B"].id: ("sent", 1)}
    assert len(texts_of(api, town.people["A"].chat_id)) == 2 and len(texts_of(api, town.people["B"].chat_id)) == 2
    assert sender.stats["ambiguous"] == 3 and sender.stats["trials"] >= 1


@pytest.mark.slow
async def test_a_long_telegram_outage_in_the_middle_of_a_broadcast_loses_nothing(api, runner, session_factory, clock):
    """1,000 opening notices; Telegram answers 502 to everything for «10 minutes» (virtual time) from the
    150th on, and had delivered the messages that were in flight when it broke. Nothing is lost; only those
    in flight may arrive twice, and the coordinator is told how many."""
    teachers = 1000
    async with session_factory() as session:
        municipality, school = await one_school_with_teachers(session, "Обрыв", teachers, 90_000)
        municipality.coordinators_chat_id = -9000
        await session.flush()
        await create_campaign(session, municipality=municipality, survey=load_pack("teacher"), period="2026-2027",
                              deadline=clock.now + dt.timedelta(days=30), quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()
    virtual = {"now": 0.0}

    async def virtual_sleep(seconds: float) -> None:  # the outage's ten minutes pass without waiting them
        virtual["now"] += seconds
        await asyncio.sleep(0)

    outage = {"start": None, "end": None}

    def during_outage(method: str, params: dict) -> dict | None:
        sent = sum(1 for m, _ in api.calls if m == "sendMessage")
        if outage["start"] is None and sent >= 150:
            outage["start"], outage["end"] = virtual["now"], virtual["now"] + 600
        if outage["start"] is not None and virtual["now"] < outage["end"] and method in ("sendMessage", "getMe"):
            # the first few in flight reached the users before Telegram failed to answer
            return {"status": 502, "deliver": method == "sendMessage" and outage.setdefault("delivered", 0) < 3
                    and not outage.update(delivered=outage["delivered"] + 1)}
        return None

    api.fault_hook = during_outage
    sender = Sender(rate=1000, backoff=1, max_backoff=60, sleep=virtual_sleep, probe=runner.bot.get_me)
    runner_ = ReminderRunner(runner.bot, session_factory, sender, clock, workers=8, progress_min=10, progress_every=0.05)
    await asyncio.wait_for(runner_.tick(), 120)
    counts = [len(texts_of(api, 90_000 + n)) for n in range(teachers)]
    async with session_factory() as session:
        states = dict((await session.execute(select(Delivery.state, func.count()).where(Delivery.kind == "respondent")
                                             .group_by(Delivery.state))).all())
        twice = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.ambiguous > 0))
    assert outage["end"] is not None and virtual["now"] >= outage["end"]  # the outage happened and was waited out
    assert min(counts) >= 1  # none lost
    doubled = sum(n - 1 for n in counts)
    print(f"\noutage of {outage['end'] - outage['start']:.0f} virtual s after {150} of {teachers} notices: "
          f"sent {states.get('sent', 0)}, lost {counts.count(0)}, arrived twice {doubled}, reported as possibly twice {twice}, "
          f"outage pauses {sender.stats['outages']}, ambiguous failures {sender.stats['ambiguous']}")
    assert states == {"sent": teachers} and doubled <= twice <= 8  # at most the ones in flight, one extra copy each
    report = texts_of(api, -9000)[-1]
    assert f"отправлено {teachers} из {teachers}" in report and f"могло прийти дважды: {twice} —" in report


async def test_stopped_in_the_middle_of_a_broadcast_and_started_again(api, database_url, session_factory, clock):
    teachers = {f"T{n:02d}": n % 2 for n in range(40)}
    town = await make_town(session_factory, clock, teachers=teachers)
    api.fail("sendMessage", 0, times=1000, delay=0.02)  # a slow Telegram
    first = BotRunner(api, database_url, clock)
    await first.start()
    runner_1 = ReminderRunner(first.bot, session_factory, Sender(rate=1000), clock, workers=4, progress_min=10, progress_every=0.05)
    tick = asyncio.create_task(runner_1.tick())
    while sum(len(texts_of(api, town.people[t].chat_id)) for t in teachers) < 12:
        await asyncio.sleep(0.01)
    await runner_1.stop()  # graceful: the sends in flight finish and are recorded
    await tick
    await first.stop()
    sent_before = sum(len(texts_of(api, town.people[t].chat_id)) for t in teachers)
    assert 12 <= sent_before < 40

    second = BotRunner(api, database_url, clock)
    await second.start()
    try:
        runner_2 = ReminderRunner(second.bot, session_factory, Sender(rate=1000), clock, workers=4, progress_min=10, progress_every=0.05)
        cancelled = asyncio.create_task(runner_2.tick())
        while sum(len(texts_of(api, town.people[t].chat_id)) for t in teachers) < sent_before + 8:
            await asyncio.sleep(0.01)
        cancelled.cancel()  # a harder stop: the tick is cancelled mid-flight
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        await runner_2.stop()
        runner_3 = ReminderRunner(second.bot, session_factory, Sender(rate=1000), clock, workers=4, progress_min=10, progress_every=0.05)
        await runner_3.tick()
    finally:
        await second.stop()
    for label in teachers:
        got = texts_of(api, town.people[label].chat_id)
        assert len(got) == 1, (label, got)  # each reminder exactly once
    async with session_factory() as session:
        states = dict((await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all())
        reminder = await session.scalar(select(Reminder).where(Reminder.key == "open"))
    assert states == {"sent": 40} and reminder.state == "done"
    progress = [m["text"] for m in api.bot_messages(town.municipality.coordinators_chat_id)]
    assert progress and progress[-1].startswith("📨 Рассылка «Анкета педагога» завершена: отправлено 40 из 40")


async def test_the_scheduler_job_runs_the_reminders(api, runner, reminders, session_factory, clock):
    town = await make_town(session_factory, clock, teachers={"A": 0})
    scheduler = create_scheduler(reminders, 1)
    scheduler.start()
    try:
        for _ in range(300):
            if texts_of(api, town.people["A"].chat_id):
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
        await reminders.stop()
    assert len(texts_of(api, town.people["A"].chat_id)) == 1
