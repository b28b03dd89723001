"""Run the Alembic migrations programmatically (used by `shnor db upgrade`, the bot and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from storage.db import ensure_sqlite_file

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking: call from a thread when an event loop is running (asyncio.to_thread)."""
    ensure_sqlite_file(database_url)
    command.upgrade(alembic_config(database_url), revision)


