"""The access matrix of docs/ACCESS.md, cell by cell: who may do what, in which chat.

Every refused attempt must answer in Russian and change nothing in the database.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.callbacks import (
    CalendarAction,
    CalendarCb,
    CampaignAction,
    CampaignCb,
    CardExport,
    ChaseAction,
    ChaseCb,
    NewCampaignCb,
    OpenSurvey,
    QAction,
    QuestionCb,
    RAction,
    ReturnAction,
    ReturnCb,
    ReviewCb,
)
from monitoring.campaigns import open_campaign
from storage.models import Municipality, Response, Role, School
from storage.registry import create_invite, create_municipality
from surveys.loader import load_pack
from tests.harness import OPERATOR, User, register, snapshot

COORDINATORS_ONLY = "только муниципальным координаторам"
DEPUTIES_ONLY = "для заместителей директора"
NOT_REGISTERED = "не зарегистрированы"
PRIVATE = "только в личном чате"


@pytest.fixture
async def people(runner, world, session_factory, clock):
    """One of each role in the world's municipality, a coordinator of a second one, and a stranger."""
    async with session_factory() as session:
        other = await create_municipality(session, "Соседний округ", "Asia/Yekaterinburg")
        other.pd_operator = OPERATOR
        school = School(municipality_id=other.id, name="МОУ СОШ № 9", short_name="СОШ 9")
        session.add(school)
        await session.flush()
        other_campaign = await open_campaign(
            session, municipality=other, survey=load_pack("teacher"), period="2026-2027",
            opens_at=clock.now - dt.timedelta(hours=1), deadline=clock.now + dt.timedelta(days=10), now=clock.now,
        )
        other_invite = await create_invite(session, role=Role.COORDINATOR, municipality=other, school=None, max_uses=1,
                                           valid_for=dt.timedelta(days=3), now=clock.now)
        await session.commit()
    return {
        "teacher": await register(runner, 3001, world.invites["teacher:0"]),
        "deputy": await register(runner, 3002, world.invites["deputy:0"], "Заместителева Ирина Олеговна"),
        "coordinator": await register(runner, 3003, world.invites["coordinator"], "Координаторова Ольга Николаевна"),
        "other_coordinator": await register(runner, 3004, other_invite, "Соседова Анна Павловна"),
        "stranger": User(runner, 3005),
        "other_campaign": other_campaign.id,
        "other_school": school.id,
    }


# role -> command -> what the reply says (in a private chat)
PRIVATE_MATRIX = {
    "stranger": {"/summary": COORDINATORS_ONLY, "/campaigns": COORDINATORS_ONLY, "/newcampaign": COORDINATORS_ONLY,
                 "/card": "доступна заместителям", "/surveys": NOT_REGISTERED, "/setchat": COORDINATORS_ONLY,
                 "/whoami": NOT_REGISTERED, "/missing": DEPUTIES_ONLY, "/calendar": COORDINATORS_ONLY},
    "teacher": {"/summary": COORDINATORS_ONLY, "/campaigns": COORDINATORS_ONLY, "/newcampaign": COORDINATORS_ONLY,
                "/card": "доступна заместителям", "/surveys": "Анкета педагога", "/setchat": COORDINATORS_ONLY,
                "/missing": DEPUTIES_ONLY, "/calendar": COORDINATORS_ONLY},
    "deputy": {"/summary": COORDINATORS_ONLY, "/campaigns": COORDINATORS_ONLY, "/newcampaign": COORDINATORS_ONLY,
               "/card": "Карточка школы: МАОУ СОШ № 1", "/surveys": "Анкета школы",
               "/missing": "<b>СОШ 1</b>: кто из педагогов не ответил", "/calendar": COORDINATORS_ONLY},
    "coordinator": {"/summary": "Сводка ШНОР: Тестовский городской округ", "/campaigns": "Кампании муниципалитета",
                    "/card": "Карточка какой школы?", "/surveys": "Анкета муниципалитета", "/setchat": "в группе координаторов",
                    "/missing": DEPUTIES_ONLY, "/calendar": "Календарь мониторинга «Тестовский городской округ», 2026-2027"},
}


async def test_commands_in_private_by_role(people, api, session_factory):
    before = await snapshot(session_factory)
    for role, commands in PRIVATE_MATRIX.items():
        user: User = people[role]
        for command, expected in commands.items():
            sent = len(api.bot_messages(user.id))
            await user.runner.wait(api.message_update(user.id, command, name=user.name))
            replies = " ".join(m.get("text", "") for m in api.bot_messages(user.id)[sent:])
            assert expected in replies, (role, command, replies[:200])
    assert await snapshot(session_factory) == before


