"""storage.sql.among: a filter on a list of ids of any length (issue 21: a province's fifty
thousand units, past the drivers' limit of 32,767 bound values); refresh_statistics: the
planner's figures renewed after a bulk insert."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.model import Household, Level, Policy, Poverty, Unit
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


async def test_a_table_grown_by_half_is_analysed_after_the_commit(
    uow: SqlUnitOfWorkFactory, engine: AsyncEngine
) -> None:
    """Worked out: 1,500 households into an empty table is past 1,000 rows and past half of
    none: analysed, the planner then counts 1,500. 600 more are under 1,000: not analysed,
    still 1,500. 500 more make 1,100 since, past 1,000 and half of 1,500 (750): analysed,
    2,600. On SQLite nothing is analysed (its look-ups do not depend on it)."""
    async with uow() as u:
        p = await u.units.save(Unit(0, "2023", "06", "P", Level.PROVINCE))
        c = await u.units.save(Unit(0, "2023", "02173", "C", Level.COMMUNE, p.id))
        v = await u.units.save(Unit(0, "2023", "V1", "V", Level.VILLAGE, c.id))
        await u.commit()

    def households(start: int, count: int) -> list[Household]:
        return [Household(0, c.id, v.id, f"H-{n:05d}", "Nguyen Van A", Poverty.POOR,
                          Policy.NONE, False) for n in range(start, start + count)]

    async def planner_rows() -> float | None:
        if engine.dialect.name == "sqlite":
            return None
        async with engine.connect() as conn:
            return float(await conn.scalar(text(
                "SELECT reltuples FROM pg_class WHERE relname = 'households'")) or 0)

    expected = [1500.0, 1500.0, 2600.0] if engine.dialect.name != "sqlite" else [None] * 3
    seen = []
    async with uow() as u:
        for start, count in ((0, 1500), (1500, 600), (2100, 500)):
            await u.households.add_many(households(start, count))
            await u.commit()
            seen.append(await planner_rows())
    assert seen == expected
