"""Importing a commune's list of residents: households by code, in batches of rows.

Each batch is looked up in a few queries (the holders of its IDs, the commune's people of its
names and birth dates, its households by code); a row those answers show to be plainly new is
kept for one insert of the batch's households, residents and audit lines, and any other row
(a duplicate, a person already registered, an existing household, a refusal, an approval)
goes the row-by-row way, in its own savepoint, after what was kept before it is written, so
that it finds the register exactly as the row-by-row import did.

Works inside the caller's unit of work and never commits itself: after each batch it calls
batch_done, which the caller may make a commit (one transaction a batch: a crash leaves whole
batches, and a re-run counts them present); a dry run passes none and rolls back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from core.codes import household_code
from core.errors import RuleError
from core.importing import ImportRow, RowError, match_village
from core.model import Actor, ClassSource, Household, Level, Resident, Status, Unit
from core.names import name_key, normalise_name
from core.ports import UnitOfWork
from core.services import registry
from core.services.audit import entry, record
from core.services.scope import within

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


BATCH = 2000  # rows looked up, checked and written together, in one transaction when committed


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


@dataclass(frozen=True, slots=True)
class ImportDone:
    """The one line an import leaves in the commune's trail: how many rows, what became of
    them, and which lines were refused (each refused row's reason is in the rejects file)."""

    rows: int
    saved: int
    present: int
    approved: int
    households_created: int
    rejected: int
    rejected_lines: str  # "4, 9, 17", the first REJECTS_KEPT of them

    @classmethod
    def of(cls, rows: int, report: ImportReport) -> ImportDone:
        lines = sorted({e.line for e in report.errors})
        shown = ", ".join(str(n) for n in lines[:REJECTS_KEPT])
        more = ", ..." if len(lines) > REJECTS_KEPT else ""
        return cls(rows=rows, saved=report.saved, present=report.present,
                   approved=report.approved, households_created=report.households_created,
                   rejected=report.rejected, rejected_lines=shown + more)


REJECTS_KEPT = 200


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
    inside: dict[int, bool] = field(default_factory=dict)  # village id -> within the actor's
    places: dict[str, list[Unit]] = field(default_factory=dict)  # village text -> matches


@dataclass(slots=True)
class _Known:
    """What the register holds for one batch's rows, and what the batch adds, not yet written:
    the households and residents kept carry ids below zero until they are inserted."""

    holders: dict[str, Resident]  # citizen ID -> its holder
    people: dict[tuple[str, date], list[Resident]]  # (name key, birth) -> the commune's
    codes: dict[str, Household]  # household code -> the commune's household
    homes: dict[int, Household]  # household id -> household, of the residents above
    wanted: list[str] = field(default_factory=list)  # the codes the batch's rows give
    keys: dict[int, set[tuple[str, date]]] = field(default_factory=dict)  # line -> _keys
    new_households: list[Household] = field(default_factory=list)
    new_residents: list[Resident] = field(default_factory=list)
    approved: set[int] = field(default_factory=set)  # the kept residents approved too


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
    batch_done: Callable[[], Awaitable[None]] | None = None,
) -> ImportReport:
    """Save each valid row (a failing one undoes only itself); report the others by line.
    progress, when given, is called with the number of rows done after each batch;
    batch_done, when given, after each batch is written (the caller's commit).
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
    size = max(1, BATCH)
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        await _import_batch(uow, batch, chunk, report)
        if batch_done is not None:
            await batch_done()
        if progress is not None:
            progress(start + len(chunk))
    report.errors.sort(key=lambda e: e.line)
    await record(uow, actor, now, "import", "unit", commune.id, commune.id,
                 after=ImportDone.of(len(rows), report))
    return report


async def _import_batch(
    uow: UnitOfWork, batch: _Batch, rows: Sequence[ImportRow | RowError], report: ImportReport
) -> None:
    """One batch: each row as the row-by-row import took it, the plainly new ones written
    together."""
    known = await _look_up(uow, batch.commune, rows)
    for row in rows:
        if isinstance(row, RowError):
            report.errors.append(row)
            continue
        if await _keep_if_new(uow, batch, known, row, report):
            continue
        await _write(uow, batch, known)  # what came before, in the register first
        try:
            async with uow.savepoint():
                await _import_row(uow, batch, row, report)
        except RuleError as err:
            report.errors.append(RowError(row.line, field_of(err.key), err.key, err.params))
        await _learn(uow, batch, known, row)
    await _write(uow, batch, known)


def _keys(row: ImportRow) -> set[tuple[str, date]]:
    """The (name key, birth) pairs the row-by-row way looks a row up by."""
    out = {(name_key(row.full_name), row.date_of_birth)}
    try:
        out.add((name_key(normalise_name(row.full_name)), row.date_of_birth))
    except RuleError:
        pass
    return out


def _codes(row: ImportRow) -> set[str]:
    if not row.household_code:
        return set()
    out = {row.household_code}
    try:
        out.add(household_code(row.household_code))
    except RuleError:
        pass
    return out


async def _look_up(
    uow: UnitOfWork, commune: Unit, rows: Sequence[ImportRow | RowError]
) -> _Known:
    """Three queries for the batch instead of a few a row."""
    valid = [r for r in rows if isinstance(r, ImportRow)]
    ids = sorted({r.citizen_id for r in valid if r.citizen_id})
    by_line = {r.line: _keys(r) for r in valid}
    keys = sorted({k for found in by_line.values() for k in found})
    codes = sorted({c for r in valid for c in _codes(r)})
    holders = await uow.residents.by_citizen_ids(ids) if ids else {}
    people = await uow.residents.same_people(commune.id, keys) if keys else {}
    homes = {r.household_id for r in holders.values()} | {
        r.household_id for found in people.values() for r in found}
    return _Known(
        holders=holders, people=people,
        codes=await uow.households.by_codes(commune.id, codes) if codes else {},
        homes=await uow.households.get_many(sorted(homes)) if homes else {}, wanted=codes,
        keys=by_line,
    )


async def _learn(uow: UnitOfWork, batch: _Batch, known: _Known, row: ImportRow) -> None:
    """After a row went the row-by-row way: what it may have changed, read again."""
    if row.citizen_id:
        holder = await uow.residents.by_citizen_id(row.citizen_id)
        if holder is None:
            known.holders.pop(row.citizen_id, None)
        else:
            known.holders[row.citizen_id] = holder
    for key in _keys(row):
        known.people[key] = await uow.residents.same_person(batch.commune.id, *key)
    if row.household_code:
        for code in _codes(row):
            found = await uow.households.by_code(batch.commune.id, code)
            if found is None:
                known.codes.pop(code, None)
            else:
                known.codes[code] = found
    else:  # a code made up for the row may be one a later row gives: read them again
        known.codes = await uow.households.by_codes(batch.commune.id, known.wanted)


async def _keep_if_new(
    uow: UnitOfWork, batch: _Batch, known: _Known, row: ImportRow, report: ImportReport
) -> bool:
    """Keep the row for the batch's insert when the row-by-row way would plainly save it as
    a new resident (and maybe a new household), changing nothing else; False otherwise,
    with nothing changed."""
    if row.commune_code is not None and row.commune_code != batch.commune.code:
        return False
    if _present(batch, known, row, report):
        return True
    if row.citizen_id and row.citizen_id in known.holders:
        return False  # a duplicate or another commune's: the row-by-row way
    if batch.outside_limit is not None and row.citizen_id and batch.outside >= \
            batch.outside_limit:
        return False
    if any(known.people.get(k) for k in known.keys[row.line]):
        return False
    found = _places(batch, row)
    if len(found) != 1:
        return False
    place = found[0]
    try:
        form = registry.resident_facts(_form(row), batch.today)
    except RuleError:
        return False
    if not await _inside(uow, batch, place.id):
        return False
    household, created = await _new_household(uow, batch, known, row, place)
    if household is None or household.village_id != place.id:
        return False
    if created:
        known.new_households.append(household)
    resident = Resident(
        id=-len(known.new_residents) - 1, household_id=household.id,
        commune_id=household.commune_id, village_id=household.village_id,
        full_name=form.full_name, date_of_birth=form.date_of_birth, gender=form.gender,
        citizen_id=form.citizen_id, legacy_id=form.legacy_id,
        has_smartphone=form.has_smartphone, phone=form.phone, status=Status.REGISTERED,
        registered_by=batch.actor.official_id, registered_at=batch.now, consent=form.consent,
        ethnicity=form.ethnicity,
    )
    known.new_residents.append(resident)
    if batch.approve:
        known.approved.add(resident.id)
        report.approved += 1
    if resident.citizen_id:
        known.holders[resident.citizen_id] = resident
    for key in known.keys[row.line] | {(name_key(form.full_name), form.date_of_birth)}:
        known.people.setdefault(key, []).append(resident)
    report.saved += 1
    report.households_created += created
    if row.household_code:
        batch.households[row.household_code] = household
    if row.household_group == row.line:
        batch.heads[row.line] = household
    return True


def _present(batch: _Batch, known: _Known, row: ImportRow, report: ImportReport) -> bool:
    """A row the register already holds as listed, found as _already_present finds it:
    counted present, nothing written (an approval goes the row-by-row way)."""
    if batch.approve or len(_places(batch, row)) != 1:
        return False
    if row.citizen_id:
        holder = known.holders.get(row.citizen_id)
        if holder is None or holder.commune_id != batch.commune.id:
            return False
        candidates = [holder]
    else:
        candidates = known.people.get((name_key(row.full_name), row.date_of_birth), [])
    for resident in candidates:
        home = known.homes.get(resident.household_id)
        if resident.id < 0 or home is None:
            return False  # kept in this batch, not yet written: the row-by-row way
        if row.household_code is None or home.code == row.household_code:
            report.present += 1
            if row.household_group == row.line:
                batch.heads[row.line] = home
            return True
    return False


def _places(batch: _Batch, row: ImportRow) -> list[Unit]:
    """match_village, once for each way the file writes a village."""
    if row.village not in batch.places:
        batch.places[row.village] = match_village(row.village, batch.villages)
    return batch.places[row.village]


async def _inside(uow: UnitOfWork, batch: _Batch, village_id: int) -> bool:
    if village_id not in batch.inside:
        batch.inside[village_id] = await within(uow, batch.actor, village_id)
    return batch.inside[village_id]


async def _new_household(
    uow: UnitOfWork, batch: _Batch, known: _Known, row: ImportRow, place: Unit
) -> tuple[Household | None, bool]:
    """The row's household when the row-by-row way would take it without writing to it:
    one met earlier in the file, its head's, or a new one under the code the row gives;
    (None, False) when it would do more (update one registered, make up a code)."""
    code = row.household_code
    if code and code in batch.households:
        return batch.households[code], False
    if not code:
        if row.household_group not in (None, row.line):
            return batch.heads.get(row.household_group or 0), False
        return None, False
    if code in known.codes:
        return None, False
    try:
        typed = household_code(code)
    except RuleError:
        return None, False
    if typed != code or typed in known.codes:
        return None, False
    form = _household_form(batch, row, place)
    return Household(
        id=-len(known.new_households) - 1, commune_id=batch.commune.id, village_id=place.id,
        code=typed, head_name=normalise_name(form.head_name), poverty=form.poverty,
        policy=form.policy, has_smartphone=form.has_smartphone,
        class_source=form.class_source, review_year=form.review_year,
    ), True


async def _write(uow: UnitOfWork, batch: _Batch, known: _Known) -> None:
    """Insert the rows kept so far: households, then residents and their name tails, then
    the audit lines each would have had ('create household', 'register resident')."""
    if not known.new_residents:
        return
    households = await uow.households.add_many(known.new_households)
    real = {h.id: saved for h, saved in zip(known.new_households, households, strict=True)}
    homed = [replace(r, household_id=real[r.household_id].id) if r.household_id < 0 else r
             for r in known.new_residents]
    saved = await uow.residents.add_many([
        _approved(batch, r) if r.id in known.approved else r for r in homed])
    registered = [replace(r, id=s.id, registered_at=s.registered_at)
                  for r, s in zip(homed, saved, strict=True)]
    await uow.audit.append(
        *(entry(batch.actor, batch.now, "create", "household", h.id, h.commune_id, after=h)
          for h in households),
        *(entry(batch.actor, batch.now, "register", "resident", r.id, r.commune_id, after=r)
          for r in registered),
        *(entry(batch.actor, batch.now, "approve", "resident", r.id, r.commune_id, before=r,
                after=_approved(batch, r))
          for r, kept in zip(registered, known.new_residents, strict=True)
          if kept.id in known.approved))
    for cache in (batch.households, batch.heads):
        for key, household in list(cache.items()):
            if household.id < 0:
                cache[key] = real[household.id]  # type: ignore[index]
    known.new_households, known.new_residents, known.approved = [], [], set()


def _approved(batch: _Batch, resident: Resident) -> Resident:
    """As registry.approve leaves a resident just registered."""
    return replace(resident, status=Status.APPROVED, reject_reason=None,
                   approved_by=batch.actor.official_id, approved_at=batch.now)


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
