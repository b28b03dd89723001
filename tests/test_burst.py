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
    await wave(press("Другое"), double=True)       # position
    await wave(press("Да"), double=True)           # diagnostics
    await wave(press("☐ Предметные"))              # toggle
    await wave(press("Готово ✔"), double=True)     # diagnostics kinds
    await wave(press("Нет"), double=True)          # has ИОМ

    async with session_factory() as session:
        responses = await session.scalar(select(func.count()).select_from(Response))
        answers = await session.scalar(select(func.count()).select_from(Answer))
        kinds = list(await session.scalars(select(Answer.value).where(Answer.question == "diagnostics_kinds")))
    assert responses == USERS
    assert answers == USERS * 4
    assert kinds == [["subject"]] * USERS
    # every user now sees the fifth question exactly once
    for uid in users:
        fifth = [m for m in api.bot_messages(uid) if "сетевое методическое" in m.get("text", "")]
        assert len(fifth) == 1, uid
