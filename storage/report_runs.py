"""Monthly reports built: one row per unit and month, with its figures and recipients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import ChatState, Official
from core.report_runs import ReportNotes, ReportRun
from storage.chats import CHATS, chat_from_row
from storage.coverage import programme_start
from storage.models import OfficialRow, ReportNotesRow, ReportRunRow, UnitRow
from storage.officials import OFFICIALS, official_from_row
from storage.sql import among, conflict_insert, utc

# Everything but the figures: what a list of reports shows.
_HEAD = (ReportRunRow.id, ReportRunRow.unit_id, ReportRunRow.month, ReportRunRow.built_at,
         ReportRunRow.trigger, ReportRunRow.sent_at, ReportRunRow.recipients)


def _run(row: ReportRunRow) -> ReportRun:
    return ReportRun(
        id=row.id, unit_id=row.unit_id, month=row.month,
        built_at=utc(row.built_at) or row.built_at, trigger=row.trigger,
        sent_at=utc(row.sent_at), recipients=list(row.recipients or []),
        figures=dict(row.figures or {}),
    )


class SqlReportRuns:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def claim(self, runs: Sequence[ReportRun]) -> dict[int, ReportRun]:
        """Insert the (unit, month) rows whole, figures included, in one statement; those
        that existed are skipped. On PostgreSQL a second transaction waits here for the
        first one's outcome: its commit wins the keys. Callers pass units in one order (code
        order), so two runs never wait on each other crosswise. Written whole rather than
        claimed and then updated: PostgreSQL plans an UPDATE by id on a table it believes
        empty (new, or just vacuumed) as a scan of the table, and a run of ten thousand
        rows then scans it ten thousand times."""
        if not runs:
            return {}
        # One statement compiled once and sent with every row (SQLAlchemy's insertmanyvalues):
        # a multi-row VALUES built here would be compiled afresh each time, a parameter at
        # a time. The rows returned name their unit, so their order does not matter.
        rows = await self._s.execute(
            conflict_insert(self._s)(ReportRunRow.__table__)
            .on_conflict_do_nothing(index_elements=["unit_id", "month"])
            .returning(ReportRunRow.id, ReportRunRow.unit_id),
            [{"unit_id": r.unit_id, "month": r.month, "built_at": r.built_at,
              "trigger": r.trigger[:100], "sent_at": r.sent_at, "recipients": r.recipients,
              "figures": r.figures} for r in runs])
        by_unit = {r.unit_id: r for r in runs}
        return {int(unit_id): replace(by_unit[int(unit_id)], id=int(run_id))
                for run_id, unit_id in rows.all()}

    async def get(self, run_id: int) -> ReportRun | None:
        row = await self._s.get(ReportRunRow, run_id)
        return _run(row) if row else None

    async def for_unit(self, unit_id: int, month: str) -> ReportRun | None:
        row = await self._s.scalar(select(ReportRunRow).where(
            ReportRunRow.unit_id == unit_id, ReportRunRow.month == month))
        return _run(row) if row else None

    async def finish(self, runs: Sequence[ReportRun]) -> None:
        if runs:  # one executemany by primary key
            await self._s.execute(update(ReportRunRow), [
                {"id": r.id, "recipients": r.recipients, "sent_at": r.sent_at} for r in runs])

    async def recipients(self, unit_ids: Sequence[int]
                         ) -> dict[int, list[tuple[Official, ChatState]]]:
        # Plain rows, not ORM objects: a run asks this for ten thousand units.
        officials = (await self._s.execute(
            select(OFFICIALS)
            .where(OFFICIALS.c.unit_id.in_(list(unit_ids)), OFFICIALS.c.active.is_(True))
            .order_by(OFFICIALS.c.id))).all()
        last_chat: dict[int, Row[Any]] = {}
        for chat in await self._s.execute(
            select(CHATS).where(CHATS.c.official_id.in_([o.id for o in officials]))
            .order_by(CHATS.c.last_seen_at.desc(), CHATS.c.id)):
            last_chat.setdefault(int(chat.official_id or 0), chat)
        out: dict[int, list[tuple[Official, ChatState]]] = {}
        for official in officials:
            if official.id in last_chat:
                out.setdefault(official.unit_id, []).append(
                    (official_from_row(official), chat_from_row(last_chat[official.id])))
        return out

    async def built(self, month: str, unit_ids: Sequence[int]) -> set[int]:
        rows = await self._s.scalars(select(ReportRunRow.unit_id).where(
            ReportRunRow.month == month, ReportRunRow.unit_id.in_(list(unit_ids))))
        return set(rows)

    async def staffed(self, dataset: str) -> set[int]:
        rows = await self._s.scalars(
            select(OfficialRow.unit_id).distinct()
            .join(UnitRow, UnitRow.id == OfficialRow.unit_id)
            .where(UnitRow.dataset == dataset, OfficialRow.active.is_(True)))
        return set(rows)

    async def listing(self, unit_ids: Sequence[int], limit: int) -> list[ReportRun]:
        """Newest month first, without the figures."""
        rows = await self._s.execute(
            select(*_HEAD).where(among(ReportRunRow.unit_id, unit_ids))
            .order_by(ReportRunRow.month.desc(), ReportRunRow.unit_id).limit(limit))
        return [ReportRun(id=r.id, unit_id=r.unit_id, month=r.month,
                          built_at=utc(r.built_at) or r.built_at, trigger=r.trigger,
                          sent_at=utc(r.sent_at), recipients=list(r.recipients or []))
                for r in rows]

    async def programme_start(self) -> datetime | None:
        return await programme_start(self._s)

    async def notes(self, month: str, unit_ids: Sequence[int] | None = None
                    ) -> dict[int, ReportNotes]:
        query = select(ReportNotesRow).where(ReportNotesRow.month == month)
        if unit_ids is not None:
            query = query.where(ReportNotesRow.unit_id.in_(list(unit_ids)))
        rows = await self._s.scalars(query)
        return {r.unit_id: ReportNotes(
            unit_id=r.unit_id, month=r.month, difficulties=r.difficulties,
            proposals=r.proposals, updated_by=r.updated_by, updated_at=utc(r.updated_at))
            for r in rows}

    async def save_notes(self, notes: ReportNotes) -> None:
        values = {"difficulties": notes.difficulties, "proposals": notes.proposals,
                  "updated_by": notes.updated_by, "updated_at": notes.updated_at}
        await self._s.execute(
            conflict_insert(self._s)(ReportNotesRow.__table__)
            .values(unit_id=notes.unit_id, month=notes.month, **values)
            .on_conflict_do_update(index_elements=["unit_id", "month"], set_=values))
