"""Coordinators manage campaigns from the chat with buttons."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from scoring.service import import_statuses
from storage.importers import StatusRow
from storage.models import Campaign, Municipality, Person, Reminder, Role
from tests.harness import BotRunner, User, register, snapshot


async def test_new_campaign_wizard_periods_and_an_empty_audience(api, runner: BotRunner, world, session_factory, clock):
    teacher = await register(runner, 3001, world.invites["teacher:0"])
    coordinator = await register(runner, 3002, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    assert "только муниципальным координаторам" in await teacher.send("/newcampaign")
    assert "только муниципальным координаторам" in await teacher.send("/campaigns")

    await coordinator.send("/newcampaign")
    assert coordinator.buttons() == ["Анкета муниципалитета", "Анкета школы", "Анкета педагога"]
    await coordinator.press("Анкета педагога")
    await coordinator.press("Только ШНРО")
    assert "Период" in coordinator.last and coordinator.buttons() == ["2026-2027", "2027-2028"]
    await coordinator.send("весна 2027")
    assert "Период «весна 2027» не похож на учебный год. Напишите так: 2026-2027." in coordinator.last
    await coordinator.send("2027/28 уч. год")
    assert "Срок сдачи?" in coordinator.last
    await coordinator.send("31.02.2028")
    assert "Не понял дату «31.02.2028»" in coordinator.last
    await coordinator.send("01.01.2020 10:00")
    assert "уже прошла" in coordinator.last
    await coordinator.send("15.03.2028")  # a date alone: 18:00
    assert "Проверьте" in coordinator.last and "для педагогов школ ШНРО" in coordinator.last
    assert "Период: 2027-2028" in coordinator.last and "Срок: до 15.03.2028 18:00 (UTC+5)" in coordinator.last
    assert ("Напоминания: за 7 дней, за 3 дня, за день до срока и утром в день срока; с 21:00 до 08:00 сообщения "
            "не отправляются.") in coordinator.last
    before = await snapshot(session_factory)
    await coordinator.press("Открыть кампанию")
    # nobody is ШНРО in 2027-2028 yet: refused with the reason, not opened for 0 recipients
    assert "Адресатов нет: школ со статусом «ШНРО» за период 2027-2028 нет" in coordinator.last
    assert await snapshot(session_factory) == before

    async with session_factory() as session:
        await import_statuses(session, await session.get(Municipality, world.municipality.id), "2027-2028",
                              [StatusRow(2, "СОШ 1", True, False, False, False)])
        await session.commit()
    await coordinator.press("Открыть кампанию")
    assert "открыта" in coordinator.last
    await runner.reminders.drain()
    async with session_factory() as session:
        campaign = await session.scalar(select(Campaign).where(Campaign.period == "2027-2028"))
        keys = {r.key: r.state for r in await session.scalars(select(Reminder).where(Reminder.campaign_id == campaign.id))}
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 4
    assert campaign.status_filter == "shnro" and campaign.deadline == dt.datetime(2028, 3, 15, 13, 0, tzinfo=dt.UTC)
    assert keys["open"] == "done"  # kicked at once: the teacher of СОШ 1 got the notice
    assert any(t.startswith("📋 Открыта анкета «Анкета педагога» (период 2027-2028)") for t in teacher.texts)
    assert set(keys) == {"open", "7d", "3d", "1d", "morning", "final@2028-03-15T13:00"}


async def test_campaign_list_close_with_confirmation_reopen_extend(api, runner: BotRunner, world, session_factory, clock):
    coordinator = await register(runner, 3102, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    teacher_campaign = world.campaigns["teacher"].id
    await coordinator.send("/campaigns")
    listing = coordinator.last
    assert f"№{teacher_campaign}. <b>Анкета педагога</b> (2026-2027), для всех педагогов\n" in listing
    assert "Идёт, срок до 07.12.2026 10:00 (UTC+5): осталось 14 дней\n" in listing
    assert "Заполнение: анкета муниципалитета начата, не отправлена" in listing  # one questionnaire, not «0 из 2 школ»
    assert "Заполнение: анкеты школ: отправлено 0 из 2" in listing
    order = coordinator.buttons()
    assert order[:2] == [f"№{world.campaigns['municipality'].id}: продлить", f"№{world.campaigns['municipality'].id}: закрыть"]

    # closing asks first; «Отмена» changes nothing
    before = await snapshot(session_factory)
    await coordinator.press(f"№{teacher_campaign}: закрыть")
    assert f"Закрыть кампанию №{teacher_campaign} «Анкета педагога» (2026-2027) досрочно?" in coordinator.last
    assert coordinator.buttons() == ["Да, закрыть", "Отмена"]
    await coordinator.press("Отмена")
    assert f"Кампания №{teacher_campaign} не закрыта." in coordinator.last
    assert await snapshot(session_factory) == before
    await coordinator.press(f"№{teacher_campaign}: закрыть")
    await coordinator.press("Да, закрыть")
    assert f"Кампания №{teacher_campaign} закрыта досрочно" in coordinator.last
    after = coordinator.buttons()
    # the same buttons in the same places; only the closed one's second button changed
    assert after == [b.replace(f"№{teacher_campaign}: закрыть", f"№{teacher_campaign}: открыть снова") for b in order]
    answer = await coordinator.press("Да, закрыть")  # the old confirmation again: already closed
    assert "уже закрыта" in answer["text"]
    await runner.reminders.drain()
    assert any(t.startswith("🏁 Приём ответов «Анкета педагога» (2026-2027) завершён") for t in coordinator.texts)

    await coordinator.press(f"№{teacher_campaign}: открыть снова")
    assert f"Кампания №{teacher_campaign} снова открыта" in coordinator.last
    assert coordinator.buttons() == order
    await runner.reminders.drain()
    assert any(t.startswith(f"🔓 Кампания №{teacher_campaign} «Анкета педагога» (2026-2027) снова открыта") for t in coordinator.texts)

    await coordinator.press(f"№{teacher_campaign}: продлить")
    await coordinator.press("+7 дн.")
    assert f"Кампания №{teacher_campaign} продлена до 14.12.2026 10:00" in coordinator.last
    assert coordinator.buttons() == order

    # a coordinator of another municipality cannot touch it, whatever the callback says
    async with session_factory() as session:
        other = Municipality(name="Другой", timezone="Asia/Krasnoyarsk")
        session.add(other)
        await session.flush()
        session.add(Person(tg_user_id=3103, chat_id=3103, full_name="Чужой Координатор Петрович", role=Role.COORDINATOR, municipality_id=other.id))
        await session.commit()
    outsider = User(runner, 3103)
    message, data = api.find_button(3102, f"№{teacher_campaign}: закрыть")
    answer = await outsider.press_data(message, data)
    assert "не ваши" in answer["text"]

    # a campaign button pressed in a group closes nothing and posts nothing there
    group = -4242
    api.chat(group, "supergroup", "Координаторы")
    in_group = {**message, "chat": {"id": group, "type": "supergroup", "title": "Координаторы"}}
    before = await snapshot(session_factory)
    answer = await coordinator.press_data(in_group, data.replace(":a:", ":c:"))
    assert "в личном чате" in answer["text"] and api.bot_messages(group) == []
    assert await snapshot(session_factory) == before
