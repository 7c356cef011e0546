"""The public ledger: a hash chain of what the programme did, appended in turn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import String, cast, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import LedgerEntry
from storage.locks import SqlLocks
from storage.models import LedgerRow
from storage.sql import insert_all, utc


def entry_from_row(row: LedgerRow) -> LedgerEntry:
    return LedgerEntry(id=row.id, at=utc(row.at) or row.at, kind=row.kind,
                       payload=dict(row.payload), prev_hash=row.prev_hash, hash=row.hash)


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
