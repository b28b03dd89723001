"""Coordinators manage campaigns from the chat: /campaigns (list, extend, close, reopen), /newcampaign (bot.features).

Campaign management is private-only: the list shows completion, and a button pressed in a
group must not close a campaign or post the list there.
"""

from __future__ import annotations

import datetime as dt

from aiogram import Router
from aiogram.filters import Command, or_f
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import features, texts
from bot.callbacks import CampaignCb, NewCampaignCb
from bot.chat import TelegramChat
from bot.features import NewCampaign
from bot.filters import PrivateChat, TypedText
from bot.reminders import ReminderRunner
from storage.models import Person

__all__ = ["NewCampaign", "create_router"]


async def list_campaigns(message: Message, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    await features.list_campaigns(TelegramChat(message), session, person, now)


async def campaign_button(callback: CallbackQuery, callback_data: CampaignCb, session: AsyncSession, person: Person | None,
                          now: dt.datetime, reminders: ReminderRunner | None) -> None:
    if callback.message is None:
        await callback.answer(texts.CAMPAIGNS_PRIVATE, show_alert=True)
        return
    await features.campaign_button(TelegramChat(callback), callback_data, session, person, now, reminders)


async def new_campaign(message: Message, state: FSMContext, person: Person | None) -> None:
    await features.new_campaign(TelegramChat(message), state, person)


async def new_campaign_button(callback: CallbackQuery, callback_data: NewCampaignCb, state: FSMContext, session: AsyncSession,
                              person: Person | None, now: dt.datetime, reminders: ReminderRunner | None) -> None:
    if callback.message is None:
        await callback.answer(texts.CAMPAIGNS_PRIVATE, show_alert=True)
        return
    await features.new_campaign_button(TelegramChat(callback), callback_data, state, session, person, now, reminders)


async def typed_period(message: Message, state: FSMContext, person: Person | None) -> None:
    await features.typed_period(TelegramChat(message), message.text, state, person)


async def typed_deadline(message: Message, state: FSMContext, session: AsyncSession, person: Person | None, now: dt.datetime) -> None:
    await features.typed_deadline(TelegramChat(message), message.text, state, session, person, now)


async def button_in_group(callback: CallbackQuery) -> None:
    await callback.answer(texts.PRIVATE_BUTTON, show_alert=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(PrivateChat())  # the list shows completion: not for any group
    router.callback_query.register(button_in_group, or_f(CampaignCb.filter(), NewCampaignCb.filter()), ~PrivateChat())
    router.message.register(list_campaigns, Command("campaigns"))
    router.message.register(new_campaign, Command("newcampaign"))
    router.message.register(typed_period, NewCampaign.period, TypedText())
    router.message.register(typed_deadline, NewCampaign.deadline, TypedText())
    router.callback_query.register(campaign_button, CampaignCb.filter())
    router.callback_query.register(new_campaign_button, NewCampaignCb.filter())
    return router
