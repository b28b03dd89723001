"""The summary's charts for a 150-school municipality: time and memory of making every album's images.

The data is the demo's (scoring.demo, three periods: the dynamics image is drawn too) at 150 schools
of 15 teachers, generated once into a temporary SQLite file; the summary is built, then the charts are
made three times in a fresh process, each time the model (scoring.charts.albums) and the PNGs
(scoring.charts.images). Memory: the process's peak resident size before the charts (scoring done)
and after them.

    python bench/charts.py
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record

sys.path.insert(0, str(ROOT))

SCHOOLS, TEACHERS, RUNS = 150, 15, 3


async def generate(url: str) -> int:
    from scoring.demo import build_demo
    from storage.clock import system_clock
    from storage.db import make_engine, make_session_factory
    from storage.migrate import upgrade

    await asyncio.to_thread(upgrade, url)
    engine = make_engine(url)
    async with make_session_factory(engine, system_clock)() as session:
        municipality = await build_demo(session, schools=SCHOOLS, teachers_per_school=TEACHERS)
        await session.commit()
        municipality_id = municipality.id
    await engine.dispose()
    return municipality_id


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(url: str, municipality_id: int) -> dict:
    from scoring import charts
    from scoring.service import build_summary
    from storage.clock import system_clock
    from storage.db import make_engine, make_session_factory
    from storage.models import Municipality

    engine = make_engine(url)
    async with make_session_factory(engine, system_clock)() as session:
        summary = await build_summary(session, await session.get(Municipality, municipality_id), now=system_clock())
    await engine.dispose()
    before = _peak_mb()
    models, totals, albums = [], [], []
    for _ in range(RUNS):
        start = time.perf_counter()
        charts.albums(summary)
        models.append(time.perf_counter() - start)
        start = time.perf_counter()
        albums = charts.images(summary)
        totals.append(time.perf_counter() - start)
    photos = [png for _, album in albums for _, png in album]
    return {"schools": len(summary.scores.schools), "albums": [len(album) for _, album in albums],
            "model_s": statistics.median(models), "charts_s": statistics.median(totals), "first_s": totals[0],
            "png_kb": sum(len(p) for p in photos) / 1024, "peak_before_mb": before, "peak_after_mb": _peak_mb()}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "measure":
        print(json.dumps(asyncio.run(measure(sys.argv[2], int(sys.argv[3])))))
        return
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'charts.sqlite3'}"
    municipality_id = asyncio.run(generate(url))
    out = subprocess.run([sys.executable, __file__, "measure", url, str(municipality_id)], capture_output=True, text=True,
                         cwd=ROOT)
    if out.returncode:
        print(out.stderr[-3000:])
        raise SystemExit(out.returncode)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(r, flush=True)
    lines = [
        f"The demo at {r['schools']} schools of {TEACHERS} teachers, three periods (SQLite); the summary built, then the "
        f"charts made {RUNS} times in a fresh process (median; the first run loads matplotlib and its fonts).",
        "",
        "| schools | images per album | model | model + PNGs | first run | PNG size | peak memory before charts | after |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {r['schools']} | {' + '.join(map(str, r['albums']))} | {r['model_s']:.2f} s | {r['charts_s']:.2f} s | "
        f"{r['first_s']:.2f} s | {r['png_kb']:.0f} KB | {r['peak_before_mb']:.0f} MB | {r['peak_after_mb']:.0f} MB |",
    ]
    print("\n".join(lines))
    record("Charts", "\n".join(lines))


if __name__ == "__main__":
    main()
