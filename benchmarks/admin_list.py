"""The admin residents list at N rows, through the real HTTP route with a logged-in session:
the province official (who sees every commune) asks for the first page, a page in the middle,
the last page (keyset paging: ?after=<id>) and a name search typed without diacritics.

    python -m benchmarks.admin_list [--size tiny|default|full] [--database URL] [--reuse]

--reuse keeps a database built by an earlier run of the same size (the full build takes
minutes): it is migrated to the newest schema and measured as it is.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from admin.paging import PAGE_SIZE as PAGE
from admin.passwords import hash_password
from admin.scoping import UnitTrees
from benchmarks.synthetic import (
    DATASET,
    PROVINCE_CODE,
    SAMPLE_EVERY,
    SYSTEM,
    Population,
    fresh_database,
    median,
    on_each_database,
    parser,
    percentile,
    populate,
    report,
    run,
)
from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.model import Official, Role
from core.names import fold
from core.page_views import ResidentQuery
from core.services.officials import add_official
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import ResidentRow, UnitRow
from storage.name_search import rebuild_tails
from storage.uow import SqlUnitOfWorkFactory

SIZES = {"tiny": (2_000, 3), "default": (100_000, 20), "full": (1_000_000, 20)}  # rows, repeats
LOGIN, PASSWORD = "tinh-bench", "mat-khau-bench-1"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


Case = tuple[int, str | None]  # (page number, name searched): the page's numbered pages


def cases(population: Population) -> dict[str, list[Case]]:
    """What each kind of request asks for; a search cycles through a few names."""
    pages = -(-(population.last_resident_id - population.first_resident_id + 1) // PAGE)
    return {
        "first page": [(1, None)],
        "middle page": [(max(1, pages // 2), None)],
        "last page": [(pages, None)],
        "name search": [(1, fold(n)) for n in population.sample_names[1:4]],
        # a surname alone: a tenth of the province, the slowest way to fill a page by index
        "surname search": [(1, fold(n).split()[0]) for n in population.sample_names[1:4]],
    }


def url_of(case: Case) -> str:
    page, name = case
    params = {k: v for k, v in (("page", page if page > 1 else None), ("q", name)) if v}
    return "/admin/residents" + (f"?{urlencode(params)}" if params else "")


async def log_in(session: aiohttp.ClientSession, base: str, login: str = LOGIN,
                 password: str = PASSWORD) -> None:
    """The login form, as a browser fills it: the page first, for its CSRF token."""
    async with session.get(base + "/admin/login") as page:
        found = CSRF.search(await page.text())
    assert found, "no CSRF token on the login page"
    form = {"login": login, "password": password, "_csrf": found.group(1)}
    async with session.post(base + "/admin/login", data=form, allow_redirects=False) as resp:
        assert resp.status in (302, 303), f"login answered {resp.status}"


async def measure(base: str, kinds: dict[str, list[Case]], repeats: int) -> dict[str, Any]:
    """p50 and p95 of each kind through HTTP, as the browser asks."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    figures: dict[str, Any] = {}
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        await log_in(session, base)
        for kind, asked in kinds.items():
            times = []
            for i in range(repeats + 1):
                started = time.perf_counter()
                async with session.get(base + url_of(asked[i % len(asked)])) as resp:
                    body = await resp.text()
                    assert resp.status == 200 and "/admin/login" not in str(resp.url), kind
                if i:  # the first of each kind warms caches
                    times.append(time.perf_counter() - started)
            figures[kind] = {"p50_ms": 1000 * median(times), "p95_ms": 1000 * percentile(times, 95),
                             "bytes": len(body)}
    return figures


async def measure_query(uow: SqlUnitOfWorkFactory, official: Official,
                        kinds: dict[str, list[Case]], repeats: int) -> dict[str, Any]:
    """The same pages from uow.views.resident_page alone (storage/page_views.py): what the SQL
    costs of the whole."""
    async with uow() as u:
        place = (await UnitTrees().scope(u, official)).place()
    figures: dict[str, Any] = {}
    for kind, asked in kinds.items():
        times = []
        for i in range(repeats + 1):
            page, name = asked[i % len(asked)]
            query = ResidentQuery(place=place, name=name, offset=(page - 1) * PAGE)
            async with uow() as u:
                started = time.perf_counter()
                await u.views.resident_count(query)  # the page counts, then reads its rows
                await u.views.resident_page(query, PAGE)
                if i:
                    times.append(time.perf_counter() - started)
        figures[kind] = {"sql_p50_ms": 1000 * median(times),
                         "sql_p95_ms": 1000 * percentile(times, 95)}
    return figures


