"""`shnor` — the admin command line (also `python -m bot`). Run `shnor --help`."""

from __future__ import annotations

import sys

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
    settings = Settings()
    setup_logging(settings)
    try:
        func(settings, args)
    except (CliError, RegistryError, ServiceError, DefinitionError, ImportFailed, WorkbookError, ScoringError, ScheduleError,
            BackupError, CalendarError) as exc:
        print(f"Ошибка: {exc}", file=sys.stderr)
        return 1
    return 0
