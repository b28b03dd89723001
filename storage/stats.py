"""Counters of database work, for the benchmarks: statements and commits of the ORM engine and the writer.

`shnor run` with SHNOR_STATS_FILE set writes them to that file every second (bench/answers.py
reads it before and after a measurement); nothing is counted otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

COUNTS: dict[str, int] = {"statements": 0, "commits": 0, "writer_statements": 0, "writer_commits": 0, "writer_units": 0}


def count_engine(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _statement(*_: Any) -> None:
        COUNTS["statements"] += 1

    @event.listens_for(engine.sync_engine, "commit")
    def _commit(*_: Any) -> None:
        COUNTS["commits"] += 1


async def write_periodically(path: str, writer: Any) -> None:
    target = Path(path)
    while True:
        counts = {**COUNTS, "writer_statements": writer.statements, "writer_commits": writer.batches,
                  "writer_units": writer.units}
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(counts))
        os.replace(tmp, target)
        await asyncio.sleep(1)
