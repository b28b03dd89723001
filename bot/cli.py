"""`shnor` — the admin command line (also `python -m bot`). Run `shnor --help`."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ENV_FILE_VARIABLE, Settings
from bot.logs import setup_logging
from storage.clock import system_clock
from storage.db import describe_database, make_engine, make_session_factory, sqlite_file
from storage.files import write_private
from storage.migrate import upgrade
from storage.models import Campaign, Role
from storage.privacy import log_access

log = logging.getLogger("shnor")

ROLE_CHOICES = [r.value for r in Role if r != Role.ADMIN]
DEFAULT_MAX_USES = {"teacher": 300, "deputy": 3, "coordinator": 5}


class CliError(Exception):
    pass


def _missing_database(settings: Settings) -> Path | None:
    """The SQLite file the settings point at when it is not there yet; None when it is (or for PostgreSQL)."""
    path = sqlite_file(settings.database_url)
    return path if path is not None and not path.exists() else None


def _require_database(settings: Settings) -> None:
    """Refuse, before anything is created, to work on a SQLite database that does not exist: a command
    run from the wrong folder would otherwise find an empty new database and report nonsense."""
    path = _missing_database(settings)
    if path is None:
        return
    raise CliError(
        f"Базы данных нет: {path.absolute()}\n"
        f"{settings.location.describe()}\n"
        "Эта команда не создаёт новую пустую базу. Если база уже есть, запустите shnor из папки, где лежит её .env, "
        f"или укажите путь к этому .env в переменной {ENV_FILE_VARIABLE}, или путь к базе в DATABASE_URL. "
        "Если это первый запуск, сначала создайте базу и муниципалитет:\n"
        "  shnor db upgrade\n"
        "  shnor municipality add \"Название\" --tz Asia/Yekaterinburg"
        + _stray_hint(settings)
    )


def _stray_hint(settings: Settings) -> str:
    stray = settings.stray_database()
    if stray is None:
        return ""
    return (f"\nВ текущей папке есть база {stray.absolute()}: если это ваша, впишите в .env "
            f"DATABASE_URL=sqlite+aiosqlite:///{stray.absolute()} (или перенесите файл по пути выше).")


async def _with_session(
    settings: Settings, action: Callable[[AsyncSession], Awaitable[Any]], *, create: bool = False
) -> Any:
    """Run `action` in one transaction on the (migrated) database; only with `create` may a new SQLite file appear."""
    if not create:
        _require_database(settings)
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine, system_clock).begin() as session:
            return await action(session)
    finally:
        await engine.dispose()


@contextmanager
def _importing(file: str) -> Iterator[None]:
    """A refusal of the file's rows found against the database names the file too, as the readers' do."""
    from storage.importers import ImportFailed

    try:
        yield
    except ImportFailed as exc:
        raise exc.named(file) from None


# --- commands ------------------------------------------------------------------------------


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    new = _missing_database(settings) is not None
    upgrade(settings.database_url)
    where = describe_database(settings.database_url)
    if sqlite_file(settings.database_url) is None:
        print(f"База данных: {where}")
    else:
        print(f"{'Создана база данных SQLite' if new else 'База данных SQLite'}: {where}")
    print("Схема базы обновлена до последней версии.")
    print(settings.location.describe())


def cmd_municipality_add(settings: Settings, args: argparse.Namespace) -> None:
    from storage.registry import create_municipality

    new = _missing_database(settings)

    async def action(session: AsyncSession) -> None:
        m = await create_municipality(session, args.name, args.tz or settings.default_timezone)
        if new is not None:
            print(f"Создана база данных SQLite: {new.absolute()}")
        print(f"Муниципалитет №{m.id} «{m.name}» создан, часовой пояс {m.timezone}.")

    asyncio.run(_with_session(settings, action, create=True))


def cmd_municipality_list(settings: Settings, args: argparse.Namespace) -> None:
    from storage.models import Municipality

    async def action(session: AsyncSession) -> None:
        for m in await session.scalars(select(Municipality).order_by(Municipality.id)):
            print(f"{m.id}\t{m.name}\t{m.timezone}")

    asyncio.run(_with_session(settings, action))


def cmd_municipality_privacy(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import consent_text
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        if args.operator is not None:
            municipality.pd_operator = args.operator.strip() or None
        if args.purposes is not None:
            municipality.pd_purposes = args.purposes.strip() or None
        consent = consent_text(municipality)
        print(f"Согласие, которое бот показывает при регистрации в «{municipality.name}» (версия {consent.version}):\n")
        print(consent.text)

    asyncio.run(_with_session(settings, action))


def cmd_audit(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import audit
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        tz = ZoneInfo(municipality.timezone)
        since = dt.datetime.combine(args.since, dt.time(), tz) if args.since else None
        records = await audit(session, municipality.id, since)
        print(f"Журнал доступа к данным «{municipality.name}»"
              + (f" с {args.since:%d.%m.%Y}" if args.since else "") + f", время {municipality.timezone}: записей {len(records)}.")
        for r in records:
            print(f"{r.at.astimezone(tz):%d.%m.%Y %H:%M}\t{r.who}\t{r.action}\t{r.detail}")

    asyncio.run(_with_session(settings, action))


def cmd_schools_import(settings: Settings, args: argparse.Namespace) -> None:
    from storage.importers import read_schools
    from storage.registry import add_schools, get_municipality
    from surveys.periods import school_year_of

    rows = read_schools(args.file, settings.workbook_limits())

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        period = args.period or school_year_of(system_clock(), municipality.timezone)
        added, updated = await add_schools(session, municipality, rows, period)
        print(f"Импорт школ в «{municipality.name}»: добавлено {added}, обновлено {updated}, всего в файле {len(rows)}.")
        if any(r.municipal_internship_site is not None or r.regional_internship_site is not None for r in rows):
            print(f"Стажировочные площадки записаны за период {period}; другие периоды не изменились.")

    with _importing(args.file):
        asyncio.run(_with_session(settings, action))


def cmd_schools_remove(settings: Settings, args: argparse.Namespace) -> None:
    from storage.registry import find_school, get_municipality, remove_school

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        school = await find_school(session, municipality, args.school)
        described = f"№{school.id} «{school.short_name}» ({school.name})"
        invites = await remove_school(session, school)
        print(f"Школа {described} удалена из реестра «{municipality.name}»; её приглашений удалено: {invites}.")

    asyncio.run(_with_session(settings, action))


def cmd_schools_list(settings: Settings, args: argparse.Namespace) -> None:
    from storage.registry import get_municipality, list_schools

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        for s in await list_schools(session, municipality.id):
            print(f"{s.id}\t{s.short_name}\t{'сельская' if s.rural else 'городская'}\t{s.name}")

    asyncio.run(_with_session(settings, action))


def cmd_survey_validate(settings: Settings, args: argparse.Namespace) -> None:
    from surveys.loader import load_definition

    survey = load_definition(args.file, settings.workbook_limits())
    print(f"{survey.title} (id {survey.id}, версия {survey.version}, для: {survey.audience.value}), вопросов: {len(survey.questions)}")
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


TEMPLATE_FILES = {"schools": "школы.xlsx", "statuses": "статусы.xlsx", "exams": "результаты.xlsx", "groups": "группы.xlsx"}
TEMPLATE_IMPORT = {
    "schools": "shnor schools import --municipality 1 --period 2026-2027 {file}",
    "statuses": "shnor import statuses --municipality 1 --period 2026-2027 {file}",
    "exams": "shnor import exams --municipality 1 {file}",
    "groups": "shnor import groups --municipality 1 --period 2026-2027 {file}",
}


def cmd_template(settings: Settings, args: argparse.Namespace) -> None:
    from storage.templates import EXAMPLE_SHEET, NOTES_SHEET, write_template

    out = Path(args.out or TEMPLATE_FILES[args.kind])
    if out.exists() and not args.force:
        raise CliError(f"Файл {out} уже есть: укажите другое имя в --out или добавьте --force, чтобы перезаписать его.")
    layout = write_template(args.kind, out)
    print(f"Образец: {out} (лист «{layout.sheet}»: {', '.join(c.title for c in layout.columns)}).")
    print(f"Заполните первый лист; образец строки — на листе «{EXAMPLE_SHEET}», что писать в столбцах — на листе «{NOTES_SHEET}».")
    print(f"Загрузка: {TEMPLATE_IMPORT[args.kind].format(file=out)}")


def _load_survey(ref: str, settings: Settings):
    from surveys.loader import available_packs, load_definition, load_pack

    if ref in available_packs():
        return load_pack(ref)
    if Path(ref).exists():
        return load_definition(ref, settings.workbook_limits())
    raise CliError(f"Нет анкеты «{ref}»: укажите один из встроенных наборов ({', '.join(available_packs())}) или путь к файлу.")


def cmd_campaign_open(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring.campaigns import (
        create_campaign,
        filter_title,
        parse_deadline,
        parse_local,
    )
    from storage.registry import get_municipality

    survey = _load_survey(args.pack, settings)

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        tz = args.tz or municipality.timezone
        deadline = parse_deadline(args.deadline, tz)
        opens = parse_local(args.opens, tz, date_only_hour=8) if args.opens else None
        campaign = await create_campaign(
            session, municipality=municipality, survey=survey, period=args.period, deadline=deadline, opens_at=opens,
            status_filter=args.audience, offsets=args.offsets, quiet_hours=args.quiet, timezone=tz, now=system_clock(),
        )
        print(
            f"Кампания №{campaign.id}: «{survey.title}», период {campaign.period}, для: {filter_title(campaign.status_filter)}, "
            f"срок {deadline.astimezone(ZoneInfo(tz)):%d.%m.%Y %H:%M} ({tz}); "
            f"напоминания {', '.join(campaign.reminder_offsets)}, тихие часы {campaign.quiet_hours}."
        )

    asyncio.run(_with_session(settings, action))


def cmd_campaign_change(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring import campaigns
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        campaign = await session.get(Campaign, args.id)
        if campaign is None or campaign.municipality_id != municipality.id:
            raise CliError(f"Кампании №{args.id} в муниципалитете «{municipality.name}» нет.")
        now = system_clock()
        if args.sub == "extend":
            await campaigns.extend_campaign(session, campaign, campaigns.parse_deadline(args.deadline, campaign.timezone), now)
            print(f"Кампания №{campaign.id} продлена до {campaign.deadline.astimezone(ZoneInfo(campaign.timezone)):%d.%m.%Y %H:%M}.")
        elif args.sub == "close":
            await campaigns.close_campaign(session, campaign, now)
            print(f"Кампания №{campaign.id} закрыта.")
        else:
            await campaigns.reopen_campaign(session, campaign, now)
            print(f"Кампания №{campaign.id} снова открыта.")

    asyncio.run(_with_session(settings, action))


def cmd_campaign_list(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring.campaigns import STATE_TITLES, completion, municipality_campaigns
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        tz = ZoneInfo(municipality.timezone)
        for c in await municipality_campaigns(session, municipality.id):
            state = STATE_TITLES[c.state(system_clock())]
            done = await completion(session, c)
            print(f"{c.id}\t{c.survey_version.title}\t{c.period}\tдо {c.deadline.astimezone(tz):%d.%m.%Y %H:%M}\t{state}\t{done.summary()}")

    asyncio.run(_with_session(settings, action))


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
        now = system_clock()
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

    asyncio.run(_with_session(settings, action))


async def _bot_username(settings: Settings) -> str:
    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    from bot.dispatcher import create_bot

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


def cmd_invites(settings: Settings, args: argparse.Namespace) -> None:
    from storage.accounts import start_link
    from storage.registry import (
        create_invite,
        find_school,
        get_municipality,
        list_schools,
    )

    _require_database(settings)  # before asking Telegram for the bot's name
    role = Role(args.role)
    max_uses = args.max_uses or DEFAULT_MAX_USES[role.value]
    days = args.days or settings.invite_days

    async def action(session: AsyncSession) -> list[tuple[str, str, str, int]]:
        municipality = await get_municipality(session, args.municipality)
        if role == Role.COORDINATOR:
            schools = [None]
        elif args.school:
            schools = [await find_school(session, municipality, args.school)]
        else:
            schools = await list_schools(session, municipality.id)
            if not schools:
                raise CliError("В муниципалитете нет школ: сначала shnor schools import.")
        out = []
        for school in schools:
            invite = await create_invite(
                session, role=role, municipality=municipality, school=school, max_uses=max_uses, valid_for=dt.timedelta(days=days),
                now=system_clock(),
            )
            out.append((school.short_name if school else municipality.name, invite.token, invite.expires_at.strftime("%d.%m.%Y"), max_uses))
        return out

    channel = args.channel
    username = asyncio.run(_max_bot_username(settings) if channel == "max" else _bot_username(settings))
    rows = asyncio.run(_with_session(settings, action))
    print(f"Приглашения ({role.value}) в {'MAX' if channel == 'max' else 'Telegram'}, действуют {days} дн.:")
    for where, token, expires, uses in rows:
        print(f"{where}\t{start_link(channel, username, token)}\tдо {expires}\tрегистраций: {uses}")


def cmd_import(settings: Settings, args: argparse.Namespace) -> None:
    from scoring import service as scoring
    from storage import importers
    from storage.registry import get_municipality

    readers = {"statuses": importers.read_statuses, "exams": importers.read_exams, "groups": importers.read_groups}
    rows = readers[args.kind](args.file, settings.workbook_limits())
    if args.kind in ("statuses", "groups") and not args.period:
        raise CliError("Укажите --period: статусы и группы относятся к периоду.")

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        if args.kind == "statuses":
            n = await scoring.import_statuses(session, municipality, args.period, rows)
        elif args.kind == "groups":
            n = await scoring.import_groups(session, municipality, args.period, rows)
        else:
            n = await scoring.import_exams(session, municipality, rows)
        print(f"Загружено строк: {n}.")
        if args.period and args.kind != "statuses" and municipality.identification_method != "regional_lists":
            statuses = await scoring.identify(session, municipality, args.period)
            print(_statuses_line(statuses))

    with _importing(args.file):
        asyncio.run(_with_session(settings, action))


def _statuses_line(statuses: dict) -> str:
    shnro = sum(s.shnro for s in statuses.values())
    shnsu = sum(s.shnsu for s in statuses.values())
    risk = sum(s.risk_zone for s in statuses.values())
    return f"Идентификация: школ {len(statuses)}, ШНРО {shnro}, ШНСУ {shnsu}, зона риска {risk}."


def cmd_identify(settings: Settings, args: argparse.Namespace) -> None:
    from scoring.identification import METHOD_TITLES, Method
    from scoring.service import identify
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        if args.method:
            municipality.identification_method = args.method
        print(f"Метод идентификации: {METHOD_TITLES[Method(municipality.identification_method)]}.")
        print(_statuses_line(await identify(session, municipality, args.period)))

    asyncio.run(_with_session(settings, action))


async def _write_summary(settings: Settings, session: AsyncSession, municipality: Any, period: str | None, out: Path) -> None:
    from scoring import report, text
    from scoring.service import build_summary

    summary = await build_summary(session, municipality, period, settings.methodology(), now=system_clock())
    log_access(session, action="summary", municipality_id=municipality.id, person=None,
               detail=f"период {summary.period}; файл {out}", now=system_clock())
    write_private(out, report.workbook(summary))  # the municipality's data: readable by the owner only (0600)
    chart = out.with_suffix(".png")
    write_private(chart, report.chart(summary))
    dynamics = report.dynamics_chart(summary)
    dynamics_file = out.with_name(f"{out.stem}_dynamics.png")
    if dynamics is not None:
        write_private(dynamics_file, dynamics)
    for line in text.summary_lines(summary):
        print(line.plain_text)
    print(f"\nExcel: {out}\nДиаграмма: {chart}" + (f"\nДинамика: {dynamics_file}" if dynamics is not None else ""))


def cmd_summary(settings: Settings, args: argparse.Namespace) -> None:
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        await _write_summary(settings, session, municipality, args.period, Path(args.out))

    asyncio.run(_with_session(settings, action))


def cmd_report(settings: Settings, args: argparse.Namespace) -> None:
    from scoring import word
    from scoring.service import build_report
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> tuple[Any, Path]:
        municipality = await get_municipality(session, args.municipality)
        data = await build_report(session, municipality, args.period, settings.methodology(), now=system_clock())
        out = Path(args.out) if args.out else Path(word.file_name("Справка", municipality.name, data.summary.period))
        log_access(session, action="report", municipality_id=municipality.id, person=None,
                   detail=f"период {data.summary.period}; файл {out}", now=system_clock())
        return data, out

    data, out = asyncio.run(_with_session(settings, action))
    write_private(out, word.report_docx(data, all_schools=args.all_schools))  # names deputies: owner only (0600)
    schools = len(word.in_scope(data.summary, args.all_schools))
    print(f"Справка за период {data.summary.period} (периоды: {', '.join(h.period for h in data.summary.history)}; "
          f"школ в разделе 3: {schools}): {out}")


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from scoring.demo import build_demo
    from storage.models import Municipality

    out = Path(args.out)
    database = out / "demo.sqlite3"
    if database.exists():
        database.unlink()
    demo_settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{database}"})

    async def build(session: AsyncSession) -> int:
        return (await build_demo(session, schools=args.schools, teachers_per_school=args.teachers)).id

    async def summarise(session: AsyncSession, municipality_id: int) -> None:
        municipality = await session.get(Municipality, municipality_id)
        await _write_summary(settings, session, municipality, None, out / "demo_report.xlsx")
        print(f"База демо: {database}")

    async def demo() -> None:  # the demo is stored first: a summary that fails leaves it in place
        municipality_id = await _with_session(demo_settings, build, create=True)
        await _with_session(demo_settings, lambda session: summarise(session, municipality_id))

    asyncio.run(demo())


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from storage.backup import backup

    _require_database(settings)
    size = backup(settings.database_url, Path(args.file))
    print(f"Копия базы: {args.file} ({size / 2**20:.1f} МБ)")


def cmd_restore(settings: Settings, args: argparse.Namespace) -> None:
    from storage.backup import restore

    if not args.yes:
        raise CliError("Восстановление заменит текущую базу. Остановите бота и повторите с --yes.")
    restore(settings.database_url, Path(args.file))
    asyncio.run(asyncio.to_thread(upgrade, settings.database_url))  # a backup from an older version is brought up to date
    print(f"База восстановлена из {args.file}")


def cmd_export(settings: Settings, args: argparse.Namespace) -> None:
    from scoring.export import export_answers
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> int:
        municipality = await get_municipality(session, args.municipality)
        count = await export_answers(session, municipality.id, Path(args.out), args.period)
        log_access(session, action="export", municipality_id=municipality.id, person=None,
                   detail=f"период {args.period or 'все'}; ответов {count}; файл {args.out}", now=system_clock())
        return count

    count = asyncio.run(_with_session(settings, action))
    print(f"Выгружено ответов: {count} → {args.out}")


def cmd_person_delete(settings: Settings, args: argparse.Namespace) -> None:
    from storage.accounts import find_person
    from storage.models import Person
    from storage.registry import forget_person

    async def action(session: AsyncSession) -> None:
        if args.max_user_id is not None:
            person = await find_person(session, "max", args.max_user_id)
            if person is None:
                raise CliError(f"Человека с id {args.max_user_id} в MAX нет.")
        elif args.tg_user_id is not None:
            person = await session.scalar(select(Person).where(Person.tg_user_id == args.tg_user_id))
            if person is None:
                raise CliError(f"Человека с Telegram id {args.tg_user_id} нет.")
        else:
            raise CliError("Укажите --tg-user-id или --max-user-id.")
        await forget_person(session, person, system_clock())
        print(f"Персональные данные удалены (запись №{person.id}); ответы остаются в счёте школы.")

    asyncio.run(_with_session(settings, action))


def cmd_run(settings: Settings, args: argparse.Namespace) -> None:
    from bot.app import run

    try:
        import uvloop  # libuv's event loop: less CPU per update (BENCHMARKS.md)
    except ImportError:  # Windows
        asyncio.run(run(settings))
    else:
        uvloop.run(run(settings))


# --- parser --------------------------------------------------------------------------------


def _period(text: str) -> str:
    """argparse type for every --period: one school year, however it is typed."""
    from surveys.periods import PeriodError, normalize_period

    try:
        return normalize_period(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _date(text: str) -> dt.date:
    """argparse type for a day: 01.12.2026 or 2026-12-01."""
    for fmt in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"«{text}» — не дата; напишите, например, 01.12.2026")


class _Parser(argparse.ArgumentParser):
    """argparse with its complaints in Russian."""

    WORDS = (
        ("the following arguments are required", "не хватает параметров"),
        ("invalid choice", "недопустимое значение"),
        ("choose from", "допустимы"),
        ("unrecognized arguments", "неизвестные параметры"),
        ("expected one argument", "нужно значение"),
        ("invalid int value", "нужно целое число, а не"),
        ("argument ", "параметр "),
    )

    def error(self, message: str) -> None:  # type: ignore[override]
        for english, russian in self.WORDS:
            message = message.replace(english, russian)
        self.print_usage(sys.stderr)
        self.exit(2, f"Ошибка: {message}\n")


def _columns_of(kind: str) -> str:
    from storage.importers import LAYOUTS

    return ", ".join(c.title for c in LAYOUTS[kind].columns)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="shnor", description="ШНОР-монитор: бот и администрирование.")
    sub = parser.add_subparsers(dest="command", metavar="КОМАНДА")

    sub.add_parser("run", help="запустить бота (long polling)").set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="база данных").add_subparsers(dest="sub", required=True)
    db.add_parser("upgrade", help="создать или обновить схему").set_defaults(func=cmd_db_upgrade)

    mun = sub.add_parser("municipality", help="муниципалитеты").add_subparsers(dest="sub", required=True)
    p = mun.add_parser("add", help="создать муниципалитет")
    p.add_argument("name")
    p.add_argument("--tz", help="часовой пояс, например Asia/Yekaterinburg или Asia/Krasnoyarsk")
    p.set_defaults(func=cmd_municipality_add)
    mun.add_parser("list", help="список").set_defaults(func=cmd_municipality_list)
    p = mun.add_parser("privacy", help="оператор и цели обработки персональных данных в согласии; показывает текст согласия")
    p.add_argument("municipality", help="номер или название")
    p.add_argument("--operator", help="кто оператор, например «Управление образования Администрации г. N, ИНН …» (пусто — по умолчанию)")
    p.add_argument("--purposes", help="цели обработки (пусто — по умолчанию)")
    p.set_defaults(func=cmd_municipality_privacy)

    sch = sub.add_parser("schools", help="реестр школ").add_subparsers(dest="sub", required=True)
    p = sch.add_parser("import", help=f"импорт школ из .xlsx ({_columns_of('schools')}; образец: shnor template schools)")
    p.add_argument("--municipality", required=True, help="номер или название муниципалитета")
    p.add_argument("--period", type=_period, help="за какой учебный год столбцы стажировочных площадок (по умолчанию текущий)")
    p.add_argument("file")
    p.set_defaults(func=cmd_schools_import)
    p = sch.add_parser("list", help="список школ")
    p.add_argument("--municipality", required=True)
    p.set_defaults(func=cmd_schools_list)
    p = sch.add_parser("remove", help="удалить школу без данных (например, добавленную по ошибке)")
    p.add_argument("--municipality", required=True, help="номер или название муниципалитета")
    p.add_argument("--school", required=True, help="номер, название, краткое название или часть названия одной школы")
    p.set_defaults(func=cmd_schools_remove)

    sv = sub.add_parser("survey", help="определения анкет").add_subparsers(dest="sub", required=True)
    p = sv.add_parser("validate", help="проверить файл анкеты (YAML или XLSForm .xlsx) и показать вопросы")
    p.add_argument("file")
    p.set_defaults(func=cmd_survey_validate)

    p = sub.add_parser("template", help="пустая книга Excel с нужными столбцами, примером строки и пояснениями")
    p.add_argument("kind", choices=list(TEMPLATE_FILES), help="schools — реестр школ, statuses — региональные списки, "
                   "exams — результаты процедур, groups — группы Свердловской области")
    p.add_argument("--out", help="куда записать (по умолчанию школы.xlsx, статусы.xlsx, результаты.xlsx или группы.xlsx)")
    p.add_argument("--force", action="store_true", help="перезаписать существующий файл")
    p.set_defaults(func=cmd_template)

    cmp_ = sub.add_parser("campaign", help="кампании опроса").add_subparsers(dest="sub", required=True)
    p = cmp_.add_parser("open", help="открыть кампанию")
    p.add_argument("--municipality", required=True)
    p.add_argument("--pack", required=True, help="teacher, school, municipality или путь к файлу анкеты")
    p.add_argument("--period", required=True, type=_period, help="учебный год, например 2026-2027")
    p.add_argument("--deadline", required=True, help="местное время: 2026-12-15 18:00 (дата без времени — до 18:00)")
    p.add_argument("--opens", help="местное время открытия (по умолчанию сейчас; дата без времени — 08:00)")
    p.add_argument("--audience", help="только школы со статусом: shnro, shnsu, risk_zone (через запятую); по умолчанию все")
    p.add_argument("--offsets", default="7d,3d,1d,morning", help="напоминания до срока: 7d,3d,1d,12h,morning")
    p.add_argument("--quiet", default="21:00-08:00", help="тихие часы, местное время")
    p.add_argument("--tz", help="часовой пояс кампании (по умолчанию муниципалитета)")
    p.set_defaults(func=cmd_campaign_open)
    for name, text in (("extend", "продлить срок"), ("close", "закрыть досрочно"), ("reopen", "открыть снова")):
        p = cmp_.add_parser(name, help=text)
        p.add_argument("--municipality", required=True)
        p.add_argument("--id", type=int, required=True, help="номер кампании")
        if name == "extend":
            p.add_argument("--deadline", required=True, help="новый срок, местное время (позже нынешнего)")
        p.set_defaults(func=cmd_campaign_change)
    p = cmp_.add_parser("list", help="кампании и их заполнение")
    p.add_argument("--municipality", required=True)
    p.set_defaults(func=cmd_campaign_list)

    cal = sub.add_parser("calendar", help="календарь мониторинга на учебный год: план, сдвиг, пропуск").add_subparsers(
        dest="sub", required=True)
    p = cal.add_parser("plan", help="составить план учебного года по календарю методики и показать его (повтор ничего не меняет)")
    p.add_argument("--municipality", required=True)
    p.add_argument("--year", required=True, type=_period, help="учебный год, например 2026-2027 (сентябрь — август)")
    p.set_defaults(func=cmd_calendar)
    p = cal.add_parser("show", help="показать план (или календарь, если плана нет)")
    p.add_argument("--municipality", required=True)
    p.add_argument("--year", type=_period, help="учебный год; по умолчанию текущий (летом — следующий)")
    p.set_defaults(func=cmd_calendar)
    p = cal.add_parser("shift", help="сдвинуть пункт плана на другую дату (срок сдвигается вместе с ним)")
    p.add_argument("--municipality", required=True)
    p.add_argument("--year", type=_period, help="учебный год; по умолчанию текущий (летом — следующий)")
    p.add_argument("--item", required=True, type=int, help="номер пункта в плане")
    p.add_argument("--date", required=True, help="местное время: 20.09.2026 09:00 (дата без времени — 09:00)")
    p.set_defaults(func=cmd_calendar)
    p = cal.add_parser("skip", help="пропустить пункт плана (вернуть — сдвинув на новую дату)")
    p.add_argument("--municipality", required=True)
    p.add_argument("--year", type=_period, help="учебный год; по умолчанию текущий (летом — следующий)")
    p.add_argument("--item", required=True, type=int, help="номер пункта в плане")
    p.set_defaults(func=cmd_calendar)

    p = sub.add_parser("invites", help="ссылки-приглашения по школам и ролям")
    p.add_argument("--municipality", required=True)
    p.add_argument("--role", choices=ROLE_CHOICES, default="teacher")
    p.add_argument("--school", help="одна школа (номер, название или краткое название); по умолчанию все")
    p.add_argument("--max-uses", type=int, help="сколько человек может зарегистрироваться по ссылке")
    p.add_argument("--days", type=int, help="сколько дней действует ссылка")
    p.add_argument("--channel", choices=("telegram", "max"), default="telegram",
                   help="мессенджер ссылки: telegram (t.me/…?start=) или max (max.ru/…?start=)")
    p.set_defaults(func=cmd_invites)

    imp = sub.add_parser("import", help="загрузка данных для идентификации").add_subparsers(dest="sub", required=True)
    for kind, text in (
        ("statuses", f"региональные списки: {_columns_of('statuses')}"),
        ("exams", f"результаты: {_columns_of('exams')}"),
        ("groups", f"группы Свердловской области: {_columns_of('groups')}"),
    ):
        p = imp.add_parser(kind, help=text)
        p.add_argument("--municipality", required=True)
        p.add_argument("--period", type=_period, help="учебный год, например 2025-2026")
        p.add_argument("file")
        p.set_defaults(func=cmd_import, kind=kind)

    p = sub.add_parser("identify", help="определить статусы школ за период выбранным методом")
    p.add_argument("--municipality", required=True)
    p.add_argument("--period", required=True, type=_period)
    p.add_argument("--method", choices=["regional_lists", "criteria", "sverdlovsk"], help="сменить метод муниципалитета")
    p.set_defaults(func=cmd_identify)

    p = sub.add_parser("summary", help="сводка: текст, Excel и диаграммы PNG рядом (баллы и доли; динамика долей)")
    p.add_argument("--municipality", required=True)
    p.add_argument("--period", type=_period, help="учебный год; по умолчанию текущий (или последний с данными)")
    p.add_argument("--out", default="report.xlsx")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("report", help="аналитическая справка рабочей группы в Word (.docx): показатели за все периоды, "
                       "школы, идентификация, проект решений")
    p.add_argument("--municipality", required=True)
    p.add_argument("--period", type=_period, help="учебный год; по умолчанию текущий (или последний с данными)")
    p.add_argument("--out", help="куда записать (по умолчанию Справка_<муниципалитет>_<период>.docx)")
    p.add_argument("--all-schools", action="store_true", help="раздел по каждой школе, а не только по ШНРО, ШНСУ и зоне риска")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("backup", help="копия базы SQLite (бот может работать); для PostgreSQL — pg_dump")
    p.add_argument("file")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="восстановить базу SQLite из копии (бот остановлен)")
    p.add_argument("file")
    p.add_argument("--yes", action="store_true", help="да, заменить текущую базу")
    p.set_defaults(func=cmd_restore)
    p = sub.add_parser("export", help="все ответы муниципалитета в .xlsx (текст остаётся текстом)")
    p.add_argument("--municipality", required=True, help="id или название")
    p.add_argument("--period", type=_period, help="только этот учебный год")
    p.add_argument("--out", default="answers.xlsx")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("audit", help="журнал доступа: кто и когда смотрел сводки, карточки, отчёты и выгрузки")
    p.add_argument("--municipality", required=True, help="номер или название")
    p.add_argument("--since", type=_date, help="с какого дня, ДД.ММ.ГГГГ")
    p.set_defaults(func=cmd_audit)
    person = sub.add_parser("person", help="люди").add_subparsers(dest="sub", required=True)
    p = person.add_parser("delete", help="удалить персональные данные человека (ответы остаются в счёте школы)")
    p.add_argument("--tg-user-id", type=int, help="id человека в Telegram")
    p.add_argument("--max-user-id", type=int, help="id человека в MAX (все его данные в обоих мессенджерах удаляются)")
    p.set_defaults(func=cmd_person_delete)

    p = sub.add_parser("demo", help="демонстрационный муниципалитет в отдельной базе и его сводка")
    p.add_argument("--out", default="demo", help="папка для базы и отчёта")
    p.add_argument("--schools", type=int, default=20)
    p.add_argument("--teachers", type=int, default=15, help="педагогов в школе")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    from monitoring.calendar import CalendarError
    from monitoring.schedule import ScheduleError
    from scoring.errors import ScoringError
    from storage.backup import BackupError
    from storage.importers import ImportFailed
    from storage.registry import RegistryError
    from storage.workbook import WorkbookError
    from surveys.errors import ServiceError
    from surveys.loader import DefinitionError

    args = build_parser().parse_args(argv)
    func = getattr(args, "func", cmd_run)  # plain `shnor` runs the bot
    settings = Settings()
    setup_logging(settings)
    try:
        func(settings, args)
    except (CliError, RegistryError, ServiceError, DefinitionError, ImportFailed, WorkbookError, ScoringError, ScheduleError,
            BackupError, CalendarError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 1
    return 0
