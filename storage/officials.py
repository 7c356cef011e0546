"""Officials: the people who log in to the admin and link a chat."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.model import Official, Role
from storage.models import OfficialRow

OFFICIALS = cast(Table, OfficialRow.__table__)
OFFICIAL_BY_ID = select(OFFICIALS).where(OFFICIALS.c.id == bindparam("id"))


def official_from_row(row: OfficialRow | Row[Any]) -> Official:
    return Official(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        unit_id=row.unit_id,
        login=row.login,
        password_hash=row.password_hash,
        active=row.active,
    )


class SqlOfficials:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def get(self, official_id: int) -> Official | None:
        # A Core row, as SqlUnits.get: read on every update of a linked chat.
        row = (await self._s.execute(OFFICIAL_BY_ID, {"id": official_id})).first()
        return official_from_row(row) if row else None

    async def by_login(self, login: str) -> Official | None:
        row = await self._s.scalar(select(OfficialRow).where(OfficialRow.login == login))
        return official_from_row(row) if row else None

    async def in_unit(self, unit_id: int) -> list[Official]:
        rows = await self._s.scalars(
            select(OfficialRow)
            .where(OfficialRow.unit_id == unit_id, OfficialRow.active.is_(True))
            .order_by(OfficialRow.id)
        )
        return [official_from_row(r) for r in rows]

    async def add(self, official: Official) -> Official:
        row = OfficialRow(created_at=self._clock())
        self._fill(row, official)
        self._s.add(row)
        await self._s.flush()
        return official_from_row(row)

    async def update(self, official: Official) -> None:
        row = await self._s.get(OfficialRow, official.id)
        if row is None:
            raise LookupError(official.id)
        self._fill(row, official)
        await self._s.flush()

    @staticmethod
    def _fill(row: OfficialRow, o: Official) -> None:
        row.name = o.name
        row.role = o.role.value
        row.unit_id = o.unit_id
        row.login = o.login
        row.password_hash = o.password_hash
        row.active = o.active