async def built(url: str, rows: int, reuse: bool) -> tuple[AsyncEngine, Population]:
    """A database holding the population: an earlier run's (with --reuse), else a new one."""
    if reuse:
        engine = make_engine(url)
        await upgrade(engine)  # a database that cannot be migrated stops the run
        population = await population_of(engine)
        if population is not None and population.residents == rows:
            return engine, population
        await engine.dispose()
    engine = await fresh_database(url)
    population = await populate(engine, rows)
    async with engine.begin() as conn:  # populate() writes residents without the repository
        await conn.run_sync(rebuild_tails)
    return engine, population


async def population_of(engine: AsyncEngine) -> Population | None:
    """What populate() made, read back: the same ids and the same sample names (None: no
    residents yet)."""
    async with engine.connect() as conn:
        first, last, count = (await conn.execute(select(
            func.min(ResidentRow.id), func.max(ResidentRow.id), func.count()))).one()
        if not count:
            return None
        province = (await conn.execute(select(UnitRow.id).where(
            UnitRow.dataset == DATASET, UnitRow.code == PROVINCE_CODE))).scalar_one()
        # populate() samples every SAMPLE_EVERY-th resident of its first batch
        names = (await conn.execute(select(ResidentRow.full_name).where(
            ResidentRow.id.in_([first + SAMPLE_EVERY * k for k in range(4)])).order_by(
            ResidentRow.id))).scalars().all()
    return Population(int(count), 0, [], [], int(province), int(first), int(last), list(names))


async def bench(url: str, rows: int, repeats: int, reuse: bool = False) -> dict[str, Any]:
    engine, population = await built(url, rows, reuse)
    try:
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        async with uow() as u:
            official = await u.officials.by_login(LOGIN)
            if official is None:
                official = await add_official(
                    u, SYSTEM, "L\u1ee5c V\u0103n T\u1ec9nh", Role.PROVINCE,
                    population.province_id, datetime.now(UTC), login=LOGIN,
                    password_hash=hash_password(PASSWORD))
                await u.commit()
        sql = await measure_query(uow, official, cases(population), repeats)
    finally:
        await engine.dispose()
    async with serving(url) as base:
        http = await measure(base, cases(population), repeats)
    return {kind: http[kind] | sql[kind] for kind in http}


@asynccontextmanager
async def serving(url: str) -> AsyncIterator[str]:
    """The whole app (bot/server.py make_app) on the database, on a free port of 127.0.0.1,
    in this process; its base URL."""
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": url},
                             toml_path=Path("/nonexistent/phocap.toml"))
    async with open_runtime(settings) as rt:
        runner = web.AppRunner(make_app(rt), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            yield f"http://{host}:{port}"
        finally:
            await runner.cleanup()


async def main(args: argparse.Namespace) -> None:
    rows, repeats = SIZES[args.size]
    repeats = args.repeats or repeats
    results = await on_each_database(args, lambda url, _tmp: bench(url, rows, repeats,
                                                                   args.reuse))
    table = [(db, kind, f["p50_ms"], f["p95_ms"], f["sql_p50_ms"], f["sql_p95_ms"],
              f["bytes"] // 1024) for db, r in results.items() for kind, f in r.items()]
    report(f"admin residents list: {rows:,} rows, province official, {repeats} requests each",
           ("database", "request", "p50 ms", "p95 ms", "SQL p50 ms", "SQL p95 ms", "page KiB"),
           table,
           {"size": args.size, "rows": rows, "repeats": repeats, "page": PAGE,
            "results": results})


if __name__ == "__main__":
    options = parser(__doc__)
    options.add_argument("--reuse", action="store_true",
                         help="measure the database an earlier run of this size left")
    options.add_argument("--repeats", type=int, default=0, help="requests of each kind")
    run(main, options.parse_args())
