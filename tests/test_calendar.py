"""The monitoring calendar: a plan for the school year, opened on schedule by the scheduler's job (driven
here by its tick with an injected clock), shifted and skipped from the chat, and what is due and not opened
named in the coordinators' chat once."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.calendar_runner import CalendarRunner
from bot.reminders import ReminderRunner
from bot.sender import Sender
from monitoring import calendar as mc
from monitoring.campaigns import open_campaign
from storage.db import make_engine, make_session_factory
from storage.models import (
    CalendarItem,
    CalendarMessage,
    Campaign,
    Invite,
    Municipality,
    Person,
    Reminder,
    Role,
    School,
)
from storage.registry import create_invite, forget_person
from surveys.loader import load_pack
from surveys.periods import next_school_year, school_year_of
from tests.harness import OPERATOR, BotRunner, register, snapshot

EKB = ZoneInfo("Asia/Yekaterinburg")
KRS = ZoneInfo("Asia/Krasnoyarsk")
CALENDAR = mc.load_calendar()


def at(tz: ZoneInfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=tz).astimezone(dt.UTC)


@dataclass
class Town:
    municipality: Municipality
    schools: list[School]
    teachers: list[Person]
    deputies: list[Person]
    group: int | None
    invite: Invite


async def make_town(session_factory, *, name: str = "Ревдинский ГО", tz: str = "Asia/Yekaterinburg", group: int | None = -7000,
                    base: int = 700, schools: int = 2, created: dt.datetime | None = None) -> Town:
    """A municipality set up in August 2026: schools, a teacher and a deputy in each, a coordinator invite."""
    created = created or at(EKB, 2026, 8, 1, 12, 0)
    async with session_factory() as session:
        municipality = Municipality(name=name, timezone=tz, coordinators_chat_id=group, created_at=created, pd_operator=OPERATOR)
        session.add(municipality)
        await session.flush()
        rows = [School(municipality_id=municipality.id, name=f"Школа {n} ({name})", short_name=f"Ш{n}") for n in range(1, schools + 1)]
        session.add_all(rows)
        await session.flush()
        teachers = [Person(tg_user_id=base * 10 + n, chat_id=base * 10 + n, full_name=f"Учитель {n}", role=Role.TEACHER,
                           municipality_id=municipality.id, school_id=s.id, registered_at=created) for n, s in enumerate(rows)]
        deputies = [Person(tg_user_id=base * 10 + 5 + n, chat_id=base * 10 + 5 + n, full_name=f"Заместитель {n}", role=Role.DEPUTY,
                           municipality_id=municipality.id, school_id=s.id, registered_at=created) for n, s in enumerate(rows)]
        session.add_all(teachers + deputies)
        invite = await create_invite(session, role=Role.COORDINATOR, municipality=municipality, school=None, max_uses=3,
                                     valid_for=dt.timedelta(days=800), now=created)
        await session.commit()
        return Town(municipality, rows, teachers, deputies, group, invite)


async def plan(session_factory, town: Town, now: dt.datetime, period: str = "2026-2027") -> mc.PlanResult:
    async with session_factory() as session:
        municipality = await session.get(Municipality, town.municipality.id)
        result = await mc.make_plan(session, CALENDAR, municipality, period, now)
        await session.commit()
        return result


async def items(session_factory, town: Town) -> dict[str, CalendarItem]:
    async with session_factory() as session:
        return {i.key: i for i in await session.scalars(select(CalendarItem).where(CalendarItem.municipality_id == town.municipality.id))}


async def campaigns_of(session_factory, town: Town) -> list[tuple[int, str, str, dt.datetime]]:
    async with session_factory() as session:
        rows = await session.scalars(select(Campaign).where(Campaign.municipality_id == town.municipality.id).order_by(Campaign.id))
        return [(c.id, c.survey_version.survey_key, c.period, c.deadline) for c in rows]


async def calendar_snapshot(session_factory) -> dict:
    """snapshot() and the calendar's rows: what a refused button or date must leave as it was."""
    out = await snapshot(session_factory)
    async with session_factory() as session:
        out["calendar"] = list((await session.execute(
            select(CalendarItem.id, CalendarItem.state, CalendarItem.opens_at, CalendarItem.deadline, CalendarItem.campaign_id)
            .order_by(CalendarItem.id))).all())
        out["calendar_messages"] = await session.scalar(select(func.count()).select_from(CalendarMessage))
    return out


