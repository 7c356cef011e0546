"""Handovers at a desk: who waits for their phone, recording one, the printable record,
what the recipients answered, the cases to close and "signed on paper".

Thin over core.services.handover; every handover and case is looked up within the official's
unit first, so another commune's id is a 404 whatever the service would say.
"""

from __future__ import annotations

from aiohttp import web

from admin import exports
from admin.context import (
    NotFound,
    catalogue,
    config,
    locale,
    now,
    path_id,
    render,
    text,
    unit_of_work,
    who,
)
from admin.paging import COUNTED, page_at
from admin.scoping import Scope, request_scope
from admin.units import picked_unit
from core.errors import RuleError
from core.model import Case, Handover, Level, Unit
from core.ports import UnitOfWork
from core.services import handover as service
from documents.decree_form import DOCX
from documents.handover_record import PlanRef, record_docx, render_record
from documents.lists import CASE_COLUMNS, HANDOVER_COLUMNS, case_row, handover_row


async def handovers_page(request: web.Request, error: str | None = None,
                         status: int = 200) -> web.Response:
    """Three lists of the official's unit (or the unit chosen under it), each counted in
    the database and shown 50 at a time: the open cases, the supports waiting for their
    handover (in the queue's order) and the handovers done (newest first)."""
    q = request.query
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        unit_id = picked_unit(scope, q)
        chosen = scope.get(unit_id or scope.unit.id)
        communes = _communes(scope, chosen)
        cases_page = page_at(q.get("cpage"), await uow.handovers.count_open_cases(communes))
        cases = await uow.handovers.open_cases(communes, cases_page.offset, cases_page.size)
        waiting_page = page_at(q.get("wpage"),
                               await uow.supports.count_assigned(communes, COUNTED + 1),
                               counted=COUNTED)
        supports = await uow.supports.assigned(communes, waiting_page.offset,
                                               waiting_page.size)
        people = await uow.views.resident_lines([s.resident_id for s in supports])
        waiting = [(s, people[s.resident_id].resident) for s in supports
                   if s.resident_id in people]
        lots = await service.lots_of(uow, supports)
        done_page = page_at(q.get("page"), await uow.handovers.count_in(communes))
        done = await uow.handovers.newest(communes, done_page.offset, done_page.size)
    kept = {k: q[k] for k in ("cpage", "wpage", "page") if q.get(k)}
    filters = {"unit": str(unit_id)} if unit_id is not None else {}
    return render(request, "handovers.html", {
        "waiting": waiting, "lots": lots, "done": done, "cases": cases,
        "cases_page": cases_page, "waiting_page": waiting_page, "done_page": done_page,
        "kept": kept | filters, "filters": filters,
        "units": _unit_choices(scope, chosen),
        "items": service.CHECKLIST, "error": error, "display": service.display_code,
        "exports": exports.export_links("/admin/handovers", {}),
        "case_exports": exports.export_links("/admin/cases", {}),
        # plan VI.6: where 3G/4G cannot be checked at home, the checklist says so
        "no_signal": {u.id: u for u in scope.units.values() if u.no_signal},
    }, status=status)


def _communes(scope: Scope, unit: Unit) -> list[int]:
    """The communes of a unit of the scope: itself, those under it, or (a village picked by
    a commune's or higher officer) the village's own; a village head's scope has none, as
    before."""
    if unit.level is Level.VILLAGE:
        if not scope.has(unit.parent_id):
            return []
        unit = scope.get(unit.parent_id)
    if unit.id == scope.unit.id:  # the official's own: found once per scope
        return [u.id for u in scope.of_level(Level.COMMUNE)]
    return [u.id for u in scope.below(unit) if u.level is Level.COMMUNE]


def _unit_choices(scope: Scope, chosen: Unit) -> list[tuple[int, str, int]]:
    """(id, name, depth): the way down to the chosen unit, then the units directly under it
    down to communes (supports and handovers are kept by commune), one level at a time."""
    path = scope.path(chosen)
    below = [u for u in scope.children.get(chosen.id, ()) if u.level is not Level.VILLAGE]
    return ([(u.id, u.name, depth) for depth, u in enumerate(path)]
            + [(u.id, u.name, len(path)) for u in below])


