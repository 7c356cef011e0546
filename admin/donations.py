"""Donors and pledges at a desk: the pledges of the official's unit, a pledge with what
arrived against it, recording a receipt, and the stock and funds per unit.

Thin over core.services.receiving; a pledge earmarked elsewhere, or (for a commune) one not
earmarked at all, is a 404 like any object outside the official's unit.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from admin import exports
from admin.context import NotFound, now, render, text, unit_of_work, who
from admin.paging import page_at
from admin.scoping import Scope, request_scope
from admin.units import picked_unit, unit_choices
from core.errors import RuleError
from core.model import Level, Pledge, PledgeStatus, ReceiptSource, Role
from core.money import parse_amount
from core.services import receiving
from core.services.pledges import (
    PledgeExport,
    export_pledges,
    find_pledge,
    pledge_code,
    visible,
)
from documents.lists import (
    PLEDGE_COLUMNS,
    RECEIPT_COLUMNS,
    STOCK_COLUMNS,
    pledge_row,
    receipt_row,
    stock_row,
)

RECEIVERS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
# Where a receipt form's one-time token is kept once used, beside the chats' update ids.
FORM_CHANNEL = "admin-form"


def _visible(scope: Scope, role: Role, pledge: Pledge) -> bool:
    return visible(pledge, role, scope.has)


def _wanted(request: web.Request) -> str:
    """The page's filter: a pledge status, or '' for every pledge."""
    wanted = request.query.get("status", "")
    return wanted if wanted in {s.value for s in PledgeStatus} else ""


async def _filtered_pledges(request: web.Request) -> list[PledgeExport]:
    wanted = _wanted(request)
    return [r for r in await visible_pledges(request)
            if not wanted or r.pledge.status.value == wanted]


