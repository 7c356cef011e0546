"""The units' revision: a number that moves with every change to a unit, so that a process
that keeps the units tree in memory (admin/scoping.py) knows when to read it again."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Level, Unit
from storage.models import UnitRevisionRow, UnitRow

ROW = 1  # the table's only row, made by the migration


async def unit_revision(session: AsyncSession) -> int:
    found = await session.scalar(select(UnitRevisionRow.revision).where(UnitRevisionRow.id == ROW))
    return int(found or 0)


async def bump_unit_revision(session: AsyncSession) -> None:
    """Called by the repository that writes units; committed (or rolled back) with them."""
    done = await session.execute(update(UnitRevisionRow).where(UnitRevisionRow.id == ROW)
                                 .values(revision=UnitRevisionRow.revision + 1))
    if not getattr(done, "rowcount", 0):
        session.add(UnitRevisionRow(id=ROW, revision=1))
        await session.flush()


async def dataset_units(session: AsyncSession, dataset: str) -> list[Unit]:
    """Every unit of a dataset, read as plain rows: ten times faster than ORM objects for the
    tens of thousands of a national dataset."""
    table = UnitRow.__table__
    rows = await session.execute(select(table).where(table.c.dataset == dataset)
                                 .order_by(table.c.id))
    return [Unit(id=r.id, dataset=r.dataset, code=r.code, name=r.name, level=Level(r.level),
                 parent_id=r.parent_id, adult_population=r.adult_population,
                 household_population=r.household_population, address=r.address,
                 sample=r.sample) for r in rows]
