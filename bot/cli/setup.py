"""Setting up and keeping a municipality: the database, municipalities, schools, templates and imports,
identification, backups, exports and forgetting a person."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import (
    CliError,
    importing,
    missing_database,
    require_database,
    with_session,
)
from bot.config import Settings
from storage.db import describe_database, sqlite_file
from storage.migrate import upgrade
from storage.privacy import log_access

log = logging.getLogger("shnor")


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> None:
    new = missing_database(settings) is not None
    upgrade(settings.database_url)
    where = describe_database(settings.database_url)
    if sqlite_file(settings.database_url) is None:
        print(f"База данных: {where}")
    else:
        print(f"{'Создана база данных SQLite' if new else 'База данных SQLite'}: {where}")
    print("Схема базы обновлена до последней версии.")
    print(settings.location.describe())


def cmd_municipality_add(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import set_operator_command
    from storage.registry import create_municipality
    from storage.wording import zone_label

    new = missing_database(settings)

    async def action(session: AsyncSession) -> None:
        m = await create_municipality(session, args.name, args.tz or settings.default_timezone)
        if new is not None:
            print(f"Создана база данных SQLite: {new.absolute()}")
        print(f"Муниципалитет №{m.id} «{m.name}» создан, часовой пояс {m.timezone} ({zone_label(m.timezone, common.clock())}).")
        print("Следующий шаг — оператор персональных данных: его называет согласие, которое человек даёт при "
              f"регистрации, и пока он не указан, бот никого не регистрирует:\n  {set_operator_command(m)}")

    asyncio.run(with_session(settings, action, create=True))


def cmd_municipality_list(settings: Settings, args: argparse.Namespace) -> None:
    from storage.models import Municipality

    async def action(session: AsyncSession) -> None:
        for m in await session.scalars(select(Municipality).order_by(Municipality.id)):
            print(f"{m.id}\t{m.name}\t{m.timezone}")

    asyncio.run(with_session(settings, action))


def cmd_municipality_privacy(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import NoOperator, consent_text
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        if args.operator is not None:
            municipality.pd_operator = args.operator.strip() or None
        if args.purposes is not None:
            municipality.pd_purposes = args.purposes.strip() or None
        try:
            consent = consent_text(municipality)
        except NoOperator as exc:  # stored as asked (an operator cleared closes registration), and said so
            print(exc)
            return
        print(f"Согласие, которое бот показывает при регистрации в «{municipality.name}» (версия {consent.version}):\n")
        print(consent.text)
        print("\nРегистрация по приглашениям открыта.")

    asyncio.run(with_session(settings, action))


def cmd_municipality_requisites(settings: Settings, args: argparse.Namespace) -> None:
    """The requisites of the municipality's documents (migration 0014): set those given, show them all."""
    from storage.registry import get_municipality

    if args.complete_at is not None and not 1 <= args.complete_at <= 100:
        raise CliError("--complete-at: процент от 1 до 100")

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        for field, value in (("body_name", args.body), ("head_title", args.head_title), ("head_name", args.head_name),
                             ("address", args.address)):
            if value is not None:
                setattr(municipality, field, value.strip() or None)
        if args.complete_at is not None:
            municipality.complete_at = args.complete_at
        print(f"Реквизиты документов «{municipality.name}»:")
        for title, value in (("Орган управления образованием", municipality.body_name),
                             ("Должность руководителя, утверждающего протокол", municipality.head_title),
                             ("Руководитель", municipality.head_name), ("Адрес", municipality.address)):
            print(f"  {title}: {value or 'не задано'}")
        print(f"  Документы говорят «данные неполные», пока ответили менее {municipality.complete_at} % педагогов "
              "(или пока идёт сбор данных).")

    asyncio.run(with_session(settings, action))


def cmd_audit(settings: Settings, args: argparse.Namespace) -> None:
    from storage.privacy import audit
    from storage.registry import get_municipality
    from storage.wording import zone_label

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        tz = ZoneInfo(municipality.timezone)
        since = dt.datetime.combine(args.since, dt.time(), tz) if args.since else None
        records = await audit(session, municipality.id, since)
        print(f"Журнал доступа к данным «{municipality.name}»"
              + (f" с {args.since:%d.%m.%Y}" if args.since else "")
              + f", время {zone_label(municipality.timezone, common.clock())}: записей {len(records)}.")
        for r in records:
            print(f"{r.at.astimezone(tz):%d.%m.%Y %H:%M}\t{r.who}\t{r.action}\t{r.detail}")

    asyncio.run(with_session(settings, action))


def cmd_schools_import(settings: Settings, args: argparse.Namespace) -> None:
    from storage.importers import read_schools
    from storage.registry import add_schools, get_municipality
    from surveys.periods import school_year_of

    rows = read_schools(args.file, settings.workbook_limits())

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        period = args.period or school_year_of(common.clock(), municipality.timezone)
        added, updated = await add_schools(session, municipality, rows, period)
        print(f"Импорт школ в «{municipality.name}»: добавлено {added}, обновлено {updated}, всего в файле {len(rows)}.")
        if any(r.municipal_internship_site is not None or r.regional_internship_site is not None for r in rows):
            print(f"Стажировочные площадки записаны за период {period}; другие периоды не изменились.")

    with importing(args.file):
        asyncio.run(with_session(settings, action))


def cmd_schools_remove(settings: Settings, args: argparse.Namespace) -> None:
    from storage.registry import find_school, get_municipality, remove_school

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        school = await find_school(session, municipality, args.school)
        described = f"№{school.id} «{school.short_name}» ({school.name})"
        invites = await remove_school(session, school)
        print(f"Школа {described} удалена из реестра «{municipality.name}»; её приглашений удалено: {invites}.")

    asyncio.run(with_session(settings, action))


def cmd_schools_list(settings: Settings, args: argparse.Namespace) -> None:
    from storage.registry import get_municipality, list_schools

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        for s in await list_schools(session, municipality.id):
            print(f"{s.id}\t{s.short_name}\t{'сельская' if s.rural else 'городская'}\t{s.name}")

    asyncio.run(with_session(settings, action))


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

    with importing(args.file):
        asyncio.run(with_session(settings, action))


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

    asyncio.run(with_session(settings, action))


def cmd_backup(settings: Settings, args: argparse.Namespace) -> None:
    from storage.backup import backup

    require_database(settings)
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
                   detail=f"{f'период {args.period}' if args.period else 'все периоды'}; ответов {count}; файл {args.out}", now=common.clock())
        return count

    count = asyncio.run(with_session(settings, action))
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
        await forget_person(session, person, common.clock())
        print(f"Персональные данные удалены (запись №{person.id}); ответы остаются в счёте школы.")

    asyncio.run(with_session(settings, action))
