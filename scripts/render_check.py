"""Render what the product hands to people, to look at it: the demo municipality (three periods), its
report and a school card in Word, the summary workbook and the charts. LibreOffice turns the documents
into PDF (pages counted with pdfinfo), pdftoppm turns pages into PNG.

    python scripts/render_check.py [OUT]      # default OUT: ./render; needs soffice, pdfinfo, pdftoppm

Prints the page counts and the charts' pixel sizes; open OUT/*.png to look. tests/test_render.py runs
it (marked slow).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
from pathlib import Path

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


async def make(out: Path, schools: int = 20, teachers: int = 15) -> dict[str, Path]:
    from scoring import report, word
    from scoring.demo import build_demo
    from scoring.service import build_report, school_card
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade

    database = out / "demo.sqlite3"
    database.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{database}"
    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    files = {}
    try:
        async with make_session_factory(engine)() as session:
            municipality = await build_demo(session, schools=schools, teachers_per_school=teachers)
            await session.commit()
            data = await build_report(session, municipality)
            summary = data.summary
            worst = min(summary.scores.schools, key=lambda s: (s.ratio, s.school.name))
            _, score = await school_card(session, municipality, worst.school.id)
        files["report"] = out / "справка.docx"
        files["report"].write_bytes(word.report_docx(data))
        files["card"] = out / "карточка.docx"
        files["card"].write_bytes(word.card_docx(summary, score))
        files["workbook"] = out / "сводка.xlsx"
        files["workbook"].write_bytes(report.workbook(summary))
        files["chart"] = out / "chart.png"
        files["chart"].write_bytes(report.chart(summary))
        files["dynamics"] = out / "dynamics.png"
        files["dynamics"].write_bytes(report.dynamics_chart(summary))
    finally:
        await engine.dispose()
    return files


def main(out: Path, schools: int = 20, teachers: int = 15) -> dict[str, object]:
    from PIL import Image

    for tool in ("soffice", "pdfinfo", "pdftoppm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"нет {tool}: apt-get install libreoffice-core poppler-utils")
    out.mkdir(parents=True, exist_ok=True)
    files = asyncio.run(make(out, schools, teachers))
    figures: dict[str, object] = {}
    for key in ("report", "card", "workbook"):
        document = pdf(files[key])
        figures[f"{key}_pages"] = pages(document)
        figures[f"{key}_png"] = [str(p) for p in png(document)]
    for key in ("chart", "dynamics"):
        figures[f"{key}_px"] = Image.open(files[key]).size
    for key, value in figures.items():
        print(f"{key}: {value}")
    return figures


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "render"))
