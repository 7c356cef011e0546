"""Monthly reports built (one row per unit and month) and donors' requests for no reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.report_runs import ReportRun
from storage.chat_repositories import _insert
from storage.coverage import programme_start
from storage.models import ReminderStopRow, ReportRunRow
from storage.repositories import _utc

# Everything but the figures: what a list of reports shows.
_HEAD = (ReportRunRow.id, ReportRunRow.unit_id, ReportRunRow.month, ReportRunRow.built_at,
         ReportRunRow.trigger, ReportRunRow.sent_at, ReportRunRow.recipients)


def _run(row: ReportRunRow) -> ReportRun:
    return ReportRun(
        id=row.id, unit_id=row.unit_id, month=row.month,
        built_at=_utc(row.built_at) or row.built_at, trigger=row.trigger,
        sent_at=_utc(row.sent_at), recipients=list(row.recipients or []),
        figures=dict(row.figures or {}),
    )


class SqlReportRuns:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, unit_id: int, month: str, now: datetime, trigger: str
                    ) -> ReportRun | None:
        """Insert the (unit, month) row; None when it exists. On PostgreSQL a second
        transaction waits here for the first one's outcome: its commit wins the key."""
        new_id = await self._s.scalar(
            _insert(self._s)(ReportRunRow)
            .values(unit_id=unit_id, month=month, built_at=now, trigger=trigger[:100],
                    recipients=[], figures={})
            .on_conflict_do_nothing(index_elements=["unit_id", "month"])
            .returning(ReportRunRow.id)
        )
        if new_id is None:
            return None
        return ReportRun(id=int(new_id), unit_id=unit_id, month=month, built_at=now,
                         trigger=trigger[:100])

    async def get(self, run_id: int) -> ReportRun | None:
        row = await self._s.get(ReportRunRow, run_id)
        return _run(row) if row else None

    async def for_unit(self, unit_id: int, month: str) -> ReportRun | None:
        row = await self._s.scalar(select(ReportRunRow).where(
            ReportRunRow.unit_id == unit_id, ReportRunRow.month == month))
        return _run(row) if row else None

    async def finish(self, run_id: int, figures: dict[str, object],
                     recipients: list[dict[str, object]], sent_at: datetime | None) -> None:
        await self._s.execute(
            update(ReportRunRow).where(ReportRunRow.id == run_id)
            .values(figures=figures, recipients=recipients, sent_at=sent_at)
        )

    async def built(self, month: str, unit_ids: Sequence[int]) -> set[int]:
        rows = await self._s.scalars(select(ReportRunRow.unit_id).where(
            ReportRunRow.month == month, ReportRunRow.unit_id.in_(list(unit_ids))))
        return set(rows)

    async def listing(self, unit_ids: Sequence[int], limit: int) -> list[ReportRun]:
        """Newest month first, without the figures."""
        rows = await self._s.execute(
            select(*_HEAD).where(ReportRunRow.unit_id.in_(list(unit_ids)))
            .order_by(ReportRunRow.month.desc(), ReportRunRow.unit_id).limit(limit))
        return [ReportRun(id=r.id, unit_id=r.unit_id, month=r.month,
                          built_at=_utc(r.built_at) or r.built_at, trigger=r.trigger,
                          sent_at=_utc(r.sent_at), recipients=list(r.recipients or []))
                for r in rows]

    async def programme_start(self) -> datetime | None:
        return await programme_start(self._s)


class SqlReminderStops:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def stop(self, chat_ref: int, now: datetime) -> bool:
        result = await self._s.execute(
            _insert(self._s)(ReminderStopRow).values(chat_ref=chat_ref, stopped_at=now)
            .on_conflict_do_nothing(index_elements=["chat_ref"]))
        return bool(result.rowcount)

    async def stopped(self, chat_refs: Sequence[int]) -> set[int]:
        rows = await self._s.scalars(select(ReminderStopRow.chat_ref).where(
            ReminderStopRow.chat_ref.in_(list(chat_refs))))
        return set(rows)
