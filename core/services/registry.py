"""Registering households and residents, and the commune's approval: the registry's use cases.

Each function works inside the caller's unit of work and never commits: the caller decides
where the transaction ends (one chat update, one admin form, one CLI command).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from core.ages import is_adult
from core.citizen_ids import check_citizen_id, gender_from_citizen_id, normalise_citizen_id
from core.codes import household_code
from core.errors import RuleError
from core.model import (
    Actor,
    ClassSource,
    Gender,
    Household,
    Level,
    Policy,
    Poverty,
    Resident,
    Status,
    Unit,
)
from core.names import addressed, name_key, normalise_name
from core.phones import normalise_phone
from core.ports import UnitOfWork
from core.services.audit import entry, record
from core.services.scope import require_within, within


@dataclass(frozen=True, slots=True)
class HouseholdForm:
    village_id: int
    head_name: str
    poverty: Poverty
    policy: Policy
    has_smartphone: bool
    code: str | None = None
    class_source: ClassSource = ClassSource.DECLARED
    review_year: int | None = None


@dataclass(frozen=True, slots=True)
class ResidentForm:
    full_name: str
    date_of_birth: date
    has_smartphone: bool
    citizen_id: str | None = None
    legacy_id: str | None = None
    gender: Gender | None = None
    phone: str | None = None
    consent: bool = True
    ethnicity: str | None = None


async def village(uow: UnitOfWork, village_id: int) -> Unit:
    unit = await uow.units.get(village_id)
    if unit is None or unit.level is not Level.VILLAGE or unit.parent_id is None:
        raise RuleError("registry-unknown-village")
    return unit


async def next_household_code(uow: UnitOfWork, village_unit: Unit) -> str:
    """A new code for a household that has none yet: the village code and a number."""
    assert village_unit.parent_id is not None
    n = await uow.households.count_in_commune(village_unit.parent_id) + 1
    while await uow.households.by_code(village_unit.parent_id, f"{village_unit.code}-{n:03d}"):
        n += 1
    return f"{village_unit.code}-{n:03d}"


async def register_household(
    uow: UnitOfWork, actor: Actor, form: HouseholdForm, now: datetime
) -> Household:
    """Add a household to a village; a code already used in the commune is named, not merged."""
    where = await village(uow, form.village_id)
    await require_within(uow, actor, where.id)
    commune_id = where.parent_id
    assert commune_id is not None
    typed = (form.code or "").strip()
    code = household_code(typed) if typed else await next_household_code(uow, where)
    existing = await uow.households.by_code(commune_id, code)
    if existing is not None:
        raise RuleError("registry-household-code-taken", code=code, head=existing.head_name)
    household = await uow.households.add(
        Household(
            id=0,
            commune_id=commune_id,
            village_id=where.id,
            code=code,
            head_name=normalise_name(form.head_name),
            poverty=form.poverty,
            policy=form.policy,
            has_smartphone=form.has_smartphone,
            class_source=form.class_source,
            review_year=form.review_year,
        )
    )
    await record(uow, actor, now, "create", "household", household.id, commune_id, after=household)
    return household


@dataclass(frozen=True, slots=True)
class IdConflict:
    """What the audit trail keeps of a citizen ID typed that another record holds: the two
    records' units (never the number). The entry belongs to the holder's commune, so that
    its officer sees it, and the caller, outside, does not."""

    held_in: str  # the holder's village and commune
    asked_for: str  # the commune of the record being registered or corrected
    outside: bool  # True: the caller was told only "registered in another place"


async def check_resident(
    uow: UnitOfWork, actor: Actor, commune_id: int, form: ResidentForm, today: date,
    now: datetime, exclude_id: int = 0,
) -> ResidentForm:
    """The form with every value normalised and checked; duplicates are named inside the
    caller's unit, and only said to exist outside it."""
    full_name, citizen_id, gender = _own_facts(form, today)
    if citizen_id:
        await _refuse_duplicate_id(uow, actor, commune_id, citizen_id, exclude_id, now)
    await _refuse_same_person(uow, commune_id, full_name, form.date_of_birth, exclude_id)
    phone = normalise_phone(form.phone) if form.phone else None
    return replace(form, full_name=full_name, citizen_id=citizen_id, gender=gender, phone=phone)


