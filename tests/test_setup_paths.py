"""One database whichever folder `shnor` is run from, and a clear refusal instead of a new empty one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from bot import cli
from bot.config import (
    DEFAULT_DATABASE_URL,
    Settings,
    locate_settings,
    resolve_sqlite_url,
)
from storage.db import describe_database

ROOT = Path(__file__).parents[1]
PACKAGES = ("bot", "storage", "scoring", "surveys")


def _env(**extra: str) -> dict[str, str]:
    """The environment of a fresh terminal: no DATABASE_URL, no SHNOR_ENV_FILE (the fixture's empty .env)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SHNOR_ENV_FILE"}}
    env.update({"BOT_USERNAME": "shnor_test_bot", "BOT_TOKEN": "", "LOG_LEVEL": "WARNING", **extra})
    return env


def _run(cwd: Path, *args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert (result.returncode == 0) == ok, result.stderr or result.stdout
    return result


def _workbook(path: Path, *rows: list[object]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the source checkout (its packages and pyproject.toml) with its own .env, as a new
    coordinator has it after `git clone` and `cp .env.example .env`."""
    root = tmp_path / "shnor-monitor"
    root.mkdir()
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    return root


@pytest.mark.slow
def test_the_checkouts_env_and_database_from_any_folder(checkout: Path, tmp_path: Path) -> None:
    env = _env(PYTHONPATH=str(checkout))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = checkout / "data" / "shnor.sqlite3"  # .env.example's ./data, from the folder of .env

    out = _run(elsewhere, "db", "upgrade", env=env).stdout
    assert f"Создана база данных SQLite: {database}" in out
    assert f"Настройки прочитаны из {checkout / '.env'}." in out
    assert f"База данных SQLite: {database}\n" in _run(checkout / "data", "db", "upgrade", env=env).stdout
    _run(elsewhere, "municipality", "add", "Сысертский ГО", env=env)
    for folder in (checkout, elsewhere, checkout / "data"):
        assert _run(folder, "municipality", "list", env=env).stdout == "1\tСысертский ГО\tAsia/Yekaterinburg\n"
    assert list(elsewhere.iterdir()) == [] and list((checkout / "data").iterdir()) == [database]


@pytest.mark.slow
def test_one_env_file_from_two_folders(tmp_path: Path) -> None:
    """The .env of the current folder, or the one SHNOR_ENV_FILE names; its relative SQLite path
    (the default one here) is taken from its folder, never from the current one."""
    site, other = tmp_path / "site", tmp_path / "other"
    site.mkdir()
    other.mkdir()
    (site / ".env").write_text("DEFAULT_TIMEZONE=Asia/Krasnoyarsk\n", encoding="utf-8")
    env = _env()
    out = _run(site, "municipality", "add", "Саянский район", env=env).stdout
    assert f"Создана база данных SQLite: {site / 'data' / 'shnor.sqlite3'}" in out
    listed = "1\tСаянский район\tAsia/Krasnoyarsk\n"
    assert _run(site, "municipality", "list", env=env).stdout == listed
    assert _run(other, "municipality", "list", env={**env, "SHNOR_ENV_FILE": "../site/.env"}).stdout == listed
    # a relative DATABASE_URL in the environment, too, is the .env folder's
    relative = {**env, "SHNOR_ENV_FILE": str(site / ".env"), "DATABASE_URL": "sqlite+aiosqlite:///data/shnor.sqlite3"}
    assert _run(other, "municipality", "list", env=relative).stdout == listed
    assert list(other.iterdir()) == []


@pytest.mark.slow
def test_a_missing_database_is_refused_not_created(tmp_path: Path) -> None:
    site, other = tmp_path / "site", tmp_path / "other"
    site.mkdir()
    other.mkdir()
    (site / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///./data/shnor.sqlite3\n", encoding="utf-8")
    env = _env(SHNOR_ENV_FILE=str(site / ".env"))
    err = _run(other, "municipality", "list", env=env, ok=False).stderr
    database = site / "data" / "shnor.sqlite3"
    assert err.startswith(f"Ошибка: Базы данных нет: {database}\nНастройки прочитаны из {site / '.env'}.\n")
    assert "Эта команда не создаёт новую пустую базу." in err
    assert "запустите shnor из папки, где лежит её .env" in err and "SHNOR_ENV_FILE" in err and "DATABASE_URL" in err
    assert "  shnor db upgrade\n  shnor municipality add" in err
    assert not (site / "data").exists() and list(other.iterdir()) == []

    # a database where the current folder used to decide: named, not taken silently
    (other / "data").mkdir()
    (other / "data" / "shnor.sqlite3").write_bytes(b"")
    err = _run(other, "municipality", "list", env=env, ok=False).stderr
    assert (f"В текущей папке есть база {other / 'data' / 'shnor.sqlite3'}: если это ваша, впишите в .env "
            f"DATABASE_URL=sqlite+aiosqlite:///{other / 'data' / 'shnor.sqlite3'}") in err
    assert not (site / "data").exists()

    missing = _run(other, "municipality", "list", env={**env, "SHNOR_ENV_FILE": str(site / "nope.env")}, ok=False).stderr
    assert f"SHNOR_ENV_FILE={site / 'nope.env'}, но файла {site / 'nope.env'} нет." in missing


def test_every_command_but_the_creating_ones_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """In-process (quicker): each command that reads the database refuses on a missing SQLite file
    and leaves no file and no folder behind."""
    site = tmp_path / "site"
    site.mkdir()
    (site / ".env").write_text("BOT_USERNAME=shnor_test_bot\n", encoding="utf-8")
    monkeypatch.setenv("SHNOR_ENV_FILE", str(site / ".env"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "setup_logging", lambda settings: None)  # leave pytest's logging alone
    schools = _workbook(tmp_path / "школы.xlsx", ["Название", "Краткое название", "Сельская"], ["МАОУ СОШ № 1", "СОШ 1", "нет"])
    statuses = _workbook(tmp_path / "статусы.xlsx", ["Школа", "ШНРО", "ШНСУ", "Зона риска"], ["СОШ 1", "да", "нет", "нет"])
    refused = [
        ["municipality", "list"],
        ["schools", "list", "--municipality", "1"],
        ["schools", "import", "--municipality", "1", str(schools)],
        ["campaign", "list", "--municipality", "1"],
        ["campaign", "open", "--municipality", "1", "--pack", "teacher", "--period", "2026-2027", "--deadline", "2099-01-01"],
        ["campaign", "close", "--municipality", "1", "--id", "1"],
        ["invites", "--municipality", "1", "--role", "coordinator"],
        ["import", "statuses", "--municipality", "1", "--period", "2026-2027", str(statuses)],
        ["identify", "--municipality", "1", "--period", "2026-2027"],
        ["summary", "--municipality", "1", "--out", str(tmp_path / "r.xlsx")],
        ["export", "--municipality", "1", "--out", str(tmp_path / "a.xlsx")],
        ["backup", str(tmp_path / "copy.sqlite3")],
        ["person", "delete", "--tg-user-id", "1"],
    ]
    capsys.readouterr()
    for argv in refused:
        assert cli.main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith(f"Ошибка: Базы данных нет: {site / 'data' / 'shnor.sqlite3'}\n"), (argv, err)
    assert not (site / "data").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "статусы.xlsx", "школы.xlsx"]

    assert cli.main(["survey", "validate", str(ROOT / "surveys" / "packs" / "teacher.yaml")]) == 0
    assert not (site / "data").exists()
    assert cli.main(["municipality", "add", "Первый ГО"]) == 0  # this one may create it
    assert f"Создана база данных SQLite: {site / 'data' / 'shnor.sqlite3'}" in capsys.readouterr().out
    assert cli.main(["schools", "import", "--municipality", "1", str(schools)]) == 0


def test_locating_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, cwd, xdg = tmp_path / "root", tmp_path / "cwd", tmp_path / "xdg"
    root.mkdir()
    cwd.mkdir()
    monkeypatch.delenv("SHNOR_ENV_FILE", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg))
    monkeypatch.setattr("bot.config.source_root", lambda: root)
    monkeypatch.chdir(cwd)

    nothing = locate_settings()  # no .env anywhere: the checkout
    assert nothing.env_file is None and nothing.base_dir == root and nothing.searched == (cwd / ".env", root / ".env")
    assert Settings().database_url == f"sqlite+aiosqlite:///{root / 'data' / 'shnor.sqlite3'}"
    (root / ".env").write_text("INVITE_DAYS=5\n", encoding="utf-8")
    assert locate_settings().env_file == root / ".env" and Settings().invite_days == 5
    (cwd / ".env").write_text("INVITE_DAYS=7\nDATABASE_URL=sqlite+aiosqlite:///../db/x.sqlite3\n", encoding="utf-8")
    settings = Settings()  # the current folder's .env comes first
    assert settings.invite_days == 7 and settings.location.base_dir == cwd
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'db' / 'x.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///y.sqlite3")  # the environment wins, resolved the same way
    assert Settings().database_url == f"sqlite+aiosqlite:///{cwd / 'y.sqlite3'}"

    (cwd / ".env").unlink()
    (root / ".env").unlink()
    monkeypatch.setattr("bot.config.source_root", lambda: None)  # an installed package: the user's data folder
    monkeypatch.delenv("DATABASE_URL")
    assert Settings().database_url == f"sqlite+aiosqlite:///{xdg / 'shnor' / 'data' / 'shnor.sqlite3'}"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert locate_settings().base_dir == tmp_path / "home" / ".local" / "share" / "shnor"


def test_urls_other_than_a_relative_sqlite_file_stay_as_they_are(tmp_path: Path) -> None:
    for url in ("postgresql+asyncpg://shnor:pw@127.0.0.1/shnor", "sqlite+aiosqlite:///:memory:",
                f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}", "sqlite://"):
        assert resolve_sqlite_url(url, tmp_path / "base") == url
    assert resolve_sqlite_url(DEFAULT_DATABASE_URL, tmp_path) == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'shnor.sqlite3'}"
    assert describe_database("postgresql+asyncpg://shnor:secret-pw@db.example/shnor") == "postgresql+asyncpg://shnor:***@db.example/shnor"
    assert describe_database(f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}") == str(tmp_path / "a.sqlite3")
