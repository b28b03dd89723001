"""`shnor run` serves the dashboard from its own process: beside the Telegram webhook (the same port, the same reverse
proxy) or, with long polling, on WEBAPP_PORT; launch data signed with the bot's token opens it, any other is refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.webapp.initdata import launch_data
from storage.clock import system_clock
from storage.models import Role
from tests.conftest import free_port
from tests.harness import build_world, register_directly

pytestmark = pytest.mark.slow


async def _up(url: str, proc: subprocess.Popen, log: Path) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            if proc.poll() is not None:
                raise AssertionError(f"the bot stopped: {log.read_text()[-2000:]}")
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"no dashboard at {url}: {log.read_text()[-2000:]}")


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_shnor_run_serves_the_dashboard(api, database_url, session_factory, tmp_path: Path, mode: str) -> None:
    world = await build_world(session_factory, system_clock())
    await register_directly(session_factory, world, 4401, Role.COORDINATOR)
    port = free_port()
    env = {"DATABASE_URL": database_url, "TELEGRAM_API_BASE": api.base_url, "BOT_TOKEN": api.token,
           "WEBAPP_URL": "https://bot.example.invalid/app/", "LOG_LEVEL": "INFO"}
    if mode == "webhook":
        env |= {"WEBHOOK_URL": "https://bot.example.invalid/telegram", "WEBHOOK_SECRET": "webhook-secret_1",
                "WEBHOOK_PORT": str(port)}
    else:
        env |= {"WEBAPP_PORT": str(port)}
    log = tmp_path / "bot.log"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env={**os.environ, **env}, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, cwd=Path(__file__).parents[1])
    try:
        base = f"http://127.0.0.1:{port}/app/"
        await _up(base, proc, log)
        async with aiohttp.ClientSession() as http:
            headers = {"X-Init-Data": launch_data(4401, api.token, system_clock()), "X-Channel": "telegram"}
            async with http.get(base + "api/home", headers=headers) as response:
                assert response.status == 200 and world.municipality.name in await response.text()
            forged = {**headers, "X-Init-Data": launch_data(4401, "1:another-bot", system_clock())}
            async with http.get(base + "api/home", headers=forged) as response:
                assert response.status == 401
            if mode == "webhook":  # the webhook on the same port still answers (and refuses a wrong secret)
                async with http.post(f"http://127.0.0.1:{port}/telegram", json={"update_id": 1}) as response:
                    assert response.status == 401
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
