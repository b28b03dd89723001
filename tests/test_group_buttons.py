"""Every kind of button pressed in a group chat (a forwarded or forged keyboard), in both channels: refused with a
note on the button, nothing posted in the group, nothing changed. One route table (bot.routes) holds the rule, so
one test over every kind it routes holds it for every channel."""

from __future__ import annotations

import pytest

from bot import routes
from bot.callbacks import (
    CalendarAction,
    CalendarCb,
    CampaignAction,
    CampaignCb,
    CardAction,
    CardCb,
    CardExport,
    CardWord,
    ChaseAction,
    ChaseCb,
    ConsentCb,
    CopyCb,
    ForgetCb,
    NewCampaignCb,
    OpenSurvey,
    QAction,
    QuestionCb,
    RAction,
    ReportAction,
    ReportCb,
    ReturnAction,
    ReturnCb,
    ReviewCb,
)
from tests.harness import register, register_max, snapshot


def samples(world) -> dict[type, str]:
    """A button of every kind the route table knows, each one that would show or change something in private."""
    teacher, school = world.campaigns["teacher"].id, world.schools[0].id
    return {
        OpenSurvey: OpenSurvey(campaign=teacher).pack(),
        QuestionCb: QuestionCb(r=1, i=0, a=QAction.PICK, c=0).pack(),
        ReviewCb: ReviewCb(r=1, a=RAction.SUBMIT).pack(),
        ConsentCb: ConsentCb(ok=True).pack(),
        CopyCb: CopyCb(r=1).pack(),
        ForgetCb: ForgetCb(ok=True).pack(),
        CardExport: CardExport(school=school).pack(),
        CardWord: CardWord(school=school).pack(),
        CardCb: CardCb(a=CardAction.SHOW, school=school).pack(),
        CampaignCb: CampaignCb(a=CampaignAction.CLOSE, id=teacher).pack(),
        NewCampaignCb: NewCampaignCb(step="open").pack(),
        ChaseCb: ChaseCb(a=ChaseAction.NUDGE_ALL, c=teacher).pack(),
        ReturnCb: ReturnCb(a=ReturnAction.CONFIRM, r=1).pack(),
        CalendarCb: CalendarCb(a=CalendarAction.PLAN, id=2026).pack(),
        ReportCb: ReportCb(a=ReportAction.MAKE).pack(),
    }


def test_the_samples_cover_every_button_the_route_table_knows(world):
    assert set(samples(world)) == set(routes.BUTTONS)


@pytest.mark.parametrize("role", ["deputy:0", "coordinator"])
async def test_every_button_is_refused_in_a_telegram_group(role, api, runner, world, session_factory):
    person = await register(runner, 3301, world.invites[role], "Групповая Анна Павловна")
    group = -100900
    api.chat(group, "supergroup", "Учителя")
    await runner.wait(api.message_update(person.id, "/help", chat_id=group, chat_type="supergroup", name=person.name))
    in_group = api.bot_messages(group)[-1]
    sent = len(api.bot_messages(group))
    before = await snapshot(session_factory)
    for kind, payload in samples(world).items():
        notice = await person.press_data(in_group, payload)
        assert notice.get("text"), kind.__name__  # a note on the button says why nothing happens
    assert len(api.bot_messages(group)) == sent
    assert await snapshot(session_factory) == before


@pytest.mark.parametrize("role", ["deputy:0", "coordinator"])
async def test_every_button_is_refused_in_a_max_group(role, max_api, max_runner, world, session_factory):
    person = await register_max(max_runner, 3302, world.invites[role], "Групповая Анна Павловна")
    group = -7700
    await person.send("/help", chat_id=group)
    in_group = list(max_api.chat(group).messages.values())[-1]
    sent = len(max_api.texts(group))
    before = await snapshot(session_factory)
    for kind, payload in samples(world).items():
        answer = await person.press_payload(in_group, payload)
        assert answer.get("notification"), kind.__name__
    assert len(max_api.texts(group)) == sent
    assert await snapshot(session_factory) == before
