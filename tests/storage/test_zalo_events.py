"""The Zalo event store on each database: an event recorded once, claimed by one sweeper at a
time; proactive messages counted up to the cap; what the health page reads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.zalo_events import ZaloEventStore, month_of

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)


async def test_an_event_is_recorded_once_and_claimed_by_one_sweeper(engine: AsyncEngine) -> None:
    store = ZaloEventStore(engine)
    assert await store.record("zalo_oa", "msg:1", "u1", "1", {"a": 1}, NOW)
    assert not await store.record("zalo_oa", "msg:1", "u1", "1", {"a": 1}, NOW)  # Zalo's retry
    assert await store.record("zalo", "msg:1", "u1", "1", {"b": 2}, NOW)  # another channel
    one, two = await asyncio.gather(store.claim("zalo_oa", NOW, LEASE),
                                    store.claim("zalo_oa", NOW, LEASE))
    assert sorted([len(one), len(two)]) == [0, 1]
    [event] = one or two
    assert (event.event_key, event.user_id, event.payload, event.attempts) == (
        "msg:1", "u1", {"a": 1}, 1)
    assert await store.claim("zalo_oa", NOW + LEASE / 2, LEASE) == []  # leased
    # The sweeper died: after the lease another one takes it.
    [again] = await store.claim("zalo_oa", NOW + LEASE * 2, LEASE)
    assert again.id == event.id and again.attempts == 2
    await store.handled(event.id, NOW + LEASE * 2)
    assert await store.claim("zalo_oa", NOW + LEASE * 10, LEASE) == []
    assert await store.pending("zalo_oa") == 0 and await store.pending("zalo") == 1


async def test_the_last_message_of_a_user_is_what_a_reply_quotes(engine: AsyncEngine) -> None:
    store = ZaloEventStore(engine)
    assert await store.last_message("zalo_oa", "u1") is None
    await store.record("zalo_oa", "msg:a", "u1", "a", {}, NOW)
    await store.record("zalo_oa", "follow:u1:1", "u1", None, {}, NOW + timedelta(minutes=1))
    await store.record("zalo_oa", "msg:b", "u1", "b", {}, NOW + timedelta(minutes=2))
    await store.record("zalo_oa", "msg:c", "u2", "c", {}, NOW + timedelta(minutes=3))
    assert await store.last_message("zalo_oa", "u1") == ("b", NOW + timedelta(minutes=2))


async def test_proactive_messages_are_counted_per_month_up_to_the_cap(
        engine: AsyncEngine) -> None:
    store = ZaloEventStore(engine)
    assert [await store.take_proactive("zalo_oa", NOW, 2) for _ in range(3)] == [
        True, True, False]
    assert await store.proactive("zalo_oa", month_of(NOW)) == 2  # the refused one not counted
    next_month = datetime(2027, 1, 1, tzinfo=UTC)
    assert await store.take_proactive("zalo_oa", next_month, 2)
    assert await store.proactive("zalo_oa", "2027-01") == 1
    assert await store.take_proactive("zalo_oa", NOW, 0)  # 0: no cap
    assert await store.proactive("zalo_oa", month_of(NOW)) == 3


async def test_the_health_page_reads_errors_sends_and_the_plain_text_flag(
        engine: AsyncEngine) -> None:
    store = ZaloEventStore(engine)
    assert (await store.status("zalo_oa")).last_send_at is None
    for code, minutes in ((-32, 0), (-32, 10), (-230, 20), (-216, -60 * 25)):
        await store.error("zalo_oa", code, NOW + timedelta(minutes=minutes))
    assert await store.errors_since("zalo_oa", NOW - timedelta(days=1)) == {-32: 2, -230: 1}
    await store.record("zalo_oa", "msg:1", "u1", "1", {}, NOW)
    await store.sent("zalo_oa", NOW + timedelta(seconds=3))
    await store.use_plain_text("zalo_oa", NOW + timedelta(seconds=4))
    status = await store.status("zalo_oa")
    assert (status.last_update_at, status.last_send_at, status.plain_text,
            status.plain_text_since) == (NOW, NOW + timedelta(seconds=3), True,
                                         NOW + timedelta(seconds=4))
    assert not (await store.status("zalo")).plain_text
