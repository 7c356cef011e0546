"""The outbox sender: delivers what core.services.outbox queued, after the commit, with retries.

All state lives in the outbox table, so a restart (or a second process) simply carries on:

- claim: a short transaction leases the due messages that head their chat's queue
  (claimed_until = now + the lease, PHOCAP_OUTBOX_LEASE, two minutes by default); another
  sender skips a leased row, so two processes never send the same message at once, and a
  chat's message n+1 waits while n is pending or failing;
- send: through the channel's deliver(), with a per-chat pace of one message a second;
- mark: right after the channel accepted it, the row is marked sent in its own short
  transaction; a failure is counted and retried later with back-off and jitter, or marked dead
  when it is final (the user blocked the bot, Zalo OA's window is closed) or too many tries.

A sender that dies while a send is on its way leaves the row leased: when the lease runs out,
any process sends it again, and the chat's later messages wait behind it meanwhile.

The one window left: a crash (or a lost database) between the channel's accept and our mark.
The lease then runs out and the message is sent a second time: over HTTP we cannot ask
whether Telegram or Zalo took it, and neither takes an idempotency key. It is kept small by
marking at once, in a transaction of one UPDATE, and by keeping the send's timeout at most
half the lease (a send still running when its lease ends could otherwise be claimed by another
sender).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from aiohttp import web
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.appkeys import RUNTIME
from bot.channels.base import Channel, DeliveryFailed
from bot.channels.telegram import TELEGRAM
from bot.channels.zalo_bot import ZALO
from bot.channels.zalo_oa import ZALO_OA
from bot.settings import Settings
from core.clock import Clock, system_clock
from core.messages import Channel as ChannelName
from core.messages import reply_from_dict
from core.model import OutboxMessage
from core.ports import UnitOfWorkFactory
from handlers.engine import Outcome
from storage import migrate
from storage.outbox import QUEUED_FLAG

log = logging.getLogger(__name__)

LEASE: Final = timedelta(seconds=Settings.outbox_lease)  # the setting's default
SEND_TIMEOUT: Final = 60.0  # seconds; at most half the lease, see the module's docstring
BATCH: Final = 20  # messages claimed at once (at most one per chat), sent concurrently
POLL: Final = 1.0  # seconds between looks at the table when nothing woke us
PACE: Final = 1.0  # seconds between two messages to one chat
DB_RETRY_MAX: Final = 60.0  # seconds between tries while the database does not answer


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Seconds to wait after the 1st, 2nd ... failure; dead after max_attempts failures."""

    delays: tuple[float, ...] = (10, 30, 120, 600, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600)
    max_attempts: int = 10
    jitter: float = 0.2  # +-20 %, so that a burst of failures does not come back as a burst

    def delay(self, failures: int, rng: random.Random) -> float | None:
        """The wait after this many failures in all, or None when the message is dead."""
        if failures >= self.max_attempts:
            return None
        base = self.delays[min(failures, len(self.delays)) - 1]
        return base * rng.uniform(1 - self.jitter, 1 + self.jitter)


def describe(err: BaseException) -> str:
    """What to keep of a failure: never the message's text (a DeliveryFailed's reason names the
    problem, not the message; anything else is kept as its type)."""
    if isinstance(err, DeliveryFailed):
        return err.reason[:200]
    if isinstance(err, TimeoutError):
        return "TimeoutError: no answer from the channel"
    return type(err).__name__


def build_senders(app: web.Application) -> dict[str, Channel]:
    """Every channel of this app that can push a message, by channel name."""
    senders: dict[str, Channel] = {}
    if TELEGRAM in app:
        senders[ChannelName.TELEGRAM.value] = app[TELEGRAM]
    if ZALO in app:
        senders[ChannelName.ZALO.value] = app[ZALO]
    if ZALO_OA in app:
        senders[ChannelName.ZALO_OA.value] = app[ZALO_OA]
    return senders


# ---- the sender --------------------------------------------------------------------------


