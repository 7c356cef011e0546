"""Every admin menu page (admin/templates/base.html) through the real HTTP routes, for a
province, a district and a commune official: p50/p95 time and bytes per page and role,
beside the page's reads alone (the same service and view calls the handler makes, in one
unit of work, without HTTP, the session, the scope and the template).

The database holds the synthetic population (benchmarks/synthetic.py), one official with a
linked chat for every province, district and commune (as benchmarks/report.py gives them:
the officials page lists them), and a committed allocation (supports waiting for their
handover, their audit lines), so that the pages have what they would hold in service.

    python -m benchmarks.admin_pages [--size tiny|default|full] [--residents N]
        [--database URL] [--repeats N]

"cases" has no page of its own: the open cases are a section of the handovers page.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from multidict import MultiDict
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.audit import ID_CHECKS, scope_query
from admin.audit import PAGE as AUDIT_PAGE
from admin.context import Who
from admin.dashboard import ID_CHECK_DAYS, figures_of
from admin.officials import official_query
from admin.paging import COUNTED
from admin.paging import PAGE_SIZE as PAGE
from admin.passwords import hash_password
from admin.reports import LISTED
from admin.scoping import Scope, UnitTrees
from benchmarks.admin_list import log_in, serving
from benchmarks.allocation import NOW as ALLOCATED_AT
from benchmarks.allocation import ON as ALLOCATED_ON
from benchmarks.report import officials as officials_everywhere
from benchmarks.synthetic import (
    DATASET,
    PER_PERSON,
    SYSTEM,
    TABLES,
    Names,
    Population,
    fix_sequences,
    fresh_database,
    median,
    on_each_database,
    parser,
    percentile,
    populate,
    report,
    run,
    vacuum,
)
from bot.settings import load_settings
from core.model import Level, Official, Role
from core.page_views import ResidentQuery
from core.ports import UnitOfWork
from core.report_runs import month_of
from core.services import allocation, handover, receiving
from core.services.officials import add_official
from core.services.pledges import export_pledges
from storage.db import make_sessionmaker
from storage.models import CommuneFiguresRow, ResidentRow, UnitRow
from storage.name_search import rebuild_tails
from storage.uow import SqlUnitOfWorkFactory

SIZES = {"tiny": (2_000, 3), "default": (100_000, 10), "full": (1_000_000, 20)}  # rows, repeats
PASSWORD = "mat-khau-bench-1"
ROLES = (Role.PROVINCE, Role.DISTRICT, Role.COMMUNE)
TZ = load_settings(environ={}, toml_path=Path("/nonexistent/phocap.toml")).tz


# ---- the database: population, officials everywhere, an allocation, the accounts ----------


@dataclass
class World:
    """What the benchmarks built, for them to aim at."""

    population: Population
    districts: list[int]  # synthetic district ids
    district_of: dict[int, int]  # commune id -> its district id


async def build_world(url: str, residents: int) -> tuple[AsyncEngine, World]:
    """A fresh database with the population, an official with a chat in every reporting
    unit, and the allocation committed once (supports, their audit lines)."""
    engine = await fresh_database(url)
    population = await populate(engine, residents)
    async with engine.begin() as conn:  # populate() writes residents without the repository
        await conn.run_sync(rebuild_tails)
        communes = (await conn.execute(select(UnitRow.id, UnitRow.parent_id).where(
            UnitRow.id.in_(population.communes)))).all()
    await officials_everywhere(engine, None)
    async with engine.begin() as conn:  # rows with explicit ids: the sequences move past them
        await fix_sequences(conn, [TABLES["officials"], TABLES["chats"]])
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    async with uow() as u:
        view = await allocation.preview(u, DATASET, ALLOCATED_ON, PER_PERSON)
        await allocation.commit(u, SYSTEM, DATASET, ALLOCATED_ON, ALLOCATED_AT, PER_PERSON,
                                expected=view.fingerprint)
        await u.commit()
    await vacuum(engine)
    district_of = {int(c): int(d) for c, d in communes}
    return engine, World(population, sorted(set(district_of.values())), district_of)


Account = tuple[str, Role, int]  # login, role, unit id


async def add_accounts(engine: AsyncEngine, accounts: list[Account]) -> dict[str, Official]:
    """Web accounts through the officials service, all with PASSWORD (hashed once)."""
    hashed = hash_password(PASSWORD)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    names, rng = Names.load(), random.Random(21)
    made: dict[str, Official] = {}
    async with uow() as u:
        for login, role, unit_id in accounts:
            made[login] = await add_official(u, SYSTEM, names.person(rng, "female"), role,
                                             unit_id, datetime.now(UTC), login=login,
                                             password_hash=hashed)
        await u.commit()
    return made


def role_accounts(world: World) -> list[Account]:
    """One account per role: the province, the first district, the first commune."""
    p = world.population
    return [("bench-province", Role.PROVINCE, p.province_id),
            ("bench-district", Role.DISTRICT, world.districts[0]),
            ("bench-commune", Role.COMMUNE, p.communes[0])]


# ---- the pages and their reads alone ---------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    """An official and their scope, as a request would hold them."""

    official: Official
    scope: Scope

    @property
    def village(self) -> int:
        return min(v.id for v in self.scope.of_level(Level.VILLAGE))


Reads = Callable[[UnitOfWork, Seat], Awaitable[object]]


async def dashboard_reads(u: UnitOfWork, s: Seat) -> None:
    at = datetime.now(UTC)
    await figures_of(u, s.scope, month_of(at, TZ))  # kept sums above a commune, as the page
    await u.views.coverage_by_month(DATASET, s.scope.unit.id, at, TZ)
    # the ID checks of the last 30 days, found as the page finds them (admin.dashboard)
    await u.views.audit_page(replace(scope_query(s.scope), actions=ID_CHECKS,
                                     since=at - timedelta(days=ID_CHECK_DAYS)), 1000)


async def residents_reads(u: UnitOfWork, s: Seat) -> None:
    query = ResidentQuery(place=s.scope.place())
    await u.views.resident_count(query)  # the page counts its list, then reads one page
    await u.views.resident_page(query, PAGE)


async def village_reads(u: UnitOfWork, s: Seat) -> None:
    await u.views.households_in_village(s.village)


async def pledges_reads(u: UnitOfWork, _s: Seat) -> None:
    await export_pledges(u)


async def stock_reads(u: UnitOfWork, s: Seat) -> None:
    await receiving.stock(u, Who(s.official).actor, s.scope.unit)


async def allocation_reads(u: UnitOfWork, s: Seat) -> None:
    """A commune's own list; a province's or district's first page of 50 communes' lines."""
    unit, on = s.scope.unit, datetime.now(UTC).date()
    if unit.level is Level.COMMUNE:
        view = await allocation.preview(u, DATASET, on, PER_PERSON, unit=unit)
        entries = [e for c in view.written_lists for e in c.assignment.entries][:PAGE]
        await u.views.resident_lines([e.resident_id for e in entries])
        return
    communes = sorted(s.scope.of_level(Level.COMMUNE), key=lambda c: c.id)[:PAGE]
    await allocation.own_lists(u, DATASET, on, communes, PER_PERSON)


async def handovers_reads(u: UnitOfWork, s: Seat) -> None:
    """The page's three lists, each counted and one page of it read (the communes from the
    official's scope, as the page takes them)."""
    communes = [c.id for c in s.scope.of_level(Level.COMMUNE)]
    await u.handovers.count_open_cases(communes)
    await u.handovers.open_cases(communes, 0, PAGE)
    await u.supports.count_assigned(communes, COUNTED + 1)
    waiting = await u.supports.assigned(communes, 0, PAGE)
    await u.views.resident_lines([support.resident_id for support in waiting])
    await handover.lots_of(u, waiting)
    await u.handovers.count_in(communes)
    await u.handovers.newest(communes, 0, PAGE)


