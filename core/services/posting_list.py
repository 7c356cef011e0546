"""The list a commune posts (danh sach niem yet, plan III.4): the people its plan supports, in
the plan's order of priority, as the allocation page shows them; no citizen ID, nothing the
wall of a commune office should not carry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from core.errors import RuleError
from core.model import Actor, Level, Unit
from core.ports import UnitOfWork
from core.priority import Support as Queue
from core.priority import class_key
from core.services.allocation import preview
from core.services.scope import require_within


@dataclass(frozen=True, slots=True)
class PostingLine:
    name: str
    born: int  # the year only
    village: str
    class_key: str  # the catalogue key of the household's class, as the plan words it
    tier: int  # the priority group in the queue the support comes from
    support: Queue
    amount: int = 0  # dong, for part of the price


@dataclass(frozen=True, slots=True)
class PostingList:
    commune: Unit
    on: date
    lines: tuple[PostingLine, ...]


async def posting_list(uow: UnitOfWork, actor: Actor, commune_id: int, on: date,
                       per_person: int) -> PostingList:
    """The commune's people to be supported by its plan as it stands on `on`: the whole
    phone queue's served lines in order, then the part-of-the-price queue's."""
    await require_within(uow, actor, commune_id)
    commune = await uow.units.get(commune_id)
    if commune is None or commune.level is not Level.COMMUNE:
        raise RuleError("allocation-unit-invalid")
    view = await preview(uow, commune.dataset, on, per_person, unit=commune)
    [plan] = [c for c in view.communes if c.commune.id == commune.id]
    people = {r.id: r for r in await uow.residents.in_units([commune.id])}
    villages = {u.id: u for u in await uow.units.children(commune.id)}
    lines = []
    for e in plan.assignment.entries:
        person = people.get(e.resident_id)
        if e.waiting or e.support is None or person is None:
            continue
        village = villages.get(person.village_id)
        lines.append(PostingLine(
            name=person.full_name, born=person.date_of_birth.year,
            village=village.name if village else "",
            class_key=class_key(e.ranked.candidate, e.support), tier=e.tier,
            support=e.support, amount=per_person if e.support is Queue.PARTIAL else 0))
    return PostingList(commune, on, tuple(lines))
