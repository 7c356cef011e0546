"""The unit picker: one search box over the official's units (type "con minh", without
diacritics, to get xa Con Minh), its JSON endpoint, and the same search for a form sent
without a script."""

from __future__ import annotations

from aiohttp import web
from multidict import MultiMapping

from admin.context import query_number, query_text, unit_of_work
from admin.scoping import Scope, request_scope
from core.errors import RuleError
from core.model import Level, Unit
from core.names import fold

SHOWN = 20  # suggestions at once: the name narrows the rest
LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE, Level.VILLAGE)


def search_units(scope: Scope, typed: str, limit: int = SHOWN) -> list[Unit]:
    """Units of the scope whose name holds the typed words (diacritics and case aside):
    a whole-name match first, then a word that begins with them, then the rest; wider units
    before narrower; then by name."""
    wanted = fold(typed)
    if not wanted:
        return []
    found: list[tuple[int, int, str, int]] = []
    for unit_id, name in scope.folded().items():
        if wanted not in name:
            continue
        unit = scope.units[unit_id]
        fit = 0 if name == wanted or name.endswith(" " + wanted) else (
            1 if name.startswith(wanted) or f" {wanted}" in name else 2)
        found.append((fit, LEVELS.index(unit.level), name, unit_id))
    return [scope.units[i] for *_, i in sorted(found)[:limit]]


def picker_label(scope: Scope, unit: Unit) -> str:
    """A unit with the one above it, so that two villages (or communes) of one name differ."""
    above = scope.units.get(unit.parent_id or 0)
    return f"{unit.name}, {above.name}" if above is not None and unit.id != scope.unit.id \
        else unit.name


def picked_unit(scope: Scope, args: MultiMapping[str]) -> int | None:
    """The unit a list is filtered by: the one typed in the picker's box when a form came
    without a script (its best match), else the one chosen; a text that names no unit of
    the scope is refused with a message."""
    typed = query_text(args.get("unit_q"))
    if typed:
        found = search_units(scope, typed, 1)
        if not found:
            raise RuleError("lists-unit-not-found", text=typed)
        return found[0].id
    return query_number(args.get("unit"))


async def units_json(request: web.Request) -> web.Response:
    """GET /admin/units.json?q=con+minh: the official's units that match, for the picker."""
    typed = query_text(request.query.get("q")) or ""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
    return web.json_response({"units": [
        {"id": u.id, "name": u.name, "label": picker_label(scope, u), "level": u.level.value}
        for u in search_units(scope, typed)]})


def focus(scope: Scope, chosen: Unit) -> Unit:
    """The unit whose children a one-level choice offers: the chosen one, or the one above a
    unit with none under it (a village: its commune)."""
    if not scope.children.get(chosen.id) and chosen.id != scope.unit.id:
        return scope.get(chosen.parent_id)
    return chosen


def unit_choices(scope: Scope, chosen: Unit) -> list[tuple[int, str, int]]:
    """(id, name, depth): the way from the official's unit down to the chosen one, then what
    is directly under it (under a village: its commune's villages). One level at a time, so
    a province of ten thousand communes offers its districts, a district its communes: a
    choice and a submit each, with no script, and a page a few kilobytes long."""
    at = focus(scope, chosen)
    path = scope.path(at)
    return ([(u.id, u.name, depth) for depth, u in enumerate(path)]
            + [(u.id, u.name, len(path)) for u in scope.children.get(at.id, ())])
