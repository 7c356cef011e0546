"""The public routes: the ledger as JSON, and a donor's page for one pledge code.

Nothing here needs a login and nothing here shows a person: people appear only as their
support's number ("S-12"), places as units, donors by their pledge code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Final
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from admin.appkeys import CATALOGUE, CLOCK, CONFIG, JINJA, UOW
from admin.charts import bar_chart
from admin.context import grouped, setup_templates
from admin.reports import coverage_chart
from core.dates import format_date
from core.i18n import Catalogue
from core.model import (
    Handover,
    LedgerEntry,
    Level,
    Pledge,
    PledgeKind,
    Receipt,
    Support,
    Unit,
)
from core.money import format_number, format_percent
from core.names import in_running_text
from core.ports import UnitOfWork
from core.posting import local_time, removed
from core.report_runs import month_of
from core.serials import mask_serial
from core.services.handover import person
from core.services.ledger import shown_time
from core.services.pledges import pledge_code
from core.services.reports import monthly_report
from core.services.units import province_of
from documents.decree_form import DOCX, bound
from documents.thanks_letter import Thanks, thanks_docx, thanks_html

LEDGER_PATH: Final = "/public/ledger.json"
PLEDGE_PATH: Final = "/public/pledge/{code}"
COMMUNE_PATH: Final = "/public/commune/{code}"  # the commune's posted list (issue 18)
THANKS_PATH: Final = "/public/pledge/{code}/thanks/{receipt_id:\\d+}"
PAGE_DEFAULT: Final = 100
PAGE_MAX: Final = 1000
PAGE_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# ---- what the donor's page shows ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    receipt: Receipt
    unit: Unit | None


@dataclass(frozen=True, slots=True)
class Destination:
    """Where one phone (or one sum) went: places and dates, never the person; the phone by
    its model and its serial masked (the donor recognises it, nobody can copy it)."""

    support: Support
    commune: Unit | None
    village: Unit | None
    handover: Handover | None
    receipt: Receipt | None = None

    @property
    def label(self) -> str:
        return person(self.support.id)

    @property
    def model(self) -> str | None:
        return self.receipt.model if self.receipt else None

    @property
    def phone(self) -> str | None:
        serial = self.handover.serial if self.handover else None
        return mask_serial(serial) if serial else None


@dataclass(frozen=True, slots=True)
class PledgeView:
    pledge: Pledge
    commune: Unit | None
    receipts: list[ReceiptLine] = field(default_factory=list)
    destinations: list[Destination] = field(default_factory=list)
    entries: list[LedgerEntry] = field(default_factory=list)
    served: int = 0  # people a shop's offer served (recorded as gifts against it)


async def pledge_view(uow: UnitOfWork, typed: str) -> PledgeView | None:
    """Everything public about one pledge, or None for a code nobody was given."""
    code = pledge_code(typed)
    pledge = await uow.pledges.by_code(code) if code else None
    if pledge is None:
        return None
    units: dict[int, Unit | None] = {}

    async def unit(unit_id: int | None) -> Unit | None:
        if unit_id is None:
            return None
        if unit_id not in units:
            units[unit_id] = await uow.units.get(unit_id)
        return units[unit_id]

    receipts = await uow.receipts.for_pledge(pledge.id)
    supports = await uow.supports.drawn_from([r.id for r in receipts])
    handovers = await uow.handovers.for_supports([s.id for s in supports])
    lots = {r.id: r for r in receipts}
    destinations = []
    for support in supports:
        resident = await uow.residents.get(support.resident_id)  # for the village only
        village = await unit(resident.village_id) if resident else None
        destinations.append(Destination(
            support, await unit(support.commune_id), village, handovers.get(support.id),
            lots.get(support.receipt_id) if support.receipt_id is not None else None))
    # The pledge's own entries (its receipts) and those of the supports its phones served.
    entries = await uow.ledger.mentioning([pledge.code, *(person(s.id) for s in supports)])
    return PledgeView(
        pledge, await unit(pledge.commune_id),
        [ReceiptLine(r, await unit(r.unit_id)) for r in receipts], destinations, entries,
        await uow.supports.using_pledge(pledge.id) if pledge.kind is PledgeKind.OFFER else 0,
    )


# ---- the ledger as JSON ------------------------------------------------------------------


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {"id": entry.id, "at": entry.at.isoformat(), "kind": entry.kind,
            "payload": entry.payload, "prev_hash": entry.prev_hash, "hash": entry.hash}


def _whole(raw: str | None, default: int) -> int | None:
    if raw is None:
        return default
    return int(raw) if raw.isdecimal() and len(raw) <= 18 else None


async def ledger_json(request: web.Request) -> web.Response:
    """GET /public/ledger.json?after=<id>&limit=<n>: entries after that id, oldest first."""
    after = _whole(request.query.get("after"), 0)
    limit = _whole(request.query.get("limit"), PAGE_DEFAULT)
    if after is None or limit is None or not 1 <= limit <= PAGE_MAX:
        config = request.app[CONFIG]
        message = request.app[CATALOGUE].text("public-ledger-bad-query", config.locale,
                                              max=PAGE_MAX)
        return web.json_response({"error": "public-ledger-bad-query", "message": message},
                                 status=400)
    async with request.app[UOW]() as uow:
        entries = await uow.ledger.page(after, limit)
    body = {
        "entries": [entry_json(e) for e in entries],
        # Where the next page starts; null once this one was not full (the end, for now).
        "next_after": entries[-1].id if len(entries) == limit else None,
    }
    return web.json_response(body, headers={
        "Access-Control-Allow-Origin": "*",  # public data: anyone may verify it from a page
        "Cache-Control": "public, max-age=60",
    })


# ---- the donor's page --------------------------------------------------------------------


class Texts:
    """The catalogue in one locale, with the formats the page needs."""

    def __init__(self, catalogue: Catalogue, locale: str, tz: tzinfo) -> None:
        self._catalogue = catalogue
        self.locale = locale
        self._tz = tz

    def __call__(self, key: str, **params: object) -> str:
        return self._catalogue.text(key, self.locale, **grouped(params, self.locale))

    def date(self, at: datetime) -> str:
        return format_date(at.astimezone(self._tz).date())

    def month(self, at: datetime) -> str:
        """'09/2023': what the public learns of a day that concerns one person."""
        return at.astimezone(self._tz).strftime("%m/%Y")

    def when(self, entry: LedgerEntry) -> str:
        return shown_time(entry, self._tz)

    def money(self, amount: int) -> str:
        return self("public-money", amount=format_number(amount, self.locale))

    def percent(self, share: float | None) -> str:
        return format_percent(share, self.locale)

    def kind(self, entry: LedgerEntry) -> str:
        key = f"public-entry-{entry.kind.replace('_', '-')}"
        return self(key) if self._catalogue.has(key) else entry.kind

    def what(self, pledge: Pledge) -> str:
        if pledge.kind is PledgeKind.PHONES:
            condition = self(f"public-condition-{pledge.condition or 'new'}")
            text = self("public-what-phones", quantity=pledge.quantity or 0, condition=condition)
            return text + (self("public-what-model", model=pledge.model) if pledge.model else "")
        if pledge.kind is PledgeKind.MONEY:
            return self.money(pledge.amount or 0)
        return self("public-what-offer")


def page_locale(request: web.Request, catalogue: Catalogue, default: str) -> str:
    asked = request.query.get("lang", "")
    return asked if asked in catalogue.locales else default


def texts_of(request: web.Request) -> Texts:
    """The page's texts, in the language asked for (the default one otherwise)."""
    catalogue, config = request.app[CATALOGUE], request.app[CONFIG]
    return Texts(catalogue, page_locale(request, catalogue, config.locale), config.tz)


