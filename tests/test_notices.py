"""Notices that arrive (issue 21, item 5): an ambiguous failure (a 5xx, a timeout after the request went out) never
ends a delivery; it is tried again through the outage, each try costing at most one possible extra copy, and the
coordinator is told exactly how many notices may have arrived twice and how many could not be confirmed.

Time is the test's clock: the fakes' bursts are windows on it, every API call moves it a little and the sender's
backoff moves it instead of sleeping (tests.bursts.sleep_on)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select, update

from bot.reminders import ReminderRunner
from bot.sender import Sender
from monitoring.campaigns import create_campaign
from storage.models import Account, Delivery, Person
from surveys.loader import load_pack
from tests.bursts import Burst, sleep_on
from tests.worlds import one_school_with_teachers

GROUP = -9100


async def broadcast_town(session_factory, clock, teachers: int, first_id: int, *, deadline_seconds: float = 30 * 86400,
                         name: str = "Обрыв") -> None:
    """`teachers` registered teachers of one school and a teacher campaign opened now: its opening notice is due."""
    async with session_factory() as session:
        municipality, _ = await one_school_with_teachers(session, name, teachers, first_id)
        municipality.coordinators_chat_id = GROUP
        await session.flush()
        await create_campaign(session, municipality=municipality, survey=load_pack("teacher"), period="2026-2027",
                              deadline=clock.now + dt.timedelta(seconds=deadline_seconds), offsets=(),
                              quiet_hours="00:00-00:00", now=clock.now)
        await session.commit()


def runner_for(bot, session_factory, clock, **sender: float) -> ReminderRunner:
    sender_ = Sender(rate=1000, backoff=sender.pop("backoff", 1.0), max_backoff=sender.pop("max_backoff", 30.0),
                     sleep=sleep_on(clock), probe=bot.get_me, **sender)
    return ReminderRunner(bot, session_factory, sender_, clock, workers=8, progress_min=10, progress_every=0.05)


def notices(api, first_id: int, teachers: int) -> list[int]:
    return [len(api.bot_messages(first_id + n)) for n in range(teachers)]


def final_report(api) -> str:
    done = [m["text"] for m in api.bot_messages(GROUP) if "завершена" in m.get("text", "")]
    assert len(done) == 1, api.bot_messages(GROUP)
    return done[0]


async def delivery_rows(session_factory) -> list[tuple[int, str, int]]:
    async with session_factory() as session:
        return list((await session.execute(select(Delivery.chat_id, Delivery.state, Delivery.ambiguous)
                                           .where(Delivery.kind == "respondent"))).all())


async def test_a_15_second_burst_of_502s_on_sendmessage_loses_no_notice(api, runner, session_factory, clock):
    """The incident: during a 100-teacher opening notice Telegram answers 502 to every sendMessage for 15 s while getMe
    answers. Every teacher gets the notice at least once and at most twice (a third of the failed calls had delivered
    all the same), and the coordinator is told how many may have arrived twice: exactly those tried after a 502."""
    teachers, first = 100, 91_000
    await broadcast_town(session_factory, clock, teachers, first)
    burst = api.burst(clock, "sendMessage", start=clock.now + dt.timedelta(seconds=1), seconds=15,
                      delivers=lambda n: n % 3 == 0, call_seconds=0.05)  # about 20 notices go before it
    runner_ = runner_for(runner.bot, session_factory, clock)
    await asyncio.wait_for(runner_.tick(), 60)

    got = notices(api, first, teachers)
    tried_in_burst = {chat for chat in burst.failed if chat != GROUP}
    assert clock.now > burst.end and tried_in_burst  # the burst happened and was waited out
    assert min(got) >= 1 and max(got) <= 2, got
    assert max(burst.failed[chat] for chat in tried_in_burst) == 1  # each try of the outage fell on another person
    doubled = {first + n for n, count in enumerate(got) if count == 2}
    assert doubled == {chat for chat in burst.delivered if chat != GROUP}  # the copies that arrived twice: the 502s that delivered
    rows = await delivery_rows(session_factory)
    assert {state for _, state, _ in rows} == {"sent"} and len(rows) == teachers
    assert {chat for chat, _, ambiguous in rows if ambiguous} == tried_in_burst
    assert runner_.sender.stats["trials"] >= 2  # getMe answering did not end the outage; failed trials did not either

    report = final_report(api)
    assert report.startswith(f"📨 Рассылка «Анкета педагога» завершена: отправлено {teachers} из {teachers}")
    assert f"могло прийти дважды: {len(tried_in_burst)} — Telegram не ответил на первую попытку, вторая подтверждена" in report
    assert "не подтверждено" not in report and "больше двух" not in report


async def test_the_campaign_ends_during_an_outage(api, runner, session_factory, clock):
    """The outage outlasts the campaign: the notices tried once without an answer are «не подтверждено», those never
    tried «не отправлено», and none of them is said to have arrived twice."""
    teachers, first = 50, 92_000
    await broadcast_town(session_factory, clock, teachers, first, deadline_seconds=120)
    burst = api.burst(clock, "sendMessage", start=clock.now + dt.timedelta(seconds=1), seconds=3600,
                      call_seconds=0.05)
    runner_ = runner_for(runner.bot, session_factory, clock)
    await asyncio.wait_for(runner_.tick(), 60)
    await asyncio.wait_for(runner_.sender.outage.over.wait(), 10)  # nothing left to try: the outage is let go

    got = notices(api, first, teachers)
    rows = await delivery_rows(session_factory)
    states = {chat: state for chat, state, _ in rows}
    confirmed = {first + n for n, count in enumerate(got) if count}
    tried = {chat for chat in burst.failed if chat != GROUP}
    assert confirmed and tried and not confirmed & tried and max(got) == 1
    assert {chat for chat, state in states.items() if state == "sent"} == confirmed
    assert {chat for chat, state in states.items() if state == "uncertain"} == tried
    ended = {chat for chat, state in states.items() if state == "ended"}
    assert ended and ended | tried | confirmed == set(states)

    report = final_report(api)
    assert report.startswith(f"📨 Рассылка «Анкета педагога» завершена: отправлено {len(confirmed)} из {teachers}")
    assert f"не отправлено, кампания закончилась или ушло следующее напоминание: {len(ended)}" in report
    assert f"не подтверждено ни разу: {len(tried)} — Telegram не ответил ни на одну попытку до конца кампании" in report
    assert "дважды" not in report and "уже ответили" not in report


async def test_stopped_during_an_outage_then_a_crash_with_a_call_in_flight(api, runner, session_factory, clock):
    """A stop during an outage returns at once and leaves the unconfirmed notices pending with their tries; a process
    that died with a call out left its row saying so: the next run counts that call as a possible copy, sends every
    pending notice once, and sends nothing again to those already confirmed."""
    teachers, first = 40, 93_000
    await broadcast_town(session_factory, clock, teachers, first)
    burst = api.burst(clock, "sendMessage", start=clock.now + dt.timedelta(seconds=1), seconds=3600,
                      call_seconds=0.05)
    first_run = runner_for(runner.bot, session_factory, clock)
    tick = asyncio.create_task(first_run.tick())
    while first_run.sender.stats["trials"] < 2:
        await asyncio.sleep(0.01)
    await asyncio.wait_for(first_run.stop(), 5)  # the notices waiting out the outage do not hold the stop
    await asyncio.wait_for(tick, 5)
    await asyncio.wait_for(first_run.sender.outage.over.wait(), 10)
    rows = await delivery_rows(session_factory)
    before = dict(zip(range(teachers), notices(api, first, teachers), strict=True))
    tried = {chat for chat, _, ambiguous in rows if ambiguous}
    assert tried == {chat for chat in burst.failed if chat != GROUP}
    assert {state for chat, state, _ in rows if chat in tried} == {"pending"}
    assert {chat for chat, state, _ in rows if state == "sent"} == {first + n for n, c in before.items() if c}

    pending = [chat for chat, state, ambiguous in rows if state == "pending" and not ambiguous]
    crashed = pending[0]  # its call was out when the process died (as a SIGKILL leaves it)
    async with session_factory() as session:
        await session.execute(update(Delivery).where(Delivery.chat_id == crashed).values(attempts=1))
        await session.commit()
    burst.end = clock.now  # Telegram sends again
    second_run = runner_for(runner.bot, session_factory, clock)
    await asyncio.wait_for(second_run.tick(), 60)
    after = notices(api, first, teachers)
    assert after == [max(1, n) for n in before.values()]  # the pending once each, the confirmed not again
    rows = await delivery_rows(session_factory)
    assert {state for _, state, _ in rows} == {"sent"}
    maybe_twice = {chat for chat, _, ambiguous in rows if ambiguous == 1}
    assert maybe_twice == tried | {crashed}
    assert f"могло прийти дважды: {len(maybe_twice)} —" in final_report(api)


async def test_max_shares_the_rule(friendly_max_api, session_factory, clock):
    """MAX's outlet goes through the same sender: a burst of 502s on POST /messages (GET /me answering) loses no
    notice and costs each person at most one possible extra copy. (The friendly fake: MAX's documents say nothing
    of a 502 that delivered all the same.)"""
    max_api = friendly_max_api
    from bot.max.client import MaxClient
    from bot.max.outlet import MaxOutlet, max_sender

    teachers, first = 20, 94_000
    await broadcast_town(session_factory, clock, teachers, first)
    async with session_factory() as session:  # everyone is in MAX (preferred for bulk messages)
        people = list(await session.scalars(select(Person).where(Person.tg_user_id >= first)))
        session.add_all([Account(person_id=p.id, channel="max", account_id=p.tg_user_id + 1_000_000,
                                 chat_id=p.tg_user_id + 2_000_000) for p in people])
        await session.commit()
    for person in people:
        max_api.chat(person.tg_user_id + 2_000_000)
    burst = Burst(clock, frozenset({"post /messages"}), clock.now, clock.now + dt.timedelta(seconds=15),
                  delivers=lambda n: n % 2 == 0)
    max_api.bursts.append(burst)
    client = MaxClient(max_api.token, max_api.base_url, retry_after=0)
    try:
        sender = max_sender(client, rate=1000, backoff=1.0, sleep=sleep_on(clock))
        runner_ = ReminderRunner(None, session_factory, None, clock, workers=4, outlets=[MaxOutlet(client, sender)])
        await asyncio.wait_for(runner_.tick(), 60)
    finally:
        await client.close()
    got = [len(max_api.chat(p.tg_user_id + 2_000_000).messages) for p in people]
    assert min(got) >= 1 and max(got) <= 2 and sum(got) == teachers + sum(burst.delivered.values())
    assert burst.failed and max(burst.failed.values()) == 1 and sender.stats["trials"] >= 2
    async with session_factory() as session:
        rows = dict((await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))).all())
        twice = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.ambiguous == 1))
    assert rows == {"sent": teachers} and twice == len(burst.failed)
