"""The Zalo OA token pair and the deliveries Zalo refused, kept in the database.

Zalo's refresh token works once. Two rules follow: the new pair is stored before it is
used (a process that dies after storing loses nothing), and only one process may spend a
refresh token (a lease, taken by compare-and-swap, decides which).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import RefusedDeliveryRow, ZaloOATokenRow
from storage.sql import utc

ROW_ID = 1  # one OA per installation: one row


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime | None = None  # None: not known (the pair given in the settings)

    def expired(self, now: datetime, margin: timedelta = timedelta(0)) -> bool:
        return self.expires_at is not None and self.expires_at - margin <= now


@dataclass(frozen=True, slots=True)
class RefusedDelivery:
    channel: str
    chat_id: str
    error_code: int
    reply_key: str
    at: datetime


class ZaloTokenStore:
    """Short transactions on the engine: this is infrastructure state, not programme state."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def load(self) -> TokenPair | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(ZaloOATokenRow.__table__))).first()
        if row is None:
            return None
        return TokenPair(row.access_token, row.refresh_token, utc(row.expires_at))

    async def load_or_seed(self, initial: TokenPair, now: datetime) -> TokenPair:
        """The stored pair; the initial one (from the settings) only while none is stored.

        A restart never goes back to the settings' pair: its refresh token may be spent.
        """
        stored = await self.load()
        if stored is not None:
            return stored
        async with self._engine.begin() as conn:
            # Inside the write transaction, so that two processes starting together seed once.
            exists = (await conn.execute(select(ZaloOATokenRow.id))).first()
            if exists is None:
                await conn.execute(insert(ZaloOATokenRow).values(
                    id=ROW_ID, access_token=initial.access_token,
                    refresh_token=initial.refresh_token, expires_at=initial.expires_at,
                    refreshing_until=None, updated_at=now))
        stored = await self.load()
        assert stored is not None
        return stored

    async def claim_refresh(self, refresh_token: str, now: datetime, lease: timedelta) -> bool:
        """True for the one caller allowed to spend this refresh token now."""
        table = ZaloOATokenRow
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(table)
                .where(table.id == ROW_ID, table.refresh_token == refresh_token,
                       or_(table.refreshing_until.is_(None), table.refreshing_until < now))
                .values(refreshing_until=now + lease))
        return bool(result.rowcount)

    async def store_refreshed(self, spent: str, fresh: TokenPair, now: datetime) -> bool:
        """Replace the pair whose refresh token was just spent; False if it was replaced."""
        table = ZaloOATokenRow
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(table)
                .where(table.id == ROW_ID, table.refresh_token == spent)
                .values(access_token=fresh.access_token, refresh_token=fresh.refresh_token,
                        expires_at=fresh.expires_at, refreshing_until=None, updated_at=now))
        return bool(result.rowcount)

    async def release(self, refresh_token: str) -> None:
        """Give the lease back after a refresh that failed before spending the token."""
        table = ZaloOATokenRow
        async with self._engine.begin() as conn:
            await conn.execute(update(table)
                               .where(table.id == ROW_ID, table.refresh_token == refresh_token)
                               .values(refreshing_until=None))

    async def record_refused(self, refused: RefusedDelivery) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(RefusedDeliveryRow).values(
                channel=refused.channel, chat_id=refused.chat_id,
                error_code=refused.error_code, reply_key=refused.reply_key, at=refused.at))

    async def refused(self, limit: int = 100) -> list[RefusedDelivery]:
        """The latest refused deliveries, newest first (for the admin)."""
        table = RefusedDeliveryRow
        async with self._engine.connect() as conn:
            rows = (await conn.execute(
                select(table.__table__).order_by(table.at.desc(), table.id.desc()).limit(limit)
            )).all()
        return [RefusedDelivery(r.channel, r.chat_id, r.error_code, r.reply_key,
                                utc(r.at) or r.at) for r in rows]

    async def forget_refused_before(self, when: datetime) -> int:
        """Drop old entries; they only matter while someone can still act on them."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(RefusedDeliveryRow).where(RefusedDeliveryRow.at < when))
        return int(result.rowcount or 0)
