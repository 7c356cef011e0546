"""What every pushing channel is, and what they all do alike (opsdroid's Connector, in short).

A channel (Telegram, the Zalo Bot Platform, Zalo OA) starts with the app, stops with it, says
when it is ready, and delivers an outcome to a chat, raising DeliveryFailed when the platform
does not take it. Around that: one lock per chat for "handle, then reply", one loop that keeps
trying to reach a platform at start, and one cleanup context that starts and stops a channel.
The web chat is not one of them: it pushes nothing (the page asks), so it only shares the
dispatcher.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final, Protocol, TypeVar

import aiohttp
from aiohttp import web

from bot.appkeys import DISPATCHER
from bot.channels.http import HTTP
from core.messages import Inbound
from handlers.engine import Dispatcher, Outcome

log = logging.getLogger(__name__)

START_RETRY_MAX: Final = 60.0  # seconds between attempts to reach a platform at start


class DeliveryFailed(Exception):
    """A message the platform did not take; each channel turns its library's errors into this.

    permanent: trying again cannot help (blocked by the user, an unknown chat, outside Zalo
    OA's window). retry_after: the platform said when to try again (a flood limit). `reason`
    is kept in the outbox and the log: it never holds the message's text nor a token.
    """

    def __init__(self, reason: str, *, permanent: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


class StartFailed(Exception):
    """A start call that failed; permanent when the platform refused the token."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Channel(Protocol):
    """A channel that can push a message to a chat."""

    # Set once the platform was reached (webhook set, polling begun, tokens loaded); cleared
    # at stop. The outbox sends through a channel only while it is set.
    ready: asyncio.Event

    async def start(self, dispatcher: Dispatcher, http: aiohttp.ClientSession) -> None:
        """Begin taking updates; in the background when the platform may be out of reach."""

    async def stop(self) -> None:
        """Stop taking updates. A webhook stays set: another process may still serve it."""

    async def deliver(self, chat_id: str, outcome: Outcome) -> None:
        """Every message of the outcome, in order; DeliveryFailed at the first that fails."""


class ChatReplies:
    """Lock the chat, hand the update to the dispatcher, deliver its outcome.

    One lock per chat, so that replies to two quick messages do not interleave; weak, so a
    chat's lock goes away once nobody waits on it. A failure to deliver is logged, not
    raised: the dispatcher has committed, and the next update still matters.
    """

    def __init__(self, name: str, deliver: Callable[[str, Outcome], Awaitable[None]]) -> None:
        self._name = name
        self._deliver = deliver
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    async def answer(self, dispatcher: Dispatcher, inbound: Inbound,
                     first: Callable[[], Awaitable[None]] | None = None) -> None:
        """Raises what the dispatcher raises; `first` runs inside the lock, before it."""
        async with self._lock(inbound.chat_id):
            # Inside the lock: an await before it could let a chat's updates overtake.
            if first is not None:
                await first()
            outcome = await dispatcher.handle(inbound)
            await self._deliver_logged(inbound.chat_id, outcome)

    async def _deliver_logged(self, chat_id: str, outcome: Outcome) -> None:
        try:
            await self._deliver(chat_id, outcome)
        except DeliveryFailed as err:  # blocked by the user, network down, flood limit ...
            log.warning("%s: sending to chat %s failed (%s)", self._name, chat_id, err.reason)
        except Exception:  # our own bug (a bad option value ...): worth its traceback
            log.exception("%s: sending to chat %s failed", self._name, chat_id)

    def _lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock


async def start_with_retries(name: str, attempt: Callable[[], Awaitable[None]],
                             ready: asyncio.Event) -> None:
    """attempt() until it succeeds, then ready; a pause that doubles after each failure, up to
    a minute. Given up only when the platform refuses the token."""
    delay = 1.0
    while True:
        try:
            await attempt()
        except StartFailed as err:
            if err.permanent:
                log.error("%s: the Bot API refused the token; the channel stays off", name)
                return
            log.warning("%s: cannot start (%s), retrying in %.0f s", name, err.reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, START_RETRY_MAX)
        else:
            ready.set()
            return


AnyChannel = TypeVar("AnyChannel", bound=Channel)


def serve_channel(app: web.Application, key: web.AppKey[AnyChannel]) -> None:
    """Start the app's channel under key with the server, stop it with the server."""

    async def channel_ctx(app: web.Application) -> AsyncIterator[None]:
        channel = app[key]
        await channel.start(app[DISPATCHER], app[HTTP])
        try:
            yield
        finally:
            await channel.stop()

    app.cleanup_ctx.append(channel_ctx)
