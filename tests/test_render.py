"""The documents rendered as a person sees them (LibreOffice -> PDF -> PNG): A4 pages, a one-page card,
charts of at most 1080 × 1350 px. Slow (LibreOffice starts three times); run with `pytest -m slow tests/test_render.py`,
or `python scripts/render_check.py OUT` and open OUT/*.png to look."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not all(shutil.which(t) for t in ("soffice", "pdfinfo", "pdftoppm")), reason="no LibreOffice/poppler"),
]

ROOT = Path(__file__).resolve().parents[1]


def test_documents_render_on_a4_and_the_card_on_one_page(tmp_path: Path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import render_check
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    figures = render_check.main(tmp_path, schools=6, teachers=8)
    assert figures["card_pages"] == 1
    assert 5 <= figures["report_pages"] <= 24  # the protocol (2-3 pages) and its appendix, tables on landscape pages
    assert len(figures["charts_px"]) == 4  # shares (two), dynamics, schools
    assert all(width == 1080 and height <= 1350 for width, height in figures["charts_px"])  # a phone's portrait photo
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", str(figures["report_pages"]), str(tmp_path / "протокол.pdf")],
                          capture_output=True, text=True).stdout
    sizes = [(round(float(w)), round(float(h))) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    assert len(sizes) == figures["report_pages"]
    assert sizes[0] == (595, 842) and sizes[-1] == (595, 842)  # A4 in points: the protocol, the appendix's last section
    assert (842, 595) in sizes and set(sizes) == {(595, 842), (842, 595)}  # the tables: A4 landscape
    assert all(Path(p).stat().st_size > 0 for p in figures["report_png"])