async def export_handovers(request: web.Request) -> web.Response:
    """The handovers of the official's unit, newest first, as .xlsx or .csv."""
    when = exports.local_time(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        done = await uow.handovers.export_rows(await service.commune_ids(uow, scope.unit))
        rows = [handover_row(r, when) for r in reversed(done)]
        await exports.audit_export(uow, request, "handover", scope.unit.id, {}, len(rows))
    return exports.send(request, "ban-giao", rows, HANDOVER_COLUMNS)


async def export_cases(request: web.Request) -> web.Response:
    """Every case of the official's unit, open and closed, oldest first, as .xlsx or .csv."""
    when = exports.local_time(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        communes = await service.commune_ids(uow, scope.unit)
        handed = {row.handover.id: row for row in await uow.handovers.export_rows(communes)}
        rows = [case_row(c, handed[c.handover_id], when)
                for c in await uow.handovers.cases_in(communes) if c.handover_id in handed]
        await exports.audit_export(uow, request, "case", scope.unit.id, {}, len(rows))
    return exports.send(request, "vuong-mac", rows, CASE_COLUMNS)


async def record(request: web.Request) -> web.Response:
    """POST: the handover of one waiting support, with the phone picked (its serial) and
    the checklist; the service refuses a phone that is not of the support's lot."""
    form = await request.post()
    try:
        support_id = int(str(form.get("support", "")))
    except ValueError:
        raise NotFound from None
    checklist = {item: form.get(f"item-{item}") == "yes" for item in service.CHECKLIST}
    try:
        async with unit_of_work(request) as uow:
            support = await uow.supports.get(support_id)
            scope = await request_scope(request, uow)
            if support is None or not scope.has(support.commune_id):
                raise NotFound
            done = await service.record_handover(uow, who(request).actor, support_id,
                                                 str(form.get("serial", "")) or None, checklist,
                                                 now(request))
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    raise web.HTTPFound(f"/admin/handovers/{done.id}/record")


async def record_page(request: web.Request) -> web.Response:
    """The printable handover record (bien ban ban giao), with its QR and a link to the
    same record as .docx."""
    data, qr, plan = await _record(request)
    docx = f"/admin/handovers/{data.handover.id}/record.docx"
    page = render_record(catalogue(request), locale(request), data, qr, plan=plan,
                         links=((docx, text(request, "documents-download-docx")),))
    return web.Response(text=page, content_type="text/html",
                        headers={"Cache-Control": "no-store"})  # personal data: keep no copy


async def record_docx_file(request: web.Request) -> web.Response:
    """The handover record as a Word file, to print or keep."""
    data, qr, plan = await _record(request)
    body = record_docx(catalogue(request), locale(request), data, qr, plan=plan)
    return web.Response(body=body, content_type=DOCX, headers={
        "Content-Disposition": f'attachment; filename="bien-ban-{data.handover.id}.docx"',
        "Cache-Control": "no-store"})


async def _record(request: web.Request) -> tuple[service.HandoverRecord, str, PlanRef]:
    async with unit_of_work(request) as uow:
        handover = await _handover_in_scope(uow, await request_scope(request, uow),
                                            path_id(request, "handover_id"))
        data = await service.handover_record(uow, who(request).actor, handover.id)
    conf = config(request)
    qr = service.qr_payload(data.handover.code, conf.telegram_bot_username or None)
    return data, qr, PlanRef(conf.plan_number, conf.plan_date)


async def on_paper(request: web.Request) -> web.Response:
    """POST: the recipient confirmed in person and signed the paper record."""
    handover_id = path_id(request, "handover_id")
    try:
        async with unit_of_work(request) as uow:
            await _handover_in_scope(uow, await request_scope(request, uow),
                                     handover_id)
            await service.confirm_on_paper(uow, who(request).actor, handover_id, now(request))
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    raise web.HTTPFound("/admin/handovers")


async def close_case(request: web.Request) -> web.Response:
    """POST: the officer looked into a case and says what was done."""
    case_id = path_id(request, "case_id")
    form = await request.post()
    try:
        async with unit_of_work(request) as uow:
            await _case_in_scope(uow, await request_scope(request, uow), case_id)
            await service.close_case(uow, who(request).actor, case_id,
                                     str(form.get("resolution", "")), now(request))
            await uow.commit()
    except RuleError as err:
        return await _refused(request, err)
    raise web.HTTPFound("/admin/handovers")


async def _refused(request: web.Request, err: RuleError) -> web.Response:
    """The page again with the refusal said; outside the unit stays a 404 (the middleware)."""
    if err.key.startswith("scope-"):
        raise err
    return await handovers_page(request, text(request, err.key, **err.params), 400)


async def _handover_in_scope(uow: UnitOfWork, scope: Scope, handover_id: int) -> Handover:
    handover = await uow.handovers.get(handover_id)
    support = await uow.supports.get(handover.support_id) if handover else None
    if handover is None or support is None or not scope.has(support.commune_id):
        raise NotFound
    return handover


async def _case_in_scope(uow: UnitOfWork, scope: Scope, case_id: int) -> Case:
    case = await uow.handovers.get_case(case_id)
    if case is None:
        raise NotFound
    await _handover_in_scope(uow, scope, case.handover_id)
    return case