def texts_of(api, chat_id: int) -> list[str]:
    return [m.get("text", "") for m in api.bot_messages(chat_id)]


@pytest.fixture
def reminders(runner: BotRunner, session_factory, clock):
    return ReminderRunner(runner.bot, session_factory, Sender(rate=200, backoff=0.01), clock, workers=4)


@pytest.fixture
def job(runner: BotRunner, session_factory, clock, reminders):
    """The calendar's scheduler job, ticked by the tests (bot.scheduler runs it every REMINDER_INTERVAL seconds)."""
    return CalendarRunner(runner.bot, session_factory, Sender(rate=200, backoff=0.01), clock, CALENDAR, reminders=reminders)


# --- the calendar as data ------------------------------------------------------------------


# --- the plan command ----------------------------------------------------------------------


def test_plan_command_prints_the_school_year_in_local_time(shnor) -> None:
    """`shnor calendar plan` on a real process: the next school year (every date still ahead, whenever this runs)
    of two municipalities in different time zones; a second run changes nothing; bad years are refused."""
    period = next_school_year(school_year_of(dt.datetime.now(dt.UTC), "Asia/Yekaterinburg"))
    start, end = period[:4], period[-4:]
    shnor("municipality", "add", "Сысертский ГО", "--tz", "Asia/Yekaterinburg")
    shnor("municipality", "add", "Саянский район", "--tz", "Asia/Krasnoyarsk")

    out = shnor("calendar", "plan", "--municipality", "1", "--year", period).stdout
    assert out.startswith(f"План на {period} составлен: пунктов 8 (анкет 3, напоминаний 5).\n"
                          f"📅 Календарь мониторинга «Сысертский ГО», {period} (время UTC+5)\n")
    assert (f"1. 15.09.{start} 09:00 — срок до 29.09.{start} 18:00\n"
            "   «Анкета школы» — Мониторинг эффективности программ повышения качества (ШППКО, МППКО)\n"
            "   📅 откроется по плану\n"
            "   Зачем: Эффективность ШППКО на начало года") in out
    assert "   Источник: seed 002, «Комплекс мер», пп. 8.1–8.2: «Февраль, сентябрь»\n" in out
    assert (f"3. 01.12.{start} 09:00 — срок до 26.12.{start} 18:00\n"
            "   Напоминание координаторам — Идентификация ШНРО, ШНСУ и школ зоны риска\n"
            "   📅 напоминание запланировано") in out
    assert f"7. 12.05.{end} 09:00 — срок до 31.05.{end} 18:00\n   «Анкета педагога» — Мониторинг повышения квалификации" in out
    assert f"5. 10.02.{end} 09:00 — срок до 24.02.{end} 18:00\n   «Анкета муниципалитета»" in out
    assert out.count("\n8. ") == 1 and "\n9. " not in out
    assert "Каждая анкета открывается один раз за учебный год" in out

    again = shnor("calendar", "plan", "--municipality", "1", "--year", period.replace("-", "/")).stdout
    assert again.startswith(f"План на {period} уже был составлен ") and "ничего не изменено." in again.splitlines()[0]
    assert again.split("\n", 1)[1].replace("уже был составлен", "") == out.split("\n", 1)[1].replace("уже был составлен", "")

    krs = shnor("calendar", "plan", "--municipality", "Саянский район", "--year", period).stdout
    assert "(время UTC+7)" in krs and f"1. 15.09.{start} 09:00 — срок до 29.09.{start} 18:00" in krs

    assert "параметр --year: Период «весна» не похож на учебный год" in shnor(
        "calendar", "plan", "--municipality", "1", "--year", "весна", ok=False).stderr
    assert "Учебный год 2020-2021 уже закончился (31.08.2021)" in shnor(
        "calendar", "plan", "--municipality", "1", "--year", "2020-2021", ok=False).stderr
    shifted = shnor("calendar", "shift", "--municipality", "1", "--year", period, "--item", "1", "--date", f"22.09.{start}").stdout
    assert shifted.startswith(f"Пункт 1 сдвинут: открытие 22.09.{start} 09:00, срок до 06.10.{start} 18:00.")
    assert f"(сдвинута с 15.09.{start} 09:00)" in shifted
    assert "Пункт 7 пропущен." in shnor("calendar", "skip", "--municipality", "1", "--year", period, "--item", "7").stdout
    assert "«Анкета педагога» уже пропущена." in shnor(
        "calendar", "skip", "--municipality", "1", "--year", period, "--item", "7", ok=False).stderr
    assert "пункты с 1 по 8, пункта 9 нет" in shnor(
        "calendar", "skip", "--municipality", "1", "--year", period, "--item", "9", ok=False).stderr


