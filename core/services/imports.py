"""Importing a commune's list of residents: households by code, one savepoint per row.

Works inside the caller's unit of work and never commits: a dry run is the same call
followed by a rollback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from core.errors import RuleError
from core.importing import ImportRow, RowError, match_village
from core.model import Actor, ClassSource, Household, Level, Resident, Unit
from core.names import name_key
from core.ports import UnitOfWork
from core.services import registry
from core.services.audit import record

# Which column a service error is about, by the start of its key.
_FIELDS_BY_KEY = (
    ("registry-duplicate-citizen-id", "citizen_id"),
    ("registry-citizen-id-elsewhere", "citizen_id"),
    ("import-id-check-limit", "citizen_id"),
    ("registry-duplicate-person", "full_name"),
    ("registry-minor", "date_of_birth"),
    ("registry-household-code-taken", "household_code"),
    ("registry-unknown-village", "village"),
    ("import-village", "village"),
    ("import-household-head", "relation"),
    ("import-household", "household_code"),
    ("import-other-commune", "commune_code"),
    ("rules-cccd", "citizen_id"),
    ("rules-cmnd", "citizen_id"),
    ("rules-name", "full_name"),
    ("rules-date", "date_of_birth"),
    ("rules-phone", "phone"),
)


@dataclass(slots=True)
class ImportReport:
    saved: int = 0
    present: int = 0  # already in the register exactly as listed: not saved again
    approved: int = 0
    households_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({e.line for e in self.errors})


@dataclass(slots=True)
class _Batch:
    """What one import call carries from row to row."""

    actor: Actor
    commune: Unit
    villages: list[Unit]
    today: date
    now: datetime
    approve: bool
    smartphone: dict[str, bool]  # household code -> does any of its rows say yes
    outside_limit: int | None = None
    outside: int = 0  # IDs met so far that another commune holds
    households: dict[str, Household] = field(default_factory=dict)
    heads: dict[int, Household] = field(default_factory=dict)  # head's line -> its household


async def import_residents(
    uow: UnitOfWork,
    actor: Actor,
    commune: Unit,
    rows: Sequence[ImportRow | RowError],
    today: date,
    now: datetime,
    approve: bool = False,
    progress: Callable[[int], None] | None = None,
    outside_limit: int | None = None,
) -> ImportReport:
    """Save each valid row (a failing one undoes only itself); report the others by line.
    progress, when given, is called with the number of rows done after each row.
    outside_limit, when given, is how many citizen IDs that another commune holds one call
    may meet: once met, every later ID this commune does not hold is refused untested, so
    that a file cannot probe the province's register."""
    if commune.level is not Level.COMMUNE:
        raise RuleError("import-not-a-commune", unit=commune.name)
    batch = _Batch(
        actor=actor, commune=commune, today=today, now=now, approve=approve,
        villages=[u for u in await uow.units.children(commune.id) if u.level is Level.VILLAGE],
        smartphone=_household_smartphones(rows), outside_limit=outside_limit,
    )
    report = ImportReport()
    for done, row in enumerate(rows, 1):
        if isinstance(row, RowError):
            report.errors.append(row)
        else:
            try:
                async with uow.savepoint():
                    await _import_row(uow, batch, row, report)
            except RuleError as err:
                report.errors.append(RowError(row.line, field_of(err.key), err.key, err.params))
        if progress is not None:
            progress(done)
    report.errors.sort(key=lambda e: e.line)
    return report


def field_of(key: str) -> str | None:
    """The column a refusal is about, for the report line 'Line 12 - Citizen ID: ...'."""
    return next((name for prefix, name in _FIELDS_BY_KEY if key.startswith(prefix)), None)


def _household_smartphones(rows: Sequence[ImportRow | RowError]) -> dict[str, bool]:
    """A household has a smartphone when any of its valid rows says so."""
    out: dict[str, bool] = {}
    for row in rows:
        if isinstance(row, ImportRow) and row.household_code:
            out[row.household_code] = out.get(row.household_code, False) or row.has_smartphone
    return out


async def _import_row(uow: UnitOfWork, batch: _Batch, row: ImportRow, report: ImportReport) -> None:
    _same_commune(batch, row)
    await _count_outside(uow, batch, row)
    place = _village(batch, row)
    existing = await _already_present(uow, batch.commune, row)
    if existing is not None:
        report.present += 1
        if batch.approve:
            await _confirm(uow, batch, existing, report)
        if row.household_group == row.line:  # a head met again: its members join its household
            found = await uow.households.get(existing.household_id)
            if found is not None:
                batch.heads[row.line] = found
        return
    household, created = await _household(uow, batch, row, place)
    resident = await registry.register_resident(
        uow, batch.actor, household.id, _form(row), batch.now, batch.today
    )
    report.saved += 1
    report.households_created += created
    if batch.approve:
        await _confirm(uow, batch, resident, report)
    if row.household_code:  # cached only once the row is safely in
        batch.households[row.household_code] = household
    if row.household_group == row.line:
        batch.heads[row.line] = household


def _same_commune(batch: _Batch, row: ImportRow) -> None:
    """A list that names each person's commune by code is read for that commune only."""
    if row.commune_code is not None and row.commune_code != batch.commune.code:
        raise RuleError("import-other-commune", code=row.commune_code,
                        commune=batch.commune.name)