async def officials_reads(u: UnitOfWork, s: Seat) -> None:
    query, _ = official_query(s.scope, MultiDict())  # the page's first page, unfiltered
    await u.views.official_count(query)
    officials = await u.views.official_page(query, 0, PAGE)
    await u.views.chats_of([o.id for o in officials])


async def audit_reads(u: UnitOfWork, s: Seat) -> None:
    await u.views.audit_page(scope_query(s.scope), AUDIT_PAGE + 1)


async def reports_reads(u: UnitOfWork, s: Seat) -> None:
    await u.reports.listing(s.scope.ids, LISTED)
    await u.views.coverage_by_month(DATASET, s.scope.unit.id, datetime.now(UTC), TZ)


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # {village}: the first village in the official's scope
    reads: Reads | None  # None: the page reads nothing but the scope


# The menu of admin/templates/base.html, in its order (the dashboard is the brand link).
MENU: tuple[Page, ...] = (
    Page("dashboard", "/admin", dashboard_reads),
    Page("residents", "/admin/residents", residents_reads),
    Page("households", "/admin/households", None),
    Page("households of a village", "/admin/households?village={village}", village_reads),
    Page("pledges", "/admin/pledges", pledges_reads),
    Page("stock", "/admin/stock", stock_reads),
    Page("allocation", "/admin/allocation", allocation_reads),
    Page("handovers and cases", "/admin/handovers", handovers_reads),
    Page("officials", "/admin/officials", officials_reads),
    Page("audit", "/admin/audit", audit_reads),
    Page("reports", "/admin/reports", reports_reads),
)


# ---- measuring -------------------------------------------------------------------------------


def stats(times: list[float]) -> dict[str, float]:
    return {"p50_ms": 1000 * median(times), "p95_ms": 1000 * percentile(times, 95)}