async def test_plan_twice_is_idempotent_and_notes_campaigns_opened_by_hand(session_factory, world, clock):
    """The world opened all three questionnaires of 2026-2027 by hand: the plan records them as such and opens
    none again; the items whose time passed before the plan was made are recorded as missed."""
    town = Town(world.municipality, world.schools, [], [], None, world.invites["coordinator"])
    first = await plan(session_factory, town, clock.now)
    assert (first.added, first.already) == (8, False)
    states = {i.key: (i.state, i.campaign_id) for i in (await items(session_factory, town)).values()}
    assert states["effectiveness_september"] == ("existing", world.campaigns["school"].id)
    assert states["training_may"] == ("existing", world.campaigns["teacher"].id)
    assert states["effectiveness_february"] == ("existing", world.campaigns["municipality"].id)
    assert states["training_november"] == ("planned", None)  # 23.11: its reminder is still due (until 24.11)
    lines = {line.key: line for line in first.view.lines}
    assert lines["training_may"].status == "existing"

    before = await calendar_snapshot(session_factory)
    second = await plan(session_factory, town, clock.now + dt.timedelta(hours=1))
    assert (second.added, second.already) == (0, True)
    assert await calendar_snapshot(session_factory) == before


# --- the job opens campaigns at their date -------------------------------------------------


async def test_calendar_opens_a_campaign_at_its_date_once(api, runner, job, reminders, session_factory, clock):
    clock.now = at(EKB, 2026, 8, 20, 12, 0)
    town = await make_town(session_factory)
    await plan(session_factory, town, clock.now)

    clock.now = at(EKB, 2026, 9, 15, 8, 59)
    await job.tick()
    assert await campaigns_of(session_factory, town) == [] and texts_of(api, town.group) == []

    clock.now = at(EKB, 2026, 9, 15, 9, 0)
    await job.tick()
    opened = await campaigns_of(session_factory, town)
    assert [(key, period, deadline) for _, key, period, deadline in opened] == [("school", "2026-2027", at(EKB, 2026, 9, 29, 18, 0))]
    campaign_id = opened[0][0]
    assert (await items(session_factory, town))["effectiveness_september"].campaign_id == campaign_id
    group = texts_of(api, town.group)
    assert group == [f"📅 Календарь мониторинга, 2026-2027: открыта кампания №{campaign_id} «Анкета школы» — Мониторинг "
                     "эффективности программ повышения качества (ШППКО, МППКО). Срок до 29.09.2026 18:00. Уведомления "
                     "уходят адресатам; заполнение — в /campaigns."]
    async with session_factory() as session:
        keys = set(await session.scalars(select(Reminder.key).where(Reminder.campaign_id == campaign_id)))
    assert keys == {"open", "7d", "3d", "1d", "morning", "final@2026-09-29T13:00"}  # the campaign's own reminder plan

    await reminders.drain()  # the job kicked the reminders: the opening notice goes to every deputy
    await reminders.tick()
    for _ in range(2):  # more runs of both jobs: nothing opens or goes out again
        clock.advance(minutes=1)
        await job.tick()
        await reminders.tick()
    for deputy in town.deputies:
        got = texts_of(api, deputy.chat_id)
        assert len(got) == 1 and got[0].startswith("📋 Открыта анкета «Анкета школы» (период 2026-2027).")
    assert all(texts_of(api, t.chat_id) == [] for t in town.teachers)
    assert len(await campaigns_of(session_factory, town)) == 1 and len(texts_of(api, town.group)) == 1

    # the November reminder to the coordinators, at its date, once
    clock.now = at(EKB, 2026, 11, 10, 9, 0)
    await job.tick()
    await job.tick()
    group = texts_of(api, town.group)
    assert len(group) == 2 and group[1].startswith(
        "🗓 Календарь мониторинга, 2026-2027: Мониторинг повышения квалификации педагогических и руководящих работников "
        "— до 24.11.2026 18:00.\nСверьте муниципальный заказ на курсы повышения квалификации с дефицитами, выявленными "
        "в июне: /summary 2025-2026")
    # December: what to load and run, for the municipality's method, with its number and the period
    clock.now = at(EKB, 2026, 12, 1, 9, 0)
    await job.tick()
    assert texts_of(api, town.group)[-1].endswith(
        "Загрузите региональные списки ШНРО, ШНСУ и зоны риска: shnor template statuses, затем shnor import statuses "
        f"--municipality {town.municipality.id} --period 2026-2027 статусы.xlsx")


