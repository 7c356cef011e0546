"""The ledger's rows and the programme's named locks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import LedgerEntry
from storage.chat_repositories import _insert
from storage.models import AllocationPlanRow, LedgerRow, ProgrammeLockRow
from storage.repositories import _utc, insert_all


def entry_from_row(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(id=row.id, at=_utc(row.at) or row.at, kind=row.kind,
                       payload=dict(row.payload), prev_hash=row.prev_hash, hash=row.hash)


class SqlLocks:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def take(self, name: str) -> int:
        await self._s.execute(
            _insert(self._s)(ProgrammeLockRow)
            .values(name=name, version=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        version = await self._s.scalar(
            select(ProgrammeLockRow.version).where(ProgrammeLockRow.name == name).with_for_update()
        )
        return int(version or 0)

    async def bump(self, name: str) -> None:
        await self._s.execute(
            update(ProgrammeLockRow)
            .where(ProgrammeLockRow.name == name)
            .values(version=ProgrammeLockRow.version + 1)
        )


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


class SqlLedger:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self._locks = SqlLocks(session)

    async def last(self) -> LedgerEntry | None:
        await self._locks.take("ledger")
        row = await self._s.scalar(select(LedgerRow).order_by(LedgerRow.id.desc()).limit(1))
        return entry_from_row(row) if row else None

    async def add(self, *entries: LedgerEntry) -> list[LedgerEntry]:
        ids = await insert_all(self._s, LedgerRow, [
            {"at": e.at, "kind": e.kind, "payload": e.payload, "prev_hash": e.prev_hash,
             "hash": e.hash}
            for e in entries
        ])
        return [replace(e, id=i) for e, i in zip(entries, ids, strict=True)]

    async def all(self) -> list[LedgerEntry]:
        rows = await self._s.scalars(select(LedgerRow).order_by(LedgerRow.id))
        return [entry_from_row(r) for r in rows]

    async def page(self, after: int, limit: int) -> list[LedgerEntry]:
        rows = await self._s.scalars(
            select(LedgerRow).where(LedgerRow.id > after).order_by(LedgerRow.id).limit(limit)
        )
        return [entry_from_row(r) for r in rows]

    async def mentioning(self, values: Sequence[str]) -> list[LedgerEntry]:
        if not values:
            return []
        # A text match narrows the rows in SQL on both backends (JSON as text); the exact
        # test on the decoded payload then drops a value found only inside a longer one.
        as_text = cast(LedgerRow.payload, String)
        rows = await self._s.scalars(
            select(LedgerRow)
            .where(or_(*(as_text.contains(f'"{v}"', autoescape=True) for v in values)))
            .order_by(LedgerRow.id)
        )
        wanted = set(values)
        entries = [entry_from_row(r) for r in rows]
        return [e for e in entries if wanted & {str(v) for v in e.payload.values()}]
