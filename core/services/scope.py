"""An official acts only inside their own unit: the unit itself and everything below it."""

from __future__ import annotations

from core.errors import RuleError
from core.model import Actor, Unit
from core.ports import UnitOfWork


async def ancestors(uow: UnitOfWork, unit: Unit) -> list[Unit]:
    """The unit and its parents, up to the province."""
    chain = [unit]
    while chain[-1].parent_id is not None:
        parent = await uow.units.get(chain[-1].parent_id)
        if parent is None:
            break
        chain.append(parent)
    return chain


async def within(uow: UnitOfWork, actor: Actor, unit_id: int) -> bool:
    """True when unit_id is the actor's unit or lies below it; system actors see everything."""
    if actor.system:
        return True
    if actor.unit_id is None:
        return False
    unit = await uow.units.get(unit_id)
    if unit is None:
        return False
    return any(u.id == actor.unit_id for u in await ancestors(uow, unit))


async def require_within(uow: UnitOfWork, actor: Actor, unit_id: int) -> None:
    if not await within(uow, actor, unit_id):
        raise RuleError("scope-outside-unit")
