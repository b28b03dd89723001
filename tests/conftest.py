"""Shared fixtures: the test's clock, a migrated database per test, the fake Bot APIs and the real bots polling
them. Light to import (the pure tests load it too): the bots and what drives them are in tests/harness.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

if TYPE_CHECKING:
    from tests.fake_max import FakeMax
    from tests.fake_telegram import FakeTelegram
    from tests.harness import BotRunner, MaxRunner, World
    from tests.strict_max import StrictMax

START = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)  # 10:00 in Yekaterinburg



def pytest_runtest_setup(item: pytest.Item) -> None:
    from tests import journey

    journey.STEPS.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failing journey shows what its people did last, so the report says which step broke."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        from tests import journey

        if journey.STEPS:
            report.sections.append(("journey: the last steps before the failure", "\n".join(journey.STEPS[-15:])))
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:  # the summary line names the step too: «FAILED test - [после: ...] assert ...»
                crash.message = f"[после: {journey.STEPS[-1]}] {crash.message}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs the command line as a process is slow (`pytest -m "not slow"` skips them)."""
    for item in items:
        if "shnor" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


class Clock:
    """A controllable clock handed to the dispatcher (and later the scheduler)."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += dt.timedelta(**kwargs)


# With TEST_DATABASE_URL (postgresql+asyncpg://user@host:port/postgres) the whole suite runs on
# PostgreSQL: one migrated template database, and a fresh copy of it for every test.
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# With TEST_REDIS_URL the bots under test keep conversations in Redis and share the send rate there.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
PG_TEMPLATE = "shnor_template"


def _pg_dsn(database: str) -> str:
    url = make_url(PG_URL).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def _pg_admin(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn(make_url(PG_URL).database or "postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def _no_developer_env_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The bot reads the .env of the source checkout from any folder (bot.config): the tests, and the
    bots and commands they start, read an empty one instead of a developer's."""
    empty = tmp_path_factory.mktemp("settings") / ".env"
    empty.touch()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SHNOR_ENV_FILE", str(empty))
        yield


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    from storage.migrate import upgrade

    if PG_URL:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}" WITH (FORCE)', f'CREATE DATABASE "{PG_TEMPLATE}"'))
        url = make_url(PG_URL).set(database=PG_TEMPLATE).render_as_string(hide_password=False)
        upgrade(url)
        return PG_TEMPLATE
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


@pytest.fixture
async def database_url(tmp_path: Path, migrated_template: str, _clean_redis: None) -> AsyncIterator[str]:
    if PG_URL:
        name = f"shnor_t{uuid.uuid4().hex[:12]}"
        await _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    path = tmp_path / "shnor.sqlite3"
    shutil.copy(migrated_template, path)
    yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    from storage.db import make_engine

    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine, clock: Clock) -> async_sessionmaker[AsyncSession]:
    from storage.db import make_session_factory

    """Sessions on the test's clock: the rows a test writes are stamped with its time, as the bot's are."""
    return make_session_factory(engine, clock)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def _clean_redis() -> AsyncIterator[None]:
    """Every test with a database starts with an empty Redis too (the PostgreSQL-and-Redis pass of .ci/run)."""
    if REDIS_URL:
        from redis.asyncio import Redis

        redis = Redis.from_url(REDIS_URL)
        await redis.flushdb()
        await redis.aclose()
    yield


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    from tests.fake_telegram import FakeTelegram

    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()



@pytest.fixture
async def runner(api: FakeTelegram, database_url: str, clock: Clock) -> AsyncIterator[BotRunner]:
    from tests.harness import BotRunner

    bot_runner = BotRunner(api, database_url, clock)
    await bot_runner.start()
    yield bot_runner
    await bot_runner.stop()



@pytest.fixture
async def world(session_factory: async_sessionmaker[AsyncSession], clock: Clock) -> World:
    from tests.harness import build_world

    return await build_world(session_factory, clock.now)



def free_port() -> int:
    """A loopback port nothing listens on (until someone binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def shnor(tmp_path: Path, database_url: str):
    """The admin command line as a real process (`python -m bot ...`) on the test's database."""
    env = {**os.environ, "DATABASE_URL": database_url, "BOT_USERNAME": "shnor_test_bot", "BOT_TOKEN": "", "LOG_LEVEL": "WARNING"}

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        if ok:
            assert result.returncode == 0, result.stderr
        else:
            assert result.returncode != 0, result.stdout
        return result

    return run



@pytest.fixture
async def max_api() -> AsyncIterator[StrictMax]:
    """The strict fake MAX (tests/strict_max.py): every request the bot makes must validate against MAX's schema.
    Its rate limits are lifted (tests press faster than people; tests/test_fake_max_strict.py holds them)."""
    from tests.strict_max import StrictMax

    fake = StrictMax("max-test-token", 777_000, "shnor_max_bot", requests_per_second=100_000, answers_per_second=100_000)
    await fake.start()
    yield fake
    await fake.stop()
    assert fake.violations == [], f"requests MAX's schema refuses: {fake.violations[:3]}"


@pytest.fixture
async def friendly_max_api() -> AsyncIterator[FakeMax]:
    """The friendly fake MAX (tests/fake_max.py), for what MAX's documents are silent on: a connection dropped
    after the request went out, MAX's HTML checked as Telegram checks it."""
    from tests.fake_max import FakeMax

    fake = FakeMax()
    await fake.start()
    yield fake
    await fake.stop()



@pytest.fixture
async def max_runner(request: pytest.FixtureRequest, max_api: FakeMax, database_url: str, clock: Clock) -> AsyncIterator[MaxRunner]:
    """MAX's bot by long polling; `@pytest.mark.parametrize("max_runner", ["polling", "webhook"], indirect=True)`
    runs a test in both modes."""
    from tests.harness import MaxRunner

    bot_runner = MaxRunner(max_api, database_url, clock, mode=getattr(request, "param", "polling"))
    await bot_runner.start()
    yield bot_runner
    await bot_runner.stop()
