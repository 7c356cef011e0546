"""Households: the register's families, each in one commune and village."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.model import ClassSource, Household, Policy, Poverty
from storage.models import HouseholdRow
from storage.sql import CHUNK, insert_all


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
    for name, value in _household_values(h).items():
        setattr(row, name, value)


def _household_values(h: Household) -> dict[str, object]:
    return {"commune_id": h.commune_id, "village_id": h.village_id, "code": h.code,
            "head_name": h.head_name, "poverty": h.poverty.value, "policy": h.policy.value,
            "has_smartphone": h.has_smartphone, "class_source": h.class_source.value,
            "review_year": h.review_year}


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

    async def add_many(self, households: Sequence[Household]) -> list[Household]:
        """add() for many, in one INSERT; their ids come back in order."""
        if not households:
            return []
        at = self._clock()
        values = [{**_household_values(h), "created_at": at} for h in households]
        ids = await insert_all(self._s, HouseholdRow, values)
        return [household_from_row(cast(HouseholdRow, SimpleNamespace(id=i, **v)))
                for i, v in zip(ids, values, strict=True)]

    async def by_codes(self, commune_id: int, codes: Sequence[str]) -> dict[str, Household]:
        wanted, out = sorted(set(codes)), {}
        for start in range(0, len(wanted), CHUNK):
            for row in await self._s.scalars(select(HouseholdRow).where(
                    HouseholdRow.commune_id == commune_id,
                    HouseholdRow.code.in_(wanted[start:start + CHUNK]))):
                out[row.code] = household_from_row(row)
        return out

    async def get_many(self, household_ids: Sequence[int]) -> dict[int, Household]:
        wanted, out = sorted(set(household_ids)), {}
        for start in range(0, len(wanted), CHUNK):
            for row in await self._s.scalars(select(HouseholdRow).where(
                    HouseholdRow.id.in_(wanted[start:start + CHUNK]))):
                out[row.id] = household_from_row(row)
        return out

    async def count_in_commune(self, commune_id: int) -> int:
        count = await self._s.scalar(
            select(func.count()).select_from(HouseholdRow).where(
                HouseholdRow.commune_id == commune_id
            )
        )
        return int(count or 0)
