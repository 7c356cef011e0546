"""The units' revision: a number that moves with every change to a unit, so that a process
that keeps the units tree in memory (admin/scoping.py) knows when to read it again."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UnitRevisionRow

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
