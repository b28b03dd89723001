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
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst)
    except sqlite3.Error as exc:
        raise BackupError(f"{source}: скопировать в {target} не удалось ({exc}).") from exc


def backup(url: str, target: Path) -> int:
    """Copy the live database to `target` (created 0600, its folder 0700 when new: storage.files);
    returns its size in bytes. A copy that fails its check is removed."""
    from storage.files import create_private

    source = _path(url)
    if not source.exists():
        raise BackupError(f"{source}: базы ещё нет.")
    if target.exists() or not create_private(target):
        raise BackupError(f"{target} уже существует: выберите другое имя.")
    try:
        _copy(source, target)
        _check(target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the live database with a backup. Stop the bot first."""
    from storage.files import create_private

    target = _path(url)
    if not source.exists():
        raise BackupError(f"{source}: файла нет.")
    _check(source)
    create_private(target)  # when there is no live database yet
    _copy(source, target)
