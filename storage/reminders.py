"""Donors' requests for no more pledge reminders, one row per chat."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReminderStopRow
from storage.sql import changed, conflict_insert


class SqlReminderStops:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def stop(self, chat_ref: int, now: datetime) -> bool:
        result = await self._s.execute(
            conflict_insert(self._s)(ReminderStopRow).values(chat_ref=chat_ref, stopped_at=now)
            .on_conflict_do_nothing(index_elements=["chat_ref"]))
        return changed(result)

    async def stopped(self, chat_refs: Sequence[int]) -> set[int]:
        rows = await self._s.scalars(select(ReminderStopRow.chat_ref).where(
            ReminderStopRow.chat_ref.in_(list(chat_refs))))
        return set(rows)
