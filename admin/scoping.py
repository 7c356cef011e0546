"""The units an official may see: their own and everything below it, read in one query."""

from __future__ import annotations

from dataclasses import dataclass

from admin.context import NotFound
from core.model import Level, Official, Unit
from core.ports import UnitOfWork
from storage.admin_queries import Place


@dataclass(frozen=True, slots=True)
class Scope:
    unit: Unit
    units: dict[int, Unit]  # the official's unit and every unit below it
    children: dict[int, list[Unit]]

    def has(self, unit_id: int | None) -> bool:
        return unit_id is not None and unit_id in self.units

    def get(self, unit_id: int | None) -> Unit:
        """A unit of the scope, or NotFound (another unit's id is not revealed)."""
        if unit_id is None or unit_id not in self.units:
            raise NotFound
        return self.units[unit_id]

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(self.units)

    def below(self, unit: Unit) -> list[Unit]:
        """The unit and everything under it."""
        out, queue = [unit], [unit]
        while queue:
            kids = self.children.get(queue.pop(0).id, [])
            out.extend(kids)
            queue.extend(kids)
        return out

    def of_level(self, level: Level) -> list[Unit]:
        return [u for u in self.units.values() if u.level is level]

    def place(self, unit_id: int | None = None) -> Place:
        """Where residents are looked for: a unit of the scope (the official's by default)."""
        unit = self.get(unit_id) if unit_id is not None else self.unit
        if unit.level is Level.VILLAGE:
            return Place(village_id=unit.id)
        if unit.level is Level.COMMUNE:
            return Place(commune_ids=(unit.id,))
        return Place(commune_ids=tuple(u.id for u in self.below(unit)
                                       if u.level is Level.COMMUNE))

    def label(self, unit: Unit) -> str:
        """A village with its commune, so that two villages of the same name stay apart."""
        parent = self.units.get(unit.parent_id or 0)
        if unit.level is Level.VILLAGE and parent is not None:
            return f"{unit.name}, {parent.name}"
        return unit.name


async def scope_of(uow: UnitOfWork, official: Official) -> Scope:
    unit = await uow.units.get(official.unit_id)
    if unit is None:
        raise NotFound
    children: dict[int, list[Unit]] = {}
    for u in await uow.units.all(unit.dataset):
        if u.parent_id is not None:
            children.setdefault(u.parent_id, []).append(u)
    for kids in children.values():
        kids.sort(key=lambda u: (u.name, u.id))
    scope = Scope(unit=unit, units={}, children=children)
    scope.units.update({u.id: u for u in scope.below(unit)})
    return scope
