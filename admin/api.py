"""JSON API under /api/v1: the same permissions as the pages; session or Bearer token."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from admin.context import NotFound, now, path_id, unit_of_work, who
from admin.residents import (
    audit_list_read,
    page_of,
    parse_id,
    resident_in_scope,
    resident_query,
)
from admin.scoping import request_scope
from core.codes import household_shown
from core.model import Household, Level, Resident
from core.services import registry
from core.services.audit import record_read

MAX_LIMIT = 500


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def resident_json(r: Resident, h: Household | None = None, village: str | None = None,
                  commune: str | None = None) -> dict[str, object]:
    out: dict[str, object] = {
        "id": r.id, "full_name": r.full_name, "date_of_birth": r.date_of_birth.isoformat(),
        "gender": r.gender.value if r.gender else None, "citizen_id": r.citizen_id,
        "has_smartphone": r.has_smartphone, "phone": r.phone, "status": r.status.value,
        "reject_reason": r.reject_reason, "household_id": r.household_id,
        "village_id": r.village_id, "commune_id": r.commune_id,
        "registered_at": _time(r.registered_at), "approved_at": _time(r.approved_at),
    }
    if h is not None:
        out["household"] = household_json(h)
    if village is not None:
        out["village"] = village
    if commune is not None:
        out["commune"] = commune
    return out


def household_json(h: Household, members: int | None = None) -> dict[str, object]:
    out: dict[str, object] = {
        "id": h.id, "code": household_shown(h.code), "head_name": h.head_name,
        "poverty": h.poverty.value,
        "policy": h.policy.value, "class_source": h.class_source.value,
        "review_year": h.review_year, "has_smartphone": h.has_smartphone,
        "village_id": h.village_id,
    }
    if members is not None:
        out["members"] = members
    return out


async def residents(request: web.Request) -> web.Response:
    """GET /api/v1/residents?unit=&status=&poverty=&policy=&q=&after=&limit="""
    size = min(max(parse_id(request.query.get("limit")) or 100, 1), MAX_LIMIT)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        query = resident_query(scope, request.query, parse_id(request.query.get("after")) or 0)
        lines, cursor = await page_of(uow, query, size)
        await audit_list_read(uow, request, scope, "api-list", len(lines), "after", "limit")
    return web.json_response({
        "items": [resident_json(x.resident, x.household, x.village, x.commune) for x in lines],
        "next": str(cursor) if cursor is not None else None,
    })


async def resident(request: web.Request) -> web.Response:
    """GET /api/v1/residents/{id}"""
    async with unit_of_work(request) as uow:
        r = await resident_in_scope(uow, who(request), path_id(request, "resident_id"))
        h = await uow.households.get(r.household_id)
        await record_read(uow, who(request).actor, now(request), r.id, r.commune_id, "api")
    return web.json_response(resident_json(r, h))


async def approve(request: web.Request) -> web.Response:
    """POST /api/v1/residents/{id}/approve"""
    resident_id = path_id(request, "resident_id")
    async with unit_of_work(request) as uow:
        await resident_in_scope(uow, who(request), resident_id)
        r = await registry.approve(uow, who(request).actor, resident_id, now(request))
        await uow.commit()
    return web.json_response(resident_json(r))


async def households(request: web.Request) -> web.Response:
    """GET /api/v1/households?village="""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        village = scope.get(parse_id(request.query.get("village")) or (
            scope.unit.id if scope.unit.level is Level.VILLAGE else None))
        if village.level is not Level.VILLAGE:
            raise NotFound
        rows = await uow.views.households_in_village(village.id)
    return web.json_response({"items": [household_json(h, n) for h, n in rows]})


async def stats(request: web.Request) -> web.Response:
    """GET /api/v1/stats?unit= : residents by status."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        unit_id = parse_id(request.query.get("unit"))
        unit = scope.get(unit_id) if unit_id is not None else scope.unit
        counts = await uow.views.status_counts(scope.place(unit.id))
    return web.json_response({"unit_id": unit.id, "unit": unit.name,
                              "total": sum(counts.values()), "by_status": counts})