class OutboxSender:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        senders: Mapping[str, Channel],
        *,
        clock: Clock = system_clock,
        policy: RetryPolicy | None = None,
        lease: timedelta = LEASE,
        send_timeout: float = SEND_TIMEOUT,
        batch: int = BATCH,
        poll: float = POLL,
        pace: float = PACE,
        rng: random.Random | None = None,
    ) -> None:
        self._uow = uow
        self.senders = senders
        self._clock = clock
        self._policy = policy or RetryPolicy()
        self._lease = lease
        self._send_timeout = send_timeout
        self._batch = batch
        self._poll = poll
        self._pace = pace
        self._rng = rng or random.Random()  # noqa: S311 -- jitter, not a secret
        self._last_sent: dict[tuple[str, str], float] = {}
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Look at the table now: something was queued in this process."""
        self._woken.set()

    async def run(self) -> None:
        """Forever: send what is due, then wait for a wake-up or the next poll."""
        db_wait = self._poll
        while True:
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the database is down: wait longer each time
                log.warning("outbox: cannot read the queue (%s)", type(err).__name__)
                db_wait = min(db_wait * 2, DB_RETRY_MAX)
                await asyncio.sleep(db_wait)
                continue
            db_wait = self._poll
            if sent:  # a full batch may have more behind it, and chats have their next ones
                continue
            self._woken.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._poll)

    async def run_once(self) -> int:
        """Claim one batch and deliver it; how many messages were claimed."""
        channels = sorted(name for name, s in self.senders.items() if s.ready.is_set())
        if not channels:
            return 0
        now = self._clock()
        async with self._uow() as uow:
            claimed = await uow.outbox.claim(channels, now, now + self._lease, self._batch)
            await uow.commit()
        results = await asyncio.gather(*(self._deliver(m) for m in claimed), return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):  # a mark that did not reach the database
                log.warning("outbox: could not record a delivery (%s)", type(result).__name__)
        return len(claimed)

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            outcome = Outcome(locale=message.locale, replies=[reply_from_dict(message.reply)])
            await self._wait_for_pace(message)
            await asyncio.wait_for(
                self.senders[message.channel].deliver(message.chat_id, outcome),
                self._send_timeout,
            )
        except asyncio.CancelledError:
            raise
        except Exception as err:  # any failure is counted; the row says what it was
            await self._failed(message, err)
            return
        self._last_sent[message.channel, message.chat_id] = asyncio.get_running_loop().time()
        async with self._uow() as uow:  # at once, alone: the window for a double send
            await uow.outbox.mark_sent(message.id, self._clock())
            await uow.commit()

    async def _wait_for_pace(self, message: OutboxMessage) -> None:
        if self._pace <= 0:
            return
        loop = asyncio.get_running_loop()
        last = self._last_sent.get((message.channel, message.chat_id))
        if last is not None and (wait := last + self._pace - loop.time()) > 0:
            await asyncio.sleep(wait)
        if len(self._last_sent) > 10_000:  # forget chats that have been quiet for a while
            horizon = loop.time() - self._pace
            self._last_sent = {k: t for k, t in self._last_sent.items() if t > horizon}

    async def _failed(self, message: OutboxMessage, err: BaseException) -> None:
        failures = message.attempts + 1
        reason = describe(err)
        permanent = isinstance(err, DeliveryFailed) and err.permanent
        wait = None if permanent else self._policy.delay(failures, self._rng)
        if isinstance(err, DeliveryFailed) and err.retry_after is not None and wait is not None:
            wait = max(wait, err.retry_after)
        now = self._clock()
        async with self._uow() as uow:
            await uow.outbox.mark_failed(
                message.id, reason, now + timedelta(seconds=wait or 0), dead=wait is None
            )
            await uow.commit()
        # The chat id and the reason only: the text may be personal.
        if wait is None:
            log.warning("outbox: message %s to %s chat %s is dead after %s attempt(s): %s",
                        message.id, message.channel, message.chat_id, failures, reason)
        else:
            log.info("outbox: message %s to %s chat %s failed (%s), retry in %.0f s",
                     message.id, message.channel, message.chat_id, reason, wait)


# ---- wiring ------------------------------------------------------------------------------


OUTBOX = web.AppKey("outbox", OutboxSender)


def wake_on_commit(engine: Engine, sender: OutboxSender) -> Callable[[Session], None]:
    """A listener that wakes the sender when a session of this engine committed a queued
    message; returned so that it can be removed."""

    def after_commit(session: Session) -> None:
        if session.bind is engine and session.info.pop(QUEUED_FLAG, False):
            sender.wake()

    event.listen(Session, "after_commit", after_commit)
    return after_commit


async def _outbox_ctx(app: web.Application) -> AsyncIterator[None]:
    """The sender runs as long as the server does; off on a database not yet initialised."""
    runtime = app[RUNTIME]
    sender = app[OUTBOX]
    if not sender.senders or not await migrate.is_current(runtime.engine):
        log.info("outbox: no channel to push to, or no database yet; the sender stays off")
        yield
        return
    listener = wake_on_commit(runtime.engine.sync_engine, sender)
    task = asyncio.create_task(sender.run(), name="outbox-sender")
    try:
        yield
    finally:
        event.remove(Session, "after_commit", listener)
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


def setup_outbox(app: web.Application) -> None:
    """Call last in make_app: the senders are the channels set up before."""
    runtime = app[RUNTIME]
    lease = timedelta(seconds=runtime.settings.outbox_lease)
    app[OUTBOX] = OutboxSender(runtime.uow, build_senders(app), lease=lease,
                               send_timeout=min(SEND_TIMEOUT, lease.total_seconds() / 2))
    app.cleanup_ctx.append(_outbox_ctx)
