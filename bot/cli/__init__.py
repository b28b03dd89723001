"""`shnor` — the admin command line (also `python -m bot`). Run `shnor --help`."""

from __future__ import annotations

import sys

from pydantic import ValidationError

from bot.cli.common import CliError
from bot.cli.documents import cmd_run
from bot.cli.parser import build_parser
from bot.config import Settings
from bot.logs import setup_logging


def main(argv: list[str] | None = None) -> int:
    from monitoring.calendar import CalendarError
    from monitoring.schedule import ScheduleError
    from scoring.errors import ScoringError
    from storage.backup import BackupError
    from storage.importers import ImportFailed
    from storage.registry import RegistryError
    from storage.workbook import WorkbookError
    from surveys.errors import ServiceError
    from surveys.loader import DefinitionError

    args = build_parser().parse_args(argv)
    func = getattr(args, "func", cmd_run)  # plain `shnor` runs the bot
    try:
        settings = Settings()
    except ValidationError as exc:
        print(settings_errors(exc), file=sys.stderr)
        return 2
    setup_logging(settings)
    try:
        func(settings, args)
    except (CliError, RegistryError, ServiceError, DefinitionError, ImportFailed, WorkbookError, ScoringError, ScheduleError,
            BackupError, CalendarError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 1
    return 0


def settings_errors(exc: ValidationError) -> str:
    """What is wrong in .env or the environment, one Russian line a setting (never the value: it may be a secret)."""
    lines = []
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"]).upper() or "?"
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"Ошибка в настройке {name}: {message}")
    return "\n".join(lines)
