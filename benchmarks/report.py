"""The monthly run as the scheduler does it, for every reporting unit of the synthetic
population: core.services.reports.send_due_reports with bot.report_delivery's builder (SQL
sums, the figures stored as JSON, the chat text queued to each official). The province, every
district and every commune has one official with a linked Telegram chat, so every one of
them is built, stored and sent. The baseline, timed beside each run: one GROUP BY over every
resident (the least that a report summed by SQL must read); "run ÷ GROUP BY" is the figure
that a busy machine changes least. Also timed alone: the province's report (SQL, then the
roll-up) and the province's xlsx as an official downloads it (laid out from the stored JSON).

    python -m benchmarks.report [--size tiny|default|full|national] [--database URL] [--units N]

--size national: 5,000,000 residents in 10,000 communes (500 a commune, 100 districts), the
same 10,109 reporting units as full with five times the people: the run's ratio to the
GROUP BY should stay as at full if its time grows no faster than the data.

--units N gives officials to the first N units only (the province, then districts, then
communes): to time a build per unit where building them all would take hours.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.synthetic import (
    DATASET,
    MONTH,
    TABLES,
    fresh_database,
    insert_rows,
    layout,
    median,
    on_each_database,
    parser,
    peak_rss_mib,
    populate,
    report,
    run,
    timed,
    vacuum,
)
from bot.report_delivery import report_builder
from core.figures import compute, parse_month
from core.i18n import load_catalogue
from core.priority import VIETNAM
from core.services.reports import send_due_reports
from core.services.units import province
from documents.report_json import report_from_json
from documents.report_xlsx import report_xlsx
from storage.db import make_sessionmaker
from storage.models import OutboxRow, ReportRunRow, UnitRow
from storage.uow import SqlUnitOfWorkFactory

# residents, communes (None: 100 residents a commune)
SIZES: dict[str, tuple[int, int | None]] = {
    "tiny": (2_000, None), "default": (100_000, None), "full": (1_000_000, None),
    "national": (5_000_000, 10_000)}
REPEATS = 3
DAY = 15
RUN_AT = datetime(2023, 11, 15, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam: October's is due


async def officials(engine: AsyncEngine, limit: int | None) -> int:
    """One official with a linked chat in the province, each district and each synthetic
    commune (the first `limit` of those units only, when given); how many."""
    async with engine.begin() as conn:
        rows = (await conn.execute(
            select(UnitRow.id, UnitRow.level).where(
                UnitRow.dataset == DATASET, UnitRow.level != "village",
                UnitRow.code.like("S%") | (UnitRow.level != "commune"))
            .order_by(UnitRow.id))).all()
        rows = rows[:limit]  # the province first, then districts, then communes
        first = int((await conn.execute(select(func.max(TABLES["officials"].c.id))))
                    .scalar_one() or 0) + 1
        people = [{"id": first + i, "name": f"Official {i}", "role": level,
                   "unit_id": unit_id, "login": None, "password_hash": None, "active": True,
                   "created_at": RUN_AT} for i, (unit_id, level) in enumerate(rows)]
        chats = [{"channel": "telegram", "chat_id": str(900_000 + p["id"]),
                  "official_id": p["id"], "locale": "vi", "dialog": None, "step": None,
                  "data": {}, "dialog_updated_at": None, "link_failures": 0,
                  "link_blocked_until": None, "created_at": RUN_AT, "last_seen_at": RUN_AT}
                 for p in people]
        await insert_rows(conn, TABLES["officials"], people)
        await insert_rows(conn, TABLES["chats"], chats)
    return len(people)


async def bench(url: str, residents: int, limit: int | None, communes: int | None = None
                ) -> dict[str, Any]:
    engine = await fresh_database(url)
    try:
        population = await populate(engine, residents, communes=communes)
        reporting = await officials(engine, limit)
        await vacuum(engine)
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        catalogue = load_catalogue()
        month = parse_month(MONTH)

        async def one() -> tuple[float, float]:
            """The province's report alone: SQL, then the roll-up of every unit."""
            async with uow() as u:
                root = await province(u, DATASET)
                sql_s, data = await timed(lambda: u.views.report_input(DATASET, month))
            compute_s, _ = await timed(lambda: _async(compute, data, root.id))
            return sql_s, compute_s

        async def monthly_run() -> int:
            return len(await send_due_reports(
                uow, RUN_AT, dataset=DATASET, day=DAY, tz=VIETNAM,
                build=report_builder(catalogue, DATASET)))

        async def one_pass() -> float:
            """The baseline: one GROUP BY over every resident, the least that any report
            summed by SQL must read."""
            residents = TABLES["residents"]
            async with engine.connect() as conn:
                seconds, _ = await timed(lambda: _all(conn, select(
                    residents.c.village_id, func.count()).group_by(residents.c.village_id)))
            return seconds

        sqls, computes, runs, passes = [], [], [], []
        for _ in range(REPEATS):
            passes.append(await one_pass())
            sql_s, compute_s = await one()
            sqls.append(sql_s)
            computes.append(compute_s)
            async with engine.begin() as conn:  # the run sends each report once only
                await conn.execute(delete(ReportRunRow))
                await conn.execute(delete(OutboxRow))
            await vacuum(engine, ReportRunRow.__tablename__, OutboxRow.__tablename__)
            seconds, built = await timed(monthly_run)
            runs.append(seconds)
        async with engine.connect() as conn:
            queued = (await conn.execute(select(func.count()).select_from(OutboxRow))).scalar()
            stored = await _province_figures(conn)
        xlsx_s, xlsx = await timed(lambda: _async(
            lambda: report_xlsx(report_from_json(stored, VIETNAM),
                                lambda key, **p: catalogue.text(key, "vi", **p))))
        return {"insert_s": population.seconds, "reporting_units": reporting,
                "reports_built": built, "messages_queued": int(queued or 0),
                "province_sql_s": median(sqls), "province_compute_s": median(computes),
                "monthly_run_s": median(runs), "monthly_run_all_s": runs,
                "one_pass_s": median(passes), "one_pass_all_s": passes,
                "run_per_pass": median([r / p for r, p in zip(runs, passes, strict=True)]),
                "province_json_mib": len(json.dumps(stored, ensure_ascii=False)) / 2**20,
                "province_xlsx_s": xlsx_s, "province_xlsx_kib": len(xlsx) / 1024,
                "peak_rss_mib": peak_rss_mib()}
    finally:
        await engine.dispose()


