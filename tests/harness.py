"""The real bots under test and the people who drive them: BotRunner and MaxRunner poll the fake APIs with
the production wiring; User and MaxUser press and type as a person would; the small world they act in."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.reminders import ReminderRunner
from bot.scale import RedisPause, RedisRateLimiter, fsm_backend
from bot.sender import Sender
from bot.telegram.dispatcher import create_bot, create_dispatcher
from bot.telegram.polling import InboxPoller
from monitoring.campaigns import open_campaign
from storage.db import make_engine, make_session_factory
from storage.models import Campaign, Invite, Municipality, Role, School
from storage.registry import create_invite, create_municipality
from storage.writer import make_writer
from surveys.loader import load_pack
from tests.conftest import REDIS_URL, Clock
from tests.fake_max import FakeMax
from tests.fake_telegram import FakeTelegram
from tests.journey import did
from tests.strict_max import StrictMax


class BotRunner:
    """The production dispatcher polling the fake API; can be stopped and started again."""

    def __init__(self, api: FakeTelegram, database_url: str, clock: Clock, busy_timeout: float = 30.0) -> None:
        self.api = api
        self.database_url = database_url
        self.clock = clock
        self.busy_timeout = busy_timeout
        self.handled: set[int] = set()
        self._changed = asyncio.Condition()
        self.bot: Bot | None = None
        self.dp: Dispatcher | None = None
        self.engine: AsyncEngine | None = None
        self._task: asyncio.Task[None] | None = None

    async def _handled(self, update_id: int) -> None:
        async with self._changed:
            self.handled.add(update_id)
            self._changed.notify_all()

    async def start(self) -> None:
        self.engine = make_engine(self.database_url, busy_timeout=self.busy_timeout)
        self.bot = create_bot(self.api.token, self.api.base_url)
        factory = make_session_factory(self.engine, self.clock)
        if REDIS_URL:
            sender = Sender(rate=200, backoff=0.01, global_limiter=RedisRateLimiter(REDIS_URL, 200), pause=RedisPause(REDIS_URL),
                            probe=self.bot.get_me)
        else:
            sender = Sender(rate=200, backoff=0.01, probe=self.bot.get_me)
        self.reminders = ReminderRunner(self.bot, factory, sender, self.clock, workers=4)
        self.storage, isolation = fsm_backend(REDIS_URL or None, factory)
        self.writer = make_writer(self.database_url, self.engine)
        self.dp = create_dispatcher(factory, writer=self.writer, bot_id=self.bot.id, storage=self.storage,
                                    events_isolation=isolation, clock=self.clock, reminders=self.reminders)
        self.poller = InboxPoller(self.dp, self.bot, self.dp["inbox"], polling_timeout=1, limit=50, on_handled=self._handled)
        self._task = asyncio.create_task(self.poller.run())
        await asyncio.sleep(0)

    async def stop(self) -> None:
        if self._task is None:
            return
        await self.reminders.stop()
        self.poller.stop()
        await asyncio.wait_for(self._task, 10)
        self._task = None
        await self.storage.close()
        await self.writer.close()
        await self.engine.dispose()
        await self.bot.session.close()

    async def wait(self, update_id: int, timeout: float = 10) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: update_id in self.handled), timeout)


@dataclass
class User:
    """A person in the chat with the bot, driven by a test."""

    runner: BotRunner
    id: int
    name: str = "Тест"

    @property
    def api(self) -> FakeTelegram:
        return self.runner.api

    @property
    def who(self) -> str:
        return f"{self.name} (Telegram {self.id})"

    async def send(self, text: str) -> str:
        did(self.who, f"пишет «{text}»")
        await self.runner.wait(self.api.message_update(self.id, text, name=self.name))
        return self.last

    async def send_document(self, file_id: str, file_name: str) -> str:
        did(self.who, f"присылает файл «{file_name}»")
        await self.runner.wait(self.api.document_update(self.id, file_id, file_name, name=self.name))
        return self.last

    async def send_sticker(self) -> str:
        did(self.who, "присылает стикер")
        await self.runner.wait(self.api.sticker_update(self.id, name=self.name))
        return self.last

    async def press(self, button: str, *, exact: bool = False) -> dict[str, Any]:
        """Press the newest button containing `button`; returns the callback answer."""
        did(self.who, f"нажимает «{button}»")
        message, data = self.api.find_button(self.id, button, exact=exact)
        return await self.press_data(message, data)

    async def press_data(self, message: dict[str, Any], data: str) -> dict[str, Any]:
        before = set(self.api.callback_answers)
        await self.runner.wait(self.api.callback_update(self.id, message, data, name=self.name))
        new = [k for k in self.api.callback_answers if k not in before]
        return self.api.callback_answers[new[-1]] if new else {}

    @property
    def last(self) -> str:
        """The message the bot sent or edited last: the question pressed becomes the next one in place."""
        return self.api.current_message(self.id).get("text", "")

    @property
    def texts(self) -> list[str]:
        return [m.get("text", "") for m in self.api.bot_messages(self.id)]

    def buttons(self) -> list[str]:
        markup = self.api.current_message(self.id).get("reply_markup") or {}
        return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


OPERATOR = "Управление образования Администрации Тестовского городского округа"


@dataclass
class World:
    municipality: Municipality
    schools: list[School]
    campaigns: dict[str, Campaign]
    invites: dict[str, Invite]  # "teacher:0", "deputy:0", "coordinator"


async def build_world(session_factory: async_sessionmaker[AsyncSession], now: dt.datetime) -> World:
    async with session_factory() as session:
        municipality = await create_municipality(session, "Тестовский городской округ", "Asia/Yekaterinburg")
        municipality.pd_operator = OPERATOR  # the consent names it: registration is open (storage.privacy)
        schools = [
            School(municipality_id=municipality.id, name="МАОУ СОШ № 1", short_name="СОШ 1", rural=False),
            School(municipality_id=municipality.id, name="МКОУ Ключевская ООШ", short_name="Ключевская ООШ", rural=True),
        ]
        session.add_all(schools)
        await session.flush()
        campaigns = {}
        for pack in ("teacher", "school", "municipality"):
            campaigns[pack] = await open_campaign(
                session,
                municipality=municipality,
                survey=load_pack(pack),
                period="2026-2027",
                opens_at=now - dt.timedelta(hours=1),
                deadline=now + dt.timedelta(days=14),
                now=now,
            )
        invites = {}
        for n, school in enumerate(schools):
            invites[f"teacher:{n}"] = await create_invite(
                session, role=Role.TEACHER, municipality=municipality, school=school, max_uses=100,
                valid_for=dt.timedelta(days=30), now=now,
            )
            invites[f"deputy:{n}"] = await create_invite(
                session, role=Role.DEPUTY, municipality=municipality, school=school, max_uses=2,
                valid_for=dt.timedelta(days=30), now=now,
            )
        invites["coordinator"] = await create_invite(
            session, role=Role.COORDINATOR, municipality=municipality, school=None, max_uses=2,
            valid_for=dt.timedelta(days=30), now=now,
        )
        await session.commit()
        return World(municipality, schools, campaigns, invites)



async def register(runner: BotRunner, user_id: int, invite: Invite, full_name: str = "Иванова Мария Петровна") -> User:
    user = User(runner, user_id, full_name.split()[1])
    await user.send(f"/start {invite.token}")
    await user.press("Согласен", exact=True)
    await user.send(full_name)
    return user


async def register_directly(session_factory, world: World, tg_user_id: int, role: Role = Role.TEACHER, school: int = 0):
    """A registered person without the chat (for tests of what comes after registration)."""
    from storage.models import Person

    async with session_factory() as session:
        person = Person(tg_user_id=tg_user_id, chat_id=tg_user_id, full_name="Тестова Анна Ивановна", role=role,
                        municipality_id=world.municipality.id,
                        school_id=world.schools[school].id if role in (Role.TEACHER, Role.DEPUTY) else None)
        session.add(person)
        await session.commit()
        return person


async def snapshot(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a user's input may change: compared before and after input that must change nothing."""
    import json

    from sqlalchemy import select

    from storage.models import Answer, Person, Response

    async with session_factory() as session:
        def rows(*columns: Any) -> Any:
            return session.execute(select(*columns).order_by(columns[0]))

        return {
            "answers": [(r, q, json.dumps(v, sort_keys=True)) for r, q, v in await rows(Answer.response_id, Answer.question, Answer.value)],
            "responses": list(await rows(Response.id, Response.status, Response.cursor, Response.submitted_at)),
            "campaigns": list(await rows(Campaign.id, Campaign.deadline, Campaign.closed_at)),
            "people": list(await rows(Person.id, Person.tg_user_id, Person.role, Person.municipality_id, Person.school_id)),
            "invites": list(await rows(Invite.id, Invite.uses)),
            "municipalities": list(await rows(Municipality.id, Municipality.coordinators_chat_id)),
        }



