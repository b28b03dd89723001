"""Returning a submitted questionnaire for correction: a coordinator a school's, a deputy a teacher's; the
respondent's notice with the comment, the review screen, the resubmission, and the history in the
workbook's completion sheet."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from sqlalchemy import select, update

from bot.callbacks import CampaignAction, CampaignCb, ReturnAction, ReturnCb
from bot.render import messages
from monitoring import returns
from scoring import report, text
from scoring.service import build_summary
from storage.models import Campaign, Municipality, Response, ResponseReturn, Role
from storage.registry import create_invite, create_municipality, get_person
from tests.chasing import add_teacher, delivery_states, outbox, seed_response
from tests.harness import OPERATOR, BotRunner, User, register

COMMENT = "Уточните число педагогов: в штатном расписании 27, а в анкете 6."


async def summary_sheet(session_factory, world, clock) -> list[tuple]:
    async with session_factory() as session:
        summary = await build_summary(session, await session.get(Municipality, world.municipality.id), "2026-2027", now=clock.now)
    wb = openpyxl.load_workbook(io.BytesIO(report.workbook(summary)))
    return list(wb["Заполнение"].iter_rows(values_only=True)), summary


def history_rows(rows: list[tuple]) -> list[tuple]:
    """The rows of the returns table under the schools: after its caption and header."""
    start = next(n for n, r in enumerate(rows) if r[0] and str(r[0]).startswith("Возвраты на доработку"))
    assert rows[start + 1] == tuple(returns_headers()) + (None,) * (len(rows[start + 1]) - 7)
    return [r[:7] for r in rows[start + 2:]]


def returns_headers() -> list[str]:
    return ["Школа", "Анкета", "Респондент", "Вернул(а)", "Когда вернули", "Отправлена снова", "Комментарий"]


async def school_form_sent(runner, world, session_factory, clock) -> tuple[User, User, int]:
    """СОШ 1's questionnaire, sent by its deputy; the coordinator of the municipality."""
    school = world.schools[0].id
    response_id = await seed_response(session_factory, world.campaigns["school"].id, f"school:{school}", school_id=school,
                                      person_id=None, status="submitted", now=clock.now, overrides={"ped_workers": 6})
    deputy = await register(runner, 8001, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    coordinator = await register(runner, 8002, world.invites["coordinator"], "Координаторова Ольга Николаевна")
    return deputy, coordinator, response_id


async def test_a_coordinator_returns_a_school_questionnaire_and_it_comes_back(api, runner: BotRunner, world, session_factory, clock):
    deputy, coordinator, response_id = await school_form_sent(runner, world, session_factory, clock)
    school_campaign = world.campaigns["school"].id
    await coordinator.send("/campaigns")
    assert f"№{school_campaign}: вернуть анкету школы" in coordinator.buttons()
    await coordinator.press(f"№{school_campaign}: вернуть анкету школы")
    assert coordinator.last == (f"Кампания №{school_campaign} «Анкета школы» (2026-2027): анкету какой школы вернуть на "
                                "доработку? Отправили: 1.")
    assert coordinator.buttons() == ["СОШ 1"]
    await coordinator.press("СОШ 1")
    assert coordinator.last.startswith("Вернуть на доработку анкету школы «СОШ 1» («Анкета школы», 2026-2027).\n"
                                       "Напишите одним сообщением, что нужно исправить (от 3 до 500 знаков).")
    assert "срок приёма — до 07.12.2026 10:00" in coordinator.last and coordinator.buttons() == ["Отмена"]

    # what is not a comment is asked again, and changes nothing
    before = await outbox(session_factory)
    cancel = " Передумали возвращать анкету — нажмите «Отмена» под просьбой написать комментарий."
    assert await coordinator.send(" . ") == ("⚠️ Комментарий пустой или слишком короткий: напишите, что именно нужно "
                                            "исправить (от 3 до 500 знаков)." + cancel)
    assert await coordinator.send("ок") == ("⚠️ Комментарий пустой или слишком короткий: напишите, что именно нужно "
                                           "исправить (от 3 до 500 знаков)." + cancel)
    assert await coordinator.send("а" * 501) == ("⚠️ Комментарий длиннее 500 знаков (в нём 501): сократите его и отправьте "
                                                "снова." + cancel)
    assert await coordinator.send_sticker() == "Напишите комментарий текстом, одним сообщением (или нажмите «Отмена»)."
    assert await outbox(session_factory) == before
    confirm = await coordinator.send(COMMENT)
    assert confirm == (f"Вернуть на доработку анкету школы «СОШ 1» с комментарием:\n<i>{COMMENT}</i>\n"
                       "Уведомление получат: Заместителева Ирина Олеговна.")
    assert coordinator.buttons() == ["Да, вернуть", "Отмена"]
    assert await outbox(session_factory) == before  # nothing until it is confirmed
    confirmation = api.find_button(coordinator.id, "Да, вернуть")
    await coordinator.press("Да, вернуть")
    assert coordinator.last == ("↩️ Вернули на доработку анкету школы «СОШ 1». Уведомление уйдёт сейчас. Пока "
                                "анкету не отправят снова, она не учитывается в сводке; история возвратов — на листе "
                                "«Заполнение» сводки в Excel.")
    async with session_factory() as session:
        response = await session.get(Response, response_id)
        record = await session.scalar(select(ResponseReturn))
    assert response.status == "draft" and response.version == 1
    assert (record.comment, record.returned_by_role, record.resubmitted_at) == (COMMENT, "coordinator", None)
    # an old confirmation again: nothing more
    await runner.reminders.drain()
    before = await outbox(session_factory)
    note = await coordinator.press_data(*confirmation)
    assert "неактуальна" in note["text"] and await outbox(session_factory) == before

    # meanwhile the summary leaves the school's answers out and says why
    rows, summary = await summary_sheet(session_factory, world, clock)
    assert next(r for r in rows if r[0] == "СОШ 1")[6] == "возвращена на доработку, не отправлена снова"
    assert not summary.form_sent(world.schools[0].id)
    assert ("Возвращены на доработку и ещё не отправлены снова: анкет школ — 1, анкет педагогов — 0; пока их не "
            "отправят, в показателях их нет") in "\n".join(messages(text.summary_lines(summary)))

    # the deputy gets the comment and a button that opens the questionnaire's review
    await runner.reminders.drain()
    notice = deputy.last
    assert notice == ("↩️ Анкету вашей школы «Анкета школы» (период 2026-2027) вернули на доработку.\n"
                      "Кто вернул: Координаторова Ольга Николаевна, координатор\n"
                      f"Комментарий: <i>{COMMENT}</i>\n"
                      "Исправьте ответы и отправьте анкету снова — осталось 14 дней, срок до 07.12.2026 10:00. Пока она "
                      "не отправлена, в сводке её нет.")
    assert deputy.buttons() == ["Открыть анкету"]
    assert await delivery_states(session_factory, "returned") == {await person_id(session_factory, deputy): ["sent"]}
    await deputy.press("Открыть анкету")
    assert deputy.last.startswith("<b>Анкета школы</b>: проверьте ответы.") and "Отправить ✅" in deputy.buttons()
    await deputy.press("✏️ 1", exact=True)  # change the declared staff, then send it again
    await deputy.send("27")
    assert "проверьте ответы" in deputy.last
    clock.advance(hours=2)
    await deputy.press("Отправить")
    assert "отправлена ✅" in deputy.last
    async with session_factory() as session:
        response = await session.get(Response, response_id)
        record = await session.scalar(select(ResponseReturn))
    assert response.status == "submitted" and record.resubmitted_at == clock.now

    # the history, both events, in the workbook's completion sheet
    rows, summary = await summary_sheet(session_factory, world, clock)
    assert next(r for r in rows if r[0] == "СОШ 1")[1:7] == (27, 0, 0, 0.0, 0, "отправлена")
    assert history_rows(rows) == [("СОШ 1", "Анкета школы", "анкета школы", "Координаторова Ольга Николаевна (координатор)",
                                   dt.datetime(2026, 11, 23, 10, 0), dt.datetime(2026, 11, 23, 12, 0), COMMENT)]
    assert summary.form_sent(world.schools[0].id)


async def person_id(session_factory, user: User) -> int:
    async with session_factory() as session:
        return (await get_person(session, user.id)).id


async def test_a_deputy_returns_a_teachers_questionnaire(api, runner: BotRunner, world, session_factory, clock):
    deputy = await register(runner, 8101, world.invites["deputy:0"], "Заместителева Ирина Олеговна")
    teacher = await add_teacher(session_factory, world, 8102, "Андреева Анна Андреевна")
    response_id = await seed_response(session_factory, world.campaigns["teacher"].id, f"person:{teacher.id}",
                                      school_id=teacher.school_id, person_id=teacher.id, status="submitted", now=clock.now)
    teacher_chat = User(runner, 8102, "Анна")
    # the teacher has their questionnaire open in the bot: its state is cached in the process as «submitted»
    await teacher_chat.send("/surveys")
    await teacher_chat.press("Изменить: Анкета педагога")
    assert "отправлена ✅" in teacher_chat.last

    await deputy.send("/missing")
    assert "Отправили: 1." in deputy.last
    # asked, then cancelled: nothing changes, and what is typed next is not a comment any more
    before = await outbox(session_factory)
    await deputy.press("Вернуть анкету на доработку")
    await deputy.press("Андреева Анна Андреевна")
    await deputy.press("Отмена")
    assert deputy.last == "Возврат отменён, анкета не изменена."
    assert "Вернуть на доработку" not in await deputy.send("Проверьте курсы")
    # asked, then /missing again: starts over
    await deputy.press("Вернуть анкету на доработку")
    await deputy.press("Андреева Анна Андреевна")
    await deputy.send("/missing")
    assert "Вернуть на доработку" not in await deputy.send("Проверьте курсы")
    assert await outbox(session_factory) == before
    await deputy.press("Вернуть анкету на доработку")
    assert deputy.last == "«Анкета педагога» (2026-2027): анкету какого педагога вернуть на доработку? Отправили: 1."
    await deputy.press("Андреева Анна Андреевна")
    assert deputy.last.startswith("Вернуть на доработку анкету педагога Андреева Анна Андреевна («Анкета педагога», 2026-2027).")
    await deputy.send("Проверьте, пожалуйста, курсы: часов больше, чем в удостоверении.")
    await deputy.press("Да, вернуть")
    assert deputy.last.startswith("↩️ Вернули на доработку анкету педагога Андреева Анна Андреевна.")
    await runner.reminders.drain()
    assert teacher_chat.last.startswith("↩️ Вашу анкету «Анкета педагога» (период 2026-2027) вернули на доработку.\n"
                                        "Кто вернул: Заместителева Ирина Олеговна, заместитель директора\n"
                                        "Комментарий: <i>Проверьте, пожалуйста, курсы")
    assert await delivery_states(session_factory, "returned") == {teacher.id: ["sent"]}
    await deputy.send("/missing")
    assert "Начали, не отправили (1): Андреева Анна Андреевна" in deputy.last and "Отправили: 0." in deputy.last

    await teacher_chat.press("Открыть анкету")
    assert "проверьте ответы" in teacher_chat.last and "Отправить ✅" in teacher_chat.buttons()
    clock.advance(minutes=30)
    await teacher_chat.press("Отправить")
    assert "отправлена ✅" in teacher_chat.last
    rows, _ = await summary_sheet(session_factory, world, clock)
    assert history_rows(rows) == [("СОШ 1", "Анкета педагога", f"person:{teacher.id}",
                                   "Заместителева Ирина Олеговна (заместитель директора)", dt.datetime(2026, 11, 23, 10, 0),
                                   dt.datetime(2026, 11, 23, 10, 30), "Проверьте, пожалуйста, курсы: часов больше, чем в удостоверении.")]
    async with session_factory() as session:
        assert (await session.get(Response, response_id)).status == "submitted"


async def test_a_return_made_elsewhere_is_seen_by_the_answer_path(api, runner, world, session_factory, clock):
    """Another process (or an admin) returns the questionnaire: this process's cached «submitted» state is
    stale, the version tells, and the respondent's next press reads the draft."""
    deputy, coordinator, response_id = await school_form_sent(runner, world, session_factory, clock)
    await deputy.send("/surveys")
    await deputy.press("Изменить: Анкета школы")
    assert "отправлена ✅" in deputy.last
    async with session_factory() as session:
        actor = await get_person(session, coordinator.id)
        await returns.return_response(session, actor, response_id, COMMENT, clock.now)
        await session.commit()
    await deputy.send("/surveys")
    assert "начата" in deputy.last
    await deputy.press("Продолжить: Анкета школы")
    assert "проверьте ответы" in deputy.last and "Отправить ✅" in deputy.buttons()
    async with session_factory() as session:
        assert (await session.get(Response, response_id)).status == "draft"  # not written back as submitted
    await deputy.press("Отправить")
    async with session_factory() as session:
        assert (await session.get(Response, response_id)).status == "submitted"
        assert (await session.scalar(select(ResponseReturn))).resubmitted_at == clock.now


async def test_return_refusals_answer_in_russian_and_change_nothing(api, runner, world, session_factory, clock):
    deputy, coordinator, school_response = await school_form_sent(runner, world, session_factory, clock)
    teacher = await add_teacher(session_factory, world, 8201, "Андреева Анна Андреевна")
    teacher_response = await seed_response(session_factory, world.campaigns["teacher"].id, f"person:{teacher.id}",
                                           school_id=teacher.school_id, person_id=teacher.id, status="submitted", now=clock.now)
    drafter = await add_teacher(session_factory, world, 8202, "Борисова Белла Борисовна")
    draft_response = await seed_response(session_factory, world.campaigns["teacher"].id, f"person:{drafter.id}",
                                         school_id=drafter.school_id, person_id=drafter.id, status="draft", now=clock.now)
    other_deputy = await register(runner, 8203, world.invites["deputy:1"], "Ключевская Ольга Петровна")
    async with session_factory() as session:
        other = await create_municipality(session, "Соседний округ", "Asia/Yekaterinburg")
        other.pd_operator = OPERATOR
        invite = await create_invite(session, role=Role.COORDINATOR, municipality=other, school=None, max_uses=1,
                                     valid_for=dt.timedelta(days=3), now=clock.now)
        await session.commit()
    outsider = await register(runner, 8204, invite, "Соседова Анна Павловна")
    teacher_user = User(runner, 8201, "Анна")
    await deputy.send("/missing")
    message = api.last_message(deputy.id)

    def ask(response_id: int) -> str:
        return ReturnCb(a=ReturnAction.ASK, r=response_id).pack()

    before = await outbox(session_factory)
    forged = [
        (teacher_user, ask(teacher_response), "могут заместитель директора"),  # wrong role
        (User(runner, 8299), ask(teacher_response), "не зарегистрированы"),
        (other_deputy, ask(teacher_response), "только анкеты педагогов своей школы"),  # another school
        (deputy, ask(school_response), "только анкеты педагогов своей школы"),  # not a teacher's
        (coordinator, ask(teacher_response), "Координатор возвращает на доработку анкеты школ"),
        (outsider, ask(school_response), "не ваши"),  # another municipality
        (outsider, CampaignCb(a=CampaignAction.RETURNS, id=world.campaigns["school"].id).pack(), "не ваши"),
        (deputy, CampaignCb(a=CampaignAction.RETURNS, id=world.campaigns["school"].id).pack(), "только муниципальным координаторам"),
        (deputy, ask(draft_response), "вернуть можно только отправленную"),  # already a draft
        (deputy, ask(10**6), "не ваши"),
        (deputy, ReturnCb(a=ReturnAction.CONFIRM, r=teacher_response).pack(), "неактуальна"),  # stale: nothing typed
    ]
    for user, payload, expected in forged:
        note = await user.press_data(message, payload)
        assert expected in note.get("text", ""), (user.id, payload, note)
    # pressed in a group: only in the private chat
    group = -100950
    api.chat(group, "supergroup", "Координаторы")
    in_group = {**message, "chat": {"id": group, "type": "supergroup", "title": "Координаторы"}}
    for user, payload in ((deputy, ask(teacher_response)), (coordinator, ask(school_response)),
                          (coordinator, CampaignCb(a=CampaignAction.RETURNS, id=world.campaigns["school"].id).pack())):
        note = await user.press_data(in_group, payload)
        assert "только в личном чате" in note["text"], payload
    assert api.bot_messages(group) == []
    # the comment is typed, then the questionnaire is returned by someone else: this one is refused
    await deputy.press_data(message, ask(teacher_response))
    async with session_factory() as session:
        await session.execute(update(Response).where(Response.id == teacher_response).values(status="draft"))
        await session.commit()
    refusal = await deputy.send("Проверьте курсы, пожалуйста.")
    assert "вернуть можно только отправленную" in refusal
    async with session_factory() as session:
        await session.execute(update(Response).where(Response.id == teacher_response).values(status="submitted"))
        await session.commit()
    assert await outbox(session_factory) == before

    # after the deadline: refused, with what to do (the campaign would not take the resubmission)
    clock.now = world.campaigns["teacher"].deadline + dt.timedelta(hours=1)
    note = await deputy.press_data(message, ask(teacher_response))
    assert note["text"] == ("Вернуть нельзя: срок кампании прошёл, и исправленную анкету не смогут отправить. Чтобы "
                            "вернуть, попросите координатора продлить срок, затем верните анкету.")
    note = await coordinator.press_data(message, ask(school_response))
    assert "продлите срок или откройте кампанию снова (/campaigns)" in note["text"]
    assert await outbox(session_factory) == before
    # extended: it can be returned again, and resubmitted in the new window
    async with session_factory() as session:
        campaign = await session.get(Campaign, world.campaigns["school"].id)
        campaign.deadline = clock.now + dt.timedelta(days=3)
        await session.commit()
    own = api.last_message(coordinator.id)
    assert "срок кампании прошёл" not in (await coordinator.press_data(own, ask(school_response))).get("text", "")
    assert coordinator.last.startswith("Вернуть на доработку анкету школы")