def resident_facts(form: ResidentForm, today: date) -> ResidentForm:
    """check_resident's checks that need no register (no duplicate looked for): the form
    normalised, or the RuleError check_resident would raise had it found no duplicate."""
    full_name, citizen_id, gender = _own_facts(form, today)
    phone = normalise_phone(form.phone) if form.phone else None
    return replace(form, full_name=full_name, citizen_id=citizen_id, gender=gender, phone=phone)


def _own_facts(form: ResidentForm, today: date) -> tuple[str, str | None, Gender | None]:
    full_name = normalise_name(form.full_name)
    if form.date_of_birth > today:
        raise RuleError("rules-date-future")
    if not is_adult(form.date_of_birth, today):
        raise RuleError("registry-minor", born=form.date_of_birth.strftime("%d/%m/%Y"))
    citizen_id = normalise_citizen_id(form.citizen_id) if form.citizen_id else None
    gender = form.gender
    if citizen_id:
        check_citizen_id(citizen_id, form.date_of_birth, gender)
        gender = gender or gender_from_citizen_id(citizen_id)
    return full_name, citizen_id, gender


async def _refuse_duplicate_id(
    uow: UnitOfWork, actor: Actor, commune_id: int, citizen_id: str, exclude_id: int,
    now: datetime,
) -> None:
    """The check stays province-wide; what it tells depends on where the holder lives.
    Every hit is kept in the trail, even when the caller's transaction rolls back."""
    other = await uow.residents.by_citizen_id(citizen_id)
    if other is None or other.id == exclude_id:
        return
    inside = await within(uow, actor, other.village_id)
    await uow.audit.keep(entry(
        actor, now, "id-conflict", "resident", other.id, other.commune_id,
        after=IdConflict(held_in=await _place_of(uow, other.village_id),
                         asked_for=await _place_of(uow, commune_id), outside=not inside)))
    if not inside:
        raise RuleError("registry-citizen-id-elsewhere")
    raise RuleError("registry-duplicate-citizen-id", **await _whereabouts(uow, other))


async def _place_of(uow: UnitOfWork, unit_id: int) -> str:
    """The unit's name and its parents' up to the commune: village, commune."""
    unit = await uow.units.get(unit_id)
    names: list[str] = []
    while unit is not None and unit.level in (Level.VILLAGE, Level.COMMUNE):
        names.append(unit.name)
        unit = await uow.units.get(unit.parent_id) if unit.parent_id is not None else None
    return ", ".join(names)


async def _refuse_same_person(
    uow: UnitOfWork, commune_id: int, full_name: str, born: date, exclude_id: int
) -> None:
    for other in await uow.residents.same_person(commune_id, name_key(full_name), born):
        if other.id != exclude_id:
            raise RuleError("registry-duplicate-person", **await _whereabouts(uow, other))


async def _whereabouts(uow: UnitOfWork, other: Resident) -> dict[str, object]:
    """Who the duplicate is and where: name, household, village (never the citizen ID)."""
    household = await uow.households.get(other.household_id)
    place = await uow.units.get(other.village_id)
    return {
        **addressed(other.full_name, other.gender),
        "born": other.date_of_birth.strftime("%d/%m/%Y"),
        "household": household.code if household else "",
        "head": household.head_name if household else "",
        "village": place.name if place else "",
        "resident_id": other.id,
    }


