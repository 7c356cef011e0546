"""Pledges: what donors promised, before anything is received."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Pledge, PledgeKind, PledgeStatus
from storage.models import PledgeRow
from storage.sql import utc


def pledge_from_row(row: PledgeRow) -> Pledge:
    return Pledge(
        id=row.id, code=row.code, kind=PledgeKind(row.kind), status=PledgeStatus(row.status),
        created_at=utc(row.created_at) or row.created_at, quantity=row.quantity,
        condition=row.condition, model=row.model, amount=row.amount, offer=row.offer,
        commune_id=row.commune_id, donor_name=row.donor_name, contact=row.contact,
        channel=row.channel, chat_ref=row.chat_ref,
    )


class SqlPledges:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, pledge: Pledge) -> Pledge:
        row = PledgeRow(
            code=pledge.code, kind=pledge.kind.value, status=pledge.status.value,
            created_at=pledge.created_at, quantity=pledge.quantity, condition=pledge.condition,
            model=pledge.model, amount=pledge.amount, offer=pledge.offer,
            commune_id=pledge.commune_id, donor_name=pledge.donor_name, contact=pledge.contact,
            channel=pledge.channel, chat_ref=pledge.chat_ref,
        )
        self._s.add(row)
        await self._s.flush()
        return pledge_from_row(row)

    async def by_code(self, code: str) -> Pledge | None:
        row = await self._s.scalar(select(PledgeRow).where(PledgeRow.code == code))
        return pledge_from_row(row) if row else None

    async def get(self, pledge_id: int) -> Pledge | None:
        row = await self._s.get(PledgeRow, pledge_id)
        return pledge_from_row(row) if row else None

    async def all(self, commune_ids: Sequence[int] | None = None) -> list[Pledge]:
        query = select(PledgeRow).order_by(PledgeRow.id)
        if commune_ids is not None:
            query = query.where(PledgeRow.commune_id.in_(list(commune_ids)))
        return [pledge_from_row(r) for r in await self._s.scalars(query)]

    async def update_status(self, pledge_id: int, status: PledgeStatus) -> None:
        await self._s.execute(
            update(PledgeRow).where(PledgeRow.id == pledge_id).values(status=status.value)
        )