async def _count_outside(uow: UnitOfWork, batch: _Batch, row: ImportRow) -> None:
    """Refuse the row, untested, once the file has met its share of other communes' IDs;
    an ID nobody holds is refused alike, so that the refusal itself tells nothing."""
    if batch.outside_limit is None or not row.citizen_id:
        return
    holder = await uow.residents.by_citizen_id(row.citizen_id)
    if holder is not None and holder.commune_id == batch.commune.id:
        return
    if batch.outside >= batch.outside_limit:
        raise RuleError("import-id-check-limit", limit=batch.outside_limit)
    if holder is not None:
        batch.outside += 1


def _village(batch: _Batch, row: ImportRow) -> Unit:
    found = match_village(row.village, batch.villages)
    if not found:
        raise RuleError("import-village-unknown", village=row.village, commune=batch.commune.name)
    if len(found) > 1:
        raise RuleError("import-village-ambiguous", village=row.village,
                        candidates=", ".join(v.name for v in found))
    return found[0]


async def _already_present(uow: UnitOfWork, commune: Unit, row: ImportRow) -> Resident | None:
    """The resident this row describes, if already registered in this commune and household.

    Matched by citizen ID when the row has one, else by name and birth date; a row without a
    household code matches in any household (its code would have been made up).
    """
    if row.citizen_id:
        found = await uow.residents.by_citizen_id(row.citizen_id)
        candidates = [found] if found is not None and found.commune_id == commune.id else []
    else:
        candidates = await uow.residents.same_person(
            commune.id, name_key(row.full_name), row.date_of_birth
        )
    for resident in candidates:
        if row.household_code is None:
            return resident
        household = await uow.households.get(resident.household_id)
        if household is not None and household.code == row.household_code:
            return resident
    return None


async def _household(
    uow: UnitOfWork, batch: _Batch, row: ImportRow, place: Unit
) -> tuple[Household, bool]:
    """The row's household (met earlier in this file, already registered, or new) and
    whether it was created now."""
    code = row.household_code
    created = False
    household = batch.households.get(code) if code else None
    if household is None and not code and row.household_group not in (None, row.line):
        # a member of the review's list joins the household its head's row opened
        household = batch.heads.get(row.household_group or 0)
        if household is None:
            raise RuleError("import-household-head-refused", line=row.household_group)
    if household is None and code:
        household = await uow.households.by_code(batch.commune.id, code)
        if household is not None:
            household = await _update_household(uow, batch, household, row)
    if household is None:
        household = await registry.register_household(
            uow, batch.actor, _household_form(batch, row, place), batch.now
        )
        created = True
    if household.village_id != place.id:
        raise RuleError("import-household-other-village", code=household.code,
                        village=row.village)
    return household, created


def _household_form(batch: _Batch, row: ImportRow, place: Unit) -> registry.HouseholdForm:
    has_smartphone = batch.smartphone.get(row.household_code or "", row.has_smartphone)
    confirmed = batch.approve or row.recognised  # the review's list: recognised by decision
    return registry.HouseholdForm(
        village_id=place.id,
        head_name=row.household_head or row.full_name,
        poverty=row.poverty,
        policy=row.policy,
        has_smartphone=has_smartphone or row.has_smartphone,
        code=row.household_code,
        class_source=ClassSource.CONFIRMED if confirmed else ClassSource.DECLARED,
        review_year=(row.review_year or batch.today.year) if confirmed else None,
    )


async def _update_household(
    uow: UnitOfWork, batch: _Batch, household: Household, row: ImportRow
) -> Household:
    """An existing household learns from the list: a smartphone, and (approved) its class."""
    updated = replace(
        household,
        has_smartphone=household.has_smartphone or batch.smartphone.get(household.code, False),
    )
    if batch.approve or row.recognised:
        updated = replace(updated, poverty=row.poverty, policy=row.policy,
                          class_source=ClassSource.CONFIRMED,
                          review_year=row.review_year or batch.today.year)
    if updated != household:
        await uow.households.update(updated)
        await record(uow, batch.actor, batch.now, "update", "household", household.id,
                     household.commune_id, before=household, after=updated)
    return updated


async def _confirm(
    uow: UnitOfWork, batch: _Batch, resident: Resident, report: ImportReport
) -> None:
    """--approve: the commune's own checked list; the person and the household's class count."""
    approved = await registry.approve(uow, batch.actor, resident.id, batch.now)
    if approved is not resident:
        report.approved += 1
    household = await uow.households.get(resident.household_id)
    if household is not None and household.class_source is not ClassSource.CONFIRMED:
        confirmed = replace(household, class_source=ClassSource.CONFIRMED,
                            review_year=batch.today.year)
        await uow.households.update(confirmed)
        await record(uow, batch.actor, batch.now, "update", "household", household.id,
                     household.commune_id, before=household, after=confirmed)


def _form(row: ImportRow) -> registry.ResidentForm:
    return registry.ResidentForm(
        full_name=row.full_name,
        date_of_birth=row.date_of_birth,
        has_smartphone=row.has_smartphone,
        citizen_id=row.citizen_id,
        legacy_id=row.legacy_id,
        gender=row.gender,
        phone=row.phone,
        ethnicity=row.ethnicity,
    )
