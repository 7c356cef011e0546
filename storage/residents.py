"""Repositories: queries in, core records out. ORM rows never leave this module."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.importing import ResidentExport
from core.model import (
    Actor,
    AuditEntry,
    ClassSource,
    Gender,
    Household,
    Level,
    Official,
    Policy,
    Poverty,
    Resident,
    Role,
    Status,
    Unit,
)
from core.ports import Waiting
from core.priority import Candidate
from storage.models import (
    AuditRow,
    Base,
    HouseholdRow,
    OfficialRow,
    ResidentRow,
    SupportRow,
    UnitMappingRow,
    UnitRow,
)
from storage.name_search import write_tails
from storage.unit_tree import bump_unit_revision

Folder = Callable[[str], str]

OFFICIAL_BY_ID = select(OfficialRow.__table__).where(
    OfficialRow.__table__.c.id == bindparam("id"))


def _utc(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; everything we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


async def insert_all(
    session: AsyncSession, model: type[Base], rows: Sequence[dict[str, object]]
) -> list[int]:
    """Insert many rows in a few statements (not one flush each); their ids, in row order."""
    if not rows:
        return []
    # The table, not the ORM class: the ORM's bulk INSERT leaves out the keys that are None
    # and starts a new statement whenever that set changes (a phone, then money, ...).
    table = cast(Table, model.__table__)
    key = table.primary_key.columns[0]
    if session.bind.dialect.name != "sqlite":
        # multi-row INSERT ... RETURNING, its rows put back in parameter order by SQLAlchemy
        statement = insert(table).returning(key, sort_by_parameter_order=True)
        return list((await session.scalars(statement, list(rows))).all())
    # SQLite: SQLAlchemy would send such a RETURNING one row at a time to keep the order.
    # A row gets one more than the largest rowid (SQLite's documented algorithm) and this
    # transaction holds the only write lock from its first write: the ids are consecutive.
    await session.execute(insert(table), list(rows))
    last = int(await session.scalar(select(func.max(key))) or 0)
    return list(range(last - len(rows) + 1, last + 1))


async def units_of(session: AsyncSession, dataset: str) -> list[Unit]:
    """Every unit of a dataset in id order, read as plain rows: a country's fifty thousand
    as ORM objects cost a second and a half, and nothing here changes them."""
    rows = await session.execute(select(UNITS).where(UNITS.c.dataset == dataset)
                                 .order_by(UNITS.c.id))
    return [unit_from_row(r) for r in rows]


def _now() -> datetime:
    return datetime.now(UTC)


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
    )


class SqlUnits:
    def __init__(self, session: AsyncSession, fold: Folder) -> None:
        self._s = session
        self._fold = fold

    async def get(self, unit_id: int) -> Unit | None:
        # A Core row, not an ORM object: read on most chat updates, where the ORM's
        # identity map and loading cost more than the query.
        row = (await self._s.execute(UNIT_BY_ID, {"id": unit_id})).first()
        return unit_from_row(row) if row else None  # type: ignore[arg-type]

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
        await self._s.flush()
        await bump_unit_revision(self._s)  # other processes re-read their units tree
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
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

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
        row = HouseholdRow(created_at=_now())
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


def resident_from_row(row: ResidentRow) -> Resident:
    return Resident(
        id=row.id,
        household_id=row.household_id,
        commune_id=row.commune_id,
        village_id=row.village_id,
        full_name=row.full_name,
        date_of_birth=row.date_of_birth,
        gender=Gender(row.gender) if row.gender else None,
        citizen_id=row.citizen_id,
        legacy_id=row.legacy_id,
        has_smartphone=row.has_smartphone,
        phone=row.phone,
        status=Status(row.status),
        reject_reason=row.reject_reason,
        registered_by=row.registered_by,
        registered_at=_utc(row.registered_at),
        approved_by=row.approved_by,
        approved_at=_utc(row.approved_at),
        consent=row.consent,
    )


CHUNK = 500  # ids in one IN (...): well under SQLite's limit of bound parameters


class SqlResidents:
    def __init__(self, session: AsyncSession, fold: Folder) -> None:
        self._s = session
        self._fold = fold

    async def get(self, resident_id: int) -> Resident | None:
        row = await self._s.get(ResidentRow, resident_id)
        return resident_from_row(row) if row else None

    async def by_citizen_id(self, citizen_id: str) -> Resident | None:
        row = await self._s.scalar(select(ResidentRow).where(ResidentRow.citizen_id == citizen_id))
        return resident_from_row(row) if row else None

    async def same_person(self, commune_id: int, name_key: str, born: date) -> list[Resident]:
        rows = await self._s.scalars(
            select(ResidentRow).where(
                ResidentRow.commune_id == commune_id,
                ResidentRow.name_key == name_key,
                ResidentRow.date_of_birth == born,
            )
        )
        return [resident_from_row(r) for r in rows]

    async def in_household(self, household_id: int) -> list[Resident]:
        rows = await self._s.scalars(
            select(ResidentRow).where(ResidentRow.household_id == household_id).order_by(
                ResidentRow.id
            )
        )
        return [resident_from_row(r) for r in rows]

    async def in_units(self, unit_ids: Sequence[int]) -> list[Resident]:
        ids = list(unit_ids)
        rows = await self._s.scalars(
            select(ResidentRow)
            .where(or_(ResidentRow.commune_id.in_(ids), ResidentRow.village_id.in_(ids)))
            .order_by(ResidentRow.id)
        )
        return [resident_from_row(r) for r in rows]

    def _fill(self, row: ResidentRow, r: Resident) -> None:
        row.household_id = r.household_id
        row.commune_id = r.commune_id
        row.village_id = r.village_id
        row.full_name = r.full_name
        row.name_key = self._fold(r.full_name)
        row.date_of_birth = r.date_of_birth
        row.gender = r.gender.value if r.gender else None
        row.citizen_id = r.citizen_id
        row.legacy_id = r.legacy_id
        row.has_smartphone = r.has_smartphone
        row.phone = r.phone
        row.status = r.status.value
        row.reject_reason = r.reject_reason
        row.consent = r.consent
        row.registered_by = r.registered_by
        row.registered_at = r.registered_at or _now()
        row.approved_by = r.approved_by
        row.approved_at = r.approved_at

    async def add(self, resident: Resident) -> Resident:
        row = ResidentRow()
        self._fill(row, resident)
        self._s.add(row)
        await self._s.flush()
        await write_tails(self._s, row.id, row.name_key)
        return resident_from_row(row)

    async def update(self, resident: Resident) -> None:
        row = await self._s.get(ResidentRow, resident.id)
        if row is None:
            raise LookupError(resident.id)
        before = row.name_key
        self._fill(row, resident)
        await self._s.flush()
        if row.name_key != before:
            await write_tails(self._s, row.id, row.name_key)

    async def export_rows(self, unit_ids: Sequence[int] | None) -> list[ResidentExport]:
        commune, village = aliased(UnitRow), aliased(UnitRow)
        query = (
            select(ResidentRow, HouseholdRow, commune.name, commune.code, village.name,
                   village.code)
            .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
            .join(commune, commune.id == ResidentRow.commune_id)
            .join(village, village.id == ResidentRow.village_id)
            .order_by(ResidentRow.id)
        )
        if unit_ids is not None:
            ids = list(unit_ids)
            query = query.where(
                or_(ResidentRow.commune_id.in_(ids), ResidentRow.village_id.in_(ids))
            )
        return [_export_from_row(*row) for row in (await self._s.execute(query)).all()]

    async def candidates(self, commune_id: int) -> list[Candidate]:
        return [c for c, _ in await self._candidates([commune_id])]

    async def waiting_in(self, commune_ids: Sequence[int]) -> Waiting:
        found: Waiting = ({c: [] for c in commune_ids}, {c: {} for c in commune_ids})
        ids = list(commune_ids)
        for start in range(0, len(ids), CHUNK):  # one query per chunk, not per commune
            for c, household in await self._candidates(ids[start:start + CHUNK], waiting=True):
                found[0][c.commune_id].append(c)
                found[1][c.commune_id][c.resident_id] = household
        return found

    async def _candidates(self, commune_ids: Sequence[int], waiting: bool = False
                          ) -> list[tuple[Candidate, int]]:
        """Candidates with their household; waiting: only those rank() may queue, in SQL
        (at national size that is half the rows); their age is left to rank()."""
        member = aliased(ResidentRow)
        someone_has_one = (
            select(member.id)
            .where(member.household_id == ResidentRow.household_id, member.has_smartphone)
            .exists()
        )
        active = SupportRow.status != "cancelled"
        served = select(SupportRow.id).where(SupportRow.resident_id == ResidentRow.id, active)
        other = aliased(ResidentRow)
        whole_at_home = (
            select(SupportRow.id)
            .join(other, other.id == SupportRow.resident_id)
            .where(other.household_id == ResidentRow.household_id,
                   other.id != ResidentRow.id, SupportRow.kind == "whole", active)
        )
        query = (
            select(ResidentRow.id, ResidentRow.commune_id, ResidentRow.date_of_birth,
                   ResidentRow.status, ResidentRow.has_smartphone, ResidentRow.approved_at,
                   HouseholdRow.poverty, HouseholdRow.policy,
                   or_(HouseholdRow.has_smartphone, someone_has_one),
                   served.exists(), whole_at_home.exists(), ResidentRow.household_id)
            .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
            .where(ResidentRow.commune_id.in_(list(commune_ids)))
            .order_by(ResidentRow.id)
        )
        if waiting:
            query = query.where(
                ResidentRow.status == Status.APPROVED.value, ~ResidentRow.has_smartphone,
                HouseholdRow.poverty != Poverty.NONE.value, ~served.exists())
        return [(_candidate_from_row(*row[:-1]), row[-1])
                for row in (await self._s.execute(query)).all()]


def _candidate_from_row(
    resident_id: int, commune_id: int, date_of_birth: date, status: str, has_smartphone: bool,
    approved_at: datetime | None, poverty: str, policy: str, phone_at_home: bool, served: bool,
    whole_at_home: bool,
) -> Candidate:
    # plain columns, not ORM rows: a national allocation reads a million of them
    # served: any active support (a phone, money, a gift, another programme's device)
    return Candidate(
        resident_id=resident_id, commune_id=commune_id, date_of_birth=date_of_birth,
        status=Status(status), poverty=Poverty(poverty), policy=Policy(policy),
        has_smartphone=has_smartphone, household_has_smartphone=bool(phone_at_home),
        served=bool(served), household_got_whole_phone=bool(whole_at_home),
        approved_at=_utc(approved_at),
    )


def _export_from_row(
    r: ResidentRow, h: HouseholdRow, commune: str, commune_code: str, village: str,
    village_code: str,
) -> ResidentExport:
    return ResidentExport(
        id=r.id, commune=commune, commune_code=commune_code, village=village,
        village_code=village_code, household=h.code, household_head=h.head_name,
        full_name=r.full_name, date_of_birth=r.date_of_birth, gender=r.gender,
        citizen_id=r.citizen_id, legacy_id=r.legacy_id, poverty=h.poverty, policy=h.policy,
        has_smartphone=r.has_smartphone, phone=r.phone, status=r.status,
        approved_at=_utc(r.approved_at),
    )


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
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, official_id: int) -> Official | None:
        # A Core row, as SqlUnits.get: read on every update of a linked chat.
        row = (await self._s.execute(OFFICIAL_BY_ID, {"id": official_id})).first()
        return official_from_row(row) if row else None  # type: ignore[arg-type]

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
        row = OfficialRow(created_at=_now())
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


def _blanked(values: dict[str, object] | None, fields: Sequence[str]
             ) -> dict[str, object] | None:
    """A new dict (so the JSON column sees the change) with these fields set to None."""
    if values is None:
        return None
    return {k: (None if k in fields else v) for k, v in values.items()}


class SqlAudit:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def append(self, *entries: AuditEntry) -> None:
        if not entries:
            return
        await self._s.execute(insert(cast(Table, AuditRow.__table__)), [
            {"at": e.at, "actor_id": e.actor.official_id, "actor_label": e.actor.label,
             "action": e.action, "entity": e.entity, "entity_id": e.entity_id,
             "unit_id": e.unit_id, "before": e.before, "after": e.after}
            for e in entries
        ])

    async def redact(self, entity: str, entity_id: int, fields: Sequence[str]) -> None:
        rows = await self._s.scalars(
            select(AuditRow).where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
        )
        for row in rows:
            row.before = _blanked(row.before, fields)
            row.after = _blanked(row.after, fields)
        await self._s.flush()

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        rows = await self._s.scalars(
            select(AuditRow)
            .where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
            .order_by(AuditRow.id)
        )
        return [
            AuditEntry(
                at=_utc(r.at) or r.at,
                actor=Actor(label=r.actor_label, official_id=r.actor_id),
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                unit_id=r.unit_id,
                before=r.before,
                after=r.after,
            )
            for r in rows
        ]



