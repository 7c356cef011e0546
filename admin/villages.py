"""Villages as the commune keeps them (DESIGN "Coverage"): each one's adult and household
population, whether it has mobile signal, and its survey marked done. Thin over
core.services.survey; a village outside the official's unit is a 404."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web

from admin.context import now, path_id, render, text, unit_of_work, who
from admin.scoping import request_scope
from core.errors import RuleError
from core.model import Actor, Level
from core.ports import UnitOfWork
from core.services import survey


async def villages_page(request: web.Request, error: str | None = None,
                        status: int = 200) -> web.Response:
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
    villages = sorted(scope.of_level(Level.VILLAGE), key=lambda u: u.code)
    return render(request, "villages.html", {
        "villages": villages, "label": scope.label, "error": error,
    }, status=status)


def _count(raw: str) -> int | None:
    """A typed population: blank is unknown; anything but a whole number is refused."""
    if not raw:
        return None
    if not raw.isdecimal():
        raise RuleError("survey-population-invalid", limit=survey.MAX_POPULATION)
    return int(raw)


async def save_facts(request: web.Request) -> web.Response:
    """POST: the village's adults, households and signal."""
    form = await request.post()

    async def change(uow: UnitOfWork, actor: Actor, village_id: int, at: datetime) -> None:
        facts = survey.VillageFacts(
            adults=_count(str(form.get("adults", "")).strip()),
            households=_count(str(form.get("households", "")).strip()),
            no_signal=form.get("no_signal") == "yes")
        await survey.set_village_facts(uow, actor, village_id, facts, at)

    return await _on_village(request, change)


async def survey_done(request: web.Request) -> web.Response:
    """POST: the village's survey is done (once; a second time changes nothing)."""
    async def change(uow: UnitOfWork, actor: Actor, village_id: int, at: datetime) -> None:
        await survey.mark_survey_done(uow, actor, village_id, at)

    return await _on_village(request, change)


Change = Callable[[UnitOfWork, Actor, int, datetime], Awaitable[None]]


async def _on_village(request: web.Request, change: Change) -> web.Response:
    """One change to a village of the official's unit (another's: 404); a refusal is said on
    the page and changes nothing."""
    village_id = path_id(request, "village_id")
    try:
        async with unit_of_work(request) as uow:
            (await request_scope(request, uow)).get(village_id)
            await change(uow, who(request).actor, village_id, now(request))
            await uow.commit()
    except RuleError as err:
        if err.key.startswith("scope-"):
            raise
        return await villages_page(request, text(request, err.key, **err.params), 400)
    raise web.HTTPFound(f"/admin/villages#v{village_id}")
