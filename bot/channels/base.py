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
import traceback
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Final, Protocol, TypeVar

import aiohttp
from aiohttp import web

from bot.appkeys import DISPATCHER
from bot.channels.http import HTTP
from core.channel_health import ChannelState, State, error_code
from core.clock import Clock, system_clock
from core.messages import Inbound
from handlers.engine import Dispatcher, Outcome

log = logging.getLogger(__name__)

START_RETRY_MAX: Final = 60.0  # seconds between attempts to reach a platform at start
ERRORS_KEPT: Final = 500  # recent failures a channel remembers for the health page


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
    status: ChannelStatus  # for the health page and /healthz

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

    def __init__(self, name: str, deliver: Callable[[str, Outcome], Awaitable[None]],
                 status: ChannelStatus | None = None) -> None:
        self._name = name
        self._deliver = deliver
        self._status = status
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    async def answer(self, dispatcher: Dispatcher, inbound: Inbound,
                     first: Callable[[], Awaitable[None]] | None = None) -> None:
        """Raises what the dispatcher raises; `first` runs inside the lock, before it."""
        if self._status is not None:
            self._status.received()
        async with self._lock(inbound.chat_id):
            # Inside the lock: an await before it could let a chat's updates overtake.
            if first is not None:
                await first()
            outcome = await dispatcher.handle(inbound)
            await self._deliver_logged(inbound.chat_id, outcome)

    async def _deliver_logged(self, chat_id: str, outcome: Outcome) -> None:
        try:
            await self._deliver(chat_id, outcome)
            if self._status is not None and outcome.replies:
                self._status.sent()
        except DeliveryFailed as err:  # blocked by the user, network down, flood limit ...
            log.warning("%s: sending to chat %s failed (%s)", self._name, chat_id, err.reason)
        except Exception:  # our own bug (a bad option value ...): worth its traceback
            log.exception("%s: sending to chat %s failed", self._name, chat_id)

    def _lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock


def cause(err: BaseException, secrets: Iterable[str] = ()) -> str:
    """A failure's cause for the log and the health page: its type, its first line and
    where it was raised; every secret given is blanked out (aiohttp's messages hold the
    URL, and a Bot API's URL holds its token), and no traceback is printed for the same
    reason."""
    if isinstance(err, StartFailed | DeliveryFailed):
        text = err.reason
    else:
        lines = str(err).strip().splitlines()
        text = f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__
        frames = traceback.extract_tb(err.__traceback__)
        if frames:
            last = frames[-1]
            text += f" (at {'/'.join(last.filename.split('/')[-2:])}:{last.lineno})"
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:300]


class ChannelStatus:
    """One channel's state in this process, for the health page and /healthz; kept by the
    channel's start loop and polling loop, and by its replies."""

    def __init__(self, channel: str, clock: Clock = system_clock,
                 secrets: Iterable[str] = ()) -> None:
        self.channel = channel
        self.clock = clock
        self.secrets = tuple(s for s in secrets if s)  # blanked out of every cause kept
        self._state = ChannelState(channel, State.STARTING, since=clock())
        self._errors: deque[tuple[datetime, str]] = deque(maxlen=ERRORS_KEPT)

    @property
    def state(self) -> State:
        return self._state.state

    def snapshot(self) -> ChannelState:
        return replace(self._state, errors=tuple(self._errors))

    def running(self) -> None:
        if self._state.state is not State.RUNNING:
            self._state = replace(self._state, state=State.RUNNING, since=self.clock(),
                                  failures=0)

    def failed(self, why: str, code: str, *, permanent: bool = False) -> None:
        """An attempt to reach the platform (start or poll) failed for `why`."""
        now = self.clock()
        self._errors.append((now, code))
        state = State.OFF if permanent else State.RETRYING
        since = self._state.since if self._state.state is state else now
        self._state = replace(self._state, state=state, since=since, last_error=why,
                              failures=self._state.failures + 1)

    def stopped(self) -> None:
        self._state = replace(self._state, state=State.STOPPED, since=self.clock())

    def received(self) -> None:
        """An update came in: the channel reaches its platform again, if it had failed."""
        if self._state.state is State.RETRYING:
            self.running()
        self._state = replace(self._state, last_update=self.clock())

    def sent(self) -> None:
        self._state = replace(self._state, last_send=self.clock())


class ChannelStatuses:
    """Every channel's status in this process (core.ports.ChannelStates)."""

    def __init__(self) -> None:
        self._statuses: dict[str, ChannelStatus] = {}

    def add(self, status: ChannelStatus) -> None:
        self._statuses[status.channel] = status

    def states(self) -> list[ChannelState]:
        return [s.snapshot() for s in self._statuses.values()]


STATUSES = web.AppKey("channel_statuses", ChannelStatuses)


async def start_with_retries(status: ChannelStatus, attempt: Callable[[], Awaitable[None]],
                             ready: asyncio.Event) -> None:
    """attempt() until it succeeds, then ready; a pause that doubles after each failure, up to
    a minute. Given up only when the platform refuses the credentials (StartFailed
    permanent). Any other exception, even one no client library meant to raise (an answer
    it could not parse), is logged with its cause and retried: a channel never dies in
    silence."""
    name = status.channel
    delay = 1.0
    while True:
        try:
            await attempt()
        except StartFailed as err:
            status.failed(err.reason, error_code(err.reason), permanent=err.permanent)
            if err.permanent:
                log.error("%s: the platform refused the credentials (%s); the channel stays "
                          "off", name, err.reason)
                return
            log.warning("%s: cannot start (%s), retrying in %.0f s", name, err.reason, delay)
        except Exception as err:
            why = cause(err, status.secrets)
            status.failed(why, type(err).__name__)
            log.error("%s: cannot start (%s), retrying in %.0f s", name, why, delay)
        else:
            status.running()
            ready.set()
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, START_RETRY_MAX)


AnyChannel = TypeVar("AnyChannel", bound=Channel)


def serve_channel(app: web.Application, key: web.AppKey[AnyChannel]) -> None:
    """Start the app's channel under key with the server, stop it with the server."""

    if STATUSES in app:
        app[STATUSES].add(app[key].status)

    async def channel_ctx(app: web.Application) -> AsyncIterator[None]:
        channel = app[key]
        await channel.start(app[DISPATCHER], app[HTTP])
        try:
            yield
        finally:
            await channel.stop()
            channel.status.stopped()

    app.cleanup_ctx.append(channel_ctx)
