"""Surveys and campaigns: validating a definition, opening and changing campaigns, the monitoring calendar."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import CliError, with_session
from bot.config import Settings
from storage.models import Campaign

log = logging.getLogger("shnor")


def cmd_survey_validate(settings: Settings, args: argparse.Namespace) -> None:
    from surveys.loader import load_definition

    survey = load_definition(args.file, settings.workbook_limits())
    from monitoring.campaigns import AUDIENCE_WHOM

    print(f"«{survey.title}» — анкета {AUDIENCE_WHOM[survey.audience]}, версия {survey.version}, вопросов: "
          f"{len(survey.questions)}; ключ анкеты: {survey.id}")
    for n, q in enumerate(survey.questions, start=1):
        flags = [q.type.value, "обязательный" if q.required else "необязательный"]
        if q.relevant:
            flags.append(f"если {q.relevant}")
        if q.carry_over:
            flags.append({"fact": "переносится из прошлого периода", "suggest": "показан прошлогодний ответ"}[q.carry_over])
        if q.inline:
            flags.append("на экране предыдущего вопроса")
        if q.purpose:
            flags.append("в листе «Развитие педагогов»" if q.purpose == "report" else f"зачем: {q.purpose}")
        print(f"{n:>3}. {q.name} [{', '.join(flags)}] {q.label}")
        for c in q.choices:
            print(f"       - {c.name}: {c.label}")


def _load_survey(ref: str, settings: Settings):
    from surveys.loader import available_packs, load_definition, load_pack

    if ref in available_packs():
        return load_pack(ref)
    if Path(ref).exists():
        return load_definition(ref, settings.workbook_limits())
    raise CliError(f"Нет анкеты «{ref}»: укажите один из встроенных наборов ({', '.join(available_packs())}) или путь к файлу.")


def cmd_campaign_open(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring.campaigns import (
        audience_title,
        create_campaign,
        parse_deadline,
        parse_local,
    )
    from monitoring.schedule import offsets_text, quiet_text
    from storage.wording import zone_label
    from storage.registry import get_municipality

    survey = _load_survey(args.pack, settings)

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        tz = args.tz or municipality.timezone
        deadline = parse_deadline(args.deadline, tz)
        opens = parse_local(args.opens, tz, date_only_hour=8) if args.opens else None
        campaign = await create_campaign(
            session, municipality=municipality, survey=survey, period=args.period, deadline=deadline, opens_at=opens,
            status_filter=args.audience, offsets=args.offsets, quiet_hours=args.quiet, timezone=tz, now=common.clock(),
        )
        print(
            f"Кампания №{campaign.id}: «{survey.title}», период {campaign.period}, "
            f"{audience_title(campaign.audience, campaign.status_filter)}, "
            f"срок до {deadline.astimezone(ZoneInfo(tz)):%d.%m.%Y %H:%M} ({zone_label(tz, deadline)}).\n"
            f"Напоминания: {offsets_text(campaign.reminder_offsets)}; {quiet_text(campaign.quiet_hours)}."
        )

    asyncio.run(with_session(settings, action))


def cmd_campaign_change(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring import campaigns
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        campaign = await session.get(Campaign, args.id)
        if campaign is None or campaign.municipality_id != municipality.id:
            raise CliError(f"Кампании №{args.id} в муниципалитете «{municipality.name}» нет.")
        now = common.clock()
        if args.sub == "extend":
            await campaigns.extend_campaign(session, campaign, campaigns.parse_deadline(args.deadline, campaign.timezone), now)
            print(f"Кампания №{campaign.id} продлена до {campaign.deadline.astimezone(ZoneInfo(campaign.timezone)):%d.%m.%Y %H:%M}.")
        elif args.sub == "close":
            await campaigns.close_campaign(session, campaign, now)
            print(f"Кампания №{campaign.id} закрыта.")
        else:
            await campaigns.reopen_campaign(session, campaign, now)
            print(f"Кампания №{campaign.id} снова открыта.")

    asyncio.run(with_session(settings, action))


def cmd_campaign_list(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring.campaigns import STATE_TITLES, audience_title, completion, municipality_campaigns
    from storage.wording import zone_label
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        for c in await municipality_campaigns(session, municipality.id):
            state = STATE_TITLES[c.state(common.clock())]
            done = await completion(session, c)
            tz = ZoneInfo(c.timezone)
            print(f"{c.id}\t{c.survey_version.title}\t{c.period}\t{audience_title(c.audience, c.status_filter)}\t"
                  f"срок до {c.deadline.astimezone(tz):%d.%m.%Y %H:%M} ({zone_label(c.timezone, c.deadline)})\t{state}\t"
                  f"{done.summary()}")

    asyncio.run(with_session(settings, action))


def _print_plan(view, note: str | None = None) -> None:
    from bot import texts

    tz = view.timezone
    if note:
        print(note)
    print("\n".join(texts.calendar_head(view)))
    for line in view.lines:
        print()
        print("\n".join(texts.calendar_line(line, view.period, tz, source=True)))
    print()
    print(texts.CALENDAR_FOOTER)
    print(texts.CALENDAR_CLI_FOOTER)


def cmd_calendar(settings: Settings, args: argparse.Namespace) -> None:
    from bot import texts
    from monitoring import calendar as mc
    from monitoring.campaigns import parse_local
    from storage.registry import get_municipality

    calendar = settings.calendar()

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        now = common.clock()
        period = args.year or mc.default_year(calendar, municipality.timezone, now)
        tz = municipality.timezone
        note = None
        if args.sub == "plan":
            result = await mc.make_plan(session, calendar, municipality, period, now)
            view = result.view
            made = texts.local_time(view.made_at, tz)
            if not result.already:
                kinds = [line.kind for line in view.lines]
                note = texts.CALENDAR_PLANNED_NOW.format(period=view.period, added=result.added,
                                                         campaigns=kinds.count(mc.CAMPAIGN), tasks=kinds.count(mc.TASK))
            elif result.added:
                note = texts.CALENDAR_PLANNED_MORE.format(period=view.period, made=made, added=result.added)
            else:
                note = texts.CALENDAR_PLANNED_AGAIN.format(period=view.period, made=made)
        elif args.sub in ("shift", "skip"):
            item = await mc.item_by_number(session, municipality, period, args.item)
            if args.sub == "shift":
                await mc.shift_item(session, municipality, item, parse_local(args.date, tz, calendar.opening_time.hour), now)
                note = f"Пункт {args.item} сдвинут: открытие {texts.local_time(item.opens_at, tz)}, срок до {texts.local_time(item.deadline, tz)}."
            else:
                await mc.skip_item(session, item, now)
                note = f"Пункт {args.item} пропущен."
        view = await mc.plan_view(session, calendar, municipality, period, now)
        _print_plan(view, note)

    asyncio.run(with_session(settings, action))
