"""Units (provinces, communes, villages) and the mappings between two datasets' units."""

from __future__ import annotations

from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Row, Table, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Level, Unit
from storage.models import UnitMappingRow, UnitRow
from storage.sql import Folder, utc
from storage.unit_tree import bump_unit_revision, unit_revision

_LEVELS = {level.value: level for level in Level}
UNITS = cast(Table, UnitRow.__table__)
UNIT_BY_ID = select(UNITS).where(UNITS.c.id == bindparam("id"))


def unit_from_row(row: UnitRow | Row[Any]) -> Unit:
    """A unit from its ORM row or a plain row of the units table."""
    return Unit(
        id=row.id,
        dataset=row.dataset,
        code=row.code,
        name=row.name,
        level=_LEVELS[row.level],
        parent_id=row.parent_id,
        adult_population=row.adult_population,
        household_population=row.household_population,
        address=row.address,
        sample=row.sample,
        pilot=bool(row.pilot),
        survey_done_at=utc(row.survey_done_at),
        no_signal=bool(row.no_signal),
    )


# Each database's units as of one units' revision, per dataset: every report and every
# dashboard needs them all, and a country's hundred thousand cost a tenth of a second to read
# and build each time, for a list that changes only when a unit is saved (which moves the
# revision, read here first: one row). Kept per engine, so that two databases never share.
_KEPT: WeakKeyDictionary[object, dict[str, tuple[int, tuple[Unit, ...]]]] = WeakKeyDictionary()
CHANGED = "units_changed"  # session.info: this transaction saved a unit (not yet committed)


async def units_of(session: AsyncSession, dataset: str) -> list[Unit]:
    """Every unit of a dataset in id order, read as plain rows: a country's fifty thousand
    as ORM objects cost a second and a half, and nothing here changes them. Read again only
    when the units' revision has moved since the last read on this database; a transaction
    that saved a unit reads its own, and keeps nothing (it may be rolled back)."""
    own = bool(session.info.get(CHANGED))
    engine = session.get_bind()
    revision = await unit_revision(session)
    kept = _KEPT.setdefault(engine, {}) if not own else {}
    found = kept.get(dataset)
    if found is not None and found[0] == revision:
        return list(found[1])
    rows = await session.execute(select(UNITS).where(UNITS.c.dataset == dataset)
                                 .order_by(UNITS.c.id))
    units = [unit_from_row(r) for r in rows]
    kept[dataset] = (revision, tuple(units))
    return units


class SqlUnits:
    def __init__(self, session: AsyncSession, fold: Folder) -> None:
        self._s = session
        self._fold = fold

    async def get(self, unit_id: int) -> Unit | None:
        # A Core row, not an ORM object: read on most chat updates, where the ORM's
        # identity map and loading cost more than the query.
        row = (await self._s.execute(UNIT_BY_ID, {"id": unit_id})).first()
        return unit_from_row(row) if row else None

    async def by_code(self, dataset: str, code: str) -> Unit | None:
        row = await self._s.scalar(
            select(UnitRow).where(UnitRow.dataset == dataset, UnitRow.code == code)
        )
        return unit_from_row(row) if row else None

    async def matching(self, dataset: str, name_key: str) -> list[Unit]:
        rows = await self._s.scalars(
            select(UnitRow)
            .where(
                UnitRow.dataset == dataset,
                or_(UnitRow.name_key == name_key, UnitRow.name_key.like(f"% {name_key}")),
            )
            .order_by(UnitRow.id)
        )
        return [unit_from_row(r) for r in rows]

    async def children(self, unit_id: int) -> list[Unit]:
        rows = await self._s.scalars(
            select(UnitRow).where(UnitRow.parent_id == unit_id).order_by(UnitRow.code)
        )
        return [unit_from_row(r) for r in rows]

    async def all(self, dataset: str) -> list[Unit]:
        return await units_of(self._s, dataset)

    async def datasets(self) -> list[str]:
        rows = await self._s.scalars(select(UnitRow.dataset).distinct().order_by(UnitRow.dataset))
        return list(rows)

    async def save(self, unit: Unit) -> Unit:
        row = await self._s.get(UnitRow, unit.id) if unit.id else None
        if row is None:
            row = UnitRow()
            self._s.add(row)
        row.dataset = unit.dataset
        row.code = unit.code
        row.name = unit.name
        row.name_key = self._fold(unit.name)
        row.level = unit.level.value
        row.parent_id = unit.parent_id
        row.adult_population = unit.adult_population
        row.household_population = unit.household_population
        row.address = unit.address
        row.sample = unit.sample
        row.pilot = unit.pilot
        row.survey_done_at = unit.survey_done_at
        row.no_signal = unit.no_signal
        await self._s.flush()
        await bump_unit_revision(self._s)  # other processes re-read their units tree
        self._s.info[CHANGED] = True  # and this transaction reads them, not a kept list
        return unit_from_row(row)

    async def add_mapping(self, from_id: int, to_id: int) -> bool:
        exists = await self._s.scalar(
            select(UnitMappingRow.id).where(
                UnitMappingRow.from_unit_id == from_id, UnitMappingRow.to_unit_id == to_id
            )
        )
        if exists:
            return False
        self._s.add(UnitMappingRow(from_unit_id=from_id, to_unit_id=to_id))
        await self._s.flush()
        return True

    async def mapped_to(self, unit_id: int) -> list[Unit]:
        rows = await self._s.scalars(
            select(UnitRow)
            .join(UnitMappingRow, UnitMappingRow.to_unit_id == UnitRow.id)
            .where(UnitMappingRow.from_unit_id == unit_id)
        )
        return [unit_from_row(r) for r in rows]
