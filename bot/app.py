"""The wiring of a bot process (`shnor run`): its channels, services, scheduler and web servers."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
from collections.abc import Callable
from functools import partial

from bot.config import Settings

log = logging.getLogger("shnor")


async def run(settings: Settings) -> None:
    """Every channel whose token is set (BOT_TOKEN: Telegram, MAX_TOKEN: MAX), from one process on one database;
    or one channel a process, several processes on one database."""
    # aiogram is imported here, not at the top: the admin commands do not pay for it.
    from bot.calendar_runner import CalendarRunner
    from bot.checks import check_startup
    from bot.context import Services
    from bot.people import People
    from bot.reminders import ReminderRunner
    from bot.scale import RedisPause, RedisRateLimiter, fsm_backend, leadership
    from bot.scheduler import SchedulerLeader
    from bot.sender import Sender
    from bot.telegram.dispatcher import create_bot, create_dispatcher
    from storage.accounts import start_link
    from storage.clock import system_clock
    from storage.db import describe_database, make_engine, make_session_factory
    from storage.migrate import upgrade
    from storage.writer import make_writer
    from surveys.answering import Answering

    channels = settings.channels()
    if not channels:
        raise SystemExit(
            "Не задан BOT_TOKEN (Telegram: токен у @BotFather) и не задан MAX_TOKEN (MAX: токен на платформе для партнёров "
            "business.max.ru): впишите хотя бы один в .env (образец в .env.example) или в переменные окружения."
        )
    log.info("database: %s. %s", describe_database(settings.database_url), settings.location.describe())
    await check_startup(settings)  # every configured dependency answers, no webhook without a secret (bot.checks)
    stray = settings.stray_database()
    if stray is not None:
        log.warning("a new empty database will be created, while %s exists: set DATABASE_URL to use it", stray.absolute())
    await asyncio.to_thread(upgrade, settings.database_url)
    engine = make_engine(settings.database_url)
    clock = system_clock  # the one clock of this process (storage.clock)
    session_factory = make_session_factory(engine, clock)
    methodology = settings.methodology()
    calendar = settings.calendar()
    # an invite's start link in each channel, for /link: the other channel's from its bot's name in the settings
    # (a process may run one channel while another process on the same database runs the other)
    links: dict[str, Callable[[str], str]] = {
        channel: partial(start_link, channel, name)
        for channel, name in (("telegram", settings.bot_username), ("max", settings.max_bot_username)) if name
    }
    bot = sender = None
    if "telegram" in channels:
        bot = create_bot(settings.token(), settings.telegram_api_base)
        if settings.redis_url:
            sender = Sender(rate=settings.send_rate, global_limiter=RedisRateLimiter(settings.redis_url, settings.send_rate),
                            pause=RedisPause(settings.redis_url), probe=bot.get_me)
        else:
            sender = Sender(rate=settings.send_rate, probe=bot.get_me)
    client = None
    outlets = []
    if "max" in channels:
        from bot.max.client import MaxClient
        from bot.max.outlet import MaxOutlet, max_sender

        client = MaxClient(settings.max_bot_token(), settings.max_api_base)
        if settings.redis_url:
            msender = max_sender(client, rate=settings.max_send_rate,
                                 global_limiter=RedisRateLimiter(settings.redis_url, settings.max_send_rate, name="max"),
                                 pause=RedisPause(settings.redis_url, name="max"))
        else:
            msender = max_sender(client, rate=settings.max_send_rate)
        outlets.append(MaxOutlet(client, msender))
    runner = ReminderRunner(bot, session_factory, sender, clock, methodology=methodology, outlets=outlets)
    calendar_runner = CalendarRunner(bot, session_factory, sender, clock, calendar, reminders=runner, outlets=outlets)
    storage, isolation = fsm_backend(settings.redis_url, session_factory)
    writer = make_writer(settings.database_url, engine)
    stats = None
    if os.environ.get("SHNOR_STATS_FILE"):  # benchmarks: statements and commits, written every second
        from storage.stats import count_engine, write_periodically

        count_engine(engine)
        stats = asyncio.get_running_loop().create_task(write_periodically(os.environ["SHNOR_STATS_FILE"], writer))
    # the services every channel of this process shares: who writes (bot.people), the questionnaire, the rest
    services = Services(session_factory, clock, Answering(session_factory, writer, clock), People(session_factory),
                        methodology, calendar, runner, links)
    dashboard = _dashboard(settings, services, channels)
    dp = None
    if bot is not None:
        dp = create_dispatcher(session_factory, writer=writer, bot_id=bot.id, storage=storage, events_isolation=isolation,
                               clock=clock, services=services)
    max_app = None
    if client is not None:
        from bot.max.app import MaxApp

        max_app = MaxApp(client, session_factory, writer, storage=storage, isolation=isolation, clock=clock,
                         services=services)
    leader = SchedulerLeader(leadership(engine, settings.redis_url, tuple(channels)), runner, settings.reminder_interval,
                             settings.leader_check_interval, calendar=calendar_runner)
    try:
        if bot is not None:
            me = await bot.get_me()
            links.setdefault("telegram", partial(start_link, "telegram", me.username))
            if services.webapp is not None:
                services.webapp.bots.setdefault("telegram", me.username)
            log.info("Telegram bot @%s started", me.username)
        if client is not None:
            info = await client.me()
            if services.webapp is not None and info.get("username"):
                services.webapp.bots.setdefault("max", info["username"])
            log.info("MAX bot %s started", info.get("username"))
        gc.collect()
        gc.freeze()  # what start-up built lives for the whole run: the collector need not walk it again
        leader.start()
        jobs = []
        # the dashboard beside the webhook server when there is one (the same reverse proxy), its own port otherwise
        beside_telegram = dashboard is not None and bot is not None and bool(settings.webhook_url)
        beside_max = dashboard is not None and not beside_telegram and max_app is not None and bool(settings.max_webhook_url)
        if bot is not None:
            jobs.append(_serve_webhook(settings, dp, bot, dashboard if beside_telegram else None) if settings.webhook_url
                        else _poll(settings, dp, bot))
        if max_app is not None:
            jobs.append(_serve_max(settings, max_app, dashboard if beside_max else None))
        if dashboard is not None and not beside_telegram and not beside_max:
            from aiohttp import web

            alone = web.Application()
            alone.add_subapp(settings.webapp_path, dashboard)
            jobs.append(_listen(alone, settings.webhook_host, settings.webapp_port, settings.webapp_path, "Mini App"))
        await asyncio.gather(*jobs)
    finally:
        if stats is not None:
            stats.cancel()
        # each closed apart, none raising: an error while closing must not hide why the process stops
        await _closing("scheduler leader", leader.close())
        await _closing("conversation storage", storage.close())
        await _closing("writer", writer.close())
        if client is not None:
            await _closing("MAX client", client.close())
        if bot is not None:
            await _closing("Telegram session", bot.session.close())
        await _closing("database engine", engine.dispose())


def _dashboard(settings: Settings, services, channels: list[str]):
    """The dashboard's aiohttp app (bot.webapp) when WEBAPP_URL is set, keyed by the tokens of the channels run here."""
    if not settings.webapp_url:
        return None
    from bot.webapp.buttons import AppLinks
    from bot.webapp.server import WebApp

    tokens = {}
    if "telegram" in channels:
        tokens["telegram"] = settings.token()
    if "max" in channels:
        tokens["max"] = settings.max_bot_token()
    names = {c: n for c, n in (("telegram", settings.bot_username), ("max", settings.max_bot_username)) if n}
    webapp = WebApp(services.session_factory, services.clock, services.methodology, tokens, settings.webapp_max_age,
                    settings.webapp_stale_seconds)
    services.webapp = AppLinks(settings.webapp_url, names, webapp.cache)
    log.info("Mini App: %s", settings.webapp_url)
    app = webapp.app()

    async def warm(_app) -> None:
        await webapp.warm()

    async def settle(_app) -> None:
        await webapp.cache.settled()

    app.on_startup.append(warm)
    app.on_cleanup.append(settle)
    return app


