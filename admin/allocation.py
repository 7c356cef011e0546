"""The allocation page: each official's own part of the plan, and its commit (plan III.4).

A commune officer sees and commits the commune's own list, made from what the commune holds;
a province or district officer sees and commits the distribution of what their unit holds to
the communes (no one named), with a summary per commune first and each commune's list one
click away. The form carries the fingerprint of the part that was shown, so a commit records
that or nothing (core.services.allocation.commit). A commune's list is filtered (tier, queue,
status), paged, printed and exported with the filter that is shown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from admin import exports
from admin.context import (
    Forbidden,
    NotFound,
    catalogue,
    config,
    locale,
    now,
    path_id,
    query_number,
    render,
    text,
    today,
    unit_of_work,
    who,
)
from admin.paging import page_at
from admin.scoping import LISTED_COMMUNES, Scope, request_scope
from core.allocation import Entry, explain_entry
from core.codes import household_shown
from core.errors import RuleError
from core.model import Level, Role, Unit
from core.ports import UnitOfWork
from core.priority import TIERS, Support
from core.services import allocation
from core.services.allocation import AllocationView, CommunePlan
from core.services.audit import record_list_read
from core.services.posting_list import posting_list
from documents.decree_form import DOCX, bound
from documents.posting_list import posting_docx, posting_html, posting_xlsx

FILTERS = ("commune", "tier", "queue", "status")
STATUSES = ("given", "waiting")  # reached by this round's stock, or still waiting
EXPORT_COLUMNS = ("commune", "village", "household", "full_name", "queue", "tier", "rank",
                  "of_total", "allocation_status", "why")


@dataclass(frozen=True, slots=True)
class Filter:
    commune: int | None = None
    tier: int | None = None
    queue: Support | None = None
    status: str | None = None

    def keeps(self, e: Entry) -> bool:
        return ((self.tier is None or e.tier == self.tier)
                and (self.queue is None or e.ranked.support is self.queue)
                and (self.status is None or (self.status == "waiting") == e.waiting))


def parse_filter(args: web.Request) -> Filter:
    """The filter of the query string; a value no list has is a 400, never a 500."""
    q = args.query
    tier = query_number(q.get("tier"))
    queue, status = q.get("queue") or None, q.get("status") or None
    if ((tier is not None and not 1 <= tier <= TIERS)
            or (queue is not None and queue not in {s.value for s in Support})
            or (status is not None and status not in STATUSES)):
        raise RuleError("admin-error-bad-query")
    return Filter(query_number(q.get("commune")), tier, Support(queue) if queue else None, status)


@dataclass(frozen=True, slots=True)
class Summary:
    """A commune's line of the province's (or district's) summary."""

    plan: CommunePlan
    phone_queue: int  # people in the phone queue
    phones_given: int  # of them, reached by this round's phones
    money_queue: int
    money_given: int

    @property
    def phones(self) -> int:
        return self.plan.phones_held + self.plan.phones_in

    @property
    def money(self) -> int:
        return self.plan.money_held + self.plan.money_in


def summarise(plan: CommunePlan) -> Summary:
    entries = plan.assignment.entries
    whole = [e for e in entries if e.ranked.support is Support.WHOLE]
    partial = [e for e in entries if e.ranked.support is Support.PARTIAL]
    return Summary(plan, len(whole), sum(not e.waiting for e in whole),
                   len(partial), sum(not e.waiting for e in partial))


async def _view(request: web.Request, uow: UnitOfWork, scope: Scope,
                commune: int | None = None) -> AllocationView:
    """The whole distribution of the official's unit, or (commune) one commune's own list
    only, planned from what it holds: a commune's page never plans the whole province."""
    unit = scope.get(commune) if commune is not None else scope.unit
    return await allocation.preview(uow, unit.dataset, today(request),
                                    config(request).support_per_person,
                                    unit=unit if unit.level in allocation.PARTS else None)


def _communes(scope: Scope) -> list[Unit]:
    return sorted(scope.of_level(Level.COMMUNE), key=lambda u: u.id)


async def allocation_page(request: web.Request, notice: str | None = None,
                          error: str | None = None, status: int = 200,
                          distribution: bool = False) -> web.Response:
    """A commune's list (the commune officer's own, or the commune a province or district
    officer chose: that commune's preview only); else the paged summary of the unit's
    communes, each line that commune's own list planned from what it holds; with
    ?distribution=1 the whole distribution of what the unit holds, to read and commit."""
    me = who(request).official
    wanted = parse_filter(request)
    printing = request.query.get("print") == "1"
    distribution = distribution or request.query.get("distribution") == "1"
    summary: list[Summary] = []
    summary_page = page_at(None, 0)
    view: AllocationView | None = None
    chosen: list[CommunePlan] = []
    lines: list[Line] = []
    page = page_at(None, 0)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        if wanted.commune is not None:
            scope.get(wanted.commune)  # another unit's commune: not found, as everywhere
        own_list = scope.unit.level is Level.COMMUNE
        distribution = distribution and not own_list
        communes = _communes(scope)
        if own_list or wanted.commune is not None:
            view = await _view(request, uow, scope,
                               None if own_list else wanted.commune)
            chosen = list(view.written_lists)
            kept = [(c, e) for c in chosen for e in c.assignment.entries if wanted.keeps(e)]
            page = page_at(request.query.get("page"), len(kept))
            visible = kept if printing else kept[page.offset:page.offset + page.size]
            lines = await _lines(request, uow, scope, visible)
        elif distribution:
            view = await _view(request, uow, scope)
        else:  # a district or province of many communes: a page of them at a time
            summary_page = page_at(request.query.get("spage"), len(communes))
            plans = await allocation.own_lists(
                uow, scope.unit.dataset, today(request),
                communes[summary_page.offset:summary_page.offset + summary_page.size],
                config(request).support_per_person)
            summary = [summarise(c) for c in plans]
    filters = {k: request.query[k] for k in FILTERS if request.query.get(k)}
    return render(request, "allocation.html", {
        "view": view, "on": today(request), "per_person": config(request).support_per_person,
        "province": me.role is Role.PROVINCE and distribution,
        "distribution": distribution,
        "summary": summary, "summary_page": summary_page,
        "chosen": chosen, "lines": lines, "page": page, "filters": filters,
        "printing": printing, "tiers": range(1, TIERS + 1), "statuses": STATUSES,
        "queues": [s.value for s in Support], "communes": communes,
        "commune_choice": len(communes) <= LISTED_COMMUNES,  # else chosen in the summary
        # a commit records the part shown: the commune's list, or the whole distribution
        "commits": me.role in allocation.COMMITTING_ROLES and view is not None
        and (own_list or distribution),
        "own_list": own_list,
        "moves": view.written_moves if view is not None and distribution else (),
        "notice": notice, "error": error,
    }, status=status)


@dataclass(frozen=True, slots=True)
class Line:
    commune: str
    village: str
    household: str
    resident_id: int
    name: str
    entry: Entry
    why: str


async def _lines(request: web.Request, uow: UnitOfWork, scope: Scope,
                 entries: Sequence[tuple[CommunePlan, Entry]]) -> list[Line]:
    """The shown entries with the person's name, village and household, each explained."""
    people = await uow.views.resident_lines([e.resident_id for _, e in entries])
    out = []
    for c, e in entries:
        x = people[e.resident_id]  # a queued person is a resident of the commune
        key, params = explain_entry(c.assignment, e, c.commune.name, config(request).tz)
        out.append(Line(c.commune.name, x.village, household_shown(x.household.code),
                        e.resident_id, x.resident.full_name, e, text(request, key, **params)))
    return out


async def export(request: web.Request) -> web.Response:
    """The lines of the filter shown, as .xlsx or .csv (every page, every commune chosen)."""
    kind = request.match_info["fmt"]
    wanted = parse_filter(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        if wanted.commune is not None:
            scope.get(wanted.commune)  # another unit's commune: not found, as everywhere
        if scope.unit.level is Level.COMMUNE or wanted.commune is not None:
            view = await _view(request, uow, scope,
                               None if scope.unit.level is Level.COMMUNE else wanted.commune)
            chosen = list(view.written_lists)
        else:  # every commune's own list, as the summary and each commune's page show them
            chosen = await allocation.own_lists(uow, scope.unit.dataset, today(request),
                                                _communes(scope),
                                                config(request).support_per_person)
        kept = [(c, e) for c in chosen for e in c.assignment.entries if wanted.keeps(e)]
        exports.check_size(len(kept))  # a province's every list: narrow it to a commune
        lines = await _lines(request, uow, scope, kept)
        # names leave the programme: the trail says who took which list
        await record_list_read(uow, who(request).actor, now(request),
                               wanted.commune or scope.unit.id, f"admin-allocation-{kind}",
                               {k: request.query.get(k) for k in FILTERS}, len(lines))
    return exports.send(request, "phan-bo", [_export_row(line) for line in lines],
                        EXPORT_COLUMNS)


def _export_row(line: Line) -> dict[str, object]:
    e = line.entry
    return {
        "commune": line.commune, "village": line.village, "household": line.household,
        "full_name": line.name, "queue": e.ranked.support.value, "tier": e.tier,
        "rank": e.position, "of_total": e.of_total,
        "allocation_status": "waiting" if e.waiting else "given", "why": line.why,
    }


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
                config(request).support_per_person, expected=str(form.get("fingerprint", "")),
                tz=config(request).tz)
            await uow.commit()
    except RuleError as err:
        return await allocation_page(request, error=text(request, err.key, **err.params),
                                     status=409, distribution=True)
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
        return _download(posting_xlsx(data, t), exports.FORMATS["xlsx"], f"{name}.xlsx")
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
