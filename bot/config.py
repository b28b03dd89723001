"""Settings from the environment or .env (see .env.example for every one of them).

One `.env` and one database whichever folder `shnor` is run from. The `.env` read is the file
SHNOR_ENV_FILE names, else `.env` in the current folder, else `.env` in the source checkout the
bot runs from. A relative SQLite path in DATABASE_URL (the default `data/shnor.sqlite3`
included) is resolved once, against that file's folder — never against the current folder.
Without any `.env` the base folder is the source checkout, or, for an installed package, the
user's data folder (~/.local/share/shnor, or $XDG_DATA_HOME/shnor).
"""

from __future__ import annotations

import hmac
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ENV_FILE_VARIABLE = "SHNOR_ENV_FILE"
# Relative on purpose: resolved against the settings' base folder (see resolve_sqlite_url).
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/shnor.sqlite3"
# The webhook secrets each messenger accepts: Telegram's secret_token (setWebhook), MAX's `secret` (POST /subscriptions).
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_SECRET = re.compile(r"[a-zA-Z0-9_-]{5,256}")
SECRET_RULES = {
    "webhook_secret": (TELEGRAM_SECRET, "WEBHOOK_SECRET", "от 1 до 256 символов"),
    "max_webhook_secret": (MAX_SECRET, "MAX_WEBHOOK_SECRET", "от 5 до 256 символов"),
}


def secret_rule(name: str) -> str:
    """The form of a channel's webhook secret, in Russian."""
    _, variable, length = SECRET_RULES[name]
    return f"{variable} — {length} из латинских букв A-Z и a-z, цифр 0-9, «_» и «-»"


def same_secret(given: str | None, secret: str | None) -> bool:
    """The header against the secret in constant time (hmac.compare_digest on bytes: any header, ASCII or not, is
    compared, never raises). No secret configured: every request passes (`shnor run` never starts a webhook so)."""
    if not secret:
        return True
    return hmac.compare_digest((given or "").encode("utf-8", "surrogateescape"), secret.encode("utf-8"))


