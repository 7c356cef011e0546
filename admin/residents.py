"""Residents and households: lists, a resident's page, approval, rejection, correction, export."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from aiohttp import web
from multidict import MultiMapping

from admin import exports
from admin.context import (
    NotFound,
    Who,
    now,
    path_id,
    query_number,
    query_text,
    render,
    text,
    today,
    unit_of_work,
    who,
)
from admin.paging import COUNTED, PAGE_SIZE, Page, page_at
from admin.scoping import Scope, request_scope
from admin.units import picked_unit, unit_choices
from core.dates import parse_date
from core.errors import RuleError
from core.model import Policy, Poverty, Resident, Status
from core.page_views import AuditQuery, ResidentLine, ResidentQuery
from core.ports import UnitOfWork
from core.services import registry
from core.services.audit import READS, record_list_read, record_read
from core.services.scope import within
from documents.lists import HOUSEHOLD_COLUMNS, RESIDENT_COLUMNS, household_row, resident_row

EXPORT_BATCH = 1000
FILTERS = ("unit", "status", "poverty", "policy", "q")


def parse_id(raw: object) -> int | None:
    """A number of the query string: a unit, a village, a cursor, a page size."""
    return query_number(raw)


def _choice(raw: str | None, allowed: type[Status] | type[Poverty] | type[Policy]) -> str | None:
    return raw if raw in {m.value for m in allowed} else None


async def audit_list_read(uow: UnitOfWork, request: web.Request, scope: Scope, source: str,
                          rows: int, *extra: str) -> None:
    """The trail's line for a list of residents read: who, which filter, how many rows;
    under the unit the list covered, so that its officers (and the reader's) see it."""
    keys = FILTERS + extra
    unit_id = parse_id(request.query.get("unit")) or scope.unit.id
    await record_list_read(uow, who(request).actor, now(request), unit_id, source,
                           {k: request.query.get(k) for k in keys}, rows)


def resident_query(scope: Scope, args: MultiMapping[str], after: int = 0) -> ResidentQuery:
    """The list's filters from the query string; a unit outside the scope is not found."""
    return ResidentQuery(
        place=scope.place(parse_id(args.get("unit"))),
        status=_choice(args.get("status"), Status),
        poverty=_choice(args.get("poverty"), Poverty),
        policy=_choice(args.get("policy"), Policy),
        name=query_text(args.get("q")),
        after_id=after,
    )


async def page_of(uow: UnitOfWork, query: ResidentQuery, size: int = PAGE_SIZE
                  ) -> tuple[list[ResidentLine], int | None]:
    """One page and the cursor of the next (None on the last page)."""
    lines = await uow.views.resident_page(query, size + 1)
    more = len(lines) > size
    lines = lines[:size]
    return lines, (lines[-1].resident.id if more and lines else None)


async def residents(request: web.Request) -> web.Response:
    """The list, filtered, in numbered pages."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        unit_id = picked_unit(scope, request.query)
        query = replace(resident_query(scope, request.query), place=scope.place(unit_id))
        after = parse_id(request.query.get("after"))
        if after is not None:  # past the counted pages: on from the last row seen
            lines, cursor = await page_of(uow, replace(query, after_id=after))
            page: Page | None = None
        else:
            page = page_at(request.query.get("page"),
                           await uow.views.resident_count(query, COUNTED + 1), counted=COUNTED)
            lines = await uow.views.resident_page(replace(query, offset=page.offset),
                                                  page.size)
            last = page.more and page.number == page.pages and bool(lines)
            cursor = lines[-1].resident.id if last else None
    kept = {k: request.query[k] for k in FILTERS if request.query.get(k)}
    if unit_id is not None:
        kept["unit"] = str(unit_id)  # a unit typed in the picker's box, from now on chosen
    return render(request, "residents.html", {
        "lines": lines, "filters": kept, "page": page, "cursor": cursor,
        "units": unit_choices(scope, scope.get(unit_id or scope.unit.id)),
        "statuses": list(Status), "poverties": list(Poverty), "policies": list(Policy),
        "exports": exports.export_links("/admin/residents", kept),
    })


async def resident_in_scope(uow: UnitOfWork, me: Who, resident_id: int) -> Resident:
    """A resident of the official's unit, or NotFound (whether missing or elsewhere)."""
    resident = await uow.residents.get(resident_id)
    if resident is None or not await within(uow, me.actor, resident.village_id):
        raise NotFound
    return resident


async def resident_page(request: web.Request, error: str | None = None,
                        status: int = 200) -> web.Response:
    """A resident: household (class and its source), status, history."""
    me = who(request)
    async with unit_of_work(request) as uow:
        resident = await resident_in_scope(uow, me, path_id(request, "resident_id"))
        household = await uow.households.get(resident.household_id)
        village = await uow.units.get(resident.village_id)
        commune = await uow.units.get(resident.commune_id)
        members = await uow.residents.in_household(resident.household_id)
        support = await uow.supports.active_for(resident.id)
        history = await uow.views.audit_page(AuditQuery(
            unit_ids=(resident.commune_id,), entity="resident", entity_id=resident.id,
            hide_actions=READS), 200)
        await record_read(uow, me.actor, now(request), resident.id, resident.commune_id,
                          "admin-page")
    return render(request, "resident.html", {
        "r": resident, "household": household, "village": village, "commune": commune,
        "members": members, "history": list(reversed(history)), "error": error,
        "support": support, "gift": request.get("gift_form", {}),
        "once": secrets.token_urlsafe(16),  # a browser sending a form again: no 2nd record
    }, status=status)


async def approve(request: web.Request) -> web.Response:
    """Approve one registration."""
    resident_id = path_id(request, "resident_id")
    async with unit_of_work(request) as uow:
        await resident_in_scope(uow, who(request), resident_id)
        await registry.approve(uow, who(request).actor, resident_id, now(request))
        await uow.commit()
    raise web.HTTPFound(f"/admin/residents/{resident_id}")


async def approve_many(request: web.Request) -> web.Response:
    """Approve the ticked registrations, all or none."""
    form = await request.post()
    ids = sorted({parse_id(v) or 0 for v in form.getall("ids", [])} - {0})
    async with unit_of_work(request) as uow:
        for resident_id in ids:
            await resident_in_scope(uow, who(request), resident_id)
            await registry.approve(uow, who(request).actor, resident_id, now(request))
        await uow.commit()
    back = str(form.get("back", ""))
    raise web.HTTPFound(back if back.startswith("/admin/residents") else "/admin/residents")


async def reject(request: web.Request) -> web.Response:
    """Refuse a registration; the reason is required."""
    resident_id = path_id(request, "resident_id")
    form = await request.post()
    try:
        async with unit_of_work(request) as uow:
            await resident_in_scope(uow, who(request), resident_id)
            await registry.reject(uow, who(request).actor, resident_id,
                                  str(form.get("reason", "")), now(request))
            await uow.commit()
    except RuleError as err:
        if err.key != "registry-reject-needs-reason":
            raise
        return await resident_page(request, error=text(request, err.key), status=400)
    raise web.HTTPFound(f"/admin/residents/{resident_id}")


@dataclass(frozen=True, slots=True)
class EditValues:
    full_name: str
    date_of_birth: str
    citizen_id: str
    phone: str
    has_smartphone: bool


def _values(resident: Resident) -> EditValues:
    return EditValues(resident.full_name, resident.date_of_birth.strftime("%d/%m/%Y"),
                      resident.citizen_id or "", resident.phone or "", resident.has_smartphone)


async def edit_page(request: web.Request) -> web.Response:
    """The correction form."""
    async with unit_of_work(request) as uow:
        resident_id = path_id(request, "resident_id")
        resident = await resident_in_scope(uow, who(request), resident_id)
        await record_read(uow, who(request).actor, now(request), resident.id,
                          resident.commune_id, "admin-edit")
    return render(request, "resident_edit.html", {"r": resident, "v": _values(resident)})


async def edit(request: web.Request) -> web.Response:
    """Save a correction through the registry (checked, audited before and after)."""
    resident_id = path_id(request, "resident_id")
    form = await request.post()
    full_name, born_text, citizen_id, phone = (str(form.get(k, "")).strip() for k in (
        "full_name", "date_of_birth", "citizen_id", "phone"))
    values = EditValues(full_name, born_text, citizen_id, phone,
                        form.get("has_smartphone") == "1")
    async with unit_of_work(request) as uow:
        resident = await resident_in_scope(uow, who(request), resident_id)
        try:
            born = parse_date(values.date_of_birth, today(request))
            checked = registry.ResidentForm(
                full_name=values.full_name, date_of_birth=born,
                has_smartphone=values.has_smartphone, citizen_id=values.citizen_id or None,
                legacy_id=resident.legacy_id, phone=values.phone or None,
                consent=resident.consent)
            await registry.update_resident(uow, who(request).actor, resident_id, checked,
                                           now(request), today(request))
        except RuleError as err:
            if err.key.startswith("scope-"):
                raise
            return render(request, "resident_edit.html", {
                "r": resident, "v": values, "error": text(request, err.key, **err.params)}, 400)
        await uow.commit()
    raise web.HTTPFound(f"/admin/residents/{resident_id}")


async def households(request: web.Request) -> web.Response:
    """The households of a unit of the scope, with their commune, village and class."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        unit_id = picked_unit(scope, request.query) or query_number(
            request.query.get("village"))  # the old links named a village
        place = scope.place(unit_id)
        page = page_at(request.query.get("page"),
                       await uow.views.household_count(place, COUNTED + 1), counted=COUNTED)
        rows = await uow.views.household_page(place, page.offset, page.size)
    kept = {"unit": str(unit_id)} if unit_id is not None else {}
    return render(request, "households.html", {
        "rows": rows, "page": page, "filters": kept,
        "units": unit_choices(scope, scope.get(unit_id or scope.unit.id)),
        "exports": exports.export_links("/admin/households", kept)})


async def export_households(request: web.Request) -> web.Response:
    """The households as the households page lists them (its unit), as .xlsx or .csv."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        unit_id = picked_unit(scope, request.query) or query_number(
            request.query.get("village"))
        place = scope.place(unit_id)
        exports.check_size(await uow.views.household_count(place))
        found = await uow.views.household_page(place, 0, exports.MAX_ROWS)
        rows = [household_row(line.household, line.village, line.members) for line in found]
        await exports.audit_export(uow, request, "household", unit_id or scope.unit.id,
                                   {"unit": unit_id}, len(rows))
    return exports.send(request, "ho-gia-dinh", rows, HOUSEHOLD_COLUMNS)


async def export(request: web.Request) -> web.Response:
    """The filtered list as .xlsx or .csv (admin.exports), read in batches up to its cap."""
    rows: list[dict[str, object]] = []
    when = exports.local_time(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        query = resident_query(scope, request.query)
        while True:
            lines, cursor = await page_of(uow, query, EXPORT_BATCH)
            rows.extend(resident_row(line, when) for line in lines)
            exports.check_size(len(rows))
            if cursor is None:
                break
            query = resident_query(scope, request.query, cursor)
        await audit_list_read(uow, request, scope, exports.SOURCE, len(rows))
    return exports.send(request, "danh-sach", rows, RESIDENT_COLUMNS)
