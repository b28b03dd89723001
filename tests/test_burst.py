"""Hundreds of respondents answering at once: every answer is written exactly once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from storage.models import Answer, Person, Response, Role

USERS = 150


async def test_burst_of_answers_loses_nothing_and_doubles_nothing(runner, api, world, session_factory):
    async with session_factory() as session:
        session.add_all(
            Person(
                tg_user_id=10_000 + n, chat_id=10_000 + n, full_name=f"Педагог {n}", role=Role.TEACHER,
                municipality_id=world.municipality.id, school_id=world.schools[n % 2].id,
            )
            for n in range(USERS)
        )
        await session.commit()
    users = [10_000 + n for n in range(USERS)]
    campaign = world.campaigns["teacher"].id

    async def wave(make: callable, double: bool = False) -> None:
        ids = []
        for uid in users:
            payload = make(uid)
            ids.append(api.callback_update(uid, *payload))
            if double and uid % 3 == 0:  # a double press of the same button
                ids.append(api.callback_update(uid, *payload))
        await asyncio.gather(*(runner.wait(i, timeout=60) for i in ids))

    def open_survey(uid: int):
        return {"message_id": 1, "date": 0, "chat": {"id": uid, "type": "private"}}, f"o:{campaign}"

    def press(label: str):
        def make(uid: int):
            return api.find_button(uid, label, exact=True)
        return make

    await wave(open_survey)
    await wave(press("4. Другое"), double=True)    # position
    await wave(press("☐ 1. Предметные"))           # diagnostics: a kind toggled on its own screen
    await wave(press("Да ✔"), double=True)         # diagnostics «да» with its kinds
    await wave(press("Нет, ИОМ у меня нет"), double=True)  # has ИОМ

    async with session_factory() as session:
        responses = await session.scalar(select(func.count()).select_from(Response))
        answers = await session.scalar(select(func.count()).select_from(Answer))
        kinds = list(await session.scalars(select(Answer.value).where(Answer.question == "diagnostics_kinds")))
    assert responses == USERS
    assert answers == USERS * 4
    assert kinds == [["subject"]] * USERS
    # every user now sees the next screen (the associations) exactly once
    for uid in users:
        fifth = [m for m in api.bot_messages(uid) if "методических объединениях" in m.get("text", "")]
        assert len(fifth) == 1, uid


async def test_two_devices_and_the_summary_counts_are_exact(runner, api, world, session_factory, clock):
    """Each of 100 teachers presses "Да" on one device and "Нет" on another at the same moment:
    one answer per teacher is kept, one next question is shown, and the summary counts exactly that."""
    from scoring.service import build_summary
    from storage.models import Municipality

    teachers = 100
    async with session_factory() as session:
        session.add_all(
            Person(tg_user_id=20_000 + n, chat_id=20_000 + n, full_name=f"Педагог {n}", role=Role.TEACHER,
                   municipality_id=world.municipality.id, school_id=world.schools[n % 2].id)
            for n in range(teachers)
        )
        await session.commit()
    users = [20_000 + n for n in range(teachers)]
    campaign = world.campaigns["teacher"].id

    async def wave(make) -> None:
        ids = [update for uid in users for update in make(uid)]
        await asyncio.gather(*(runner.wait(i, timeout=60) for i in ids))

    opening = {"message_id": 1, "date": 0, "chat": {"id": 0, "type": "private"}}
    await wave(lambda uid: [api.callback_update(uid, {**opening, "chat": {"id": uid, "type": "private"}}, f"o:{campaign}")])
    await wave(lambda uid: [api.callback_update(uid, *api.find_button(uid, "Учитель"))])
    await wave(lambda uid: [api.callback_update(uid, *api.find_button(uid, "Математика"))])
    await wave(lambda uid: [api.callback_update(uid, *api.find_button(uid, "Готово"))])

    await wave(lambda uid: [api.callback_update(uid, *api.find_button(uid, "☐ 2. Методические"))])

    def both_devices(uid: int) -> list[int]:  # diagnostics: yes (with its kind) on one phone, no on the other
        yes, no = api.find_button(uid, "Да ✔", exact=True), api.find_button(uid, "Нет, не участвовал(а)", exact=True)
        first, second = (yes, no) if uid % 2 else (no, yes)
        return [api.callback_update(uid, *first), api.callback_update(uid, *second)]

    await wave(both_devices)
    async with session_factory() as session:
        kept = dict((await session.execute(
            select(Response.person_id, Answer.value).join(Answer).where(Answer.question == "diagnostics")
        )).all())
        assert len(kept) == teachers and set(kept.values()) <= {"yes", "no"}
        # the first press handled wins; the other is refused as stale
        answers = await session.scalar(select(func.count()).select_from(Answer).where(Answer.question == "diagnostics"))
        assert answers == teachers
        await session.execute(Response.__table__.update().values(status="submitted"))
        for school in world.schools:  # each school declares its staff: the shares' denominator
            form = Response(campaign_id=world.campaigns["school"].id, subject=f"school:{school.id}", school_id=school.id,
                            status="submitted")
            session.add(form)
            await session.flush()
            session.add(Answer(response_id=form.id, question="ped_workers", value=teachers // 2))
        await session.commit()
        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), now=clock.now)
    people = {p.tg_user_id: p.id for p in (await _people(session_factory, users))}
    async with session_factory() as session:
        kinds = dict((await session.execute(
            select(Response.person_id, Answer.value).join(Answer).where(Answer.question == "diagnostics_kinds")
        )).all())
    for uid in users:  # the screen shows the question that follows; the kind is stored with «да» only
        assert "ИОМ" in api.last_message(uid)["text"], uid
        assert kinds.get(people[uid]) == (["methodical"] if kept[people[uid]] == "yes" else None), uid
    yes_by_school = {}
    async with session_factory() as session:
        for school_id, value in (await session.execute(
            select(Person.school_id, Answer.value).join(Response, Response.person_id == Person.id)
            .join(Answer).where(Answer.question == "diagnostics")
        )).all():
            yes_by_school[school_id] = yes_by_school.get(school_id, 0) + (value == "yes")
    for score in summary.scores.schools:
        value = score.values["S2.3.1"]  # diagnostics of professional deficits
        assert value.numerator == min(yes_by_school.get(score.school.id, 0), value.denominator), score.school.short_name
    assert {sid: c.submitted for sid, c in summary.completion.teachers.items()} == {
        world.schools[0].id: teachers // 2, world.schools[1].id: teachers // 2}


async def _people(session_factory, tg_ids: list[int]) -> list[Person]:
    async with session_factory() as session:
        return list(await session.scalars(select(Person).where(Person.tg_user_id.in_(tg_ids))))
