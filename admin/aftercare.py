"""After the handover, at a desk: what the follow-ups found, the set-up items still to do,
who wants help, and the guidance sessions held (plan III.5, VI.2).

Thin over core.services.aftercare; everything is looked up within the official's unit.
"""

from __future__ import annotations

from aiohttp import web

from admin.context import NotFound, now, render, text, today, unit_of_work, who
from admin.scoping import request_scope
from core.dates import parse_date
from core.errors import RuleError
from core.model import Level, Unit
from core.ports import UnitOfWork
from core.services import aftercare
from core.services import handover as handovers
from core.services.units import descendants


async def _villages(uow: UnitOfWork, unit: Unit) -> list[Unit]:
    """The villages of the official's unit: a village head's own one, a commune's all."""
    return [u for u in await descendants(uow, unit) if u.level is Level.VILLAGE]


async def aftercare_page(request: web.Request, error: str | None = None,
                         status: int = 200) -> web.Response:
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        villages = await _villages(uow, scope.unit)
        ids = [v.id for v in villages]
        done = await uow.handovers.export_rows(await handovers.commune_ids(uow, scope.unit))
        follow_ups = await uow.aftercare.of_handovers([d.handover.id for d in done])
        tasks = await aftercare.tasks(uow, ids)
        wanting = await uow.aftercare.wanting_help(ids)
        sessions = await uow.aftercare.sessions(ids)
        people = {r.id: r for r in await uow.residents.in_units(ids)}
    return render(request, "aftercare.html", {
        "figures": aftercare.day_figures(follow_ups), "tasks": tasks, "wanting": wanting,
        "sessions": sessions, "people": people, "villages": {v.id: v for v in villages},
        "error": error,
    }, status=status)


async def task_done(request: web.Request) -> web.Response:
    """POST: a set-up item left at the handover is done now (by the village head too)."""
    form = await request.post()
    try:
        handover_id = int(str(form.get("handover", "")))
    except ValueError:
        raise NotFound from None
    try:
        async with unit_of_work(request) as uow:
            await aftercare.task_done(uow, who(request).actor, handover_id,
                                      str(form.get("item", "")), now(request))
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    raise web.HTTPFound("/admin/aftercare")


async def add_session(request: web.Request) -> web.Response:
    """POST: a guidance session held in a village, and who came (by the village head too)."""
    form = await request.post()
    try:
        village_id = int(str(form.get("village", "")))
        came = [int(str(v)) for v in form.getall("attendee", [])]
    except ValueError:
        raise NotFound from None
    try:
        held_on = parse_date(str(form.get("held_on", "")), today(request))
        async with unit_of_work(request) as uow:
            await aftercare.record_session(uow, who(request).actor, village_id, held_on,
                                           str(form.get("led_by", "")), came, now(request),
                                           today(request))
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    raise web.HTTPFound("/admin/aftercare")


async def _refused(request: web.Request, err: RuleError) -> web.Response:
    if err.key.startswith("scope-"):
        raise err
    return await aftercare_page(request, text(request, err.key, **err.params), 400)
