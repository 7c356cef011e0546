"""The outbox table: queued notifications, claimed and marked by the sender."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.model import OutboxMessage
from storage.models import OutboxRow
from storage.sql import changed, conflict_insert, utc

# Set on a session that queued a message, so that a listener on commit can wake the sender.
QUEUED_FLAG = "outbox_queued"


def message_from_row(row: OutboxRow) -> OutboxMessage:
    return OutboxMessage(
        id=row.id, channel=row.channel, chat_id=row.chat_id, locale=row.locale,
        reply=dict(row.reply), dedupe_key=row.dedupe_key,
        created_at=utc(row.created_at) or row.created_at,
        not_before=utc(row.not_before) or row.not_before, attempts=row.attempts,
        sent_at=utc(row.sent_at), last_error=row.last_error, dead=row.dead,
    )


def _claimable(row: type[OutboxRow], now: datetime) -> ColumnElement[bool]:
    """Not sent, not dead, due, and nobody's lease running on it."""
    return and_(
        row.sent_at.is_(None), row.dead.is_(False), row.not_before <= now,
        or_(row.claimed_until.is_(None), row.claimed_until < now),
    )


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, message: OutboxMessage) -> bool:
        result = await self._s.execute(
            conflict_insert(self._s)(OutboxRow)
            .values(
                channel=message.channel, chat_id=message.chat_id, locale=message.locale,
                reply=message.reply, dedupe_key=message.dedupe_key,
                created_at=message.created_at, not_before=message.not_before,
                attempts=0, dead=False,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        self._s.info[QUEUED_FLAG] = True
        return changed(result)

    async def add_all(self, messages: Sequence[OutboxMessage]) -> set[str]:
        """One INSERT for many, compiled once and sent in batches (SQLAlchemy's
        insertmanyvalues); the keys of the rows that were new."""
        if not messages:
            return set()
        rows = await self._s.execute(
            conflict_insert(self._s)(OutboxRow.__table__)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(OutboxRow.dedupe_key),
            [{"channel": m.channel, "chat_id": m.chat_id, "locale": m.locale, "reply": m.reply,
              "dedupe_key": m.dedupe_key, "created_at": m.created_at,
              "not_before": m.not_before, "attempts": 0, "dead": False} for m in messages])
        queued = set(rows.scalars())
        if queued:
            self._s.info[QUEUED_FLAG] = True
        return queued

    async def claim(
        self, channels: Sequence[str], now: datetime, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        """Lease the due messages that head their chat's queue (oldest unsent, not dead),
        at most one per chat, so that message n+1 never overtakes message n.

        PostgreSQL: FOR UPDATE SKIP LOCKED, and the lease conditions checked again on the
        locked row. SQLite: every transaction begins IMMEDIATE, so claims take turns.
        """
        if not channels:
            return []
        head, earlier = aliased(OutboxRow), aliased(OutboxRow)
        waiting_before = exists().where(
            earlier.channel == head.channel, earlier.chat_id == head.chat_id,
            earlier.sent_at.is_(None), earlier.dead.is_(False), earlier.id < head.id,
        )
        heads = (
            select(head.id)
            .where(_claimable(head, now), head.channel.in_(list(channels)), ~waiting_before)
            .order_by(head.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = await self._s.scalars(
            update(OutboxRow)
            .where(OutboxRow.id.in_(heads.scalar_subquery()), _claimable(OutboxRow, now))
            .values(claimed_until=until)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False)
        )
        return sorted((message_from_row(r) for r in rows), key=lambda m: m.id)

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.sent_at.is_(None))
            .values(sent_at=now, claimed_until=None)
        )

    async def mark_failed(
        self, message_id: int, error: str, retry_at: datetime, dead: bool
    ) -> None:
        """One more failed attempt: try again at retry_at, or never when dead."""
        await self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.sent_at.is_(None))
            .values(attempts=OutboxRow.attempts + 1, last_error=error[:200],
                    not_before=retry_at, claimed_until=None, dead=dead)
        )

    async def pull(
        self, channel: str, chat_id: str, after: int, now: datetime, limit: int
    ) -> list[OutboxMessage]:
        """A chat's messages after id `after`, for a channel without push (the web chat);
        the unsent ones among them are marked sent."""
        rows = list(await self._s.scalars(
            select(OutboxRow)
            .where(OutboxRow.channel == channel, OutboxRow.chat_id == chat_id,
                   OutboxRow.id > after, OutboxRow.dead.is_(False))
            .order_by(OutboxRow.id)
            .limit(limit)
        ))
        fresh = [r.id for r in rows if r.sent_at is None]
        if fresh:
            await self._s.execute(
                update(OutboxRow).where(OutboxRow.id.in_(fresh), OutboxRow.sent_at.is_(None))
                .values(sent_at=now, claimed_until=None)
                .execution_options(synchronize_session=False)
            )
        return [message_from_row(r) for r in rows]


async def outbox_problems(session: AsyncSession, limit: int = 100) -> list[OutboxMessage]:
    """For the admin: dead messages (newest first), then those still waiting (oldest first)."""
    dead = await session.scalars(
        select(OutboxRow).where(OutboxRow.dead.is_(True)).order_by(OutboxRow.id.desc())
        .limit(limit)
    )
    waiting = await session.scalars(
        select(OutboxRow).where(OutboxRow.sent_at.is_(None), OutboxRow.dead.is_(False))
        .order_by(OutboxRow.id).limit(limit)
    )
    return [message_from_row(r) for r in [*dead, *waiting]][:limit]
