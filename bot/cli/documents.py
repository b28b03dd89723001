"""Documents (the summary, the report, the school cards, the demo) and running the bot."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import common
from bot.cli.common import CliError, with_session
from bot.config import Settings
from storage.files import write_private
from storage.privacy import log_access, set_requisites_command
from storage.wording import count

log = logging.getLogger("shnor")


async def _write_summary(settings: Settings, session: AsyncSession, municipality: Any, period: str | None, out: Path) -> None:
    from scoring import charts, report, text
    from scoring.service import build_summary

    summary = await build_summary(session, municipality, period, settings.methodology(), now=common.clock())
    log_access(session, action="summary", municipality_id=municipality.id, person=None,
               detail=f"период {summary.period}; файл {out}", now=common.clock())
    write_private(out, report.workbook(summary))  # the municipality's data: readable by the owner only (0600)
    albums = charts.images(summary)
    for _, photos in albums:
        for name, data in photos:  # chart_1.png … chart_N.png beside the workbook
            write_private(out.with_name(name), data)
    for line in text.summary_lines(summary):
        print(line.plain_text)
    print(f"\nExcel: {out}")
    for caption, photos in albums:
        print(f"\n{caption}\nДиаграммы: " + ", ".join(str(out.with_name(name)) for name, _ in photos))


def cmd_summary(settings: Settings, args: argparse.Namespace) -> None:
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> None:
        municipality = await get_municipality(session, args.municipality)
        await _write_summary(settings, session, municipality, args.period, Path(args.out))

    asyncio.run(with_session(settings, action))


def cmd_report(settings: Settings, args: argparse.Namespace) -> None:
    from monitoring import meetings
    from scoring import protocol
    from scoring.service import build_report
    from storage.registry import get_municipality

    meeting = protocol.Meeting()
    if args.meeting:
        try:
            meeting = protocol.load_meeting(Path(args.meeting).read_text(encoding="utf-8"))
        except OSError as exc:
            raise common.CliError(f"Файл заседания {args.meeting} не читается: {exc.strerror}") from None
        except protocol.MeetingError as exc:
            raise common.CliError(f"Файл заседания {args.meeting}: {exc}") from None

    async def action(session: AsyncSession) -> tuple[Any, Any, Path]:
        municipality = await get_municipality(session, args.municipality)
        data = await build_report(session, municipality, args.period, settings.methodology(), now=common.clock())
        out = Path(args.out) if args.out else Path(protocol.file_name(municipality.name, data.summary.period, meeting))
        log_access(session, action="report", municipality_id=municipality.id, person=None,
                   detail=f"период {data.summary.period}; файл {out}", now=common.clock())
        if args.meeting:
            meetings.record(session, municipality.id, data.summary.period, meeting, common.clock())
        return data, protocol.Requisites.of(municipality), out

    data, requisites, out = asyncio.run(with_session(settings, action))
    summary = data.summary
    document = protocol.protocol_docx(data, meeting, requisites, decisions=args.decisions, all_schools=args.all_schools)
    write_private(out, document)  # names deputies: owner only (0600)
    schools = len(protocol.in_scope(summary, args.all_schools))
    print(f"Протокол заседания рабочей группы с аналитической справкой за {summary.period} "
          f"(периоды: {', '.join(h.period for h in summary.history)}; школ в приложении: {schools}): {out}")
    if summary.state.incomplete:
        from scoring import shown

        print(shown.heading(summary.state) + (" Проект решений составлен по вашему запросу (--decisions)." if args.decisions
                                               else " Проект решений не составлен; чтобы составить его, добавьте --decisions."))
    if not args.meeting:
        print("Сведения о заседании (номер, дата, место, присутствовали, повестка) оставлены для заполнения от руки; "
              "чтобы их вписать, передайте файл: --meeting заседание.yaml (образец — в README, «Протокол заседания»).")
    missing = requisites.missing()
    if missing:
        print(f"Не заданы реквизиты органа управления образованием: {'; '.join(missing)}. "
              + f"Задайте их:\n  {set_requisites_command(summary.municipality)}")


def cmd_card(settings: Settings, args: argparse.Namespace) -> None:
    """One school's card in Word (--school), or every school's, a file each, into a folder (--all): what the
    protocol asks coordinators to hand to the deputies."""
    from scoring import card
    from scoring.service import build_summary
    from storage.registry import find_school, get_municipality

    if bool(args.school) == bool(args.all):
        raise CliError("Укажите одну школу (--school) или все школы (--all).")

    async def action(session: AsyncSession) -> tuple[Any, list[tuple[Any, Path]]]:
        municipality = await get_municipality(session, args.municipality)
        wanted = (await find_school(session, municipality, args.school)).id if args.school else None
        summary = await build_summary(session, municipality, args.period, settings.methodology(), now=common.clock())
        scores = [s for s in summary.scores.schools if wanted is None or s.school.id == wanted]
        if not scores:
            raise CliError("В муниципалитете нет школ: сначала shnor schools import." if wanted is None
                           else "Школы нет среди школ периода.")
        if args.all:
            folder, taken = Path(args.out or "карточки"), set()
            out = []
            for score in scores:  # two schools of one short name get a file each
                name = card.file_name(summary, score)
                if name in taken:
                    name = card.file_name(summary, score).replace(".docx", f"_{score.school.id}.docx")
                taken.add(name)
                out.append((score, folder / name))
        else:
            out = [(scores[0], Path(args.out or card.file_name(summary, scores[0])))]
        for score, path in out:
            log_access(session, action="card_docx", municipality_id=municipality.id, person=None,
                       detail=f"{score.school.name}; период {summary.period}; файл {path}", now=common.clock())
        return summary, out

    summary, out = asyncio.run(with_session(settings, action))
    for score, path in out:
        write_private(path, card.docx(summary, score))  # the school's data: owner only (0600)
    if args.all:
        print(f"Карточки школ за период {summary.period}: {count(len(out), 'файл', 'файла', 'файлов')} в папке {Path(args.out or 'карточки')}")
    else:
        score, path = out[0]
        print(f"Карточка школы «{score.school.name}» за период {summary.period}: {path}")


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
        municipality_id = await with_session(demo_settings, build, create=True)
        await with_session(demo_settings, lambda session: summarise(session, municipality_id))

    asyncio.run(demo())


def cmd_run(settings: Settings, args: argparse.Namespace) -> None:
    from bot.app import run

    try:
        import uvloop  # libuv's event loop: less CPU per update (BENCHMARKS.md)
    except ImportError:  # Windows
        asyncio.run(run(settings))
    else:
        uvloop.run(run(settings))
