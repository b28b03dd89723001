"""No secret in the logs: the formatter blanks the token and the passwords wherever they appear."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.logs import RedactingFormatter, secrets_of

TOKEN = "123456789:AAHsecretPartOfTheTokenThatMustNotLeak"


def test_formatter_blanks_secrets_in_messages_arguments_and_tracebacks():
    settings = Settings(bot_token=TOKEN, database_url="postgresql+asyncpg://shnor:db-pass-42@db/shnor",
                        redis_url="redis://:redis-pass-42@cache:6379/0", webhook_secret="webhook-secret-42")
    formatter = RedactingFormatter("%(message)s", secrets_of(settings))
    try:
        raise RuntimeError(f"POST http://127.0.0.1:8081/bot{TOKEN}/getMe failed")  # a URL carrying the token
    except RuntimeError as exc:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "token %s, db %s", (TOKEN, settings.database_url),
                                   (type(exc), exc, exc.__traceback__))
    text = formatter.format(record)
    for secret in ("AAHsecretPartOfTheToken", "db-pass-42", "redis-pass-42"):
        assert secret not in text
    assert "***" in text and "getMe failed" in text
