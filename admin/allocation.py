"""The allocation page: each official's own part of the plan, and its commit (plan III.4).

A commune officer sees and commits the commune's own list, made from what the commune holds;
a province or district officer sees and commits the distribution of what their unit holds to
the communes (no one named), with the communes' lists as they would then stand. The form
carries the fingerprint of the part that was shown, so a commit records that or nothing
(core.services.allocation.commit).
"""

from __future__ import annotations

from aiohttp import web

from admin.context import (
    Forbidden,
    NotFound,
    catalogue,
    config,
    locale,
    now,
    path_id,
    render,
    text,
    today,
    unit_of_work,
    who,
)
from admin.reports import XLSX
from admin.scoping import request_scope
from core.allocation import Assignment, Entry, explain_entry
from core.errors import RuleError
from core.model import Level, Role
from core.services import allocation
from core.services.posting import posting_list
from documents.decree_form import DOCX, bound
from documents.posting_list import posting_docx, posting_html, posting_xlsx


async def allocation_page(request: web.Request, notice: str | None = None,
                          error: str | None = None, status: int = 200) -> web.Response:
    me = who(request).official
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        view = await allocation.preview(uow, scope.unit.dataset, today(request),
                                        config(request).support_per_person,
                                        unit=scope.unit if scope.unit.level in allocation.PARTS
                                        else None)
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
        "commits": me.role in allocation.COMMITTING_ROLES,
        "own_list": scope.unit.level is Level.COMMUNE,
        "moves": view.written_moves,
        "notice": notice, "error": error,
    }, status=status)


def _explained(request: web.Request, a: Assignment, e: Entry, commune: str) -> str:
    key, params = explain_entry(a, e, commune, config(request).tz)
    return text(request, key, **params)


async def commit(request: web.Request) -> web.Response:
    """Record the official's own part that was shown: a commune's list, or the distribution
    of what a province or district holds."""
    me = who(request)
    if me.official.role not in allocation.COMMITTING_ROLES:
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


async def posting(request: web.Request) -> web.Response:
    """The commune's list for posting (danh sach niem yet): print view, .docx or .xlsx by the
    path's ending; a commune outside the official's unit is not found."""
    commune_id = path_id(request, "commune_id")
    kind = request.match_info.get("kind", "")
    if kind not in ("", "docx", "xlsx"):
        raise NotFound
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        if not scope.has(commune_id):
            raise NotFound
        data = await posting_list(uow, who(request).actor, commune_id, today(request),
                                  config(request).support_per_person)
    t = bound(catalogue(request), locale(request))
    name = f"danh-sach-niem-yet-{data.commune.code}"
    if kind == "docx":
        return _download(posting_docx(data, t), DOCX, f"{name}.docx")
    if kind == "xlsx":
        return _download(posting_xlsx(data, t), XLSX, f"{name}.xlsx")
    base = f"/admin/allocation/posting/{commune_id}"
    page = posting_html(data, t, locale(request), links=(
        (f"{base}.docx", t("documents-download-docx")),
        (f"{base}.xlsx", t("documents-download-xlsx"))))
    return web.Response(text=page, content_type="text/html",
                        headers={"Cache-Control": "no-store"})


def _download(body: bytes, content_type: str, filename: str) -> web.Response:
    return web.Response(body=body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
