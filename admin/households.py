"""A household's page for officials: its members, class, policy family and the phones known,
and the commune's correction of its class (core.services.registry.correct_household_class)."""

from __future__ import annotations

from aiohttp import web

from admin.context import (
    NotFound,
    now,
    path_id,
    render,
    text,
    unit_of_work,
    who,
)
from core.errors import RuleError
from core.model import Household, Policy, Poverty
from core.ports import UnitOfWork
from core.services import registry
from core.services.audit import record_list_read
from core.services.scope import within


async def household_in_scope(uow: UnitOfWork, request: web.Request) -> Household:
    """A household of the official's unit, or NotFound (whether missing or elsewhere)."""
    household = await uow.households.get(path_id(request, "household_id"))
    if household is None or not await within(uow, who(request).actor, household.village_id):
        raise NotFound
    return household


async def household_page(request: web.Request, error: str | None = None,
                         status: int = 200) -> web.Response:
    """Members (their own phone and any support received), class, policy family, source."""
    me = who(request)
    async with unit_of_work(request) as uow:
        household = await household_in_scope(uow, request)
        village = await uow.units.get(household.village_id)
        commune = await uow.units.get(household.commune_id)
        members = await uow.residents.in_household(household.id)
        supports = {r.id: await uow.supports.active_for(r.id) for r in members}
        await record_list_read(uow, me.actor, now(request), household.commune_id,
                               "admin-household", {"household": household.id}, len(members))
    return render(request, "household.html", {
        "h": household, "village": village, "commune": commune, "members": members,
        "supports": supports, "poverties": list(Poverty), "policies": list(Policy),
        "phones_known": household.has_smartphone or any(
            r.has_smartphone or supports[r.id] is not None for r in members),
        "error": error,
    }, status=status)


async def correct_class(request: web.Request) -> web.Response:
    """The commune's correction of the class; a value no form offers changes nothing."""
    form = await request.post()
    poverty, policy = str(form.get("poverty", "")), str(form.get("policy", ""))
    if poverty not in {p.value for p in Poverty} or policy not in {p.value for p in Policy}:
        return await household_page(request, error=text(request, "lists-household-bad-class"),
                                    status=400)
    async with unit_of_work(request) as uow:
        household = await household_in_scope(uow, request)
        try:
            await registry.correct_household_class(uow, who(request).actor, household.id,
                                                   Poverty(poverty), Policy(policy), now(request))
        except RuleError as err:
            if err.key.startswith(("scope-", "registry-unknown")):
                raise NotFound from err
            raise
        await uow.commit()
    raise web.HTTPFound(f"/admin/households/{household.id}")
