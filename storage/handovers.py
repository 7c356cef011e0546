"""Handovers (a support put into someone's hands) and the cases they open."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.model import Case, CaseKind, Confirmation, Handover, HandoverExport
from storage.models import CaseRow, HandoverRow, ResidentRow, SupportRow, UnitRow
from storage.sql import among, utc
from storage.supports import support_from_row


def handover_from_row(row: HandoverRow) -> Handover:
    return Handover(
        id=row.id, support_id=row.support_id, code=row.code,
        handed_at=utc(row.handed_at) or row.handed_at, serial=row.serial,
        checklist=dict(row.checklist or {}), handed_by=row.handed_by,
        confirmed_at=utc(row.confirmed_at),
        confirmation=Confirmation(row.confirmation) if row.confirmation else None,
        confirmed_via=row.confirmed_via, confirmed_chat=row.confirmed_chat,
    )


def case_from_row(row: CaseRow) -> Case:
    return Case(
        id=row.id, handover_id=row.handover_id, kind=CaseKind(row.kind),
        opened_at=utc(row.opened_at) or row.opened_at, note=row.note,
        closed_at=utc(row.closed_at), closed_by=row.closed_by, resolution=row.resolution,
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
        row.confirmed_chat = handover.confirmed_chat
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
        return await self._exports(commune_ids, newest=False)

    async def newest(self, commune_ids: Sequence[int], offset: int, limit: int
                     ) -> list[HandoverExport]:
        return await self._exports(commune_ids, newest=True, offset=offset, limit=limit)

    async def count_in(self, commune_ids: Sequence[int]) -> int:
        return await self._s.scalar(
            select(func.count()).select_from(HandoverRow)
            .join(SupportRow, SupportRow.id == HandoverRow.support_id)
            .where(among(SupportRow.commune_id, commune_ids))) or 0

    async def _exports(self, commune_ids: Sequence[int] | None, newest: bool,
                       offset: int = 0, limit: int | None = None) -> list[HandoverExport]:
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
            .order_by(*((HandoverRow.handed_at.desc(), HandoverRow.id.desc()) if newest
                        else (HandoverRow.handed_at, HandoverRow.id)))
        )
        if commune_ids is not None:
            query = query.where(among(SupportRow.commune_id, commune_ids))
        if limit is not None:
            query = query.offset(offset).limit(limit)
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

    async def open_cases(self, commune_ids: Sequence[int], offset: int = 0,
                         limit: int | None = None) -> list[Case]:
        return await self._cases(commune_ids, CaseRow.closed_at.is_(None), offset, limit)

    async def count_open_cases(self, commune_ids: Sequence[int]) -> int:
        return await self._s.scalar(
            select(func.count()).select_from(CaseRow)
            .join(HandoverRow, HandoverRow.id == CaseRow.handover_id)
            .join(SupportRow, SupportRow.id == HandoverRow.support_id)
            .where(CaseRow.closed_at.is_(None),
                   among(SupportRow.commune_id, commune_ids))) or 0

    async def cases_in(self, commune_ids: Sequence[int]) -> list[Case]:
        return await self._cases(commune_ids, true())

    async def _cases(self, commune_ids: Sequence[int], which: ColumnElement[bool],
                     offset: int = 0, limit: int | None = None) -> list[Case]:
        query = (
            select(CaseRow)
            .join(HandoverRow, HandoverRow.id == CaseRow.handover_id)
            .join(SupportRow, SupportRow.id == HandoverRow.support_id)
            .where(which, among(SupportRow.commune_id, commune_ids))
            .order_by(CaseRow.opened_at, CaseRow.id)
        )
        if limit is not None:
            query = query.offset(offset).limit(limit)
        return [case_from_row(r) for r in await self._s.scalars(query)]
