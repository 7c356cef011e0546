"""Allocation plans: each committed allocation, its fingerprint and summary."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AllocationPlanRow


class SqlPlans:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, at: datetime, by: int | None, fingerprint: str,
                  summary: dict[str, object]) -> int:
        row = AllocationPlanRow(committed_at=at, committed_by=by, fingerprint=fingerprint,
                                summary=summary)
        self._s.add(row)
        await self._s.flush()
        return row.id
