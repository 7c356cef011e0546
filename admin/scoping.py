"""The units an official may see: their own and everything below it.

A national dataset has tens of thousands of units, and every admin request needs its
official's scope: each process keeps every dataset's units tree, and the scopes built from
it, in memory (UnitTrees, one per app). Units change only through the units repository,
which moves the units' revision in the same transaction; each request reads that one number
and drops what it kept when it moved, whichever process made the change.
"""

from __future__ import annotations

import gc
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp import web

from admin.context import NotFound, who
from core.model import Level, Official, Unit
from core.names import fold
from core.page_views import Place
from core.ports import UnitOfWork

# Up to this many communes a place is a list (their index finds their residents); past it,
# the communes of the unit are found in SQL and residents read in id order.
LISTED_COMMUNES = 200
# Up to this many units a scope's are sent to SQL as a list of ids; past it (a province's
# fifty thousand, past the drivers' limit of bound parameters) SQL finds those under the unit.
LISTED_UNITS = 1000
SCOPES_KEPT = 1024  # officials' units whose scope is kept; a province's is a few MiB


@dataclass(frozen=True, slots=True)
class Scope:
    unit: Unit
    units: Mapping[int, Unit]  # the official's unit and every unit below it
    children: Mapping[int, list[Unit]]  # of the whole dataset, by name
    _places: dict[int, Place] = field(default_factory=dict, compare=False, repr=False)
    _folded: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    _levels: dict[Level, list[Unit]] = field(default_factory=dict, compare=False, repr=False)

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
        """The unit and everything under it, breadth first."""
        return _below(unit, self.children)

    def of_level(self, level: Level) -> list[Unit]:
        """The scope's units of a level, found once per scope (a province's ten thousand
        communes are asked for on each look at its dashboard)."""
        if level not in self._levels:
            self._levels[level] = [u for u in self.units.values() if u.level is level]
        return list(self._levels[level])

    def place(self, unit_id: int | None = None) -> Place:
        """Where residents are looked for: a unit of the scope (the official's by default)."""
        unit = self.get(unit_id) if unit_id is not None else self.unit
        if unit.id not in self._places:
            self._places[unit.id] = _place(self, unit)
        return self._places[unit.id]

    def path(self, unit: Unit) -> list[Unit]:
        """The units from the official's down to this one of the scope."""
        out = [unit]
        while out[-1].id != self.unit.id and out[-1].parent_id in self.units:
            out.append(self.units[out[-1].parent_id or 0])
        return out[::-1]

    def folded(self) -> dict[int, str]:
        """Each unit's name as a search compares it (core.names.fold), made once per scope."""
        if not self._folded:
            self._folded.update((u.id, fold(u.name)) for u in self.units.values())
        return self._folded

    def label(self, unit: Unit) -> str:
        """A village with its commune, so that two villages of the same name stay apart."""
        parent = self.units.get(unit.parent_id or 0)
        if unit.level is Level.VILLAGE and parent is not None:
            return f"{unit.name}, {parent.name}"
        return unit.name


def _place(scope: Scope, unit: Unit) -> Place:
    if unit.level is Level.VILLAGE:
        return Place(village_id=unit.id)
    if unit.level is Level.COMMUNE:
        return Place(commune_ids=(unit.id,))
    communes = tuple(u.id for u in scope.below(unit) if u.level is Level.COMMUNE)
    return Place(commune_ids=communes) if len(communes) <= LISTED_COMMUNES else Place(under=unit.id)


@dataclass(frozen=True, slots=True)
class _Tree:
    units: dict[int, Unit]
    children: dict[int, list[Unit]]


class UnitTrees:
    """Every dataset's units tree and the scopes built from it, as of one units' revision."""

    def __init__(self, kept: int = SCOPES_KEPT) -> None:
        self._kept = kept
        self._revision: int | None = None
        self._trees: dict[str, _Tree] = {}
        self._scopes: OrderedDict[int, Scope] = OrderedDict()

    async def scope(self, uow: UnitOfWork, official: Official) -> Scope:
        # the revision first: a tree read after it is at least as new as it says
        revision = await uow.views.unit_revision()
        if revision != self._revision:
            self._revision, self._trees, self._scopes = revision, {}, OrderedDict()
        found = self._scopes.get(official.unit_id)
        if found is not None:
            self._scopes.move_to_end(official.unit_id)
            return found
        scope = await self._build(uow, official.unit_id, revision)
        if self._revision == revision:  # else another request saw a newer one meanwhile
            self._scopes[official.unit_id] = scope
            if len(self._scopes) > self._kept:
                self._scopes.popitem(last=False)
        return scope

    async def _build(self, uow: UnitOfWork, unit_id: int, revision: int) -> Scope:
        tree = next((t for t in self._trees.values() if unit_id in t.units), None)
        if tree is None:
            unit = await uow.units.get(unit_id)
            if unit is None:
                raise NotFound
            tree = await _read_tree(uow, unit.dataset)
            if self._revision == revision:  # a tree read before a newer change is not kept
                self._trees[unit.dataset] = tree
            # A national tree is a hundred thousand objects that live until the next units
            # import: out of the collector's sight, each full collection costs a millisecond
            # instead of a hundred (a dropped tree is still freed, by reference counting).
            # Garbage is collected first, so that none of it is frozen with the tree.
            gc.collect()
            gc.freeze()
        unit = tree.units[unit_id]
        return Scope(unit=unit, units={u.id: u for u in _below(unit, tree.children)},
                     children=tree.children)


def _below(unit: Unit, children: Mapping[int, list[Unit]]) -> list[Unit]:
    out = [unit]
    for parent in out:  # out grows while it is read: each unit's children join the end
        out.extend(children.get(parent.id, ()))
    return out


async def _read_tree(uow: UnitOfWork, dataset: str) -> _Tree:
    units = await uow.units.all(dataset)
    children: dict[int, list[Unit]] = {}
    for u in units:
        if u.parent_id is not None:
            children.setdefault(u.parent_id, []).append(u)
    for kids in children.values():
        kids.sort(key=lambda u: (u.name, u.id))
    return _Tree({u.id: u for u in units}, children)


TREES = web.AppKey("admin_unit_trees", UnitTrees)


async def request_scope(request: web.Request, uow: UnitOfWork) -> Scope:
    """The signed-in official's scope, from the app's kept trees."""
    return await request.app[TREES].scope(uow, who(request).official)
