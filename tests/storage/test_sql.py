"""storage.sql.among: a filter on a list of ids of any length (issue 21: a province's fifty
thousand units, past the drivers' limit of 32,767 bound values)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.model import Level, Unit
from storage.models import UnitRow
from storage.sql import BOUND_IDS, among
from storage.uow import SqlUnitOfWorkFactory

MANY = 50_000  # a country's units: more than 32,767


async def test_a_long_list_of_ids_finds_what_a_short_one_finds(
    uow: SqlUnitOfWorkFactory, engine: AsyncEngine
) -> None:
    async with uow() as u:
        p = await u.units.save(Unit(0, "2023", "06", "P", Level.PROVINCE))
        c = await u.units.save(Unit(0, "2023", "02173", "C", Level.COMMUNE, p.id))
        await u.commit()
    wide = [*range(10_000_000, 10_000_000 + MANY), c.id]  # strangers, then one unit
    assert len(wide) > BOUND_IDS
    async with engine.connect() as conn:
        def count(ids: list[int]) -> object:
            return conn.scalar(select(func.count()).select_from(UnitRow)
                               .where(among(UnitRow.id, ids)))
        assert await count(wide) == 1
        assert await count([c.id, p.id]) == 2
        assert await count(wide[:-1]) == 0


async def test_the_report_listing_and_the_invitations_take_a_countrys_units(
    uow: SqlUnitOfWorkFactory,
) -> None:
    """The two reads that took a province's ids as bound values, and failed at national size."""
    ids = list(range(1, MANY + 1))
    async with uow() as u:
        assert await u.reports.listing(ids, 10) == []
        assert await u.views.pending_invitations(ids, datetime(2023, 9, 1, tzinfo=UTC)) == []