async def test_two_runs_of_the_opening_job_do_not_open_twice(api, runner, session_factory, database_url, clock):
    """Two bot processes (two engines on one database) tick at the same moment, then one restarts: one campaign,
    one notice."""
    clock.now = at(EKB, 2026, 8, 20, 12, 0)
    town = await make_town(session_factory)
    await plan(session_factory, town, clock.now)
    clock.now = at(EKB, 2027, 5, 12, 9, 0)
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        jobs = [CalendarRunner(runner.bot, make_session_factory(e, clock), Sender(rate=200, backoff=0.01), clock, CALENDAR) for e in engines]
        await asyncio.gather(*(j.tick() for j in jobs))
        await CalendarRunner(runner.bot, make_session_factory(engines[0], clock), Sender(rate=200), clock, CALENDAR).tick()  # restarted
    finally:
        for engine in engines:
            await engine.dispose()
    keys = [key for _, key, _, _ in await campaigns_of(session_factory, town)]
    assert keys.count("teacher") == 1
    group = texts_of(api, town.group)
    assert sum("открыта кампания" in t and "«Анкета педагога»" in t for t in group) == 1
    assert len(group) == 3  # and the two questionnaires whose time passed while no job ran (September, February), once each


async def test_a_restart_sends_what_was_decided_and_not_sent(api, runner, session_factory, clock):
    """The process opened the campaign (committed) and died before its notice went out: the next process sends
    the notice once and opens nothing again."""
    clock.now = at(EKB, 2026, 8, 20, 12, 0)
    town = await make_town(session_factory)
    await plan(session_factory, town, clock.now)
    clock.now = at(EKB, 2026, 9, 15, 9, 0)
    item = (await items(session_factory, town))["effectiveness_september"]
    async with session_factory() as session:
        assert (await mc.open_item(session, CALENDAR, item.id, clock.now)).what == "opened"
        await session.commit()
    assert texts_of(api, town.group) == []
    restarted = CalendarRunner(runner.bot, session_factory, Sender(rate=200, backoff=0.01), clock, CALENDAR)
    await restarted.tick()
    await restarted.tick()
    assert len(await campaigns_of(session_factory, town)) == 1
    assert len(texts_of(api, town.group)) == 1 and "открыта кампания" in texts_of(api, town.group)[0]


async def test_two_time_zones_open_at_their_own_local_date(api, runner, job, session_factory, clock):
    clock.now = at(EKB, 2026, 8, 20, 12, 0)
    ekb = await make_town(session_factory, name="Сысертский ГО", group=-7001, base=701)
    krs = await make_town(session_factory, name="Саянский район", tz="Asia/Krasnoyarsk", group=-7002, base=702)
    await plan(session_factory, ekb, clock.now)
    await plan(session_factory, krs, clock.now)
    assert (await items(session_factory, krs))["effectiveness_september"].opens_at == dt.datetime(2026, 9, 15, 2, 0, tzinfo=dt.UTC)
    assert (await items(session_factory, ekb))["effectiveness_september"].opens_at == dt.datetime(2026, 9, 15, 4, 0, tzinfo=dt.UTC)

    clock.now = at(KRS, 2026, 9, 15, 9, 0)  # 07:00 in Yekaterinburg
    await job.tick()
    assert len(await campaigns_of(session_factory, krs)) == 1 and await campaigns_of(session_factory, ekb) == []
    assert "Срок до 29.09.2026 18:00" in texts_of(api, krs.group)[0]  # Krasnoyarsk's own 18:00
    clock.now = at(EKB, 2026, 9, 15, 9, 0)
    await job.tick()
    assert len(await campaigns_of(session_factory, ekb)) == 1
    assert (await campaigns_of(session_factory, krs))[0][3] == at(KRS, 2026, 9, 29, 18, 0)
    assert (await campaigns_of(session_factory, ekb))[0][3] == at(EKB, 2026, 9, 29, 18, 0)