async def test_group_chats(people, api, runner, world, session_factory):
    group, stray = -100700, -100701
    api.chat(group, "supergroup", "Координаторы")
    api.chat(stray, "group", "Родительский чат")

    async def say(user: User, text: str, chat: int) -> str:
        kind = api.chats[chat].type
        sent = len(api.bot_messages(chat))
        await runner.wait(api.message_update(user.id, text, chat_id=chat, chat_type=kind, name=user.name))
        return " ".join(m.get("text", "") for m in api.bot_messages(chat)[sent:])

    coordinator, other, teacher = people["coordinator"], people["other_coordinator"], people["teacher"]
    assert "ещё не назначен" in await say(coordinator, "/summary", group)  # a group that is not registered
    assert COORDINATORS_ONLY in await say(teacher, "/setchat", group)
    assert "назначен чатом координаторов" in await say(coordinator, "/setchat", group)
    # a coordinator of another municipality: neither this chat's summary nor taking the chat over
    assert "ещё не назначен" in await say(other, "/summary", group)
    assert "другого муниципалитета" in await say(other, "/setchat", group)
    assert COORDINATORS_ONLY in await say(teacher, "/summary", group)
    # a group that is not the coordinators' chat gets no summary even from the coordinator
    assert "только в чате координаторов" in await say(coordinator, "/summary", stray)
    for command in ("/surveys", "/card", "/campaigns", "/newcampaign", "/missing", "/calendar"):
        assert PRIVATE in await say(coordinator, command, stray), command
    # campaign buttons pressed in a group (a forwarded or forged keyboard) change nothing and post nothing there
    before = await snapshot(session_factory)
    in_group = api.bot_messages(group)[-1]
    sent = len(api.bot_messages(group))
    for payload in (CampaignCb(a=CampaignAction.CLOSE, id=world.campaigns["teacher"].id).pack(),
                    CampaignCb(a=CampaignAction.EXTEND_MENU, id=world.campaigns["teacher"].id).pack(), NewCampaignCb(step="pack", v=0).pack(),
                    CampaignCb(a=CampaignAction.RETURNS, id=world.campaigns["school"].id).pack(),
                    ChaseCb(a=ChaseAction.NUDGE_ALL, c=world.campaigns["teacher"].id).pack(),
                    ChaseCb(a=ChaseAction.INVITE, c=0).pack(), ReturnCb(a=ReturnAction.ASK, r=1).pack(),
                    CalendarCb(a=CalendarAction.PLAN, id=2026).pack()):
        notice = await coordinator.press_data(in_group, payload)
        assert "только в личном чате" in notice.get("text", ""), payload
    assert len(api.bot_messages(group)) == sent
    assert await snapshot(session_factory) == before
    # the same user id in a private chat still gets the private menu
    assert "Кампании муниципалитета" in await coordinator.send("/campaigns")
    assert await snapshot(session_factory) == before


