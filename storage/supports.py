"""Supports (who was served, and how), handovers and the cases they open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.errors import RuleError
from core.model import (
    Case,
    Confirmation,
    Handover,
    HandoverExport,
    Support,
    SupportKind,
    SupportStatus,
)
from storage.models import CaseRow, HandoverRow, ResidentRow, SupportRow, UnitRow
from storage.repositories import CHUNK, _utc, insert_all


def support_from_row(row: SupportRow) -> Support:
    return Support(
        id=row.id, resident_id=row.resident_id, kind=SupportKind(row.kind),
        commune_id=row.commune_id, status=SupportStatus(row.status),
        created_at=_utc(row.created_at) or row.created_at, amount=row.amount,
        holder_unit_id=row.holder_unit_id, receipt_id=row.receipt_id, plan_id=row.plan_id,
        giver=row.giver, note=row.note, recorded_by=row.recorded_by,
    )


def _support_values(s: Support) -> dict[str, object]:
    return {"resident_id": s.resident_id, "kind": s.kind.value, "commune_id": s.commune_id,
            "status": s.status.value, "created_at": s.created_at, "amount": s.amount,
            "holder_unit_id": s.holder_unit_id, "receipt_id": s.receipt_id,
            "plan_id": s.plan_id, "giver": s.giver, "note": s.note,
            "recorded_by": s.recorded_by}


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

    async def assigned(self, commune_ids: Sequence[int]) -> list[Support]:
        rows = await self._s.scalars(
            select(SupportRow)
            .where(
                SupportRow.commune_id.in_(list(commune_ids)),
                SupportRow.kind.in_([SupportKind.WHOLE.value, SupportKind.PARTIAL.value]),
                SupportRow.status == SupportStatus.ASSIGNED.value,
            )
            .order_by(SupportRow.created_at, SupportRow.id)
        )
        return [support_from_row(r) for r in rows]

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


def handover_from_row(row: HandoverRow) -> Handover:
    return Handover(
        id=row.id, support_id=row.support_id, code=row.code,
        handed_at=_utc(row.handed_at) or row.handed_at, serial=row.serial,
        checklist=dict(row.checklist or {}), handed_by=row.handed_by,
        confirmed_at=_utc(row.confirmed_at),
        confirmation=Confirmation(row.confirmation) if row.confirmation else None,
        confirmed_via=row.confirmed_via,
    )


def case_from_row(row: CaseRow) -> Case:
    return Case(
        id=row.id, handover_id=row.handover_id, kind=Confirmation(row.kind),
        opened_at=_utc(row.opened_at) or row.opened_at, note=row.note,
        closed_at=_utc(row.closed_at), closed_by=row.closed_by, resolution=row.resolution,
    )


class SqlHandovers:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, handover: Handover) -> Handover:
        row = HandoverRow(
            support_id=handover.support_id, code=handover.code, handed_at=handover.handed_at,
            serial=handover.serial, checklist=dict(handover.checklist),
            handed_by=handover.handed_by,
        )
        self._s.add(row)
        await self._s.flush()
        return handover_from_row(row)

    async def by_code(self, code: str) -> Handover | None:
        row = await self._s.scalar(select(HandoverRow).where(HandoverRow.code == code))
        return handover_from_row(row) if row else None

    async def for_support(self, support_id: int) -> Handover | None:
        row = await self._s.scalar(
            select(HandoverRow).where(HandoverRow.support_id == support_id)
        )
        return handover_from_row(row) if row else None

    async def for_supports(self, support_ids: Sequence[int]) -> dict[int, Handover]:
        if not support_ids:
            return {}
        rows = await self._s.scalars(
            select(HandoverRow).where(HandoverRow.support_id.in_(list(support_ids)))
        )
        return {r.support_id: handover_from_row(r) for r in rows}

    async def update(self, handover: Handover) -> None:
        row = await self._s.get(HandoverRow, handover.id)
        if row is None:
            raise LookupError(handover.id)
        row.serial = handover.serial
        row.checklist = dict(handover.checklist)
        row.confirmed_at = handover.confirmed_at
        row.confirmation = handover.confirmation.value if handover.confirmation else None
        row.confirmed_via = handover.confirmed_via
        await self._s.flush()

    async def add_case(self, case: Case) -> Case:
        row = CaseRow(handover_id=case.handover_id, kind=case.kind.value,
                      opened_at=case.opened_at, note=case.note)
        self._s.add(row)
        await self._s.flush()
        return case_from_row(row)

    async def update_case(self, case: Case) -> None:
        row = await self._s.get(CaseRow, case.id)
        if row is None:
            raise LookupError(case.id)
        row.note = case.note
        row.closed_at = case.closed_at
        row.closed_by = case.closed_by
        row.resolution = case.resolution
        await self._s.flush()

    async def get(self, handover_id: int) -> Handover | None:
        row = await self._s.get(HandoverRow, handover_id)
        return handover_from_row(row) if row else None

    async def by_serial(self, serial: str) -> Handover | None:
        row = await self._s.scalar(
            select(HandoverRow).where(HandoverRow.serial == serial).limit(1)
        )
        return handover_from_row(row) if row else None

    async def export_rows(self, commune_ids: Sequence[int] | None) -> list[HandoverExport]:
        commune, village = aliased(UnitRow), aliased(UnitRow)
        still_open = (
            select(func.count(CaseRow.id))
            .where(CaseRow.handover_id == HandoverRow.id, CaseRow.closed_at.is_(None))
            .scalar_subquery()
        )
        query = (
            select(HandoverRow, SupportRow, ResidentRow.full_name, commune.name, commune.code,
                   village.name, still_open)
            .join(SupportRow, SupportRow.id == HandoverRow.support_id)
            .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
            .join(commune, commune.id == SupportRow.commune_id)
            .join(village, village.id == ResidentRow.village_id)
            .order_by(HandoverRow.handed_at, HandoverRow.id)
        )
        if commune_ids is not None:
            query = query.where(SupportRow.commune_id.in_(list(commune_ids)))
        return [
            HandoverExport(handover_from_row(h), support_from_row(s), name, c_name, c_code,
                           v_name, cases)
            for h, s, name, c_name, c_code, v_name, cases in (await self._s.execute(query)).all()
        ]

    async def get_case(self, case_id: int) -> Case | None:
        row = await self._s.get(CaseRow, case_id)
        return case_from_row(row) if row else None

    async def cases_for(self, handover_id: int) -> list[Case]:
        rows = await self._s.scalars(
            select(CaseRow).where(CaseRow.handover_id == handover_id).order_by(CaseRow.id)
        )
        return [case_from_row(r) for r in rows]

    async def open_cases(self, commune_ids: Sequence[int]) -> list[Case]:
        rows = await self._s.scalars(
            select(CaseRow)
            .join(HandoverRow, HandoverRow.id == CaseRow.handover_id)
            .join(SupportRow, SupportRow.id == HandoverRow.support_id)
            .where(CaseRow.closed_at.is_(None), SupportRow.commune_id.in_(list(commune_ids)))
            .order_by(CaseRow.opened_at, CaseRow.id)
        )
        return [case_from_row(r) for r in rows]
