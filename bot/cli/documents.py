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
from storage.privacy import log_access

log = logging.getLogger("shnor")


async def _write_summary(settings: Settings, session: AsyncSession, municipality: Any, period: str | None, out: Path) -> None:
    from scoring import report, text
    from scoring.service import build_summary

    summary = await build_summary(session, municipality, period, settings.methodology(), now=common.clock())
    log_access(session, action="summary", municipality_id=municipality.id, person=None,
               detail=f"период {summary.period}; файл {out}", now=common.clock())
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

    asyncio.run(with_session(settings, action))


def cmd_report(settings: Settings, args: argparse.Namespace) -> None:
    from scoring import word
    from scoring.service import build_report
    from storage.registry import get_municipality

    async def action(session: AsyncSession) -> tuple[Any, Path]:
        municipality = await get_municipality(session, args.municipality)
        data = await build_report(session, municipality, args.period, settings.methodology(), now=common.clock())
        out = Path(args.out) if args.out else Path(word.file_name("Справка", municipality.name, data.summary.period))
        log_access(session, action="report", municipality_id=municipality.id, person=None,
                   detail=f"период {data.summary.period}; файл {out}", now=common.clock())
        return data, out

    data, out = asyncio.run(with_session(settings, action))
    write_private(out, word.report_docx(data, all_schools=args.all_schools))  # names deputies: owner only (0600)
    schools = len(word.in_scope(data.summary, args.all_schools))
    print(f"Справка за период {data.summary.period} (периоды: {', '.join(h.period for h in data.summary.history)}; "
          f"школ в разделе 3: {schools}): {out}")


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
        print(f"Карточки школ за период {summary.period}: {len(out)} файлов в папке {Path(args.out or 'карточки')}")
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