async def test_forged_callbacks_change_nothing(people, api, runner, world, session_factory):
    teacher, deputy, coordinator = people["teacher"], people["deputy"], people["coordinator"]
    async with session_factory() as session:
        responses = {r.subject: r.id for r in await session.scalars(select(Response))}
    teacher_response = next(rid for subject, rid in responses.items() if subject.startswith("person:"))
    school_response = next(rid for subject, rid in responses.items() if subject.startswith("school:"))
    message = api.last_message(teacher.id)
    before = await snapshot(session_factory)

    forged = [
        # (who, payload, what the alert says)
        (teacher, QuestionCb(r=school_response, i=0, a=QAction.PICK).pack(), "недоступна"),  # the school's questionnaire
        (deputy, QuestionCb(r=teacher_response, i=0, a=QAction.PICK).pack(), "недоступна"),  # a teacher's
        (teacher, QuestionCb(r=teacher_response, i=57, a=QAction.PICK).pack(), "неактуален"),  # no such question
        (teacher, QuestionCb(r=teacher_response, i=0, a=QAction.PICK, c=99).pack(), "неактуален"),  # no such choice
        (teacher, QuestionCb(r=teacher_response, i=3, a=QAction.PICK).pack(), "неактуален"),  # well-formed, stale
        (teacher, QuestionCb(r=10**9, i=0, a=QAction.PICK).pack(), "недоступна"),
        (teacher, ReviewCb(r=school_response, a=RAction.SUBMIT).pack(), "недоступна"),
        (deputy, ReviewCb(r=teacher_response, a=RAction.SUBMIT).pack(), "недоступна"),
        (teacher, OpenSurvey(campaign=people["other_campaign"]).pack(), "недоступна"),
        (teacher, OpenSurvey(campaign=world.campaigns["school"].id).pack(), "для другой роли"),
        (teacher, CampaignCb(a=CampaignAction.CLOSE, id=world.campaigns["teacher"].id).pack(), COORDINATORS_ONLY),
        (coordinator, CampaignCb(a=CampaignAction.CLOSE, id=people["other_campaign"]).pack(), "не ваши"),
        (coordinator, CampaignCb(a=CampaignAction.EXTEND, id=world.campaigns["teacher"].id, v=1000).pack(), "Такого варианта нет"),
        (people["other_coordinator"], CampaignCb(a=CampaignAction.REOPEN, id=world.campaigns["teacher"].id).pack(), "не ваши"),
        (teacher, CardExport(school=world.schools[0].id).pack(), "доступна заместителям"),  # own school, wrong role
        (deputy, CardExport(school=people["other_school"]).pack(), "не ваши"),
        # /missing's buttons: deputies only, their own school's campaigns
        (teacher, ChaseCb(a=ChaseAction.NUDGE_ALL, c=world.campaigns["teacher"].id).pack(), "заместителям директора"),
        (coordinator, ChaseCb(a=ChaseAction.INVITE, c=0).pack(), "заместителям директора"),
        (deputy, ChaseCb(a=ChaseAction.NUDGE_ALL, c=people["other_campaign"]).pack(), "не ваши"),
        (people["stranger"], ChaseCb(a=ChaseAction.PICK, c=world.campaigns["teacher"].id).pack(), NOT_REGISTERED),
        # returning for correction: who may return what, and only what was sent
        (teacher, ReturnCb(a=ReturnAction.ASK, r=school_response).pack(), "могут заместитель директора"),
        (deputy, ReturnCb(a=ReturnAction.ASK, r=school_response).pack(), "только анкеты педагогов своей школы"),
        (coordinator, ReturnCb(a=ReturnAction.ASK, r=teacher_response).pack(), "Координатор возвращает на доработку анкеты школ"),
        (coordinator, ReturnCb(a=ReturnAction.ASK, r=school_response).pack(), "вернуть можно только отправленную"),
        (people["other_coordinator"], ReturnCb(a=ReturnAction.ASK, r=school_response).pack(), "не ваши"),
        (people["other_coordinator"], CampaignCb(a=CampaignAction.RETURNS, id=world.campaigns["school"].id).pack(), "не ваши"),
        (coordinator, CampaignCb(a=CampaignAction.RETURNS, id=world.campaigns["teacher"].id).pack(), "анкеты школ"),
        (coordinator, ReturnCb(a=ReturnAction.CONFIRM, r=school_response).pack(), "неактуальна"),
        (people["stranger"], QuestionCb(r=teacher_response, i=0, a=QAction.PICK).pack(), NOT_REGISTERED),
        (teacher, "q:1:2:zz:0", "неактуальна"),  # an action that does not exist
        # ids out of range match no button at all: answered as stale before any lookup
        (teacher, "c:x:-1:99999999999999999999999", "неактуальна"),
        (coordinator, "c:x:-1:99999999999999999999999", "неактуальна"),
        (coordinator, f"c:c:{2**63}:0", "неактуальна"),
        (teacher, f"q:{2**64}:0:p:0:0", "неактуальна"),
        (coordinator, "c:c:999999:0", "не ваши"),  # no such campaign
        (teacher, CalendarCb(a=CalendarAction.PLAN, id=2026).pack(), COORDINATORS_ONLY),
        (coordinator, CalendarCb(a=CalendarAction.SKIP, id=999999).pack(), "не ваши"),  # no such plan item
        (coordinator, CalendarCb(a=CalendarAction.PLAN, id=1999).pack(), "вне разумных пределов"),
        (coordinator, "k:p:99999999999", "неактуальна"),
        (teacher, "q:" + "9" * 70, "неактуальна"),  # past Telegram's 64 bytes
        (teacher, "", "неактуальна"),
        (teacher, "💥" * 20, "неактуальна"),
    ]
    for user, payload, expected in forged:
        notice = await user.press_data(message, payload)
        assert expected in notice.get("text", ""), (user.id, payload, notice)
    assert await snapshot(session_factory) == before
    # and the questionnaire still works for its owner
    await teacher.press("Учитель")
    assert "осталось 9 вопросов" in teacher.last


async def test_invite_replayed_and_person_moving_municipality(people, api, runner, world, session_factory):
    async with session_factory() as session:
        municipality = await session.get(Municipality, world.municipality.id)
        used_up = await create_invite(session, role=Role.DEPUTY, municipality=municipality, school=world.schools[1],
                                      max_uses=1, valid_for=dt.timedelta(days=1), now=runner.clock.now)
        await session.commit()
    await register(runner, 3101, used_up, "Первая Нина Петровна")
    before = await snapshot(session_factory)
    late = User(runner, 3102)
    assert "уже зарегистрировались все" in await late.send(f"/start {used_up.token}")
    assert "доступна заместителям" in await late.send("/card")
    # a registered teacher replaying a coordinator's invite does not become a coordinator
    assert "уже зарегистрированы" in await people["teacher"].send(f"/start {world.invites['coordinator'].token}")
    assert await snapshot(session_factory) == before
