"""Invites: the links people register by, printed to the console or as a Word file with QR codes, one page a
school; made once the consent can name its operator."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import DEFAULT_MAX_USES, CliError, require_database, with_session
from bot.config import Settings
from storage.models import Role


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    from bot.telegram.dispatcher import create_bot

    bot = create_bot(settings.token(), settings.telegram_api_base)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    if not me.username:
        raise CliError("У бота нет username: задайте BOT_USERNAME.")
    return me.username


async def _max_bot_username(settings: Settings) -> str:
    if settings.max_bot_username:
        return settings.max_bot_username.lstrip("@")
    from bot.max.client import MaxClient

    client = MaxClient(settings.max_bot_token(), settings.max_api_base)
    try:
        me = await client.me()
    finally:
        await client.close()
    if not me.get("username"):
        raise CliError("У бота MAX нет ника: задайте MAX_BOT_USERNAME.")
    return str(me["username"])


INVITES_FOR = {"teacher": "для педагогов", "deputy": "для заместителей директоров по УВР",
               "coordinator": "для муниципальных координаторов"}


def _link_channels(settings: Settings, asked: str | None, to_file: bool) -> list[str]:
    """The channels whose links are made: the one asked for; for a file every channel the installation has (a token
    or a bot name); for the console Telegram, as before."""
    if asked:
        return [asked]
    if not to_file:
        return ["telegram"]
    found = []
    if settings.bot_username or "telegram" in settings.channels():
        found.append("telegram")
    if settings.max_bot_username or "max" in settings.channels():
        found.append("max")
    if not found:
        raise CliError("Для ссылок нужно имя бота: задайте BOT_USERNAME (или BOT_TOKEN) и/или MAX_BOT_USERNAME "
                       "(или MAX_TOKEN) в .env.")
    return found


async def _require_operator(settings: Settings, municipality_ref: str) -> None:
    """Invites are made once the consent can name its operator: before, nobody could register by them."""
    from storage.privacy import operator_of, set_operator_command
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, municipality_ref)
        if operator_of(municipality) is None:
            raise CliError(
                f"Не указан оператор персональных данных «{municipality.name}»: согласие, которое человек даёт при "
                "регистрации, должно его назвать, и пока его нет, бот никого не регистрирует. Сначала укажите его:\n"
                f"  {set_operator_command(municipality)}"
            )

    await with_session(settings, action)


def cmd_invites(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring.invites import Block, Link, Page, invites_docx
    from storage.accounts import CHANNEL_TITLES, start_link
    from storage.files import write_private
    from storage.registry import (
        create_invite,
        find_school,
        get_municipality,
        list_schools,
    )
    from storage.wording import count

    require_database(settings)  # before asking Telegram for the bot's name
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() != ".docx":
        raise CliError("Приглашения записываются в документ Word: укажите имя файла с .docx, например --out приглашения.docx.")
    if out is not None and out.exists() and not args.force:
        raise CliError(f"Файл {out} уже есть: укажите другое имя в --out или добавьте --force, чтобы перезаписать его.")
    if args.role:
        roles = [Role(args.role)]
    else:  # a school's page holds both links; the console prints the teachers', as before
        roles = [Role.DEPUTY, Role.TEACHER] if out is not None else [Role.TEACHER]
    if args.max_uses and len(roles) > 1:
        raise CliError("--max-uses задаёт одну роль: добавьте --role deputy или --role teacher (без --role у ссылок "
                       f"свои пределы: заместителей {DEFAULT_MAX_USES['deputy']}, педагогов {DEFAULT_MAX_USES['teacher']}).")
    days = args.days or settings.invite_days
    channels = _link_channels(settings, args.channel, out is not None)
    asyncio.run(_require_operator(settings, args.municipality))
    usernames = {channel: asyncio.run(_max_bot_username(settings) if channel == "max" else _bot_username(settings))
                 for channel in channels}

    async def action(session: AsyncSession) -> tuple[str, str, list[tuple[str, list[Block]]]]:
        municipality = await get_municipality(session, args.municipality)
        tz = ZoneInfo(municipality.timezone)
        now = common.clock()
        if roles == [Role.COORDINATOR]:
            places = [None]
        elif args.school:
            places = [await find_school(session, municipality, args.school)]
        else:
            places = await list_schools(session, municipality.id)
            if not places:
                raise CliError("В муниципалитете нет школ: сначала shnor schools import.")
        pages = []
        for school in places:
            blocks = []
            for role in roles:
                max_uses = args.max_uses or DEFAULT_MAX_USES[role.value]
                invite = await create_invite(session, role=role, municipality=municipality, school=school,
                                             max_uses=max_uses, valid_for=dt.timedelta(days=days), now=now)
                links = tuple(Link(channel, start_link(channel, usernames[channel], invite.token)) for channel in channels)
                blocks.append(Block(role.value, links, f"{invite.expires_at.astimezone(tz):%d.%m.%Y}", max_uses))
            pages.append((school.name if school else municipality.name, school.short_name if school else municipality.name,
                          blocks))
        return municipality.name, f"{now.astimezone(tz):%d.%m.%Y}", pages

    municipality, made, pages = asyncio.run(with_session(settings, action))
    expires = pages[0][2][0].expires
    where = " и ".join(CHANNEL_TITLES[c] for c in channels)
    if out is None:
        print(f"Приглашения {INVITES_FOR[roles[0].value]} в {where}, действуют до {expires} ({count(days, 'день', 'дня', 'дней')}):")
        for _, short, blocks in pages:
            for link in blocks[0].links:
                print(f"{short}\t{link.url}\tдо {expires}\tрегистраций: {blocks[0].max_uses}")
        return
    write_private(out, invites_docx(municipality, [Page(name, tuple(blocks)) for name, _, blocks in pages], made))
    whom = " и ".join(INVITES_FOR[r.value] for r in roles)
    sheets = count(len(pages), "страница", "страницы", "страниц")
    per = "по странице на школу" if roles != [Role.COORDINATOR] else "для координаторов"
    print(f"Приглашения: {out} — {sheets} ({per}): ссылки {whom} в {where} с QR-кодами и инструкцией для педагога; "
          f"действуют до {expires}.")
    print("Распечатайте страницы или разошлите файл школам.")
