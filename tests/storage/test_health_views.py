"""What the channels' health page reads from the database (uow.views.channel_records), on
SQLite and PostgreSQL, against a day worked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from core.channel_health import ChannelRecord
from storage.models import ChatRow, OutboxRow, RefusedDeliveryRow, ZaloOATokenRow
from storage.uow import SqlUnitOfWorkFactory
from storage.zalo_events import ZaloEventStore

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def chat(channel: str, chat_id: str, seen: datetime) -> dict[str, object]:
    return {"channel": channel, "chat_id": chat_id, "created_at": at(1, 0), "data": {},
            "last_seen_at": seen, "link_failures": 0}


def message(n: int, channel: str, *, sent: datetime | None = None, attempts: int = 0,
            error: str | None = None, not_before: datetime = NOW, dead: bool = False
            ) -> dict[str, object]:
    return {"channel": channel, "chat_id": f"c{n}", "locale": "vi", "reply": {"key": "k"},
            "dedupe_key": f"m{n}", "created_at": at(6, 0), "not_before": not_before,
            "attempts": attempts, "sent_at": sent, "last_error": error, "dead": dead}


async def test_a_day_of_three_channels(engine: AsyncEngine, uow: SqlUnitOfWorkFactory) -> None:
    async with engine.begin() as conn:
        await conn.execute(insert(ChatRow), [
            chat("telegram", "A", at(7, 5)), chat("telegram", "B", at(7, 3)),
            chat("zalo_oa", "C", at(6, 20))])
        await conn.execute(insert(OutboxRow), [
            message(1, "telegram", sent=at(7, 5, 30)),
            message(2, "telegram", sent=at(7, 4)),
            message(3, "telegram"),  # waiting, never tried
            # rate-limited, retried in ten minutes: waiting, and an error of the day
            message(4, "zalo_oa", attempts=2, error="ZaloOAError: HTTP 200, error -32",
                    not_before=NOW + timedelta(minutes=10)),
            # outside the window: given up at 01:00 today
            message(5, "zalo_oa", attempts=1, dead=True, not_before=at(7, 1),
                    error="zalo-oa HTTP 200, error -230: outside the window"),
            # given up two days ago: outside the day, counted nowhere
            message(6, "zalo_oa", attempts=10, dead=True, not_before=at(5, 1),
                    error="ZaloOAError: HTTP 502, error None"),
            message(7, "zalo", attempts=1, error="ZaloApiError: HTTP 500, error 500",
                    not_before=NOW + timedelta(seconds=30)),
        ])
        await conn.execute(insert(RefusedDeliveryRow), [
            # the same refusal as message 5: counted once, not twice
            {"channel": "zalo_oa", "chat_id": "c5", "error_code": -230, "reply_key": "k",
             "at": at(7, 1)},
            {"channel": "zalo_oa", "chat_id": "c9", "error_code": -230, "reply_key": "k",
             "at": at(4, 1)},
        ])
        await conn.execute(insert(ZaloOATokenRow).values(
            id=1, access_token="AT", refresh_token="RT", expires_at=at(8, 7),
            refreshing_until=None, updated_at=at(7, 0)))

    async with uow() as u:
        records = await u.views.channel_records(SINCE, NOW)

    assert records == {
        "telegram": ChannelRecord("telegram", last_update=at(7, 5), last_send=at(7, 5, 30),
                                  errors={}, waiting=1, dead=0),
        "zalo_oa": ChannelRecord("zalo_oa", last_update=at(6, 20), last_send=None,
                                 errors={"-32": 1, "-230": 1}, waiting=1, dead=1,
                                 token_expires=at(8, 7), proactive_month=0),
        "zalo": ChannelRecord("zalo", errors={"500": 1}, waiting=1, dead=0),
    }


async def test_an_empty_database_has_no_records(uow: SqlUnitOfWorkFactory) -> None:
    async with uow() as u:
        assert await u.views.channel_records(SINCE, NOW) == {}


async def test_what_the_zalo_channels_record_themselves_is_joined(
        engine: AsyncEngine, uow: SqlUnitOfWorkFactory) -> None:
    """The OA sent at 05:00, chose plain text yesterday at noon, was answered -32 twice today
    and -216 two days ago (outside the day), and sent three proactive messages this month
    and one in November (another month): the page reads 2 x -32, 3 proactive, plain text."""
    store = ZaloEventStore(engine)
    await store.sent("zalo_oa", at(7, 5))
    await store.use_plain_text("zalo_oa", at(6, 12))
    for moment, code in ((at(7, 2), -32), (at(7, 3), -32), (at(5, 1), -216)):
        await store.error("zalo_oa", code, moment)
    for moment in (at(1, 8), at(3, 9), at(7, 4), datetime(2026, 11, 30, 9, tzinfo=UTC)):
        assert await store.take_proactive("zalo_oa", moment, cap=0)

    async with uow() as u:
        records = await u.views.channel_records(SINCE, NOW)

    assert records == {"zalo_oa": ChannelRecord(
        "zalo_oa", last_send=at(7, 5), errors={"-32": 2}, proactive_month=3, plain_text=True)}