async def _closing(what: str, closing) -> None:
    try:
        await closing
    except Exception as exc:  # noqa: BLE001 - stopping anyway; the cause (if any) was logged where it happened
        log.warning("closing the %s failed (%s)", what, type(exc).__name__)


def _stop_on_signal(stop) -> None:
    """`stop` ends this channel's loop; SIGINT or SIGTERM ends every channel's."""
    _STOPS.append(stop)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _stop_all)


async def _listen(app, host: str, port: int, path: str, what: str) -> None:
    """Serve a webhook's aiohttp app until a signal stops the process."""
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("%s: listening on %s:%s%s", what, host, port, path)
    stop = asyncio.Event()
    _stop_on_signal(stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def _serve_max(settings: Settings, app, dashboard=None) -> None:
    """MAX by long polling (GET /updates with a marker), or by webhook when MAX_WEBHOOK_URL is set."""
    from bot.max.app import UPDATE_TYPES
    from bot.max.polling import MaxPoller
    from bot.max.webhook import webhook_app

    if not settings.max_webhook_url:
        poller = MaxPoller(app, timeout=settings.polling_timeout, concurrency=settings.tasks_concurrency_limit,
                           drop_webhook=settings.max_polling_drop_webhook)
        _stop_on_signal(poller.stop)
        log.info("MAX polling: updates are confirmed once recorded in the inbox")
        await poller.run()
        return
    await app.start()
    secret = settings.max_webhook_secret.get_secret_value() if settings.max_webhook_secret else None
    await app.client.subscribe(settings.max_webhook_url, secret, UPDATE_TYPES)
    web_app = webhook_app(app, path=settings.max_webhook_path, secret=secret)
    if dashboard is not None:
        web_app.add_subapp(settings.webapp_path, dashboard)
    await _listen(web_app, settings.webhook_host, settings.max_webhook_port, settings.max_webhook_path, "MAX webhook")


_STOPS: list = []  # what stops each channel's loop: a signal stops them all


def _stop_all() -> None:
    for stop in list(_STOPS):
        stop()


async def _poll(settings: Settings, dp, bot) -> None:
    from bot.telegram.polling import InboxPoller

    poller = InboxPoller(dp, bot, dp["inbox"], polling_timeout=settings.polling_timeout,
                         concurrency=settings.tasks_concurrency_limit)
    _stop_on_signal(poller.stop)
    log.info("polling: updates are confirmed once recorded in the inbox")
    await poller.run()


async def _serve_webhook(settings: Settings, dp, bot, dashboard=None) -> None:
    from bot.telegram.webhook import create_webhook_app

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    await bot.set_webhook(settings.webhook_url, secret_token=secret, allowed_updates=dp.resolve_used_update_types())
    app = create_webhook_app(dp, bot, dp["inbox"], path=settings.webhook_path, secret=secret)
    if dashboard is not None:
        app.add_subapp(settings.webapp_path, dashboard)
    await _listen(app, settings.webhook_host, settings.webhook_port, settings.webhook_path, "webhook")