async def test_a_campaign_opened_by_hand_is_not_duplicated(api, runner, job, session_factory, clock):
    clock.now = at(EKB, 2026, 8, 20, 12, 0)
    town = await make_town(session_factory)
    await plan(session_factory, town, clock.now)
    clock.now = at(EKB, 2026, 10, 1, 12, 0)
    async with session_factory() as session:  # the coordinator opens the teacher questionnaire in October by hand
        by_hand = await open_campaign(session, municipality=await session.get(Municipality, town.municipality.id),
                                      survey=load_pack("teacher"), period="2026-2027", deadline=clock.now + dt.timedelta(days=14),
                                      now=clock.now)
        await session.commit()
    async with session_factory() as session:
        view = await mc.plan_view(session, CALENDAR, await session.get(Municipality, town.municipality.id), "2026-2027", clock.now)
    may = next(line for line in view.lines if line.key == "training_may")
    assert (may.status, may.campaign_id) == ("duplicate", by_hand.id)

    clock.now = at(EKB, 2027, 5, 12, 9, 0)  # closed long ago; the calendar still opens no second one
    await job.tick()
    keys = [key for _, key, _, _ in await campaigns_of(session_factory, town)]
    assert keys.count("teacher") == 1
    item = (await items(session_factory, town))["training_may"]
    assert (item.state, item.campaign_id) == ("existing", by_hand.id)
    assert texts_of(api, town.group)[-1] == (
        f"📅 Календарь мониторинга, 2026-2027: на 12.05.2027 09:00 по плану приходилась «Анкета педагога» (Мониторинг "
        f"повышения квалификации педагогических и руководящих работников), но кампания №{by_hand.id} этой анкеты за 2026-2027 "
        "уже есть — вторую календарь не открывает: ответы двух кампаний одного периода считались бы дважды.")


async def test_quiet_hours_hold_the_notices_not_the_opening(api, runner, job, reminders, session_factory, clock):
    clock.now = at(EKB, 2026, 8, 20, 12, 0)
    town = await make_town(session_factory)
    await plan(session_factory, town, clock.now)
    async with session_factory() as session:
        municipality = await session.get(Municipality, town.municipality.id)
        item = await mc.item_by_number(session, municipality, "2026-2027", 1)
        await mc.shift_item(session, municipality, item, at(EKB, 2026, 9, 15, 22, 30), clock.now)
        await session.commit()
    clock.now = at(EKB, 2026, 9, 15, 22, 30)
    await job.tick()
    await reminders.drain()
    await reminders.tick()
    assert len(await campaigns_of(session_factory, town)) == 1  # open in the database: /surveys shows it
    assert texts_of(api, town.group) == [] and texts_of(api, town.deputies[0].chat_id) == []
    clock.now = at(EKB, 2026, 9, 16, 8, 0)
    await job.tick()
    await reminders.tick()
    assert len(texts_of(api, town.group)) == 1 and len(texts_of(api, town.deputies[0].chat_id)) == 1


# --- due and not opened: named once ----------------------------------------------------------