async def register_resident(
    uow: UnitOfWork, actor: Actor, household_id: int, form: ResidentForm, now: datetime,
    today: date,
) -> Resident:
    """Add a resident to a household, awaiting the commune's approval."""
    household = await uow.households.get(household_id)
    if household is None:
        raise RuleError("registry-unknown-household")
    await require_within(uow, actor, household.village_id)
    checked = await check_resident(uow, actor, household.commune_id, form, today, now)
    resident = await uow.residents.add(
        Resident(
            id=0,
            household_id=household.id,
            commune_id=household.commune_id,
            village_id=household.village_id,
            full_name=checked.full_name,
            date_of_birth=checked.date_of_birth,
            gender=checked.gender,
            citizen_id=checked.citizen_id,
            legacy_id=checked.legacy_id,
            has_smartphone=checked.has_smartphone,
            phone=checked.phone,
            status=Status.REGISTERED,
            registered_by=actor.official_id,
            registered_at=now,
            consent=checked.consent,
            ethnicity=checked.ethnicity,
        )
    )
    await record(
        uow, actor, now, "register", "resident", resident.id, household.commune_id, after=resident
    )
    return resident


async def resident_in_scope(uow: UnitOfWork, actor: Actor, resident_id: int) -> Resident:
    resident = await uow.residents.get(resident_id)
    if resident is None:
        raise RuleError("registry-unknown-resident", resident_id=resident_id)
    await require_within(uow, actor, resident.commune_id)
    return resident


async def approve(uow: UnitOfWork, actor: Actor, resident_id: int, now: datetime) -> Resident:
    """The commune confirms a registration; approving twice changes nothing."""
    resident = await resident_in_scope(uow, actor, resident_id)
    if resident.status is Status.APPROVED:
        return resident
    updated = replace(
        resident,
        status=Status.APPROVED,
        reject_reason=None,
        approved_by=actor.official_id,
        approved_at=now,
    )
    await uow.residents.update(updated)
    await record(uow, actor, now, "approve", "resident", resident.id, resident.commune_id,
                 before=resident, after=updated)
    return updated


async def reject(
    uow: UnitOfWork, actor: Actor, resident_id: int, reason: str, now: datetime
) -> Resident:
    """The commune refuses a registration, with the reason kept and shown."""
    reason = " ".join(reason.split())
    if not reason:
        raise RuleError("registry-reject-needs-reason")
    resident = await resident_in_scope(uow, actor, resident_id)
    updated = replace(resident, status=Status.REJECTED, reject_reason=reason,
                      approved_by=None, approved_at=None)
    await uow.residents.update(updated)
    await record(uow, actor, now, "reject", "resident", resident.id, resident.commune_id,
                 before=resident, after=updated)
    return updated


async def update_resident(
    uow: UnitOfWork, actor: Actor, resident_id: int, form: ResidentForm, now: datetime,
    today: date,
) -> Resident:
    """Correct a resident's own facts; checked like a new registration, audited before/after."""
    resident = await resident_in_scope(uow, actor, resident_id)
    checked = await check_resident(uow, actor, resident.commune_id, form, today, now,
                                   exclude_id=resident.id)
    updated = replace(
        resident,
        full_name=checked.full_name,
        date_of_birth=checked.date_of_birth,
        citizen_id=checked.citizen_id,
        legacy_id=checked.legacy_id,
        gender=checked.gender or resident.gender,
        phone=checked.phone,
        has_smartphone=checked.has_smartphone,
    )
    if updated == resident:
        return resident
    await uow.residents.update(updated)
    await record(uow, actor, now, "update", "resident", resident.id, resident.commune_id,
                 before=resident, after=updated)
    return updated


async def correct_household_class(
    uow: UnitOfWork, actor: Actor, household_id: int, poverty: Poverty, policy: Policy,
    now: datetime,
) -> Household:
    """The commune corrects a household's class (poor, near-poor, neither; merit, social
    policy, neither) from its official list: the class is then confirmed, audited before
    and after; the same class again changes nothing."""
    household = await uow.households.get(household_id)
    if household is None:
        raise RuleError("registry-unknown-household")
    await require_within(uow, actor, household.commune_id)
    updated = replace(household, poverty=poverty, policy=policy,
                      class_source=ClassSource.CONFIRMED)
    if updated == household:
        return household
    await uow.households.update(updated)
    await record(uow, actor, now, "classify", "household", household.id, household.commune_id,
                 before=household, after=updated)
    return updated
