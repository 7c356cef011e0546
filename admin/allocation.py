"""The allocation page: the province's plan and each commune's list, and its commit.

Every official sees the lists of the communes in their unit; the province also sees the
transfers and may commit. The form carries the fingerprint of the plan that was shown, so a
commit records that plan or nothing (core.services.allocation.commit).
"""

from __future__ import annotations

from aiohttp import web

from admin.context import Forbidden, config, now, render, text, today, unit_of_work, who
from admin.scoping import request_scope
from core.allocation import Assignment, Entry, explain_entry
from core.errors import RuleError
from core.model import Role
from core.services import allocation


async def allocation_page(request: web.Request, notice: str | None = None,
                          error: str | None = None, status: int = 200) -> web.Response:
    me = who(request).official
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        view = await allocation.preview(uow, scope.unit.dataset, today(request),
                                        config(request).support_per_person)
        shown = [c for c in view.communes if scope.has(c.commune.id)]
        people = {r.id: r for r in await uow.residents.in_units([c.commune.id for c in shown])}
    communes = [{
        "plan": c,
        "lines": [{
            "entry": e,
            "name": people[e.resident_id].full_name if e.resident_id in people else "",
            "why": _explained(request, c.assignment, e, c.commune.name),
        } for e in c.assignment.entries],
    } for c in shown]
    return render(request, "allocation.html", {
        "view": view, "communes": communes, "province": me.role is Role.PROVINCE,
        "moves": [m for m in view.moves if scope.has(m.to_unit.id)],
        "notice": notice, "error": error,
    }, status=status)


def _explained(request: web.Request, a: Assignment, e: Entry, commune: str) -> str:
    key, params = explain_entry(a, e, commune, config(request).tz)
    return text(request, key, **params)


async def commit(request: web.Request) -> web.Response:
    """Record the plan that was shown; only the province may."""
    me = who(request)
    if me.official.role is not Role.PROVINCE:
        raise Forbidden()
    form = await request.post()
    try:
        async with unit_of_work(request) as uow:
            scope = await request_scope(request, uow)
            done = await allocation.commit(
                uow, me.actor, scope.unit.dataset, today(request), now(request),
                config(request).support_per_person, expected=str(form.get("fingerprint", "")))
            await uow.commit()
    except RuleError as err:
        return await allocation_page(request, error=text(request, err.key, **err.params),
                                     status=409)
    notice = text(request, "allocation-cli-committed", plan=done.plan_id,
                  transfers=done.transfers, whole=done.whole, partial=done.partial)
    return await allocation_page(request, notice=notice)
