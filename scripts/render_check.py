"""Render what the product hands to people, to look at it: the demo municipality (three periods), its
protocol with the analytical report as its appendix (a sample meeting and requisites) and a school card in Word, the summary workbook and the charts. LibreOffice turns the documents
into PDF (pages counted with pdfinfo), pdftoppm turns pages into PNG.

    python scripts/render_check.py [OUT] [PERIODS]   # default OUT: ./render, PERIODS: 3 (the demo's)

Needs soffice, pdfinfo, pdftoppm. PERIODS (1-4) is how many school years the demo has, the last one
2025-2026: the report's tables have a column per period. The card is the weakest school's (the fewest
points of those with data for the period: the most rows with what to do). Prints the page counts and
the charts' pixel sizes; open OUT/*.png to look. tests/test_render.py runs it (marked slow).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pdf(document: Path) -> Path:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(document.parent), str(document)],
                   check=True, capture_output=True, timeout=300)
    return document.with_suffix(".pdf")


def pages(file: Path) -> int:
    info = subprocess.run(["pdfinfo", str(file)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def png(file: Path, first: int = 1, last: int = 3, dpi: int = 70) -> list[Path]:
    prefix = file.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(first), "-l", str(last), str(file), str(prefix)], check=True)
    return sorted(file.parent.glob(f"{prefix.name}-*.png"))


def _sample() -> tuple[Any, Any]:
    from scoring.protocol import Meeting, Requisites

    meeting = Meeting(number="13", date="25.06.2026", place="кабинет № 101", chair="Едигарева Н.В., заместитель начальника",
                      secretary="Т.А. Плотникова", speakers="Едигарева Н.В., Плотникова Т.А.",
                      attendees=["Бессонова М.В., старший инженер", "Зыкова М.В., инженер", "Едигарева Н.В., заместитель начальника",
                                 "Плотникова Т.А., ведущий специалист"])
    requisites = Requisites("Управление образования Администрации Демонстрационного городского округа",
                            "Начальник Управления образования", "Л.М. Миннуллина", "ул. Ленина, д. 1")
    return meeting, requisites


def demo_periods(count: int) -> tuple[str, ...]:
    """`count` school years up to the demo's last one: 3 → 2023-2024, 2024-2025, 2025-2026."""
    from scoring.demo import DEMO_PERIODS
    from scoring.dynamics import period_year

    last = period_year(DEMO_PERIODS[-1])
    return tuple(f"{year - 1}-{year}" for year in range(last - count + 1, last + 1))


async def make(out: Path, schools: int = 20, teachers: int = 15, periods: int = 3) -> dict[str, Path]:
    from scoring import card, charts, protocol, report
    from scoring.demo import build_demo
    from scoring.service import build_report, school_card
    from storage.clock import system_clock
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade

    meeting, requisites = _sample()
    database = out / "demo.sqlite3"
    database.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{database}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    files = {}
    try:
        async with make_session_factory(engine, system_clock)() as session:
            municipality = await build_demo(session, schools=schools, teachers_per_school=teachers,
                                            periods=demo_periods(periods))
            await session.commit()
            data = await build_report(session, municipality, now=system_clock())
            summary = data.summary
            worst = min(summary.scores.schools, key=lambda s: (bool(s.no_data), s.ratio, -len(s.zeros), s.school.name))
            _, score = await school_card(session, municipality, worst.school.id, now=system_clock())
            print(f"card_school: {worst.school.name} ({worst.total} из {worst.maximum}, с 0 баллов: {len(worst.zeros)})")
        files["report"] = out / "протокол.docx"
        files["report"].write_bytes(protocol.protocol_docx(data, meeting, requisites, decisions=True))
        files["card"] = out / "карточка.docx"
        files["card"].write_bytes(card.docx(summary, score))
        files["workbook"] = out / "сводка.xlsx"
        files["workbook"].write_bytes(report.workbook(summary))
        for _, photos in charts.images(summary):
            for name, data in photos:  # chart_1.png … chart_N.png
                files[name.removesuffix(".png")] = out / name
                files[name.removesuffix(".png")].write_bytes(data)
    finally:
        await engine.dispose()
    return files


def main(out: Path, schools: int = 20, teachers: int = 15, periods: int = 3) -> dict[str, object]:
    from PIL import Image

    for tool in ("soffice", "pdfinfo", "pdftoppm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"нет {tool}: apt-get install libreoffice-core poppler-utils")
    out.mkdir(parents=True, exist_ok=True)
    files = asyncio.run(make(out, schools, teachers, periods))
    figures: dict[str, object] = {}
    for key in ("report", "card", "workbook"):
        document = pdf(files[key])
        figures[f"{key}_pages"] = pages(document)
        figures[f"{key}_png"] = [str(p) for p in png(document)]
    figures["charts_px"] = [Image.open(path).size for key, path in files.items() if key.startswith("chart_")]
    for key, value in figures.items():
        print(f"{key}: {value}")
    return figures


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "render"), periods=int(sys.argv[2]) if len(sys.argv) > 2 else 3)