async def measure_http(base: str, login: str, seat: Seat, repeats: int
                       ) -> dict[str, dict[str, Any]]:
    """Each page through HTTP, signed in as login: p50, p95 and the page's bytes."""
    figures: dict[str, dict[str, Any]] = {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await log_in(session, base, login, PASSWORD)
        for page in MENU:
            url = base + page.path.format(village=seat.village)
            times, size = [], 0
            for i in range(repeats + 1):
                started = time.perf_counter()
                async with session.get(url, allow_redirects=False) as resp:
                    body = await resp.read()
                    assert resp.status == 200, f"{page.name} as {login}: {resp.status}"
                if i:  # the first of each page warms caches
                    times.append(time.perf_counter() - started)
                size = len(body)
            figures[page.name] = stats(times) | {"bytes": size}
    return figures


async def measure_reads(uow: SqlUnitOfWorkFactory, seat: Seat, repeats: int
                        ) -> dict[str, dict[str, Any]]:
    """Each page's reads alone, with the official's scope built beforehand."""
    figures: dict[str, dict[str, Any]] = {}
    for page in MENU:
        if page.reads is None:
            figures[page.name] = {"sql_p50_ms": None, "sql_p95_ms": None}
            continue
        times = []
        for i in range(repeats + 1):
            async with uow() as u:
                started = time.perf_counter()
                await page.reads(u, seat)
                if i:
                    times.append(time.perf_counter() - started)
        figures[page.name] = {f"sql_{k}": v for k, v in stats(times).items()}
    return figures


TOUCHED = 100  # communes written to between two looks at a dashboard


async def dashboard_looks(uow: SqlUnitOfWorkFactory, seat: Seat) -> dict[str, float]:
    """The dashboard's reads at the first look of a month (every commune summed and kept:
    nothing kept yet), and at a look after writes in TOUCHED of its communes (those summed
    again): one look each, in ms."""
    looks: dict[str, float] = {}
    async with uow() as u:
        await u.session.execute(delete(CommuneFiguresRow))
        await u.commit()
    async with uow() as u:
        started = time.perf_counter()
        await dashboard_reads(u, seat)
        looks["dashboard: first look of the month"] = time.perf_counter() - started
    communes = [c.id for c in seat.scope.of_level(Level.COMMUNE)][:TOUCHED]
    async with uow() as u:  # one resident of each, written again as it is: each marked
        await u.session.execute(update(ResidentRow).where(ResidentRow.id.in_(
            select(func.min(ResidentRow.id)).where(ResidentRow.commune_id.in_(communes))
            .group_by(ResidentRow.commune_id))).values(status=ResidentRow.status))
        await u.commit()
    async with uow() as u:
        started = time.perf_counter()
        await dashboard_reads(u, seat)
        looks[f"dashboard: after writes in {len(communes)} communes"] = (
            time.perf_counter() - started)
    return {name: 1000 * t for name, t in looks.items()}


async def bench(url: str, rows: int, repeats: int) -> dict[str, Any]:
    engine, world = await build_world(url, rows)
    accounts = role_accounts(world)
    try:
        officials = await add_accounts(engine, accounts)
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        trees = UnitTrees()
        seats = {}
        for login, _role, _unit in accounts:
            async with uow() as u:
                seats[login] = Seat(officials[login], await trees.scope(u, officials[login]))
        looks = {login: await dashboard_looks(uow, seat) for login, seat in seats.items()}
        reads = {login: await measure_reads(uow, seat, repeats) for login, seat in seats.items()}
    finally:
        await engine.dispose()
    results: dict[str, Any] = {}
    async with serving(url) as base:
        for login, role, _unit in accounts:
            http = await measure_http(base, login, seats[login], repeats)
            results[role.value] = {p: http[p] | reads[login][p] for p in http}
    return {"pages": results, "looks": {role.value: looks[login]
                                        for login, role, _unit in accounts}}


def _ms(value: float | None) -> object:
    return "-" if value is None else value


async def main(args: argparse.Namespace) -> None:
    rows, repeats = SIZES[args.size]
    rows, repeats = args.residents or rows, args.repeats or repeats
    results = await on_each_database(args, lambda url, _tmp: bench(url, rows, repeats))
    table = [(db, role, page, f["p50_ms"], f["p95_ms"], f["bytes"] // 1024,
              _ms(f["sql_p50_ms"]), _ms(f["sql_p95_ms"]))
             for db, both in results.items() for role, pages in both["pages"].items()
             for page, f in pages.items()]
    table += [(db, role, look, "-", "-", "-", ms, ms)
              for db, both in results.items() for role, looks in both["looks"].items()
              for look, ms in looks.items()]
    report(f"admin menu pages: {rows:,} residents, {repeats} requests each",
           ("database", "role", "page", "p50 ms", "p95 ms", "KiB", "reads p50 ms",
            "reads p95 ms"),
           table,
           {"size": args.size, "residents": rows, "repeats": repeats,
            "results": {db: both["pages"] for db, both in results.items()},
            "looks": {db: both["looks"] for db, both in results.items()}})


def options() -> argparse.ArgumentParser:
    p = parser(__doc__)
    p.add_argument("--residents", type=int, default=0, help="residents (default: by --size)")
    p.add_argument("--repeats", type=int, default=0, help="requests of each page and role")
    return p


if __name__ == "__main__":
    run(main, options().parse_args())