async def test_due_and_not_opened_is_named_in_the_coordinators_chat_once(api, runner, job, session_factory, clock):
    # no plan at all: the September questionnaire is named once
    no_plan = await make_town(session_factory, name="Без плана", group=-7101, base=711)
    # a plan whose opening fails (no schools in the registry), then works once the registry is loaded
    failing = await make_town(session_factory, name="Без школ", group=-7102, base=712, schools=0)
    # a plan, and the bot down until the deadline was near
    down = await make_town(session_factory, name="Бот не работал", group=-7103, base=713)
    for town in (failing, down):
        await plan(session_factory, town, at(EKB, 2026, 8, 20, 12, 0))

    clock.now = at(EKB, 2026, 9, 15, 9, 0)
    await job.tick()
    clock.advance(minutes=1)
    await job.tick()
    got = texts_of(api, no_plan.group)
    assert got == ["⚠️ Календарь мониторинга, 2026-2027: 15.09.2026 09:00 по методике открывается «Анкета школы» (Мониторинг "
                   "эффективности программ повышения качества (ШППКО, МППКО)), но кампании этой анкеты за 2026-2027 нет, а план "
                   "на учебный год не составлен. Составьте план (/calendar в личном чате с ботом или shnor calendar plan "
                   f"--municipality {no_plan.municipality.id} --year 2026-2027) или откройте кампанию вручную: /newcampaign."]
    assert texts_of(api, failing.group) == [
        "⚠️ Календарь мониторинга, 2026-2027: «Анкета школы» (Мониторинг эффективности программ повышения качества (ШППКО, "
        "МППКО)) должна была открыться 15.09.2026 09:00, но не открылась: В муниципалитете нет ни одной школы: сначала "
        "загрузите реестр школ (shnor schools import). Бот пробует снова; устраните причину или сдвиньте (пропустите) пункт "
        "в /calendar."]
    item = (await items(session_factory, failing))["effectiveness_september"]
    assert item.state == "planned" and item.last_error.startswith("В муниципалитете нет ни одной школы")
    assert await campaigns_of(session_factory, failing) == []
    for _ in range(3):  # more runs: named once, not every minute
        clock.advance(minutes=5)
        await job.tick()
    assert len(texts_of(api, no_plan.group)) == 1 and len(texts_of(api, failing.group)) == 1

    async with session_factory() as session:  # the registry is loaded: the next run opens it
        session.add(School(municipality_id=failing.municipality.id, name="МАОУ СОШ № 1", short_name="СОШ 1"))
        await session.commit()
    await job.tick()
    assert len(await campaigns_of(session_factory, failing)) == 1
    assert texts_of(api, failing.group)[-1].startswith("📅 Календарь мониторинга, 2026-2027: открыта кампания")

    # `down` was opened at 09:00 above (the job ran); its February questionnaire comes when the bot is down
    clock.now = at(EKB, 2027, 2, 23, 19, 0)  # the deadline 24.02 18:00 is less than a day away
    await job.tick()
    await job.tick()
    item = (await items(session_factory, down))["effectiveness_february"]
    assert item.state == "missed" and [c for c in await campaigns_of(session_factory, down) if c[1] == "municipality"] == []
    named = [t for t in texts_of(api, down.group) if t.startswith("⚠️")]
    assert named == ["⚠️ Календарь мониторинга, 2026-2027: «Анкета муниципалитета» (Мониторинг эффективности программ повышения "
                     "качества (ШППКО, МППКО)) должна была открыться 10.02.2027 09:00, но не открыта: срок по плану прошёл до "
                     "открытия (бот не работал); срок по плану — 24.02.2027 18:00. Сдвиньте пункт на новую дату в /calendar или "
                     "откройте кампанию вручную: /newcampaign."]
    # its February reminder to the coordinators was still due (until 18:00 tomorrow): sent late, once
    assert sum(t.startswith("🗓 Календарь мониторинга, 2026-2027: Мониторинг эффективности") for t in texts_of(api, down.group)) == 1


async def test_a_municipality_without_a_coordinators_chat(api, runner, job, session_factory, clock):
    """No group: the coordinators hear it privately; nobody at all: nothing is lost, it goes to the first who registers."""
    town = await make_town(session_factory, name="Без группы", group=None, base=721)
    clock.now = at(EKB, 2026, 9, 15, 9, 0)
    await job.tick()
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(CalendarMessage)) == 0
    coordinator = await register(runner, 72190, town.invite, "Координаторова Ольга Николаевна")
    clock.advance(minutes=1)
    await job.tick()
    await job.tick()
    named = [t for t in coordinator.texts if t.startswith("⚠️ Календарь мониторинга")]
    assert len(named) == 1 and "план на учебный год не составлен" in named[0]
    # /forget: the calendar's outbox keeps no trace of their chat
    async with session_factory() as session:
        person = await session.scalar(select(Person).where(Person.tg_user_id == coordinator.id))
        await forget_person(session, person, clock.now)
        await session.commit()
        chats = set(await session.scalars(select(CalendarMessage.chat_id)))
    assert chats and coordinator.id not in chats


# --- the chat: /calendar, shift and skip -------------------------------------------------------