class MaxRunner:
    """The production MAX bot (bot.max.app) long-polling the fake MAX API; can be stopped and started again.
    Its `reminders` send the MAX deliveries of the outbox (its own runner, as a process of its own would); with
    `telegram` it is the same process as that Telegram bot: they share who is registered (bot.people)."""

    WEBHOOK_SECRET = "max-webhook-secret_1"

    def __init__(self, api: StrictMax | FakeMax, database_url: str, clock: Clock, *, telegram: BotRunner | None = None,
                 drop_webhook: bool = False, mode: str = "polling") -> None:
        self.api = api
        self.mode = mode  # "polling", or "webhook": MAX posts each update to the bot's webhook (bot.max.webhook)
        self._web: Any = None
        self.database_url = database_url
        self.clock = clock
        self.telegram = telegram
        self.drop_webhook = drop_webhook
        self.handled: set[int] = set()
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    async def _handled(self, key: int) -> None:
        async with self._changed:
            self.handled.add(key)
            self._changed.notify_all()

    async def start(self) -> None:
        from bot.max.app import MaxApp
        from bot.max.client import MaxClient
        from bot.max.outlet import MaxOutlet, max_sender
        from bot.max.polling import MaxPoller
        from bot.max.updates import update_key

        self.update_key = update_key
        self.engine = make_engine(self.database_url)
        factory = make_session_factory(self.engine, self.clock)
        self.client = MaxClient(self.api.token, self.api.base_url, retry_after=0.05, upload_pause=0.01)
        if REDIS_URL:
            sender = max_sender(self.client, rate=200, backoff=0.01, global_limiter=RedisRateLimiter(REDIS_URL, 200, name="max"),
                                pause=RedisPause(REDIS_URL, name="max"))
        else:
            sender = max_sender(self.client, rate=200, backoff=0.01)
        self.reminders = ReminderRunner(None, factory, None, self.clock, workers=4, outlets=[MaxOutlet(self.client, sender)])
        self.storage, isolation = fsm_backend(REDIS_URL or None, factory)
        self.writer = make_writer(self.database_url, self.engine)
        links = {"telegram": lambda token: f"https://t.me/shnor_test_bot?start={token}"}
        self.app = MaxApp(self.client, factory, self.writer, storage=self.storage, isolation=isolation, clock=self.clock,
                          reminders=self.reminders, links=links,
                          people=self.telegram.dp["people"] if self.telegram is not None else None)
        if self.mode == "webhook":
            await self._serve_webhook()
            return
        self.poller = MaxPoller(self.app, timeout=1, min_interval=0, on_handled=self._handled, drop_webhook=self.drop_webhook)
        self._task = asyncio.create_task(self.poller.run())
        for _ in range(200):
            if self.app.inbox is not None:
                break
            await asyncio.sleep(0.01)

    async def _serve_webhook(self) -> None:
        """The app's webhook on a loopback port, subscribed at the fake as `shnor run` subscribes at MAX."""
        from aiohttp import web

        from bot.max.app import UPDATE_TYPES
        from bot.max.webhook import webhook_app

        await self.app.start()
        self._web = web.AppRunner(webhook_app(self.app, path="/max", secret=self.WEBHOOK_SECRET, on_handled=self._handled))
        await self._web.setup()
        site = web.TCPSite(self._web, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        await self.client.subscribe(f"http://127.0.0.1:{port}/max", self.WEBHOOK_SECRET, UPDATE_TYPES)

    async def stop(self) -> None:
        if self._web is not None:
            await self.reminders.stop()
            await self.client.unsubscribe(self.api.subscriptions[0]["url"])
            await self._web.cleanup()
            self._web = None
        elif self._task is None:
            return
        else:
            await self.reminders.stop()
            self.poller.stop()
            await asyncio.wait_for(self._task, 10)
            self._task = None
        await self.client.close()
        await self.storage.close()
        await self.writer.close()
        await self.engine.dispose()

    async def wait(self, update: dict[str, Any], timeout: float = 10) -> None:
        key = self.update_key(update)
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: key in self.handled), timeout)


