"""Invites: one-time codes that link an official's chat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import FailureCount, Invite
from storage.models import InviteRow, LinkFailureRow
from storage.sql import changed, utc


class SqlInvites:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(
        self, code_hash: str, official_id: int, now: datetime, expires_at: datetime,
        created_by: int | None = None,
    ) -> Invite:
        row = InviteRow(code_hash=code_hash, official_id=official_id, created_at=now,
                        expires_at=expires_at, created_by=created_by)
        self._s.add(row)
        await self._s.flush()
        return Invite(id=row.id, official_id=official_id, expires_at=expires_at)

    async def by_hash(self, code_hash: str) -> Invite | None:
        row = await self._s.scalar(select(InviteRow).where(InviteRow.code_hash == code_hash))
        return None if row is None else _invite(row)

    async def get(self, invite_id: int) -> Invite | None:
        row = await self._s.get(InviteRow, invite_id)
        return None if row is None else _invite(row)

    async def revoke(self, invite_id: int, by: int | None, now: datetime) -> bool:
        result = await self._s.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.used_at.is_(None),
                   InviteRow.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by=by)
        )
        return changed(result)

    async def mark_used(self, invite_id: int, chat_ref: int, now: datetime) -> bool:
        result = await self._s.execute(
            update(InviteRow)
            .where(InviteRow.id == invite_id, InviteRow.used_at.is_(None))
            .values(used_at=now, used_by_chat=chat_ref)
        )
        return changed(result)

    async def add_failure(self, source: str, at: datetime) -> None:
        self._s.add(LinkFailureRow(source=source[:120], at=at))
        await self._s.flush()

    async def forget_failures(self, before: datetime) -> None:
        await self._s.execute(delete(LinkFailureRow).where(LinkFailureRow.at < before))

    async def failures_since(self, source: str, since: datetime
                             ) -> tuple[FailureCount, FailureCount]:
        """Wrong codes since a moment: (from this source, from anywhere)."""
        counted = select(func.count(), func.min(LinkFailureRow.at)).where(
            LinkFailureRow.at > since)
        mine = (await self._s.execute(counted.where(LinkFailureRow.source == source[:120]))).one()
        every = (await self._s.execute(counted)).one()
        return (FailureCount(int(mine[0] or 0), utc(mine[1])),
                FailureCount(int(every[0] or 0), utc(every[1])))


def _invite(row: InviteRow) -> Invite:
    return Invite(id=row.id, official_id=row.official_id,
                  expires_at=utc(row.expires_at) or row.expires_at,
                  used_at=utc(row.used_at), revoked_at=utc(row.revoked_at))