def render(request: web.Request, template: str, context: dict[str, Any],
           status: int = 200) -> web.Response:
    """A public page (admin/templates/public/), through the app's one Jinja environment."""
    response = aiohttp_jinja2.render_template(f"public/{template}", request, context,
                                              status=status, app_key=JINJA)
    response.headers.update(PAGE_HEADERS)
    return response


async def pledge_page(request: web.Request) -> web.Response:
    """GET /public/pledge/{code}: the pledge, what was received, where the phones went."""
    texts = texts_of(request)
    async with request.app[UOW]() as uow:
        view = await pledge_view(uow, request.match_info["code"][:40])
    if view is None:
        return render(request, "not_found.html", {"t": texts}, status=404)
    return render(request, "pledge.html", {"t": texts, "view": view, "ledger_path": LEDGER_PATH})


async def thanks_letter(request: web.Request) -> web.Response:
    """GET /public/pledge/{code}/thanks/{receipt_id}[.docx]: the donor's thank-you letter for
    one receipt of the pledge, with the receipt's check code in the public log."""
    texts = texts_of(request)
    async with request.app[UOW]() as uow:
        view = await pledge_view(uow, request.match_info["code"][:40])
    data = _thanks_of(request, view)
    if data is None:
        return render(request, "not_found.html", {"t": texts}, status=404)
    text = bound(request.app[CATALOGUE], texts.locale)
    if request.match_info.get("kind") == "docx":
        return web.Response(body=thanks_docx(data, text), content_type=DOCX, headers={
            **PAGE_HEADERS, "Content-Disposition":
            f'attachment; filename="thu-cam-on-{data.receipt.id}.docx"'})
    docx = f"{request.path}.docx"
    page = thanks_html(data, text, texts.locale,
                       links=((docx, texts("documents-download-docx")),))
    return web.Response(text=page, content_type="text/html", headers=PAGE_HEADERS)


