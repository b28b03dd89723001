"""The school card rendered as a person sees it (LibreOffice -> PDF): one A4 page up to four periods, for every
school of the demo over four periods (after the campaigns and while the last one collects) and for the fullest
card there is (a risk-zone school with every indicator at 0 over four periods, 22 actions). Slow (LibreOffice);
scoring.card estimates the page in lines, and this is where the estimate meets the rendering."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from scoring import card
from scoring.demo import build_demo
from scoring.service import build_summary
from tests.pure.test_card import _worst_four_periods

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not all(shutil.which(t) for t in ("soffice", "pdfinfo")), reason="no LibreOffice/poppler"),
]

PERIODS = ("2022-2023", "2023-2024", "2024-2025", "2025-2026")


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def _page_size(pdf: Path) -> tuple[int, int]:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups()
    return round(float(width)), round(float(height))


async def test_every_card_is_one_a4_page_up_to_four_periods(session_factory, tmp_path: Path):
    async with session_factory() as session:
        municipality = await build_demo(session, schools=10, teachers_per_school=12, periods=PERIODS)
        await session.commit()
        closed = await build_summary(session, municipality, now=dt.datetime(2026, 6, 20, tzinfo=dt.UTC))
        collecting = await build_summary(session, municipality, now=dt.datetime(2026, 5, 20, tzinfo=dt.UTC))
    assert len(closed.history) == 4 and collecting.open_until is not None
    files = []
    for tag, summary in (("closed", closed), ("open", collecting)):
        for score in summary.scores.schools:
            files.append(tmp_path / f"{tag}_{score.school.id}.docx")
            files[-1].write_bytes(card.docx(summary, score))
    fullest, score = _worst_four_periods()
    files.append(tmp_path / "fullest.docx")
    files[-1].write_bytes(card.docx(fullest, score))

    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), *map(str, files)],
                   check=True, capture_output=True, timeout=600)
    pages = {f.stem: _pages(f.with_suffix(".pdf")) for f in files}
    assert {stem for stem, n in pages.items() if n != 1} == set(), pages
    assert _page_size(tmp_path / "fullest.pdf") == (595, 842)  # A4 portrait, in points