async def test_calendar_in_chat_plan_shift_and_skip(api, runner: BotRunner, job, session_factory, clock):
    clock.now = at(EKB, 2026, 8, 25, 12, 0)
    town = await make_town(session_factory)
    coordinator = await register(runner, 7301, town.invite, "Координаторова Ольга Николаевна")

    await coordinator.send("/calendar")
    assert "📅 Календарь мониторинга «Ревдинский ГО», 2026-2027 (время UTC+5)" in coordinator.last
    assert "План на 2026-2027 не составлен" in coordinator.last and coordinator.buttons() == ["Составить план на 2026-2027"]
    await coordinator.press("Составить план на 2026-2027")
    assert coordinator.last.startswith("План на 2026-2027 составлен: пунктов 8 (анкет 3, напоминаний 5).")
    assert "1. 15.09.2026 09:00 — срок до 29.09.2026 18:00" in coordinator.last
    assert coordinator.buttons()[:4] == ["1: сдвинуть", "1: пропустить", "2: сдвинуть", "2: пропустить"]
    before = await calendar_snapshot(session_factory)
    answer = await coordinator.press("Составить план на 2026-2027")  # the old button again: nothing changes
    assert "План на 2026-2027 уже был составлен 25.08.2026 12:00: ничего не изменено." in coordinator.last
    assert await calendar_snapshot(session_factory) == before and answer.get("show_alert") is not True

    # shift: the date is the next message; dates that do not do are asked again and change nothing
    await coordinator.press("1: сдвинуть")
    assert coordinator.last.startswith("«Анкета школы» (Мониторинг эффективности программ повышения качества (ШППКО, МППКО)): "
                                       "сейчас 15.09.2026 09:00, срок до 29.09.2026 18:00.\nНа какую дату сдвинуть?")
    for typed, refusal in (
        ("31.02.2026", "⚠️ Не понял дату «31.02.2026»"),
        ("01.08.2026 10:00", "⚠️ 01.08.2026 10:00 уже прошло: напишите будущие дату и время"),
        ("05.09.2027", "⚠️ 05.09.2027 — вне учебного года 2026-2027 (01.09.2026–31.08.2027)"),
    ):
        assert (await coordinator.send(typed)).startswith(refusal), coordinator.last
        assert await calendar_snapshot(session_factory) == before
    await coordinator.send("22.09.2026")
    assert coordinator.last.startswith("Пункт 1 сдвинут: «Анкета школы» — 22.09.2026 09:00, срок до 06.10.2026 18:00.")
    assert "📅 откроется по плану (сдвинута с 15.09.2026 09:00)" in coordinator.last
    shifted = await calendar_snapshot(session_factory)
    await coordinator.send("29.09.2026")  # the conversation left the shift: a date typed now moves nothing
    assert await calendar_snapshot(session_factory) == shifted

    # skip: asked first; «Отмена» changes nothing
    before = await calendar_snapshot(session_factory)
    await coordinator.press("7: пропустить")
    assert coordinator.last.startswith("Пропустить пункт 7: «Анкета педагога» (Мониторинг повышения квалификации "
                                       "педагогических и руководящих работников), 12.05.2027 09:00?")
    assert coordinator.buttons() == ["Да, пропустить", "Отмена"]
    await coordinator.press("Отмена")
    assert coordinator.last == "Пункт 7 не пропущен." and await calendar_snapshot(session_factory) == before
    await coordinator.press("7: пропустить")
    await coordinator.press("Да, пропустить")
    assert coordinator.last.startswith("Пункт 7 пропущен: «Анкета педагога».")
    assert "⏭ пропущена (25.08.2026 12:00)" in coordinator.last
    before = await calendar_snapshot(session_factory)
    answer = await coordinator.press("Да, пропустить")  # the confirmation again
    assert answer["text"] == "«Анкета педагога» уже пропущена." and await calendar_snapshot(session_factory) == before

    # the job follows the plan as changed: nothing on the 15th, the school questionnaire on the 22nd, no teacher one in May
    clock.now = at(EKB, 2026, 9, 15, 9, 0)
    await job.tick()
    assert await campaigns_of(session_factory, town) == []
    clock.now = at(EKB, 2026, 9, 22, 9, 0)
    await job.tick()
    assert [key for _, key, _, _ in await campaigns_of(session_factory, town)] == ["school"]
    clock.now = at(EKB, 2027, 5, 12, 9, 0)
    await job.tick()
    assert [key for _, key, _, _ in await campaigns_of(session_factory, town)] == ["school"]

    # an opened item can be neither skipped nor shifted (old buttons); what the coordinator sees now
    campaign_id = (await campaigns_of(session_factory, town))[0][0]
    before = await calendar_snapshot(session_factory)
    answer = await coordinator.press("1: пропустить")
    assert answer["text"] == (f"«Анкета школы» уже открыта по календарю (кампания №{campaign_id}): пропускать нечего. "
                              "Срок кампании меняется и она закрывается в /campaigns.")
    answer = await coordinator.press("1: сдвинуть")
    assert "уже открыта по календарю" in answer["text"] and await calendar_snapshot(session_factory) == before
    await coordinator.send("/calendar")
    listing = coordinator.last
    assert f"✅ открыта по календарю: кампания №{campaign_id}, срок прошёл (сдвинута с 15.09.2026 09:00)" in listing
    assert "⏭ пропущена (25.08.2026 12:00)" in listing
    assert "⚠️ не открыта: срок по плану прошёл до открытия" in listing  # February's questionnaire: no run of the job then
    assert "1: сдвинуть" not in coordinator.buttons() and "7: сдвинуть" in coordinator.buttons()


