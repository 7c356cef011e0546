"""Households: the register's families, each in one commune and village."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.model import ClassSource, Household, Policy, Poverty
from storage.models import HouseholdRow


def household_from_row(row: HouseholdRow) -> Household:
    return Household(
        id=row.id,
        commune_id=row.commune_id,
        village_id=row.village_id,
        code=row.code,
        head_name=row.head_name,
        poverty=Poverty(row.poverty),
        policy=Policy(row.policy),
        has_smartphone=row.has_smartphone,
        class_source=ClassSource(row.class_source),
        review_year=row.review_year,
    )


def _fill_household(row: HouseholdRow, h: Household) -> None:
    row.commune_id = h.commune_id
    row.village_id = h.village_id
    row.code = h.code
    row.head_name = h.head_name
    row.poverty = h.poverty.value
    row.policy = h.policy.value
    row.has_smartphone = h.has_smartphone
    row.class_source = h.class_source.value
    row.review_year = h.review_year


class SqlHouseholds:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._s = session
        self._clock = clock

    async def get(self, household_id: int) -> Household | None:
        row = await self._s.get(HouseholdRow, household_id)
        return household_from_row(row) if row else None

    async def by_code(self, commune_id: int, code: str) -> Household | None:
        row = await self._s.scalar(
            select(HouseholdRow).where(
                HouseholdRow.commune_id == commune_id, HouseholdRow.code == code
            )
        )
        return household_from_row(row) if row else None

    async def in_village(self, village_id: int) -> list[Household]:
        rows = await self._s.scalars(
            select(HouseholdRow).where(HouseholdRow.village_id == village_id).order_by(
                HouseholdRow.code
            )
        )
        return [household_from_row(r) for r in rows]

    async def add(self, household: Household) -> Household:
        row = HouseholdRow(created_at=self._clock())
        _fill_household(row, household)
        self._s.add(row)
        await self._s.flush()
        return household_from_row(row)

    async def update(self, household: Household) -> None:
        row = await self._s.get(HouseholdRow, household.id)
        if row is None:
            raise LookupError(household.id)
        _fill_household(row, household)
        await self._s.flush()

    async def count_in_commune(self, commune_id: int) -> int:
        count = await self._s.scalar(
            select(func.count()).select_from(HouseholdRow).where(
                HouseholdRow.commune_id == commune_id
            )
        )
        return int(count or 0)