def source_root() -> Path | None:
    """The source checkout the `bot` package runs from (the folder with pyproject.toml), if it is one."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() else None


def user_data_dir() -> Path:
    """~/.local/share/shnor, or $XDG_DATA_HOME/shnor (the XDG spec ignores a relative XDG_DATA_HOME)."""
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "shnor"


@dataclass(frozen=True, slots=True)
class SettingsLocation:
    """Which .env the settings come from and the folder relative SQLite paths are resolved against."""

    env_file: Path | None  # None: no .env anywhere, settings come from the environment alone
    base_dir: Path
    searched: tuple[Path, ...]  # where a .env was looked for, for messages

    def describe(self) -> str:
        """One Russian sentence for messages: where the settings were read from."""
        if self.env_file is not None:
            return f"Настройки прочитаны из {self.env_file}."
        where = " и ".join(str(p) for p in self.searched)
        return f"Файла .env нет (искали {where}): настройки из окружения, относительный путь к базе — от папки {self.base_dir}."


class SettingsFileError(SystemExit):
    """SHNOR_ENV_FILE names a file that is not there (the message is Russian)."""


def locate_settings(cwd: Path | None = None) -> SettingsLocation:
    cwd = Path(os.path.abspath(cwd or Path.cwd()))
    explicit = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    if explicit:
        path = Path(os.path.abspath(cwd / Path(explicit).expanduser()))
        if not path.is_file():
            raise SettingsFileError(f"Ошибка: {ENV_FILE_VARIABLE}={explicit}, но файла {path} нет.")
        return SettingsLocation(path, path.parent, (path,))
    root = source_root()
    searched = tuple(dict.fromkeys([cwd / ".env", *([root / ".env"] if root else [])]))
    for candidate in searched:
        if candidate.is_file():
            return SettingsLocation(candidate, candidate.parent, searched)
    return SettingsLocation(None, root or user_data_dir(), searched)


def resolve_sqlite_url(url: str, base_dir: Path) -> str:
    """A SQLite URL with its relative (or ~) file path made absolute against `base_dir`; any other URL as it is."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # the engine will say what is wrong with it
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return url
    path = Path(database).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    resolved = os.path.normpath(path)
    if resolved == database:
        return url
    return parsed.set(database=resolved).render_as_string(hide_password=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base: str | None = None
    bot_username: str | None = None
    default_timezone: str = "Asia/Yekaterinburg"
    invite_days: int = Field(default=30, ge=1, le=366)
    tasks_concurrency_limit: int = Field(default=50, ge=1, le=1000)
    polling_timeout: int = Field(default=30, ge=0, le=60)
    log_level: str = "INFO"
    methodology_file: str | None = None
    calendar_file: str | None = None  # the monitoring calendar (monitoring/calendar.yaml by default)
    import_max_mb: float = Field(default=10, gt=0, le=1024)  # the largest workbook shnor reads (storage.workbook)
    send_rate: float = Field(default=30, gt=0, le=1000)
    reminder_interval: int = Field(default=30, ge=1, le=3600)
    leader_check_interval: float = Field(default=15, gt=0, le=60)
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_path: str = "/telegram"
    webhook_host: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # MAX beside Telegram: a token of a bot created on MAX's business platform (business.max.ru)
    max_token: SecretStr | None = None
    max_api_base: str | None = None  # tests and self-hosted proxies; default: MAX's documented host
    max_bot_username: str | None = None
    max_send_rate: float = Field(default=25, gt=0, le=1000)  # MAX allows about 30 requests/s per bot
    max_webhook_url: str | None = None  # https://.../max on port 443 (MAX's rule); long polling without it
    max_webhook_secret: SecretStr | None = None
    max_webhook_path: str = "/max"
    max_polling_drop_webhook: bool = False  # long polling removes a webhook subscription left at MAX (it silences polling)
    max_webhook_port: int = Field(default=8081, ge=1, le=65535)
    # the dashboard (bot.webapp): its public https address; empty: no dashboard, no buttons
    webapp_url: str | None = None
    webapp_path: str = Field(default="/app", pattern=r"^/[A-Za-z0-9_\-/]*[A-Za-z0-9_\-]$")
    webapp_port: int = Field(default=8083, ge=1, le=65535)  # its own port when no webhook server runs
    webapp_max_age: int = Field(default=3600, ge=60, le=86400)  # seconds launch data is accepted (bot.webapp.initdata)
    webapp_stale_seconds: int = Field(default=600, ge=0, le=86400)  # a summary shown while a newer one builds (scoring.dashboard)

    _location: SettingsLocation = PrivateAttr()

    @field_validator("webhook_secret", "max_webhook_secret")
    @classmethod
    def _secret_of_its_form(cls, value: SecretStr | None, info: Any) -> SecretStr | None:
        """A secret the messenger would refuse at setWebhook / POST /subscriptions is refused here, in Russian.
        An empty value is no secret (`webhook_problems` refuses a webhook without one)."""
        if value is None or not value.get_secret_value():
            return None
        pattern = SECRET_RULES[info.field_name][0]
        if not pattern.fullmatch(value.get_secret_value()):
            raise ValueError(f"секрет такого вида мессенджер не примет: нужно {secret_rule(info.field_name)}")
        return value

    def __init__(self, **values: Any) -> None:
        location = locate_settings()
        values.setdefault("_env_file", location.env_file)
        super().__init__(**values)
        self._location = location
        self.database_url = resolve_sqlite_url(self.database_url, location.base_dir)

    @property
    def location(self) -> SettingsLocation:
        return self._location

    def stray_database(self) -> Path | None:
        """data/shnor.sqlite3 of the current folder when the settings point elsewhere and nothing is there yet:
        where the database was kept when the path was taken from the current folder."""
        from storage.db import sqlite_file

        target = sqlite_file(self.database_url)
        stray = Path.cwd() / "data" / "shnor.sqlite3"
        if target is None or target.exists() or not stray.is_file() or stray.resolve() == target.resolve():
            return None
        return stray

    def workbook_limits(self):
        from storage.workbook import Limits

        return Limits.megabytes(self.import_max_mb)

    def methodology(self):
        from scoring.methodology import load_methodology

        return load_methodology(self.methodology_file or None)

    def calendar(self):
        from monitoring.calendar import load_calendar

        return load_calendar(self.calendar_file or None)

    def channels(self) -> list[str]:
        """The channels this installation runs: those whose token is set."""
        out = []
        if self.bot_token is not None and self.bot_token.get_secret_value().strip():
            out.append("telegram")
        if self.max_token is not None and self.max_token.get_secret_value().strip():
            out.append("max")
        return out

    def webhook_problems(self) -> list[str]:
        """Why `shnor run` must not start a channel's webhook (in Russian): a webhook without a secret accepts
        anyone's updates (a forged /summary from a coordinator's id, say)."""
        channels = self.channels()
        problems = []
        for channel, url, secret, name in (("telegram", self.webhook_url, self.webhook_secret, "webhook_secret"),
                                           ("max", self.max_webhook_url, self.max_webhook_secret, "max_webhook_secret")):
            if channel in channels and url and (secret is None or not secret.get_secret_value()):
                which = "Telegram" if channel == "telegram" else "MAX"
                variable = "WEBHOOK_URL" if channel == "telegram" else "MAX_WEBHOOK_URL"
                problems.append(f"Webhook {which} ({variable}) не запускается без секрета: без него обновления примет "
                                f"любой, кто знает адрес. Задайте {secret_rule(name)} (например, "
                                f"python3 -c 'import secrets; print(secrets.token_urlsafe(32))').")
        return problems

    def max_bot_token(self) -> str:
        if self.max_token is None or not self.max_token.get_secret_value().strip():
            raise SystemExit("Не задан MAX_TOKEN: токен бота MAX выдаёт платформа для партнёров (business.max.ru), "
                             "раздел «Чат-боты»; впишите его в .env или в переменную окружения MAX_TOKEN.")
        return self.max_token.get_secret_value().strip()

    def token(self) -> str:
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise SystemExit(
                "Не задан BOT_TOKEN: получите токен у @BotFather и впишите его в .env "
                "(образец в .env.example) или в переменную окружения BOT_TOKEN."
            )
        return self.bot_token.get_secret_value().strip()
