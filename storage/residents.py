"""Residents: the register's people, their search tails, and the candidates for support."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from types import SimpleNamespace
from typing import cast

from sqlalchemy import Exists, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.clock import Clock
from core.importing import ResidentExport
from core.model import Gender, Policy, Poverty, Resident, Status, SupportKind
from core.ports import Waiting
from core.priority import WHOLE_PHONE_ROUTES, Candidate
from storage.models import (
    HouseholdRow,
    ResidentNameTailRow,
    ResidentRow,
    SupportRow,
    UnitRow,
)
from storage.name_search import tails, write_tails
from storage.sql import CHUNK, Folder, insert_all, utc


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
        registered_at=utc(row.registered_at),
        approved_by=row.approved_by,
        approved_at=utc(row.approved_at),
        consent=row.consent,
        ethnicity=row.ethnicity,
    )


class SqlResidents:
    def __init__(self, session: AsyncSession, fold: Folder, clock: Clock) -> None:
        self._s = session
        self._fold = fold
        self._clock = clock

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
        for name, value in self._values(r).items():
            setattr(row, name, value)

    def _values(self, r: Resident) -> dict[str, object]:
        return {
            "household_id": r.household_id,
            "commune_id": r.commune_id,
            "village_id": r.village_id,
            "full_name": r.full_name,
            "name_key": self._fold(r.full_name),
            "date_of_birth": r.date_of_birth,
            "gender": r.gender.value if r.gender else None,
            "citizen_id": r.citizen_id,
            "legacy_id": r.legacy_id,
            "has_smartphone": r.has_smartphone,
            "phone": r.phone,
            "status": r.status.value,
            "reject_reason": r.reject_reason,
            "consent": r.consent,
            "ethnicity": r.ethnicity,
            "registered_by": r.registered_by,
            "registered_at": r.registered_at or self._clock(),
            "approved_by": r.approved_by,
            "approved_at": r.approved_at,
        }

    async def add(self, resident: Resident) -> Resident:
        row = ResidentRow()
        self._fill(row, resident)
        self._s.add(row)
        await self._s.flush()
        await write_tails(self._s, row.id, row.name_key)
        return resident_from_row(row)

    async def add_many(self, residents: Sequence[Resident]) -> list[Resident]:
        """add() for many: one INSERT of them all (their ids back in order), one of their
        tails, exactly as add() writes them."""
        if not residents:
            return []
        values = [self._values(r) for r in residents]
        ids = await insert_all(self._s, ResidentRow, values)
        await self._s.execute(insert(ResidentNameTailRow), [
            {"resident_id": i, "tail": t} for i, v in zip(ids, values, strict=True)
            for t in tails(str(v["name_key"]))])
        # read back as a row would be, without the ORM's bookkeeping of a new row
        return [resident_from_row(cast(ResidentRow, SimpleNamespace(id=i, **v)))
                for i, v in zip(ids, values, strict=True)]

    async def by_citizen_ids(self, citizen_ids: Sequence[str]) -> dict[str, Resident]:
        wanted, out = sorted(set(citizen_ids)), {}
        for start in range(0, len(wanted), CHUNK):
            for row in await self._s.scalars(select(ResidentRow).where(
                    ResidentRow.citizen_id.in_(wanted[start:start + CHUNK]))):
                out[str(row.citizen_id)] = resident_from_row(row)
        return out

    async def same_people(
        self, commune_id: int, people: Sequence[tuple[str, date]]
    ) -> dict[tuple[str, date], list[Resident]]:
        """The commune's residents of these names and birth dates."""
        wanted = set(people)
        keys = sorted({k for k, _ in wanted})
        # First the ids, by name alone: a commune of 100,000 holds hundreds of each common
        # name, cheap to read as three columns; a list of births beside the names would
        # have the index probe every pair of the two lists.
        matched: dict[int, tuple[str, date]] = {}
        for start in range(0, len(keys), CHUNK):
            found = await self._s.execute(
                select(ResidentRow.id, ResidentRow.name_key, ResidentRow.date_of_birth).where(
                    ResidentRow.commune_id == commune_id,
                    ResidentRow.name_key.in_(keys[start:start + CHUNK])))
            matched.update((i, (k, b)) for i, k, b in found if (k, b) in wanted)
        ids = sorted(matched)
        out: dict[tuple[str, date], list[Resident]] = {}
        for start in range(0, len(ids), CHUNK):
            for row in await self._s.scalars(select(ResidentRow).where(
                    ResidentRow.id.in_(ids[start:start + CHUNK])).order_by(ResidentRow.id)):
                out.setdefault(matched[row.id], []).append(resident_from_row(row))
        return out

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
        rows = (await self._s.execute(query)).all()
        devices = await self._devices({r.household_id for r, *_ in rows})
        return [_export_from_row(r, h, commune_name, commune_code, village_name, village_code,
                                 devices)
                for r, h, commune_name, commune_code, village_name, village_code in rows]

    async def _devices(self, household_ids: set[int]) -> _Devices:
        """Active supports by household and kind, and each supported person's own kind."""
        per_home: dict[int, dict[str, int]] = {}
        own: dict[int, str] = {}
        ids = sorted(household_ids)
        for start in range(0, len(ids), CHUNK):
            query = (
                select(ResidentRow.household_id, ResidentRow.id, SupportRow.kind)
                .join(SupportRow, SupportRow.resident_id == ResidentRow.id)
                .where(ResidentRow.household_id.in_(ids[start:start + CHUNK]),
                       SupportRow.status != "cancelled")
            )
            for home, resident, kind in (await self._s.execute(query)).all():
                kinds = per_home.setdefault(home, {})
                kinds[kind] = kinds.get(kind, 0) + 1
                own[resident] = kind
        return per_home, own

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

        def at_home(kinds: Sequence[SupportKind]) -> Exists:
            """Another member of the household holds an active support of one of these kinds."""
            return (
                select(SupportRow.id)
                .join(other, other.id == SupportRow.resident_id)
                .where(other.household_id == ResidentRow.household_id,
                       other.id != ResidentRow.id,
                       SupportRow.kind.in_([k.value for k in kinds]), active)
                .exists()
            )
        query = (
            select(ResidentRow.id, ResidentRow.commune_id, ResidentRow.date_of_birth,
                   ResidentRow.status, ResidentRow.has_smartphone, ResidentRow.approved_at,
                   HouseholdRow.poverty, HouseholdRow.policy,
                   or_(HouseholdRow.has_smartphone, someone_has_one,
                       at_home([SupportKind.SHOP_OFFER, SupportKind.OWN_PURCHASE])),
                   served.exists(), at_home(WHOLE_PHONE_ROUTES), ResidentRow.household_id)
            .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
            .where(ResidentRow.commune_id.in_(list(commune_ids)))
            .order_by(ResidentRow.id)
        )
        if waiting:
            query = query.where(
                ResidentRow.status == Status.APPROVED.value, ~ResidentRow.has_smartphone,
                HouseholdRow.poverty != Poverty.NONE.value, ~served.exists())
        return [(_candidate_from_row(*row), row[-1])
                for row in (await self._s.execute(query)).all()]