@dataclass
class MaxUser:
    """A person in a dialog with the MAX bot, driven by a test."""

    runner: MaxRunner
    id: int
    name: str = "Тест"

    @property
    def api(self) -> StrictMax:
        return self.runner.api  # type: ignore[return-value]

    @property
    def who(self) -> str:
        return f"{self.name} (MAX {self.id})"

    @property
    def chat_id(self) -> int:
        return self.api.dialog(self.id)

    async def start(self, payload: str | None) -> str:
        did(self.who, f"открывает ссылку ({payload})")
        await self.runner.wait(self.api.bot_started(self.id, payload, self.name))
        return self.last

    async def send(self, text: str, chat_id: int | None = None) -> str:
        did(self.who, f"пишет «{text}»" + (f" в чат {chat_id}" if chat_id is not None else ""))
        await self.runner.wait(self.api.message(self.id, text, name=self.name, chat_id=chat_id))
        if chat_id is not None:
            texts = self.api.texts(chat_id)
            return texts[-1] if texts else ""
        return self.last

    async def send_file(self, token: str, name: str) -> str:
        did(self.who, f"присылает файл «{name}»")
        attachment = {"type": "file", "payload": {"url": f"https://files.example/{token}", "token": token},
                      "filename": name, "size": 1234}
        await self.runner.wait(self.api.message(self.id, None, name=self.name, attachments=[attachment]))
        return self.last

    async def press(self, label: str, *, exact: bool = False, chat_id: int | None = None) -> dict[str, Any]:
        did(self.who, f"нажимает «{label}»")
        message, payload = self.api.find_button(chat_id or self.chat_id, label, exact=exact)
        return await self.press_payload(message, payload)

    async def press_payload(self, message: dict[str, Any], payload: str, **quirks: Any) -> dict[str, Any]:
        update = self.api.press_payload(self.id, message, payload, name=self.name, **quirks)
        await self.runner.wait(update)
        return self.api.answers.get(update["callback"]["callback_id"], {})

    @property
    def last(self) -> str:
        return self.api.current(self.chat_id)["body"].get("text") or ""

    @property
    def texts(self) -> list[str]:
        return self.api.texts(self.chat_id)

    def buttons(self) -> list[str]:
        return self.api.buttons(self.chat_id)



async def register_max(runner: MaxRunner, user_id: int, invite: Invite, full_name: str = "Иванова Мария Петровна") -> MaxUser:
    user = MaxUser(runner, user_id, full_name.split()[1])
    await user.start(invite.token)
    await user.press("Согласен", exact=True)
    await user.send(full_name)
    return user
