"""Coordinators manage campaigns from the chat with buttons."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from storage.models import Campaign, Municipality, Person, Reminder, Role
from tests.conftest import BotRunner, register


async def test_new_campaign_wizard_list_extend_close_reopen(api, runner: BotRunner, world, session_factory, clock):
    reminders = runner.reminders
    teacher = await register(runner, 3001, world.invites["teacher:0"])
    coordinator = await register(runner, 3002, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    assert "только муниципальным координаторам" in await teacher.send("/newcampaign")
    assert "только муниципальным координаторам" in await teacher.send("/campaigns")

    await coordinator.send("/newcampaign")
    assert coordinator.buttons() == ["Анкета муниципалитета", "Анкета школы", "Анкета педагога"]
    await coordinator.press("Анкета педагога")
    await coordinator.press("Только ШНРО")
    assert "Период?" in coordinator.last and coordinator.buttons() == ["2026-2027", "2027-2028"]
    await coordinator.send("весна 2027")
    assert "Срок сдачи?" in coordinator.last
    await coordinator.send("31.02.2027")
    assert "Не понял дату" in coordinator.last
    await coordinator.send("01.01.2020 10:00")
    assert "уже прошла" in coordinator.last
    await coordinator.send("15.03.2027 18:00")
    assert "Проверьте" in coordinator.last and "Только ШНРО" not in coordinator.last and "для: ШНРО" in coordinator.last
    assert "до 15.03.2027 18:00 (Asia/Yekaterinburg)" in coordinator.last
    await coordinator.press("Открыть кампанию")
    assert "открыта" in coordinator.last
    await reminders.drain()
    async with session_factory() as session:
        campaign = await session.scalar(select(Campaign).where(Campaign.period == "весна 2027"))
        keys = {r.key: r.state for r in await session.scalars(select(Reminder).where(Reminder.campaign_id == campaign.id))}
    assert campaign.status_filter == "shnro" and campaign.deadline == dt.datetime(2027, 3, 15, 13, 0, tzinfo=dt.UTC)
    assert keys["open"] == "done"  # kicked at once; nobody in an ШНРО school yet, so nobody written to
    assert set(keys) == {"open", "7d", "3d", "1d", "morning", "final@2027-03-15T13:00"}

    await coordinator.send("/campaigns")
    listing = coordinator.last
    assert f"№{campaign.id}. <b>Анкета педагога</b> (весна 2027), для: ШНРО" in listing
    await coordinator.press(f"№{campaign.id}: продлить")
    await coordinator.press("+7 дн.")
    assert f"Кампания №{campaign.id} продлена до 22.03.2027 18:00" in coordinator.last
    await coordinator.press(f"№{campaign.id}: закрыть")
    assert f"Кампания №{campaign.id} закрыта досрочно" in coordinator.last
    answer = await coordinator.press(f"№{campaign.id}: закрыть")  # an old button: already closed
    assert "уже закрыта" in answer["text"]
    await coordinator.press(f"№{campaign.id}: открыть снова")
    assert f"Кампания №{campaign.id} снова открыта" in coordinator.last

    # a coordinator of another municipality cannot touch it, whatever the callback says
    async with session_factory() as session:
        other = Municipality(name="Другой", timezone="Asia/Krasnoyarsk")
        session.add(other)
        await session.flush()
        session.add(Person(tg_user_id=3003, chat_id=3003, full_name="Чужой Координатор Петрович", role=Role.COORDINATOR, municipality_id=other.id))
        await session.commit()
    message, data = api.find_button(3002, f"№{campaign.id}: закрыть")
    stranger_answer = await coordinator.press_data(message, data)  # sanity: the owner's press works
    assert "закрыта" in stranger_answer["text"]
    from tests.conftest import User

    outsider = User(runner, 3003)
    message, data = api.find_button(3002, f"№{campaign.id}: открыть снова")
    answer = await outsider.press_data(message, data)
    assert "не ваши" in answer["text"]
    async with session_factory() as session:
        assert (await session.get(Campaign, campaign.id)).closed_at is not None