def _candidate_from_row(
    resident_id: int, commune_id: int, date_of_birth: date, status: str, has_smartphone: bool,
    approved_at: datetime | None, poverty: str, policy: str, phone_at_home: bool, served: bool,
    whole_at_home: bool, household_id: int,
) -> Candidate:
    # plain columns, not ORM rows: a national allocation reads a million of them
    # served: any active support (a phone, money, a gift, another programme's device)
    return Candidate(
        resident_id=resident_id, commune_id=commune_id, date_of_birth=date_of_birth,
        status=Status(status), poverty=Poverty(poverty), policy=Policy(policy),
        has_smartphone=has_smartphone, household_has_smartphone=bool(phone_at_home),
        served=bool(served), household_got_whole_phone=bool(whole_at_home),
        approved_at=utc(approved_at), household_id=household_id,
    )


_Devices = tuple[dict[int, dict[str, int]], dict[int, str]]


def _export_from_row(
    r: ResidentRow, h: HouseholdRow, commune: str, commune_code: str, village: str,
    village_code: str, devices: _Devices,
) -> ResidentExport:
    kinds = devices[0].get(h.id, {})
    return ResidentExport(
        id=r.id, commune=commune, commune_code=commune_code, village=village,
        village_code=village_code, household=h.code, household_head=h.head_name,
        full_name=r.full_name, date_of_birth=r.date_of_birth, gender=r.gender,
        citizen_id=r.citizen_id, legacy_id=r.legacy_id, poverty=h.poverty, policy=h.policy,
        has_smartphone=r.has_smartphone, phone=r.phone, status=r.status,
        approved_at=utc(r.approved_at), household_has_smartphone=h.has_smartphone,
        household_whole_phones=kinds.get(SupportKind.WHOLE.value, 0),
        household_other_programme=kinds.get(SupportKind.OTHER_PROGRAMME.value, 0),
        household_direct_gifts=kinds.get(SupportKind.DIRECT_GIFT.value, 0),
        household_shop_offers=kinds.get(SupportKind.SHOP_OFFER.value, 0),
        support=devices[1].get(r.id),
        ethnicity=r.ethnicity,
    )
