"""One way through the bot for every channel: an event (bot.events) from a channel's adapter, to its route
(bot.routes), in the update's unit of work (bot.unit_of_work), with refusals and errors answered in Russian.

    the person's lock    one person's updates one after another (a double press, two devices)
    who and where        the person with their municipality and school (bot.people), the conversation
    the route            bot.routes: its rules (private chat, registered) applied here, once
    the unit of work     for routes that ask for one: the update's inbox mark first, committed before any
                         reply, rolled back on failure, run again when the database stays locked
    refusals, errors     a service's refusal (surveys.errors) is said as it is; anything else is logged
                         without personal data and answered politely; nothing was changed either way
    a lost dependency    the database or Redis unreachable (storage.outage): not answered, raised as Unavailable;
                         the channel leaves the update not done and handles it again once it is back
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey

from bot import routes, texts
from bot.chat import Chat
from bot.context import Context, Services
from bot.conversation import Conversation
from bot.events import EventKind, Incoming
from bot.unit_of_work import Mark, run_update
from storage import outage
from storage.models import TELEGRAM
from storage.outage import Unavailable, lost_dependency
from surveys.errors import BadInput, DomainError

log = logging.getLogger(__name__)
NOTICE_LIMIT = 200  # characters of a note on a pressed button (Telegram shows no more; MAX's are short too)


class Pipeline:
    def __init__(self, services: Services, storage: BaseStorage, isolation: BaseEventIsolation) -> None:
        self.services = services
        self.storage = storage
        self.isolation = isolation

    async def handle(self, event: Incoming, chat: Chat, mark: Mark) -> None:
        # Telegram's conversations are stored under aiogram's default destiny, other channels' under their name
        key = StorageKey(bot_id=mark.bot_id, chat_id=event.chat_id, user_id=event.user_id,
                         destiny="default" if chat.channel == TELEGRAM else chat.channel)
        try:
            async with self.isolation.lock(key):
                person = await self.services.people.get(chat.channel, event.user_id)
                ctx = Context(event, chat, Conversation(self.storage, key), person, self.services.clock(), self.services,
                              mark.take)
                try:
                    await self._route(ctx)
                except DomainError as exc:
                    chat.discard()
                    await self._refused(ctx, exc)
                except Exception as exc:
                    chat.discard()
                    if lost_dependency(exc) is not None:
                        raise
                    log.exception("%s update of a user failed", chat.channel)
                    await self._failed(ctx)
                finally:
                    await chat.finish()
        except Exception as exc:
            lost = lost_dependency(exc)
            if lost is None:
                raise
            outage.lost(lost, exc)  # not answered, not done: the channel handles it again once it is back
            raise Unavailable(lost) from exc

    async def _route(self, ctx: Context) -> None:
        event, chat = ctx.event, ctx.chat
        if event.kind is EventKind.BUTTON:
            await self._button(ctx)
        elif event.kind is EventKind.COMMAND:
            route = routes.COMMANDS.get(event.command or "")
            if route is None:
                if event.private:
                    await chat.say(texts.UNKNOWN_INPUT if ctx.person else texts.NOT_REGISTERED)
            elif route.private and not event.private:
                if event.command not in routes.SILENT_IN_GROUPS:
                    await chat.say(texts.PRIVATE_COMMAND)
            else:
                await self._run(ctx, route, event.args)
        elif event.kind is EventKind.CHAT_MOVED:
            await self._run(ctx, routes.CHAT_MOVED, event.moved_to)
        elif event.private:  # a group's talk is not for the bot
            await self._typed(ctx)

    async def _typed(self, ctx: Context) -> None:
        event = ctx.event
        step = routes.STEPS.get(await ctx.state.get_state() or "")
        if step is not None:
            route = step.text if event.kind is EventKind.TEXT else step.other
            if route is not None:
                await self._run(ctx, route, event.text)
                return
        if ctx.person is None:
            await ctx.chat.say(texts.NOT_REGISTERED)
        elif step is None and event.kind in (EventKind.TEXT, EventKind.FILE):
            await self._run(ctx, routes.TYPED_ANSWER, None)
        else:
            await ctx.chat.say(texts.UNKNOWN_INPUT)

    async def _button(self, ctx: Context) -> None:
        found = routes.button(ctx.event.payload or "")
        if found is None:
            await ctx.chat.ack(routes.STALE)
            return
        route, data = found
        if not ctx.event.private:
            if route.refusal is not None:
                await ctx.chat.ack(route.refusal, alert=True)
            else:
                await ctx.chat.ack(texts.NOT_REGISTERED if ctx.person is None else routes.STALE, alert=ctx.person is None)
            return
        if route.registered and ctx.person is None:
            await ctx.chat.ack(texts.NOT_REGISTERED, alert=True)
            return
        await self._run(ctx, route, data)

    async def _run(self, ctx: Context, route: routes.Route, arg: Any) -> None:
        call = (lambda: route.run(ctx, arg)) if route.arg else (lambda: route.run(ctx))
        if not route.session:
            await call()
            return

        async def work(session: Any) -> None:
            ctx.session = session
            await call()

        await run_update(self.services.session_factory, ctx.marks(), work)
        for then in ctx.committed:
            then()

    async def _refused(self, ctx: Context, exc: DomainError) -> None:
        """A refusal or bad input raised by a service: nothing was changed; the person is told why."""
        message = exc.message  # plain text: each channel's renderer escapes it
        if ctx.event.kind is EventKind.BUTTON:
            if len(exc.message) <= NOTICE_LIMIT:
                await ctx.chat.ack(exc.message, alert=exc.alert)
            else:  # too long for the pressed button's note: a message in the chat
                await ctx.chat.say(f"⚠️ {message}")
        else:
            await ctx.chat.say(texts.REPROMPT.format(error=message) if isinstance(exc, BadInput) else message)

    async def _failed(self, ctx: Context) -> None:
        try:
            if ctx.event.kind is EventKind.BUTTON:
                await ctx.chat.ack(texts.ERROR, alert=True)
            else:
                await ctx.chat.say(texts.ERROR)
        except Exception:  # noqa: BLE001 - the reply is best effort; the error is logged
            log.warning("could not tell the user about the error")
