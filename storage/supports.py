"""Supports: who was served, and how (a phone, part of one, money, a gift)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import RuleError
from core.model import Support, SupportKind, SupportStatus
from storage.models import ResidentRow, SupportRow
from storage.sql import CHUNK, among, insert_all, utc


def support_from_row(row: SupportRow) -> Support:
    return Support(
        id=row.id, resident_id=row.resident_id, kind=SupportKind(row.kind),
        commune_id=row.commune_id, status=SupportStatus(row.status),
        created_at=utc(row.created_at) or row.created_at, amount=row.amount,
        holder_unit_id=row.holder_unit_id, receipt_id=row.receipt_id, plan_id=row.plan_id,
        giver=row.giver, note=row.note, recorded_by=row.recorded_by, pledge_id=row.pledge_id,
    )


def _support_values(s: Support) -> dict[str, object]:
    return {"resident_id": s.resident_id, "kind": s.kind.value, "commune_id": s.commune_id,
            "status": s.status.value, "created_at": s.created_at, "amount": s.amount,
            "holder_unit_id": s.holder_unit_id, "receipt_id": s.receipt_id,
            "plan_id": s.plan_id, "giver": s.giver, "note": s.note,
            "recorded_by": s.recorded_by, "pledge_id": s.pledge_id}


def _fill_support(row: SupportRow, s: Support) -> None:
    for name, value in _support_values(s).items():
        setattr(row, name, value)


class SqlSupports:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, *supports: Support) -> list[Support]:
        added: list[Support] = []
        for start in range(0, len(supports), CHUNK):
            added += await self._add_chunk(supports[start:start + CHUNK])
        return added

    async def _add_chunk(self, supports: Sequence[Support]) -> list[Support]:
        residents = [s.resident_id for s in supports]
        try:
            async with self._s.begin_nested():
                ids = await insert_all(self._s, SupportRow, [_support_values(s) for s in supports])
        except IntegrityError:
            # The partial unique index: one of these residents already has an active support.
            served = await self._s.scalar(select(SupportRow.resident_id).where(
                SupportRow.resident_id.in_(residents),
                SupportRow.status != SupportStatus.CANCELLED.value).limit(1))
            raise RuleError("support-already-served", resident_id=served) from None
        return [replace(s, id=i) for s, i in zip(supports, ids, strict=True)]

    async def get(self, support_id: int) -> Support | None:
        row = await self._s.get(SupportRow, support_id)
        return support_from_row(row) if row else None

    async def active_for(self, resident_id: int) -> Support | None:
        row = await self._s.scalar(
            select(SupportRow).where(
                SupportRow.resident_id == resident_id,
                SupportRow.status != SupportStatus.CANCELLED.value,
            )
        )
        return support_from_row(row) if row else None

    async def update(self, support: Support) -> None:
        row = await self._s.get(SupportRow, support.id)
        if row is None:
            raise LookupError(support.id)
        _fill_support(row, support)
        await self._s.flush()

    async def assigned(self, commune_ids: Sequence[int], offset: int = 0,
                       limit: int | None = None) -> list[Support]:
        query = (select(SupportRow).join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
                 .where(*_assigned(commune_ids))
                 .order_by(SupportRow.created_at, SupportRow.id))
        if limit is not None:
            query = query.offset(offset).limit(limit)
        return [support_from_row(r) for r in await self._s.scalars(query)]

    async def count_assigned(self, commune_ids: Sequence[int], limit: int | None = None
                             ) -> int:
        waiting = (select(SupportRow.id)
                   .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
                   .where(*_assigned(commune_ids)))
        if limit is not None:  # a province's forty thousand are not counted on each look
            waiting = waiting.limit(limit)
        return await self._s.scalar(select(func.count()).select_from(waiting.subquery())) or 0

    async def drawn_from(self, receipt_ids: Sequence[int]) -> list[Support]:
        if not receipt_ids:
            return []
        rows = await self._s.scalars(
            select(SupportRow)
            .where(SupportRow.receipt_id.in_(list(receipt_ids)),
                   SupportRow.status != SupportStatus.CANCELLED.value)
            .order_by(SupportRow.id)
        )
        return [support_from_row(r) for r in rows]

    async def using_pledge(self, pledge_id: int) -> int:
        return await self._s.scalar(
            select(func.count()).select_from(SupportRow)
            .where(SupportRow.pledge_id == pledge_id,
                   SupportRow.status != SupportStatus.CANCELLED.value)) or 0


def _assigned(commune_ids: Sequence[int]) -> tuple[ColumnElement[bool], ...]:
    """Whole phones and parts of the price of these communes still to be handed over, to
    people who live there (joined to ResidentRow by the caller)."""
    ids = list(commune_ids)  # a province's 10,000: written into the statement (among)
    return (among(SupportRow.commune_id, ids), among(ResidentRow.commune_id, ids),
            SupportRow.kind.in_([SupportKind.WHOLE.value, SupportKind.PARTIAL.value]),
            SupportRow.status == SupportStatus.ASSIGNED.value)
