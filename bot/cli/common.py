"""What every command shares: the database it works on (one transaction a command), the clock, errors."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import ENV_FILE_VARIABLE, Settings
from storage.clock import system_clock
from storage.db import make_engine, make_session_factory, sqlite_file
from storage.migrate import upgrade
from storage.models import Role

log = logging.getLogger("shnor")


ROLE_CHOICES = [r.value for r in Role if r != Role.ADMIN]
DEFAULT_MAX_USES = {"teacher": 300, "deputy": 3, "coordinator": 5}


clock = system_clock  # the clock of a command: the process's (tests put their own here)


class CliError(Exception):
    pass


def missing_database(settings: Settings) -> Path | None:
    """The SQLite file the settings point at when it is not there yet; None when it is (or for PostgreSQL)."""
    path = sqlite_file(settings.database_url)
    return path if path is not None and not path.exists() else None


def require_database(settings: Settings) -> None:
    """Refuse, before anything is created, to work on a SQLite database that does not exist: a command
    run from the wrong folder would otherwise find an empty new database and report nonsense."""
    path = missing_database(settings)
    if path is None:
        return
    raise CliError(
        f"Базы данных нет: {path.absolute()}\n"
        f"{settings.location.describe()}\n"
        "Эта команда не создаёт новую пустую базу. Если база уже есть, запустите shnor из папки, где лежит её .env, "
        f"или укажите путь к этому .env в переменной {ENV_FILE_VARIABLE}, или путь к базе в DATABASE_URL. "
        "Если это первый запуск, сначала создайте базу и муниципалитет:\n"
        "  shnor db upgrade\n"
        "  shnor municipality add \"Название\" --tz Asia/Yekaterinburg"
        + stray_hint(settings)
    )


def stray_hint(settings: Settings) -> str:
    stray = settings.stray_database()
    if stray is None:
        return ""
    return (f"\nВ текущей папке есть база {stray.absolute()}: если это ваша, впишите в .env "
            f"DATABASE_URL=sqlite+aiosqlite:///{stray.absolute()} (или перенесите файл по пути выше).")


async def with_session(
    settings: Settings, action: Callable[[AsyncSession], Awaitable[Any]], *, create: bool = False
) -> Any:
    """Run `action` in one transaction on the (migrated) database; only with `create` may a new SQLite file appear."""
    if not create:
        require_database(settings)
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_session_factory(engine, clock).begin() as session:
            return await action(session)
    finally:
        await engine.dispose()


@contextmanager
def importing(file: str) -> Iterator[None]:
    """A refusal of the file's rows found against the database names the file too, as the readers' do."""
    from storage.importers import ImportFailed

    try:
        yield
    except ImportFailed as exc:
        raise exc.named(file) from None
