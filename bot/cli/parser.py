"""The command line's parser: every command, its arguments and their help, in Russian."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys

from bot.cli.campaigns import (
    cmd_calendar,
    cmd_campaign_change,
    cmd_campaign_list,
    cmd_campaign_open,
    cmd_survey_validate,
)
from bot.cli.common import ROLE_CHOICES
from bot.cli.documents import cmd_card, cmd_demo, cmd_report, cmd_run, cmd_summary
from bot.cli.invites import cmd_invites
from bot.cli.setup import (
    TEMPLATE_FILES,
    cmd_audit,
    cmd_backup,
    cmd_db_upgrade,
    cmd_export,
    cmd_identify,
    cmd_import,
    cmd_municipality_add,
    cmd_municipality_list,
    cmd_municipality_privacy,
    cmd_municipality_requisites,
    cmd_person_delete,
    cmd_restore,
    cmd_schools_import,
    cmd_schools_list,
    cmd_schools_remove,
    cmd_template,
)

log = logging.getLogger("shnor")


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
    p.add_argument("--operator", help="полное наименование оператора в именительном падеже, например «Управление образования "
                   "Администрации г. N (ИНН …)»; пусто — наименование органа управления образованием из реквизитов, "
                   "а без него регистрация закрыта")
    p.add_argument("--purposes", help="цели обработки (пусто — по умолчанию)")
    p.set_defaults(func=cmd_municipality_privacy)
    p = mun.add_parser("requisites", help="реквизиты документов: орган управления образованием, кто утверждает протокол, "
                       "адрес; порог полноты данных; без параметров — показывает их")
    p.add_argument("municipality", help="номер или название")
    p.add_argument("--body", help="полное наименование органа, например «Управление образования Администрации N»")
    p.add_argument("--head-title", help="должность руководителя, утверждающего протокол, например «Начальник Управления образования»")
    p.add_argument("--head-name", help="инициалы и фамилия руководителя, например «Л.М. Миннуллина»")
    p.add_argument("--address", help="адрес органа (место проведения заседания по умолчанию)")
    p.add_argument("--complete-at", type=int, help="процент ответивших педагогов, ниже которого документы говорят «данные неполные» (по умолчанию 90)")
    p.set_defaults(func=cmd_municipality_requisites)

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
    p.add_argument("--deadline", required=True, help="местное время: 15.12.2026 18:00 (дата без времени — до 18:00)")
    p.add_argument("--opens", help="местное время открытия (по умолчанию сейчас; дата без времени — 08:00)")
    p.add_argument("--audience", help="только школы со статусом: shnro (ШНРО), shnsu (ШНСУ), risk_zone (зона риска), "
                   "через запятую; по умолчанию все")
    p.add_argument("--offsets", default="7d,3d,1d,morning", help="напоминания до срока: 7d — за 7 дней, 12h — за 12 часов, "
                   "morning — утром в день срока; через запятую (по умолчанию 7d,3d,1d,morning)")
    p.add_argument("--quiet", default="21:00-08:00", help="тихие часы, местное время")
    p.add_argument("--tz", help="часовой пояс кампании (по умолчанию муниципалитета)")
    p.set_defaults(func=cmd_campaign_open)
    for name, text in (("extend", "продлить срок"), ("close", "закрыть досрочно"), ("reopen", "открыть снова")):
        p = cmp_.add_parser(name, help=text)
        p.add_argument("--municipality", required=True)
        p.add_argument("--id", type=int, required=True, help="номер кампании")
        if name == "extend":
            p.add_argument("--deadline", required=True, help="новый срок, местное время: 20.12.2026 18:00 (позже нынешнего)")
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

    p = sub.add_parser("invites", help="ссылки-приглашения по школам и ролям; с --out — документ Word для печати: "
                       "страница на школу со ссылками и QR-кодами")
    p.add_argument("--municipality", required=True)
    p.add_argument("--role", choices=ROLE_CHOICES, help="teacher — педагоги (по умолчанию), deputy — заместители "
                   "директоров, coordinator — координаторы; с --out без --role — заместители и педагоги на одной странице")
    p.add_argument("--school", help="одна школа (номер, название или краткое название); по умолчанию все")
    p.add_argument("--max-uses", type=int, help="сколько человек может зарегистрироваться по ссылке")
    p.add_argument("--days", type=int, help="сколько дней действует ссылка")
    p.add_argument("--channel", choices=("telegram", "max"),
                   help="мессенджер ссылки: telegram (t.me/…?start=) или max (max.ru/…?start=); по умолчанию в консоли "
                   "telegram, в файле — все мессенджеры, для которых задано имя или токен бота")
    p.add_argument("--out", help="записать приглашения в документ Word (.docx): страница на школу, ссылки Telegram и MAX "
                   "с QR-кодами и инструкцией для педагога")
    p.add_argument("--force", action="store_true", help="перезаписать существующий файл --out")
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

    p = sub.add_parser("report", help="протокол заседания рабочей группы в Word (.docx) с аналитической справкой в "
                       "приложении: показатели за все периоды, школы, идентификация, проект решений")
    p.add_argument("--municipality", required=True)
    p.add_argument("--period", type=_period, help="учебный год; по умолчанию текущий (или последний с данными)")
    p.add_argument("--out", help="куда записать (по умолчанию Протокол_<номер>_<муниципалитет>_<период>.docx)")
    p.add_argument("--meeting", help="файл YAML со сведениями о заседании: номер, дата, место, председатель, секретарь, "
                   "присутствовали, повестка, докладчик (README, «Протокол заседания»)")
    p.add_argument("--decisions", action="store_true", help="составить проект решений («Решили») и при неполных данных")
    p.add_argument("--all-schools", action="store_true", help="раздел по каждой школе, а не только по ШНРО, ШНСУ и зоне риска")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("card", help="карточка школы в Word (одна страница): что сделать школе, показатели и баллы — "
                       "одной школы или всех школ, файл на школу")
    p.add_argument("--municipality", required=True, help="номер или название муниципалитета")
    p.add_argument("--school", help="номер, название, краткое название или часть названия одной школы")
    p.add_argument("--all", action="store_true", help="все школы муниципалитета: файл на школу в папку --out")
    p.add_argument("--period", type=_period, help="учебный год; по умолчанию текущий (или последний с данными)")
    p.add_argument("--out", help="файл (по умолчанию Карточка_<школа>_<период>.docx) или, с --all, папка "
                   "(по умолчанию «карточки»)")
    p.set_defaults(func=cmd_card)

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
