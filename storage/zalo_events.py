"""Zalo events recorded before they are handled, and each Zalo channel's health.

The webhook answers Zalo within its 2 seconds only after the event is in zalo_events; a
sweeper in the channel claims what is not handled (a lease, so that two processes never
handle one event at once and a process that died mid-way leaves it to the next), hands it to
the dispatcher and queues the replies in the outbox. A delivery Zalo repeats is the same
(channel, event_key): recorded once.

Also kept here, for the health page and `phocap zalo check` (issue 19, items 7-8): the last
update received and the last send per channel, every error code with its time, proactive OA
messages counted per month, and whether the OA takes plain text only. The token pair and its
expiry stay in storage/zalo_tokens.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import ZaloChannelStatusRow, ZaloErrorRow, ZaloEventRow, ZaloProactiveRow
from storage.sql import utc


@dataclass(frozen=True, slots=True)
class StoredEvent:
    id: int
    channel: str
    event_key: str
    user_id: str
    message_id: str | None
    payload: dict[str, Any]
    received_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class ChannelStatus:
    channel: str
    last_update_at: datetime | None = None
    last_send_at: datetime | None = None
    plain_text: bool = False
    plain_text_since: datetime | None = None


def month_of(when: datetime) -> str:
    return f"{when.year:04d}-{when.month:02d}"


class ZaloEventStore:
    """Short transactions on the engine, like the token store: infrastructure state."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    def _insert(self) -> Any:
        return postgresql.insert if self._engine.dialect.name == "postgresql" else sqlite.insert

    # ---- events ---------------------------------------------------------------------------

    async def record(self, channel: str, event_key: str, user_id: str, message_id: str | None,
                     payload: dict[str, Any], now: datetime) -> bool:
        """Keep an event to handle; False when this (channel, key) was recorded before."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                self._insert()(ZaloEventRow)
                .values(channel=channel, event_key=event_key[:200], user_id=user_id[:100],
                        message_id=message_id[:100] if message_id else None, payload=payload,
                        received_at=now, attempts=0)
                .on_conflict_do_nothing(index_elements=["channel", "event_key"]))
            await self._touch(conn, channel, last_update_at=now)
        return bool(result.rowcount)

    async def claim(self, channel: str, now: datetime, lease: timedelta,
                    limit: int = 20) -> list[StoredEvent]:
        """Lease the oldest events not handled and not leased (oldest first)."""
        row = ZaloEventRow
        due = and_(row.channel == channel, row.handled_at.is_(None),
                   or_(row.claimed_until.is_(None), row.claimed_until < now))
        async with self._engine.begin() as conn:
            ids = list((await conn.execute(
                select(row.id).where(due).order_by(row.id).limit(limit)
                .with_for_update(skip_locked=True))).scalars())
            if not ids:
                return []
            claimed = (await conn.execute(
                update(row).where(row.id.in_(ids), due)
                .values(claimed_until=now + lease, attempts=row.attempts + 1)
                .returning(row.__table__))).all()
        return sorted((StoredEvent(r.id, r.channel, r.event_key, r.user_id, r.message_id,
                                   dict(r.payload), utc(r.received_at) or r.received_at,
                                   r.attempts) for r in claimed), key=lambda e: e.id)

    async def handled(self, event_id: int, now: datetime, error: str | None = None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(update(ZaloEventRow).where(ZaloEventRow.id == event_id)
                               .values(handled_at=now, claimed_until=None,
                                       last_error=error[:200] if error else None))

    async def retry_later(self, event_id: int, at: datetime, error: str) -> None:
        """A failure (the database was down ...): claimable again from `at`."""
        async with self._engine.begin() as conn:
            await conn.execute(update(ZaloEventRow).where(ZaloEventRow.id == event_id)
                               .values(claimed_until=at, last_error=error[:200]))

    async def pending(self, channel: str) -> int:
        async with self._engine.connect() as conn:
            return int(await conn.scalar(
                select(func.count()).select_from(ZaloEventRow)
                .where(ZaloEventRow.channel == channel, ZaloEventRow.handled_at.is_(None)))
                or 0)

    async def last_message(self, channel: str, user_id: str) -> tuple[str, datetime] | None:
        """The user's latest message id and when it came: what a reply quotes."""
        row = ZaloEventRow
        async with self._engine.connect() as conn:
            found = (await conn.execute(
                select(row.message_id, row.received_at)
                .where(row.channel == channel, row.user_id == user_id,
                       row.message_id.is_not(None))
                .order_by(row.received_at.desc(), row.id.desc()).limit(1))).first()
        if found is None or found.message_id is None:
            return None
        return found.message_id, utc(found.received_at) or found.received_at

    async def forget_handled_before(self, when: datetime) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(ZaloEventRow).where(
                ZaloEventRow.handled_at.is_not(None), ZaloEventRow.received_at < when))
        return int(result.rowcount or 0)

    # ---- health -----------------------------------------------------------------------------

    async def _touch(self, conn: Any, channel: str, **values: Any) -> None:
        """One upsert: the webhook waits on it."""
        await conn.execute(self._insert()(ZaloChannelStatusRow)
                           .values(channel=channel, **{"plain_text": False, **values})
                           .on_conflict_do_update(index_elements=["channel"], set_=values))

    async def sent(self, channel: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await self._touch(conn, channel, last_send_at=now)

    async def use_plain_text(self, channel: str, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await self._touch(conn, channel, plain_text=True, plain_text_since=now)

    async def status(self, channel: str) -> ChannelStatus:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(ZaloChannelStatusRow.__table__).where(
                ZaloChannelStatusRow.channel == channel))).first()
        if row is None:
            return ChannelStatus(channel)
        return ChannelStatus(channel, utc(row.last_update_at), utc(row.last_send_at),
                             bool(row.plain_text), utc(row.plain_text_since))

    async def error(self, channel: str, code: int, now: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(ZaloErrorRow).values(channel=channel, code=code, at=now))

    async def errors_since(self, channel: str, since: datetime) -> dict[int, int]:
        """Error codes answered since then, with how often (for the health page)."""
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(ZaloErrorRow.code, func.count())
                .where(ZaloErrorRow.channel == channel, ZaloErrorRow.at >= since)
                .group_by(ZaloErrorRow.code))).all()
        return {int(code): int(n) for code, n in rows}

    async def take_proactive(self, channel: str, now: datetime, cap: int) -> bool:
        """Count one proactive message this month; False (and nothing counted) at the cap.
        A cap of 0 means no cap."""
        table, month = ZaloProactiveRow, month_of(now)
        async with self._engine.begin() as conn:
            await conn.execute(self._insert()(table).values(channel=channel, month=month, sent=0)
                               .on_conflict_do_nothing(index_elements=["channel", "month"]))
            query = update(table).where(table.channel == channel, table.month == month)
            if cap > 0:
                query = query.where(table.sent < cap)
            result = await conn.execute(query.values(sent=table.sent + 1))
        return bool(result.rowcount)

    async def proactive(self, channel: str, month: str) -> int:
        async with self._engine.connect() as conn:
            return int(await conn.scalar(select(ZaloProactiveRow.sent).where(
                ZaloProactiveRow.channel == channel, ZaloProactiveRow.month == month)) or 0)
