"""The posting page: a commune posts its list for objections, records those made in person
and answers each one before committing the list on the allocation page (issue 18, item 3).

A commune officer works on their own commune's posting; a district or province officer reads
the postings of the communes below (?commune=<id>) and changes nothing.
"""

from __future__ import annotations

from aiohttp import web

from admin.context import (
    config,
    now,
    path_id,
    query_number,
    render,
    text,
    today,
    unit_of_work,
    who,
)
from admin.scoping import Scope, request_scope
from core.errors import RuleError
from core.model import Level, Unit
from core.names import in_running_text
from core.ports import UnitOfWork
from core.posting import Verdict, local_time, removed
from core.services import posting as service

PAGE = "/admin/posting"


async def posting_page(request: web.Request, notice: str | None = None,
                       error: str | None = None, status: int = 200) -> web.Response:
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        commune = _commune(scope, query_number(request.query.get("commune")))
        current = await uow.postings.current(commune.id) if commune else None
        last = await uow.postings.latest(commune.id) if commune and current is None else None
        objections = await uow.postings.objections(current.id) if current else []
    gone = removed(objections)
    moment = now(request)
    return render(request, "posting.html", {
        "commune": commune, "communes": scope.of_level(Level.COMMUNE) if commune is None else [],
        "posting": current, "last": last, "objections": objections, "gone": gone,
        "open": current is not None and current.is_open(moment),
        "ready": current is not None and not current.is_open(moment)
        and all(o.verdict for o in objections),
        "own": commune is not None and who(request).actor.unit_id == commune.id,
        "days": config(request).posting_days, "verdicts": [v.value for v in Verdict],
        "running": in_running_text(commune.name) if commune else "",
        "notice": notice, "error": error,
    }, status=status)


async def open_posting(request: web.Request) -> web.Response:
    """POST: the commune's list as it stands now, posted for the configured days."""
    try:
        async with unit_of_work(request) as uow:
            commune = await _own(request, uow)
            posted = await service.open_posting(
                uow, who(request).actor, commune, today(request), now(request),
                config(request).posting_days, config(request).support_per_person)
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    return await posting_page(request, notice=text(
        request, "posting-opened", count=len(posted.lines),
        closes=local_time(posted.closes_at, config(request).tz)))


async def record_objection(request: web.Request) -> web.Response:
    """POST: an objection made in person at the office, recorded by the officer."""
    form = await request.post()
    try:
        number = query_number(form.get("number"))
        if number is None:
            raise RuleError("posting-number-invalid")
        async with unit_of_work(request) as uow:
            current = await uow.postings.current((await _own(request, uow)).id)
            if current is None:
                raise RuleError("posting-closed")
            await service.object_in_person(uow, who(request).actor, current.id, number,
                                           str(form.get("reason", "")), now(request))
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    return await posting_page(request, notice=text(request, "posting-recorded"))


async def answer_objection(request: web.Request) -> web.Response:
    """POST: the commune's answer to one objection: kept or removed, with its reason."""
    objection_id = path_id(request, "objection_id")
    form = await request.post()
    try:
        verdict = Verdict(str(form.get("verdict", "")))
    except ValueError:
        return await _refused(request, RuleError("dialog-choose-option"))
    try:
        async with unit_of_work(request) as uow:
            await service.answer_objection(uow, who(request).actor, objection_id, verdict,
                                           str(form.get("answer", "")), now(request))
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    return await posting_page(request, notice=text(request, "posting-answered"))


def _commune(scope: Scope, asked: int | None) -> Unit | None:
    """The official's own commune, or the one of their scope they asked to read (another
    unit's is not found)."""
    unit = scope.get(asked) if asked is not None else scope.unit
    if scope.unit.level is Level.COMMUNE:
        return scope.unit
    return unit if asked is not None and unit.level is Level.COMMUNE else None


async def _own(request: web.Request, uow: UnitOfWork) -> Unit:
    """The commune whose posting the official changes: their own (the service checks it)."""
    scope = await request_scope(request, uow)
    if scope.unit.level is not Level.COMMUNE:
        raise RuleError("posting-not-allowed")
    return scope.unit


async def _refused(request: web.Request, err: RuleError) -> web.Response:
    return await posting_page(request, error=text(request, err.key, **err.params), status=409)
