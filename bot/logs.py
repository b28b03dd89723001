"""Logging that never prints a secret: the bots' tokens, database and Redis passwords, the webhook secrets."""

from __future__ import annotations

import logging

from sqlalchemy.engine import make_url

from bot.config import Settings

REDACTED = "***"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then blanks every secret (in the message, its arguments and tracebacks)."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        # longest first, so that a secret containing another is blanked whole
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text


def secrets_of(settings: Settings) -> list[str]:
    token = settings.bot_token.get_secret_value().strip() if settings.bot_token else ""
    found = [token, settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""]
    found += [value.get_secret_value().strip() for value in (settings.max_token, settings.max_webhook_secret) if value]
    if ":" in token:
        found.append(token.split(":", 1)[1])  # the secret half alone
    for url in (settings.database_url, settings.redis_url or ""):
        if url:
            password = make_url(url).password if "://" in url else None
            if password:
                found.append(str(password))
    return found


# Libraries that log SQL parameters (names, answers) at DEBUG, or chatter at INFO, stay at WARNING whatever LOG_LEVEL says.
QUIET = ("aiosqlite", "sqlalchemy.engine", "sqlalchemy.pool", "asyncpg", "alembic", "matplotlib", "aiogram.event")


def quiet_libraries() -> None:
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def setup_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper())
    formatter = RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets_of(settings))
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    quiet_libraries()