async def pledges_page(request: web.Request, error: str | None = None,
                       status: int = 200) -> web.Response:
    wanted = _wanted(request)
    rows = await _filtered_pledges(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
    # the units a receipt may be recorded at: the way down to the unit chosen in the picker
    # and those just under it, one level at a time (a province's ten thousand communes are
    # not one list); the form sent back keeps its unit
    typed = str(request.get("receipt_form", {}).get("unit", ""))
    sent = int(typed) if typed.isascii() and typed.isdigit() and len(typed) < 10 else None
    picked = picked_unit(scope, request.query)
    chosen = scope.get(picked or (sent if scope.has(sent) else None) or scope.unit.id)
    receivers = [scope.get(i) for i, _name, _depth in unit_choices(scope, chosen)]
    page = page_at(request.query.get("page"), len(rows))
    kept = {"status": wanted} if wanted else {}
    return render(request, "pledges.html", {
        "rows": list(reversed(rows))[page.offset:page.offset + page.size], "page": page,
        "filters": kept, "units": unit_choices(scope, chosen), "chosen": str(chosen.id),
        "statuses": [s.value for s in PledgeStatus],
        "wanted": wanted, "receivers": [u for u in receivers if u.level in RECEIVERS],
        "error": error, "form": request.get("receipt_form") or {"unit": str(chosen.id)},
        "picked": picked is not None,
        "once": secrets.token_urlsafe(16),  # a browser sending the form again: no 2nd receipt
        "exports": exports.export_links("/admin/pledges", {"status": wanted} if wanted else {}),
        "sources": [s.value for s in ReceiptSource],
    }, status=status)


async def export_pledges_list(request: web.Request) -> web.Response:
    """The pledges of the page, under its status filter, as .xlsx or .csv."""
    when = exports.local_time(request)
    rows = [pledge_row(r, when) for r in reversed(await _filtered_pledges(request))]
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        await exports.audit_export(uow, request, "pledge", scope.unit.id,
                                   {"status": _wanted(request)}, len(rows))
    return exports.send(request, "cam-ket-ung-ho", rows, PLEDGE_COLUMNS)


async def visible_pledges(request: web.Request) -> list[PledgeExport]:
    """The pledges this official may see, oldest first (the page and the API)."""
    me = who(request).official
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        return [r for r in await export_pledges(uow) if _visible(scope, me.role, r.pledge)]


async def pledges_api(request: web.Request) -> web.Response:
    """GET /api/v1/pledges?status=: the same pledges as the page, as JSON."""
    rows = await _filtered_pledges(request)
    return web.json_response({"pledges": [pledge_json(r) for r in rows]})


def pledge_json(row: PledgeExport) -> dict[str, object]:
    p = row.pledge
    return {
        "code": p.code, "kind": p.kind.value, "quantity": p.quantity, "condition": p.condition,
        "model": p.model, "amount": p.amount, "offer": p.offer, "commune": row.commune,
        "commune_code": row.commune_code, "donor_name": p.donor_name, "contact": p.contact,
        "status": p.status.value, "created_at": p.created_at.isoformat(),
    }


async def pledge_page(request: web.Request) -> web.Response:
    me = who(request).official
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        pledge = await find_pledge(uow, request.match_info["code"])
        if pledge is None or not _visible(scope, me.role, pledge):
            raise NotFound
        receipts = await uow.receipts.for_pledge(pledge.id)
        commune = await uow.units.get(pledge.commune_id) if pledge.commune_id else None
        units = {r.unit_id: await uow.units.get(r.unit_id) for r in receipts}
        served = await uow.supports.using_pledge(pledge.id)
    return render(request, "pledge.html", {"p": pledge, "receipts": receipts,
                                           "commune": commune, "units": units,
                                           "served": served})


async def receive(request: web.Request) -> web.Response:
    """POST: what arrived, against a pledge or not; a refusal keeps what was typed."""
    form = await request.post()
    typed = {k: str(form.get(k, "")).strip() for k in
             ("unit", "pledge", "donor", "phones", "model", "condition", "serials", "money",
              "number", "note", "once", "source")}
    try:
        receipt_form = receiving.ReceiptForm(
            unit_id=_number(typed["unit"]),
            phones=_number(typed["phones"] or "0"),
            money=parse_amount(typed["money"]) if typed["money"] else 0,
            model=typed["model"] or None,
            condition=typed["condition"] if typed["condition"] in ("new", "used") else None,
            serials=tuple(typed["serials"].split()),
            pledge_code=typed["pledge"] or None,
            donor_name=typed["donor"] or None,
            number=typed["number"] or None,
            note=typed["note"] or None,
            source=receiving.receipt_source(typed["source"]),
        )
        async with unit_of_work(request) as uow:
            scope = await request_scope(request, uow)
            scope.get(receipt_form.unit_id)  # another unit's id: 404
            once = typed["once"][:80]
            if once and not await uow.chats.record_update(FORM_CHANNEL, f"receipt:{once}",
                                                          now(request), []):
                raise web.HTTPFound(_after_receipt(typed["pledge"]))  # recorded the first time
            receipt = await receiving.record_receipt(uow, who(request).actor, receipt_form,
                                                     now(request))
            await uow.commit()
    except RuleError as err:
        if err.key.startswith("scope-"):
            raise
        request["receipt_form"] = typed
        return await pledges_page(request, text(request, err.key, **err.params), 400)
    raise web.HTTPFound(_after_receipt(typed["pledge"] if receipt.pledge_id else ""))


def _after_receipt(typed_pledge: str) -> str:
    """The pledge's page when the receipt was against one, else the stock."""
    code = pledge_code(typed_pledge) if typed_pledge else None
    return f"/admin/pledges/{code}" if code is not None else "/admin/stock"


def _number(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise RuleError("receiving-count-invalid") from None


async def stock_page(request: web.Request) -> web.Response:
    me = who(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        lines = await receiving.stock(uow, me.actor, scope.unit, subtree=scope.units.values())
    return render(request, "stock.html", {
        "lines": lines, "exports": exports.export_links("/admin/stock", {}),
        "receipt_exports": exports.export_links("/admin/receipts", {})})


async def export_stock(request: web.Request) -> web.Response:
    """The stock of the official's unit and of every unit below it, down to the communes."""
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        lines = await receiving.stock(uow, who(request).actor, scope.unit, every=True,
                                      subtree=scope.units.values())
        names = {line.unit.id: line.unit.name for line in lines}
        rows = [stock_row(line.unit, names.get(line.unit.parent_id or 0), line.holdings.phones,
                          line.holdings.money, line.subtree_phones, line.subtree_money)
                for line in lines]
        await exports.audit_export(uow, request, "unit", scope.unit.id, {}, len(rows))
    return exports.send(request, "ton-kho", rows, STOCK_COLUMNS)


async def export_receipts(request: web.Request) -> web.Response:
    """What the units of the official's unit received, newest first."""
    when = exports.local_time(request)
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        receivers = [u.id for u in scope.units.values() if u.level in RECEIVERS]
        lines = await uow.views.receipts_at(receivers)
        rows = [receipt_row(x.receipt, x.unit, x.pledge_code, when) for x in lines]
        await exports.audit_export(uow, request, "receipt", scope.unit.id, {}, len(rows))
    return exports.send(request, "phieu-nhan", rows, RECEIPT_COLUMNS)


