"""Chats: each conversation's state and the updates already handled (replay markers).

The chat's own statements run on every update, so they are built once, as Core statements on
the tables (not the ORM classes: no identity map, no ORM compile step), and take their values
as parameters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import ChatState
from storage.models import ChatRow, ProcessedUpdateRow
from storage.sql import changed, conflict_insert, utc

CHATS = cast(Table, ChatRow.__table__)
UPDATES = cast(Table, ProcessedUpdateRow.__table__)

# The chat, locked for the transaction (PostgreSQL: FOR UPDATE keeps two processes from
# advancing the same dialog at once; SQLite already holds the write lock from BEGIN
# IMMEDIATE), with what was answered to this update if it was handled before: one round trip.
LOCKED_CHAT = (
    select(CHATS, UPDATES.c.id.label("handled"), UPDATES.c.replies.label("earlier"))
    .select_from(CHATS.outerjoin(UPDATES, and_(
        UPDATES.c.channel == CHATS.c.channel, UPDATES.c.update_id == bindparam("update_id"))))
    .where(CHATS.c.channel == bindparam("channel"), CHATS.c.chat_id == bindparam("chat_id"))
    .with_for_update(of=CHATS)
)
SAVE_CHAT = (
    update(CHATS)
    .where(CHATS.c.id == bindparam("chat_ref"))
    .values({name: bindparam(name) for name in (
        "official_id", "locale", "dialog", "step", "data", "dialog_updated_at",
        "link_failures", "link_blocked_until", "last_seen_at")})
)

# Recording an update id: a conflict means another transaction recorded it first. Written as
# text because SQLAlchemy compiles a dialect's INSERT ... ON CONFLICT anew on every execution
# (its Insert is not cacheable); this one runs on every update, in the same words on SQLite
# and PostgreSQL.
RECORD_UPDATE = text(
    "INSERT INTO processed_updates (channel, update_id, at, replies)"
    " VALUES (:channel, :update_id, :at, :replies)"
    " ON CONFLICT (channel, update_id) DO NOTHING"
).bindparams(bindparam("at", type_=UPDATES.c.at.type),
             bindparam("replies", type_=UPDATES.c.replies.type))


def chat_from_row(row: Any) -> ChatState:
    """A chat from a ChatRow, or from a Core row of the chats table."""
    return ChatState(
        id=row.id,
        channel=row.channel,
        chat_id=row.chat_id,
        official_id=row.official_id,
        locale=row.locale,
        dialog=row.dialog,
        step=row.step,
        data=dict(row.data or {}),
        dialog_updated_at=utc(row.dialog_updated_at),
        link_failures=row.link_failures,
        link_blocked_until=utc(row.link_blocked_until),
        last_seen_at=utc(row.last_seen_at),
    )


class SqlChats:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get_or_create(self, channel: str, chat_id: str, now: datetime) -> ChatState:
        chat, _earlier = await self.open(channel, chat_id, now)
        return chat

    async def open(
        self, channel: str, chat_id: str, now: datetime, update_id: str | None = None
    ) -> tuple[ChatState, list[dict[str, object]] | None]:
        params = {"channel": channel, "chat_id": chat_id, "update_id": update_id}
        row = (await self._s.execute(LOCKED_CHAT, params)).first()
        if row is None:  # first contact: create it (or find it created meanwhile), lock it
            await self._s.execute(
                conflict_insert(self._s)(CHATS)
                .values(channel=channel, chat_id=chat_id, data={}, link_failures=0,
                        created_at=now, last_seen_at=now)
                .on_conflict_do_nothing(index_elements=["channel", "chat_id"])
            )
            row = (await self._s.execute(LOCKED_CHAT, params)).one()
        earlier = None if row.handled is None else list(row.earlier or [])
        return chat_from_row(row), earlier

    async def get(self, chat_ref: int) -> ChatState | None:
        row = await self._s.get(ChatRow, chat_ref)
        return chat_from_row(row) if row else None

    async def save(self, chat: ChatState) -> None:
        await self._s.execute(SAVE_CHAT, {
            "chat_ref": chat.id, "official_id": chat.official_id, "locale": chat.locale,
            "dialog": chat.dialog, "step": chat.step, "data": chat.data,
            "dialog_updated_at": chat.dialog_updated_at, "link_failures": chat.link_failures,
            "link_blocked_until": chat.link_blocked_until, "last_seen_at": chat.last_seen_at,
        })

    async def record_update(
        self, channel: str, update_id: str, now: datetime, replies: list[dict[str, object]]
    ) -> bool:
        result = await self._s.execute(RECORD_UPDATE, {
            "channel": channel, "update_id": update_id, "at": now, "replies": replies})
        return changed(result)

    async def earlier_replies(self, channel: str, update_id: str) -> list[dict[str, object]]:
        stored = await self._s.scalar(
            select(ProcessedUpdateRow.replies).where(
                ProcessedUpdateRow.channel == channel, ProcessedUpdateRow.update_id == update_id
            )
        )
        return list(stored or [])

    async def forget_updates(self, before: datetime) -> int:
        result = await self._s.execute(delete(UPDATES).where(UPDATES.c.at < before))
        return int(cast(CursorResult[Any], result).rowcount)

    async def forget_replies(self) -> None:
        await self._s.execute(update(UPDATES).values(replies=[]))

    async def linked_to(self, official_id: int) -> list[ChatState]:
        rows = await self._s.scalars(
            select(ChatRow).where(ChatRow.official_id == official_id).order_by(
                ChatRow.last_seen_at.desc()
            )
        )
        return [chat_from_row(r) for r in rows]
