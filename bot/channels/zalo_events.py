"""Zalo's events: recorded before the webhook answers, handled afterwards, replies queued.

Zalo OA wants HTTP 200 within 2 seconds and disables a webhook that keeps failing; the Bot
Platform asks the same ("return 2xx fast"). So a webhook only checks the request, records the
event (storage/zalo_events.py: deduplicated on the channel's event key) and answers; this
sweeper hands each recorded event to the dispatcher and queues its replies in the outbox,
which sends them with its retries.

Nothing lost, nothing twice:
- a crash after the 200 leaves the event recorded and not handled: the sweeper of the next
  start (or of another process, once the lease ran out) handles it;
- a crash after the dispatcher committed, before the replies were queued: the event is
  handled again, the dispatcher knows the update (processed_updates) and gives back the
  first answer, which is queued under the same dedupe keys: once;
- a crash after the replies were queued, before the event was marked: the same, and the
  dedupe keys find the replies queued already.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, Final

from core.clock import Clock
from core.messages import Inbound
from core.ports import UnitOfWorkFactory
from core.services.outbox import enqueue_replies
from handlers.engine import Dispatcher
from storage.zalo_events import StoredEvent, ZaloEventStore

log = logging.getLogger(__name__)

LEASE: Final = timedelta(minutes=2)  # an event being handled; then another process may
SWEEP_EVERY: Final = 5.0  # seconds between looks at the table when nothing woke the sweeper
GIVE_UP_AFTER: Final = 10  # attempts; then the event is marked handled with its error
BACKOFF_MAX: Final = 600.0  # seconds
KEEP: Final = timedelta(days=8)  # handled events: a reply quotes one of the last 48 hours,
# and Zalo's interaction window is 7 days
FORGET_EVERY: Final = timedelta(hours=1)


class RecordedEvents:
    def __init__(self, channel: str, store: ZaloEventStore, uow: UnitOfWorkFactory,
                 to_inbound: Callable[[Mapping[str, Any]], Inbound | None], clock: Clock) -> None:
        self.channel = channel
        self.store = store
        self._uow = uow
        self._to_inbound = to_inbound
        self._clock = clock
        self._woken = asyncio.Event()
        self.every = SWEEP_EVERY
        self._forgot_at: datetime | None = None

    async def record(self, key: str, user_id: str, message_id: str | None,
                     payload: Mapping[str, Any]) -> bool:
        """Keep the event and wake the sweeper; False for a delivery seen before."""
        fresh = await self.store.record(self.channel, key, user_id, message_id, dict(payload),
                                        self._clock())
        if fresh:
            self._woken.set()
        else:
            log.info("%s: event %s was delivered again; recorded once", self.channel, key[:60])
        return fresh

    async def run(self, dispatcher: Dispatcher,
                  also: Callable[[], Awaitable[None]] | None = None) -> None:
        """Forever: handle what is recorded, then wait for a wake-up or the next look."""
        while True:
            self._woken.clear()
            try:
                await self.sweep(dispatcher)
                await self._forget_old()
                if also is not None:
                    await also()
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the database is down ...: the next look will do
                log.warning("%s: cannot handle the recorded events (%s)", self.channel,
                            type(err).__name__)
            with suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self.every)

    async def sweep(self, dispatcher: Dispatcher) -> int:
        """Handle the events due now, oldest first; how many were claimed."""
        events = await self.store.claim(self.channel, self._clock(), LEASE)
        for event in events:
            try:
                await self._handle(dispatcher, event)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # e.g. the database is down: later, with back-off
                await self._failed(event, err)
            else:
                await self.store.handled(event.id, self._clock())
        return len(events)

    async def _forget_old(self) -> None:
        now = self._clock()
        if self._forgot_at is not None and now - self._forgot_at < FORGET_EVERY:
            return
        self._forgot_at = now
        await self.store.forget_handled_before(now - KEEP)

    async def _handle(self, dispatcher: Dispatcher, event: StoredEvent) -> None:
        inbound = self._to_inbound(event.payload)
        if inbound is None:
            return
        outcome = await dispatcher.handle(inbound)
        replies = outcome.replies or outcome.earlier  # a replay: the first answer, queued once
        async with self._uow() as uow:
            await enqueue_replies(uow, self.channel, inbound.chat_id, outcome.locale, replies,
                                  f"{self.channel}:in:{event.event_key}", self._clock())
            await uow.commit()

    async def _failed(self, event: StoredEvent, err: Exception) -> None:
        reason = type(err).__name__
        if event.attempts >= GIVE_UP_AFTER:
            log.error("%s: event %s failed %s times (%s); given up", self.channel,
                      event.event_key[:60], event.attempts, reason)
            await self.store.handled(event.id, self._clock(), error=reason)
            return
        wait = min(2.0 ** event.attempts, BACKOFF_MAX)
        log.warning("%s: event %s failed (%s), again in %.0f s", self.channel,
                    event.event_key[:60], reason, wait)
        await self.store.retry_later(event.id, self._clock() + timedelta(seconds=wait), reason)