async def test_calendar_refusals_change_nothing(api, runner: BotRunner, job, session_factory, clock):
    clock.now = at(EKB, 2026, 8, 25, 12, 0)
    town = await make_town(session_factory)
    other = await make_town(session_factory, name="Соседний ГО", group=-7401, base=741)
    coordinator = await register(runner, 7401, town.invite, "Координаторова Ольга Николаевна")
    stranger = await register(runner, 7402, other.invite, "Соседова Анна Павловна")
    async with session_factory() as session:
        teacher_invite = await create_invite(session, role=Role.TEACHER, municipality=await session.get(Municipality, town.municipality.id),
                                             school=await session.get(School, town.schools[0].id), max_uses=5,
                                             valid_for=dt.timedelta(days=30), now=clock.now)
        await session.commit()
    teacher = await register(runner, 7403, teacher_invite, "Учителева Мария Петровна")
    await coordinator.send("/calendar")
    await coordinator.press("Составить план на 2026-2027")
    before = await calendar_snapshot(session_factory)

    assert "только муниципальным координаторам" in await teacher.send("/calendar")
    message, data = api.find_button(coordinator.id, "1: пропустить")
    answer = await teacher.press_data(message, data)
    assert "только муниципальным координаторам" in answer["text"]
    answer = await stranger.press_data(message, data.replace(":a:", ":k:"))  # another municipality's coordinator, skipping
    assert answer["text"] == "Это не ваши данные."
    assert "не похож на учебный год" in await coordinator.send("/calendar весна")
    assert "План на 2027-2028 не составлен" in await coordinator.send("/calendar 2027/28")

    group = -7450
    api.chat(group, "supergroup", "Координаторы")
    await runner.wait(api.message_update(coordinator.id, "/calendar", chat_id=group, chat_type="supergroup"))
    assert texts_of(api, group)[-1] == "Эта команда работает только в личном чате с ботом."
    in_group = {**message, "chat": {"id": group, "type": "supergroup", "title": "Координаторы"}}
    answer = await coordinator.press_data(in_group, data.replace(":a:", ":k:"))
    assert "только в личном чате" in answer["text"] and len(texts_of(api, group)) == 1
    assert await calendar_snapshot(session_factory) == before


async def test_the_scheduler_runs_the_calendar_job(api, runner, job, reminders, session_factory, clock):
    """bot.scheduler's APScheduler job ticks the calendar beside the reminders (the clock stays injected)."""
    from bot.scheduler import create_scheduler

    clock.now = at(EKB, 2026, 8, 20, 12, 0)
    town = await make_town(session_factory)
    await plan(session_factory, town, clock.now)
    clock.now = at(EKB, 2026, 9, 15, 9, 0)
    scheduler = create_scheduler(reminders, 1, job)
    scheduler.start()
    try:
        for _ in range(300):
            if texts_of(api, town.deputies[0].chat_id):
                break
            await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown(wait=False)
        await job.stop()
        await reminders.stop()
    assert len(await campaigns_of(session_factory, town)) == 1
    assert len(texts_of(api, town.deputies[0].chat_id)) == 1 and len(texts_of(api, town.group)) == 1
