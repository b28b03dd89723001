"""The migrations make exactly the schema of the models, and every one of them can be undone and done again:
a database of any earlier release upgrades to what the code expects."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.migrate import alembic_config, upgrade
from storage.models import Base


def _differences(path: Path) -> list:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_the_migrations_make_the_schema_of_the_models(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    assert _differences(path) == []


def test_every_migration_is_undone_and_done_again(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    command.downgrade(alembic_config(url), "base")
    upgrade(url)
    assert _differences(path) == []