def _thanks_of(request: web.Request, view: PledgeView | None) -> Thanks | None:
    """The letter's facts: the receipt must be one of this pledge's, and in the log."""
    if view is None:
        return None
    wanted = request.match_info.get("receipt_id", "")
    line = next((r for r in view.receipts if str(r.receipt.id) == wanted), None)
    entry = next((e for e in view.entries if line is not None and e.kind == "receipt"
                  and e.payload.get("number") == line.receipt.number), None)
    if line is None or line.unit is None or entry is None:
        return None
    base = request.app[CONFIG].public_url or ""
    page = base.rstrip("/") + PLEDGE_PATH.format(code=view.pledge.code)
    return Thanks(view.pledge, line.receipt, line.unit, entry.hash, page)


async def overview_page(request: web.Request) -> web.Response:
    """GET /public: the programme's figures per commune, to date; no person anywhere."""
    config = request.app[CONFIG]
    texts = texts_of(request)
    now = request.app[CLOCK]()
    async with request.app[UOW]() as uow:
        province = province_of(await uow.units.all(config.dataset))
        if province is None:
            raise web.HTTPNotFound
        report = await monthly_report(uow, config.dataset, month_of(now, config.tz), province.id)
        ledger = await uow.ledger.last()
        donors = await uow.receipts.by_donor()
        points = await uow.views.coverage_by_month(config.dataset, province.id, now, config.tz)
    rows = report.rows()
    chart = bar_chart([(f.unit.name, f.adult_coverage.end) for f in rows if not f.own],
                      texts("public-overview-chart"), texts("coverage-unsurveyed"),
                      texts.percent)
    return render(request, "overview.html", {
        "t": texts, "report": report, "rows": rows, "chart": chart, "ledger_path": LEDGER_PATH,
        "months": coverage_chart(texts, province.name, points) if points else None,
        "entries": ledger.id if ledger else 0, "head": ledger.hash if ledger else "",
        "donors": donors})


async def find_pledge(request: web.Request) -> web.Response:
    """GET /public/pledge?code=...: the search box's answer, on to the pledge's own page."""
    typed = request.query.get("code", "").strip()[:40]
    if not typed:
        raise web.HTTPFound("/public")
    raise web.HTTPFound(f"/public/pledge/{quote(typed)}")


async def commune_page(request: web.Request) -> web.Response:
    """GET /public/commune/{code}: the commune's list posted for objections (issue 18): the
    shortened name, year of birth and village of each person, nothing else about them."""
    config = request.app[CONFIG]
    texts = texts_of(request)
    async with request.app[UOW]() as uow:
        commune = await uow.units.by_code(config.dataset, request.match_info["code"][:40])
        if commune is None or commune.level is not Level.COMMUNE:
            return render(request, "not_found.html", {"t": texts}, status=404)
        posting = await uow.postings.current(commune.id)
        gone = removed(await uow.postings.objections(posting.id)) if posting else set()
    return render(request, "commune_posting.html", {
        "t": texts, "commune": commune, "posting": posting, "gone": gone,
        "running": in_running_text(commune.name),
        "open": posting is not None and posting.is_open(request.app[CLOCK]()),
        "closes": local_time(posting.closes_at, config.tz) if posting else ""})


async def root(request: web.Request) -> web.Response:
    """GET /: whoever types the bare address meets the public page, in the language asked."""
    lang = request.query.get("lang", "")
    raise web.HTTPFound(f"/public?lang={quote(lang)}" if lang else "/public")


def setup_public(app: web.Application) -> None:
    """Add /, /public, /public/ledger.json and /public/pledge/{code} to the app (which carries
    the keys of admin/appkeys.py that the wiring fills: UOW, CATALOGUE, CLOCK, CONFIG)."""
    setup_templates(app)
    app.router.add_get("/", root)
    app.router.add_get("/public", overview_page)
    app.router.add_get("/public/pledge", find_pledge)
    app.router.add_get(LEDGER_PATH, ledger_json)
    app.router.add_get(PLEDGE_PATH, pledge_page)
    app.router.add_get(COMMUNE_PATH, commune_page)
    app.router.add_get(THANKS_PATH, thanks_letter)
    app.router.add_get(THANKS_PATH + ".{kind:docx}", thanks_letter)
