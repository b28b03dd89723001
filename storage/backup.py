"""Backup and restore of the embedded SQLite database (PostgreSQL has pg_dump and pg_restore).

SQLite's online backup API copies a consistent snapshot while the bot keeps running; a restore
checks the file first (a SQLite database of this schema that passes integrity_check) and then
copies it over the live one page by page, so the live file is never left half-written.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import is_sqlite


class BackupError(Exception):
    pass


PG_HINT = (
    "Для PostgreSQL используйте его собственные средства: "
    "pg_dump -Fc -d <база> -f shnor.dump и pg_restore --clean -d <база> shnor.dump (см. README)."
)


def _path(url: str) -> Path:
    if not is_sqlite(url):
        raise BackupError(PG_HINT)
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("База в памяти: копировать нечего.")
    return Path(database)


def _check(path: Path) -> None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path}: файл повреждён (integrity_check).")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: это не база SQLite ({exc}).") from exc
    if not {"alembic_version", "person", "answer"} <= tables:
        raise BackupError(f"{path}: это не база ШНОР-монитора.")


def _copy(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def backup(url: str, target: Path) -> int:
    """Copy the live database to `target`; returns its size in bytes."""
    source = _path(url)
    if not source.exists():
        raise BackupError(f"{source}: базы ещё нет.")
    if target.exists():
        raise BackupError(f"{target} уже существует: выберите другое имя.")
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
    _check(target)
    return target.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the live database with a backup. Stop the bot first."""
    target = _path(url)
    if not source.exists():
        raise BackupError(f"{source}: файла нет.")
    _check(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, target)
