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
from admin.scoping import Scope, request_scope
from core.errors import RuleError
from core.model import Case, Handover
from core.ports import UnitOfWork
from core.services import handover as service
from documents.decree_form import DOCX
from documents.handover_record import PlanRef, record_docx, render_record
from documents.lists import CASE_COLUMNS, HANDOVER_COLUMNS, case_row, handover_row


async def handovers_page(request: web.Request, error: str | None = None,
                         status: int = 200) -> web.Response:
    me = who(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        communes = await service.commune_ids(uow, scope.unit)
        waiting = await service.waiting(uow, me.actor)
        lots = await service.lots_of(uow, [s for s, _ in waiting])
        done = await uow.handovers.export_rows(communes)
        cases = await uow.handovers.open_cases(communes)
    return render(request, "handovers.html", {
        "waiting": waiting, "lots": lots, "done": list(reversed(done)), "cases": cases,
        "items": service.CHECKLIST, "error": error, "display": service.display_code,
        "exports": exports.export_links("/admin/handovers", {}),
        "case_exports": exports.export_links("/admin/cases", {}),
        # plan VI.6: where 3G/4G cannot be checked at home, the checklist says so
        "no_signal": {u.id: u for u in scope.units.values() if u.no_signal},
    }, status=status)


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
