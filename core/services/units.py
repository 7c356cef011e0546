"""Administrative units are data: import them, rename them, find them by code or name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from core.errors import RuleError
from core.model import Actor, Level, Unit
from core.names import fold
from core.ports import UnitOfWork
from core.services.audit import record

PARENT_LEVEL = {
    Level.PROVINCE: None,
    Level.DISTRICT: Level.PROVINCE,
    Level.COMMUNE: (Level.DISTRICT, Level.PROVINCE),
    Level.VILLAGE: Level.COMMUNE,
}


@dataclass(frozen=True, slots=True)
class UnitRecord:
    code: str
    name: str
    level: Level
    parent: str | None = None
    adults: int | None = None
    households: int | None = None
    address: str | None = None
    sample: bool = False
    pilot: bool | None = None  # None: as it was (a new unit: not a pilot commune)
    no_signal: bool | None = None  # None: as it was (a new unit: it has signal)


@dataclass(frozen=True, slots=True)
class UnitImport:
    added: int
    renamed: int
    unchanged: int


def province_of(units: Iterable[Unit]) -> Unit | None:
    """The province among a dataset's units (None: not imported yet)."""
    return next((u for u in units if u.level is Level.PROVINCE), None)


async def province(uow: UnitOfWork, dataset: str, missing: str = "pledge-no-province") -> Unit:
    """The dataset's province; RuleError(missing) when it has none (the default is what a
    donor and the receiving desk are told)."""
    found = province_of(await uow.units.all(dataset))
    if found is None:
        raise RuleError(missing, dataset=dataset)
    return found


async def find_unit(
    uow: UnitOfWork, dataset: str, text: str, level: Level | None = None
) -> Unit:
    """A unit by its code or its name, with or without diacritics or its level word."""
    wanted = text.strip()
    unit = await uow.units.by_code(dataset, wanted)
    if unit is not None and (level is None or unit.level is level):
        return unit
    found = [u for u in await uow.units.matching(dataset, fold(wanted))
             if level is None or u.level is level]
    if not found:
        raise RuleError("units-not-found", text=wanted)
    if len(found) > 1:
        raise RuleError("units-ambiguous", text=wanted,
                        candidates=", ".join(f"{u.name} ({u.code})" for u in found))
    return found[0]


async def import_units(
    uow: UnitOfWork, actor: Actor, dataset: str, records: Iterable[UnitRecord], now: datetime
) -> UnitImport:
    """Add new units and update existing ones (matched by dataset and code)."""
    added = renamed = unchanged = 0
    for rec in records:
        parent_id = await _parent_id(uow, dataset, rec)
        old = await uow.units.by_code(dataset, rec.code)
        new = Unit(
            id=old.id if old else 0, dataset=dataset, code=rec.code, name=rec.name,
            level=rec.level, parent_id=parent_id, adult_population=rec.adults,
            household_population=rec.households, address=rec.address, sample=rec.sample,
            # the survey is the programme's record, not the file's: an import keeps it
            survey_done_at=old.survey_done_at if old else None,
            pilot=rec.pilot if rec.pilot is not None else bool(old and old.pilot),
            no_signal=rec.no_signal if rec.no_signal is not None else bool(old and old.no_signal),
        )
        if old == new:
            unchanged += 1
            continue
        saved = await uow.units.save(new)
        await record(uow, actor, now, "update" if old else "create", "unit", saved.id, saved.id,
                     before=old, after=saved)
        added, renamed = (added, renamed + 1) if old else (added + 1, renamed)
    return UnitImport(added=added, renamed=renamed, unchanged=unchanged)


async def _parent_id(uow: UnitOfWork, dataset: str, rec: UnitRecord) -> int | None:
    expected = PARENT_LEVEL[rec.level]
    if rec.parent is None:
        if expected is None:
            return None
        raise RuleError("units-parent-missing", code=rec.code)
    parent = await uow.units.by_code(dataset, rec.parent)
    if parent is None:
        raise RuleError("units-parent-unknown", code=rec.code, parent=rec.parent)
    allowed = expected if isinstance(expected, tuple) else (expected,)
    if parent.level not in allowed:
        raise RuleError("units-parent-level", code=rec.code, parent=rec.parent)
    return parent.id


async def import_mapping(
    uow: UnitOfWork, from_dataset: str, to_dataset: str, pairs: Iterable[tuple[str, str]]
) -> int:
    """Record which unit of one dataset became which of another (the 2025 merger)."""
    added = 0
    for old_code, new_code in pairs:
        old = await uow.units.by_code(from_dataset, old_code)
        new = await uow.units.by_code(to_dataset, new_code)
        if old is None or new is None:
            raise RuleError("units-mapping-unknown", old=old_code, new=new_code)
        added += await uow.units.add_mapping(old.id, new.id)
    return added


async def descendants(uow: UnitOfWork, unit: Unit) -> list[Unit]:
    """The unit and every unit below it, breadth first."""
    out, queue = [unit], [unit]
    while queue:
        children = await uow.units.children(queue.pop(0).id)
        out.extend(children)
        queue.extend(children)
    return out