async def _all(conn: Any, query: Any) -> list[Any]:
    return list((await conn.execute(query)).all())


async def _async(work: Any, *args: Any) -> Any:
    return work(*args)


async def _province_figures(conn: Any) -> dict[str, Any]:
    """The province's stored figures (the first report the run built)."""
    figures = (await conn.execute(select(ReportRunRow.figures).order_by(ReportRunRow.id)
                                  .limit(1))).scalar_one()
    return dict(figures if isinstance(figures, dict) else json.loads(figures))


async def main(args: argparse.Namespace) -> None:
    residents, communes = SIZES[args.size]
    results = await on_each_database(
        args, lambda url, _tmp: bench(url, residents, args.units, communes))
    rows = [(db, r["reports_built"], r["province_sql_s"], r["province_compute_s"],
             r["monthly_run_s"], r["one_pass_s"], r["run_per_pass"], r["province_xlsx_s"],
             r["peak_rss_mib"])
            for db, r in results.items()]
    report(f"monthly run {MONTH}: {residents:,} residents in {layout(residents, communes)[0]:,}"
           " communes, every reporting unit",
           ("database", "reports", "province SQL s", "roll-up s", "monthly run s",
            "one GROUP BY s", "run ÷ GROUP BY", "province xlsx s", "peak RSS MiB"), rows,
           {"size": args.size, "residents": residents,
            "communes": layout(residents, communes)[0], "month": MONTH, "repeats": REPEATS,
            "results": results})


if __name__ == "__main__":
    p = parser(__doc__, more_sizes=("national",))
    p.add_argument("--units", type=int, default=None, metavar="N",
                   help="officials in the first N reporting units only (default: all)")
    run(main, p.parse_args())
