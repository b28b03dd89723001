"""The database, backups, exports and reports are readable by their owner only: files 0600, new folders 0700."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.backup import backup, restore
from storage.db import make_engine
from storage.files import create_private, make_private_dir, write_private
from storage.migrate import upgrade
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The loosest umask there is: the modes must not depend on it."""
    old = os.umask(0)
    yield
    os.umask(old)


async def test_a_new_sqlite_database_and_its_wal_and_shm_are_private(tmp_path: Path, open_umask):
    database = tmp_path / "new" / "data" / "shnor.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        async with engine.connect() as conn:  # WAL mode: -wal and -shm exist while a connection is open
            await conn.execute(text("SELECT * FROM t"))
            wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
            assert wal.exists() and shm.exists()
            assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    finally:
        await engine.dispose()
    assert mode(database.parent) == 0o700 and mode(database.parent.parent) == 0o700


def test_the_database_made_by_the_migrations_is_private(tmp_path: Path):
    database = tmp_path / "db" / "shnor.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{database}")
    assert mode(database) == 0o600 and mode(database.parent) == 0o700


def test_an_existing_folder_keeps_its_mode_and_the_file_is_still_private(tmp_path: Path, open_umask):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    assert create_private(folder / "shnor.sqlite3") is True
    assert create_private(folder / "shnor.sqlite3") is False  # an existing file is left as it is
    assert mode(folder) == 0o755 and mode(folder / "shnor.sqlite3") == 0o600
    make_private_dir(folder / "a" / "b")
    assert mode(folder / "a") == mode(folder / "a" / "b") == 0o700


def test_a_report_written_over_becomes_private(tmp_path: Path, open_umask):
    report = tmp_path / "report.xlsx"
    report.write_bytes(b"old")
    os.chmod(report, 0o644)
    write_private(report, b"new")
    assert report.read_bytes() == b"new" and mode(report) == 0o600


@pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL is backed up with pg_dump")
def test_backups_and_restored_databases_are_private(database_url: str, tmp_path: Path, open_umask):
    target = tmp_path / "копии" / "shnor-1.sqlite3"
    assert backup(database_url, target) > 0
    assert mode(target) == 0o600 and mode(target.parent) == 0o700
    live = tmp_path / "elsewhere" / "live.sqlite3"
    restore(f"sqlite+aiosqlite:///{live}", target)
    assert mode(live) == 0o600 and mode(live.parent) == 0o700


@pytest.mark.skipif(bool(PG_URL), reason="PostgreSQL is backed up with pg_dump")
def test_a_failed_backup_leaves_no_file(database_url: str, tmp_path: Path):
    from storage.backup import BackupError

    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(BackupError):
        backup(f"sqlite+aiosqlite:///{junk}", tmp_path / "copy.sqlite3")
    assert not (tmp_path / "copy.sqlite3").exists()  # a retry is not refused as «уже существует»


async def test_exports_are_private(session_factory, world, tmp_path: Path, open_umask):
    from scoring.export import export_answers

    out = tmp_path / "выгрузки" / "ответы.xlsx"
    async with session_factory() as session:
        await export_answers(session, world.municipality.id, out)
    assert mode(out) == 0o600 and mode(out.parent) == 0o700
    os.chmod(out, 0o644)
    async with session_factory() as session:
        await export_answers(session, world.municipality.id, out)
    assert mode(out) == 0o600


def test_the_demo_and_its_report_are_private(shnor, tmp_path: Path):
    shnor("demo", "--out", str(tmp_path / "demo"), "--schools", "2", "--teachers", "2")
    folder = tmp_path / "demo"
    assert mode(folder) == 0o700
    for name in ("demo.sqlite3", "demo_report.xlsx", "chart_1.png"):
        assert mode(folder / name) == 0o600, name


@pytest.mark.skipif(bool(PG_URL), reason="the database file of SQLite")
async def test_the_command_line_writes_private_files(shnor, session_factory, world, database_url: str, tmp_path: Path):
    answers = tmp_path / "out" / "ответы.xlsx"
    await asyncio.to_thread(shnor, "export", "--municipality", str(world.municipality.id), "--out", str(answers))
    copy = tmp_path / "copies" / "copy.sqlite3"
    await asyncio.to_thread(shnor, "backup", str(copy))
    assert (mode(answers), mode(answers.parent), mode(copy), mode(copy.parent)) == (0o600, 0o700, 0o600, 0o700)
