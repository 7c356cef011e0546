"""A village's facts that coverage rests on (DESIGN "Coverage", plan II.2 and VI.6): its
adult and household population as its officials keep them, whether it has mobile signal,
and the survey (ra soat) its village head or the commune marks done. Each change audited."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.errors import RuleError
from core.model import Actor, Level, Unit
from core.ports import UnitOfWork
from core.services.audit import record
from core.services.scope import require_within

MAX_POPULATION = 1_000_000  # far above any village: a typing slip, not a village


@dataclass(frozen=True, slots=True)
class VillageFacts:
    adults: int | None
    households: int | None
    no_signal: bool


async def village(uow: UnitOfWork, actor: Actor, village_id: int) -> Unit:
    """A village the actor may act on; RuleError otherwise."""
    found = await uow.units.get(village_id)
    if found is None or found.level is not Level.VILLAGE:
        raise RuleError("survey-not-village")
    await require_within(uow, actor, found.id)
    return found


async def mark_survey_done(uow: UnitOfWork, actor: Actor, village_id: int, now: datetime
                           ) -> tuple[Unit, bool]:
    """The village's survey is done from now: its coverage counts. (unit, changed); marking
    it again changes nothing. Refused while the village's adult population is unknown."""
    before = await village(uow, actor, village_id)
    if before.survey_done_at is not None:
        return before, False
    if not before.adult_population:
        raise RuleError("survey-population-missing", village=before.name)
    after = await uow.units.save(replace(before, survey_done_at=now))
    await record(uow, actor, now, "survey-done", "unit", after.id, after.id,
                 before=before, after=after)
    return after, True


async def set_village_facts(uow: UnitOfWork, actor: Actor, village_id: int,
                            facts: VillageFacts, now: datetime) -> Unit:
    """The village's adults, households and signal as its officials keep them."""
    before = await village(uow, actor, village_id)
    for value in (facts.adults, facts.households):
        if value is not None and not 0 <= value <= MAX_POPULATION:
            raise RuleError("survey-population-invalid", limit=MAX_POPULATION)
    changed = replace(before, adult_population=facts.adults,
                      household_population=facts.households, no_signal=facts.no_signal)
    if changed == before:
        return before
    after = await uow.units.save(changed)
    await record(uow, actor, now, "update", "unit", after.id, after.id, before=before,
                 after=after)
    return after
