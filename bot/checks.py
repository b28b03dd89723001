"""What `shnor run` checks before it starts: every dependency it is configured with answers (the database,
Redis when REDIS_URL is set, Telegram's getMe when BOT_TOKEN is, MAX's GET /me when MAX_TOKEN is), and no webhook
runs without a secret (bot.config.Settings.webhook_problems). Each failure is one Russian line naming the dependency
and what to check; the process then exits with code 1, without a traceback."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from bot.config import Settings

log = logging.getLogger("shnor")
TIMEOUT = 15.0  # seconds a dependency has to answer at start


class StartupFailed(SystemExit):
    """The process cannot start: the reasons were logged, one line each."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError) and not str(exc):
        return f"нет ответа за {TIMEOUT:.0f} с"
    text = " ".join(str(exc).split()).rstrip(".")
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


async def _bounded(call: Awaitable[object]) -> object:
    async with asyncio.timeout(TIMEOUT):
        return await call


async def check_database(url: str) -> str | None:
    from storage.db import describe_database, is_sqlite, make_engine, ping

    engine = None
    try:
        engine = make_engine(url, **({} if is_sqlite(url) else {"pool_size": 1, "max_overflow": 0}))
        await _bounded(ping(engine))
        return None
    except Exception as exc:  # noqa: BLE001 - said in one line
        what = "файл SQLite" if is_sqlite(url) else "сервер PostgreSQL"
        hint = ("проверьте, что папка существует и доступна на запись, а диск не переполнен" if is_sqlite(url) else
                "проверьте, что сервер запущен и принимает подключения, и DATABASE_URL (адрес, порт, база, "
                "пользователь, пароль)")
        return f"База данных недоступна ({what} {describe_database(url)}): {_why(exc)}. Что сделать: {hint}."
    finally:
        if engine is not None:
            await engine.dispose()


async def check_redis(url: str) -> str | None:
    from redis.asyncio import Redis
    from sqlalchemy.engine import make_url

    redis = None
    try:
        redis = Redis.from_url(url, socket_connect_timeout=TIMEOUT, socket_timeout=TIMEOUT)
        await _bounded(redis.ping())
        return None
    except Exception as exc:  # noqa: BLE001 - said in one line
        try:
            where = make_url(url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: only its scheme
            where = url.split("://", 1)[0] + "://…"
        return (f"Redis недоступен ({where}): {_why(exc)}. Что сделать: проверьте, что redis-server запущен и "
                f"доступен по REDIS_URL; без REDIS_URL бот работает одним процессом без Redis.")
    finally:
        if redis is not None:
            await redis.aclose()


async def check_telegram(settings: Settings) -> str | None:
    from aiogram.exceptions import TelegramUnauthorizedError

    from bot.telegram.dispatcher import create_bot

    bot = create_bot(settings.token(), settings.telegram_api_base)
    where = settings.telegram_api_base or "https://api.telegram.org"
    try:
        await _bounded(bot.get_me())
        return None
    except TelegramUnauthorizedError:
        return "Telegram не принимает BOT_TOKEN (401 Unauthorized): проверьте токен у @BotFather (/token)."
    except Exception as exc:  # noqa: BLE001 - said in one line
        return (f"Telegram Bot API недоступен ({where}, getMe): {_why(exc)}. Что сделать: проверьте доступ сервера "
                f"в интернет к api.telegram.org (прокси, брандмауэр, DNS) или TELEGRAM_API_BASE, если задан свой сервер.")
    finally:
        await bot.session.close()


async def check_max(settings: Settings) -> str | None:
    from maxapi.exceptions.max import InvalidToken, MaxApiError

    from bot.max.client import MAX_API_BASE, MaxClient

    client = MaxClient(settings.max_bot_token(), settings.max_api_base, timeout=TIMEOUT)
    where = settings.max_api_base or MAX_API_BASE
    try:
        await _bounded(client.me())
        return None
    except (InvalidToken, MaxApiError) as exc:
        if isinstance(exc, InvalidToken) or getattr(exc, "code", None) in (401, 403):
            return "MAX не принимает MAX_TOKEN (401): проверьте токен на business.max.ru → «Чат-боты» → бот → «Настройки»."
        return f"MAX API отвечает ошибкой ({where}, GET /me): {_why(exc)}. Что сделать: повторите позже."
    except Exception as exc:  # noqa: BLE001 - said in one line
        return (f"MAX API недоступен ({where}, GET /me): {_why(exc)}. Что сделать: проверьте доступ сервера в интернет "
                f"к {where} (прокси, брандмауэр, DNS) или MAX_API_BASE.")
    finally:
        await client.close()


async def check_dependencies(settings: Settings) -> list[str]:
    """Every configured dependency at once; the problems, one Russian line each (none: all answer)."""
    channels = settings.channels()
    checks = [check_database(settings.database_url)]
    if settings.redis_url:
        checks.append(check_redis(settings.redis_url))
    if "telegram" in channels:
        checks.append(check_telegram(settings))
    if "max" in channels:
        checks.append(check_max(settings))
    return [problem for problem in await asyncio.gather(*checks) if problem]


async def check_startup(settings: Settings) -> None:
    """Raise StartupFailed (exit code 1) after logging each reason `shnor run` cannot start."""
    problems = settings.webhook_problems() or await check_dependencies(settings)
    if problems:
        for problem in problems:
            log.error("%s", problem)
        log.error("Бот не запущен: %s.", "устраните причину выше" if len(problems) == 1 else "устраните причины выше")
        raise StartupFailed(1)
