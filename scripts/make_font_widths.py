"""Writes scoring/templates/font_widths.json: the advance widths of Times New Roman's characters (regular and
bold, in thousandths of an em), read from Liberation Serif, which has the same metrics.

    python scripts/make_font_widths.py [path to LiberationSerif-Regular.ttf]

scoring/word.py sizes a table's columns from the text in them with these widths, so that no word is broken
inside a cell, whatever fonts the machine that makes the document has. Run again only for new characters.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

OUT = Path(__file__).resolve().parents[1] / "scoring" / "templates" / "font_widths.json"
FONTS = Path("/usr/share/fonts/truetype/liberation2")
CHARS = ("".join(chr(c) for c in range(0x20, 0x7F)) + "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
         + "«»—–№…→−×≥≤±°’“”„\u00a0")


def widths(path: Path) -> dict[str, int]:
    font = TTFont(path)
    scale = 1000 / font["head"].unitsPerEm
    cmap, metrics = font.getBestCmap(), font["hmtx"].metrics
    return {ch: round(metrics[cmap[ord(ch)]][0] * scale) for ch in CHARS if ord(ch) in cmap}


def main() -> None:
    regular = Path(sys.argv[1]) if len(sys.argv) > 1 else FONTS / "LiberationSerif-Regular.ttf"
    bold = regular.with_name(regular.name.replace("Regular", "Bold"))
    OUT.write_text(json.dumps({"regular": widths(regular), "bold": widths(bold)}, ensure_ascii=False, sort_keys=True) + "\n",
                   encoding="utf-8")
    print(f"Ширины символов записаны: {OUT}")


if __name__ == "__main__":
    main()
