"""Dependencies (issue 21, items 4 and 6): no webhook without a secret of its channel's form; `shnor run` checks the
database, Redis, Telegram and MAX at start and names, in one Russian line each, what it cannot reach; a database or
Redis lost mid-run is named once, nothing is answered «Что-то пошло не так» or marked done meanwhile, and the
updates are handled once it is back (on PostgreSQL: the bot's connections cut by a proxy for seconds)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import PG_URL, REDIS_URL, free_port

ROOT = Path(__file__).parents[1]


def _run_env(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "MAX_", "WEBHOOK_", "REDIS_", "TELEGRAM_"))}
    empty = tmp_path / "empty.env"
    empty.touch()
    env.update({"SHNOR_ENV_FILE": str(empty), "LOG_LEVEL": "INFO",
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}", **values})
    return env


def _shnor_run(tmp_path: Path, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "run"], env=_run_env(tmp_path, **values), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


# --- item 4: webhooks only with a secret ----------------------------------------------------------------


def test_settings_refuse_secrets_the_messengers_refuse() -> None:
    from pydantic import ValidationError

    from bot.config import Settings

    for bad in ("my secret!", "пароль", "x" * 257):
        with pytest.raises(ValidationError):
            Settings(webhook_url="https://bot.example/telegram", webhook_secret=bad)
    with pytest.raises(ValidationError):
        Settings(max_webhook_url="https://bot.example/max", max_webhook_secret="abcd")  # MAX: 5 at least
    assert Settings(webhook_secret="a").webhook_secret is not None  # Telegram: 1 is enough
    assert Settings(max_webhook_secret="Ab-_9" * 51).max_webhook_secret is not None


def test_a_webhook_without_a_secret_is_refused_in_russian() -> None:
    from bot.config import Settings

    both = Settings(bot_token="1:a", max_token="m", webhook_url="https://b.example/t", max_webhook_url="https://b.example/m")
    problems = both.webhook_problems()
    assert len(problems) == 2
    assert "Webhook Telegram (WEBHOOK_URL) не запускается без секрета" in problems[0] and "WEBHOOK_SECRET" in problems[0]
    assert "Webhook MAX (MAX_WEBHOOK_URL)" in problems[1] and "от 5 до 256" in problems[1]
    assert Settings(bot_token="1:a", webhook_url="https://b.example/t", webhook_secret="s").webhook_problems() == []
    assert Settings(bot_token="1:a").webhook_problems() == []  # long polling needs none


def test_secrets_are_compared_in_constant_time_whatever_the_header() -> None:
    from bot.config import same_secret

    assert same_secret("s3cret-value", "s3cret-value")
    assert not same_secret("s3cret-valuf", "s3cret-value")
    assert not same_secret(None, "s3cret-value")
    assert not same_secret("сек\udcff", "s3cret-value")  # not ASCII: refused, never a TypeError (a 500)
    with open(ROOT / "bot" / "max" / "webhook.py", encoding="utf-8") as source:
        assert "!= secret" not in source.read()


async def test_both_webhooks_refuse_a_wrong_or_foreign_secret(runner, max_runner) -> None:
    from aiohttp import ClientSession, web

    from bot.max.webhook import webhook_app
    from bot.telegram.webhook import create_webhook_app

    apps = [("/tg", "X-Telegram-Bot-Api-Secret-Token",
             create_webhook_app(runner.dp, runner.bot, runner.dp["inbox"], path="/tg", secret="s3cret")),
            ("/max", "X-Max-Bot-Api-Secret", webhook_app(max_runner.app, path="/max", secret="s3cret-value"))]
    for path, header, app in apps:
        app_runner = web.AppRunner(app)
        await app_runner.setup()
        port = free_port()
        await web.TCPSite(app_runner, "127.0.0.1", port).start()
        try:
            async with ClientSession() as http:
                for value in ("wrong", "s3cret-valu", "сек".encode().decode("latin-1")):
                    async with http.post(f"http://127.0.0.1:{port}{path}", json={"update_id": 1}, headers={header: value}) as r:
                        assert r.status in (401, 403), (path, value, r.status)
        finally:
            await app_runner.cleanup()


@pytest.mark.slow
def test_run_refuses_a_webhook_without_a_secret_or_with_a_bad_one(tmp_path: Path) -> None:
    port = free_port()
    result = _shnor_run(tmp_path, BOT_TOKEN="1:abcdefgh", TELEGRAM_API_BASE=f"http://127.0.0.1:{port}",
                        WEBHOOK_URL="https://bot.example/telegram")
    assert result.returncode == 1
    assert "Webhook Telegram (WEBHOOK_URL) не запускается без секрета" in result.stderr
    assert "Traceback" not in result.stderr
    result = _shnor_run(tmp_path, MAX_TOKEN="max-token-1", MAX_WEBHOOK_URL="https://bot.example/max",
                        MAX_WEBHOOK_SECRET="bad secret!")
    assert result.returncode == 2
    assert "Ошибка в настройке MAX_WEBHOOK_SECRET" in result.stderr and "от 5 до 256" in result.stderr
    assert "bad secret!" not in result.stderr and "Traceback" not in result.stderr


# --- item 6: every configured dependency checked at start -------------------------------------------------


@pytest.mark.slow
def test_run_names_each_dependency_it_cannot_reach(tmp_path: Path) -> None:
    """PostgreSQL, Redis, Telegram and MAX on loopback ports where nothing listens: one line each, exit code 1."""
    dead = free_port()
    result = _shnor_run(tmp_path, DATABASE_URL=f"postgresql+asyncpg://shnor:pw-12345@127.0.0.1:{dead}/shnor",
                        REDIS_URL=f"redis://127.0.0.1:{dead}/0", BOT_TOKEN="123:TOKEN-SECRET-PART",
                        TELEGRAM_API_BASE=f"http://127.0.0.1:{dead}", MAX_TOKEN="max-token-secret",
                        MAX_API_BASE=f"http://127.0.0.1:{dead}")
    out = result.stderr
    assert result.returncode == 1, out
    lines = [line for line in out.splitlines() if " ERROR " in line]
    assert any("База данных недоступна (сервер PostgreSQL" in line and str(dead) in line for line in lines), out
    assert any("ERROR shnor: Redis недоступен" in line for line in lines), out
    assert any("Telegram Bot API недоступен" in line for line in lines), out
    assert any("MAX API недоступен" in line for line in lines), out
    assert "Бот не запущен" in out
    assert "Traceback" not in out
    for secret in ("pw-12345", "TOKEN-SECRET-PART", "max-token-secret"):
        assert secret not in out


async def test_startup_checks_pass_on_what_answers_and_name_what_does_not(api, database_url, caplog) -> None:
    from bot.checks import StartupFailed, check_dependencies, check_startup
    from bot.config import Settings

    good = Settings(database_url=database_url, bot_token=api.token, telegram_api_base=api.base_url,
                    redis_url=REDIS_URL or None)
    assert await check_dependencies(good) == []
    dead = free_port()
    bad = Settings(database_url=database_url, bot_token=api.token, telegram_api_base=api.base_url,
                   redis_url=f"redis://127.0.0.1:{dead}/0")
    with caplog.at_level(logging.ERROR, logger="shnor"), pytest.raises(StartupFailed) as stopped:
        await check_startup(bad)
    assert stopped.value.code == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "shnor"]
    assert len([m for m in messages if m.startswith("Redis недоступен")]) == 1
    assert not any("База данных" in m or "Telegram" in m for m in messages)  # what answers is not named


async def test_startup_check_names_an_unusable_sqlite_file(tmp_path: Path) -> None:
    from bot.checks import check_database

    (tmp_path / "not-a-folder").write_text("x")
    problem = await check_database(f"sqlite+aiosqlite:///{tmp_path / 'not-a-folder' / 'db.sqlite3'}")
    assert problem is not None and problem.startswith("База данных недоступна (файл SQLite")


async def test_startup_check_names_a_telegram_token_refused(api) -> None:
    from bot.checks import check_telegram
    from bot.config import Settings

    api.fail("getMe", 401, "Unauthorized")
    problem = await check_telegram(Settings(bot_token=api.token, telegram_api_base=api.base_url))
    assert problem is not None and problem.startswith("Telegram не принимает BOT_TOKEN")


# --- item 6: a dependency lost mid-run --------------------------------------------------------------------


def test_lost_dependencies_are_told_apart() -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import OperationalError

    from storage.outage import DATABASE, REDIS, lost_dependency

    assert lost_dependency(RedisConnectionError("Error 111 connecting")) == REDIS
    unable = OperationalError("SELECT 1", {}, sqlite3.OperationalError("unable to open database file"))
    assert lost_dependency(unable) == DATABASE
    locked = OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    assert lost_dependency(locked) is None  # locked: done again where it happened, not an outage
    assert lost_dependency(ConnectionRefusedError(111, "refused")) is None  # raised by no database code: Telegram's
    assert lost_dependency(ValueError("a bug")) is None


class _Flaky:
    """A dependency of the pipeline that fails as a lost one would while `down` is set."""

    def __init__(self, inner: Any, error: Exception, attribute: str) -> None:
        self.inner, self.error, self.attribute = inner, error, attribute
        self.down = False
        self.failures = 0

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if name != self.attribute:
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            if self.down:
                self.failures += 1
                raise self.error
            return value(*args, **kwargs)

        return call


@pytest.mark.parametrize("lost", ["Redis", "SQLite"])
async def test_a_dependency_lost_mid_run_is_named_once_and_nothing_is_answered_in_error(runner, api, world, lost, caplog):
    """Redis (the conversations' lock) or the database (the person's lookup: SQLite's file unavailable) fails for
    three seconds: one line names it, the person gets no «Что-то пошло не так», the update is not done meanwhile
    and is answered once it is back; one more line says it is back."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from sqlalchemy.exc import OperationalError

    from tests.harness import register

    teacher = await register(runner, 8801, world.invites["teacher:0"])
    pipeline = runner.dp["pipeline"]
    if lost == "Redis":
        flaky = pipeline.isolation = _Flaky(pipeline.isolation, RedisConnectionError("Error 111 connecting to 127.0.0.1:6379"), "lock")
    else:
        error = OperationalError("SELECT person", {}, sqlite3.OperationalError("unable to open database file"))
        flaky = pipeline.services.people = _Flaky(pipeline.services.people, error, "get")
    before = len(teacher.texts)
    flaky.down = True
    with caplog.at_level(logging.INFO):
        update_id = api.message_update(8801, "/whoami")
        await asyncio.sleep(3)
        assert flaky.failures >= 2  # tried again, with backoff
        assert update_id not in runner.handled and len(teacher.texts) == before  # nothing said, not done
        flaky.down = False
        await runner.wait(update_id, timeout=30)
    assert "Вы: Иванова Мария Петровна" in teacher.last
    assert not any("пошло не так" in t for t in teacher.texts)
    said = [r.getMessage() for r in caplog.records if r.name == "shnor.outage"]
    where = "Redis" if lost == "Redis" else "базой данных"
    assert len([m for m in said if m.startswith(f"Нет связи с {where}")]) == 1, said
    assert any(m.startswith(f"Связь с {where} восстановлена") for m in said), said
    assert not [r for r in caplog.records if r.exc_info and r.levelno >= logging.ERROR]


class _Proxy:
    """A loopback TCP proxy in front of PostgreSQL: `cut()` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = free_port()
        self.server: asyncio.AbstractServer | None = None
        self.pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.pipes |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.pipes):
            writer.transport.abort()
        self.pipes.clear()
        await self.server.wait_closed()

    async def stop(self) -> None:
        await self.cut()


@pytest.fixture
async def pg_proxy(database_url: str) -> AsyncIterator[tuple[_Proxy, str]]:
    if not PG_URL:
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL): the bot's connections cut by a proxy")
    url = make_url(database_url)
    proxy = _Proxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    await proxy.stop()


@pytest.mark.slow
async def test_postgresql_lost_for_seconds_mid_run(api, pg_proxy, tmp_path: Path) -> None:
    """`shnor run` on PostgreSQL behind a proxy; every connection cut for 8 s while a person writes: the process
    lives on, the update stays unconfirmed at Telegram, one line names the database, the reply comes once it is back."""
    proxy, url = pg_proxy
    env = _run_env(tmp_path, DATABASE_URL=url, BOT_TOKEN=api.token, TELEGRAM_API_BASE=api.base_url, POLLING_TIMEOUT="1",
                   LEADER_CHECK_INTERVAL="1", **({"REDIS_URL": REDIS_URL} if REDIS_URL else {}))
    log = tmp_path / "bot.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        for _ in range(1200):
            if "polling:" in log.read_text() or proc.poll() is not None:
                break
            await asyncio.sleep(0.05)
        assert proc.poll() is None, log.read_text()
        await proxy.cut()
        update_id = api.message_update(8901, "/help")
        await asyncio.sleep(8)
        assert proc.poll() is None, log.read_text()[-3000:]  # waits, does not exit
        assert any(u["update_id"] == update_id for u in api.updates)  # not confirmed to Telegram
        assert not api.bot_messages(8901)
        await proxy.start()
        for _ in range(600):
            if api.bot_messages(8901):
                break
            await asyncio.sleep(0.05)
        assert api.bot_messages(8901), log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
    text = log.read_text()
    assert text.count("Нет связи с базой данных") == 1, text[-3000:]
    assert "Связь с базой данных восстановлена" in text
    assert "Traceback" not in text, text[-3000:]
