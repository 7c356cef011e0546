"""The monthly report for the synthetic population, every unit, by SQL aggregation
(storage/report_queries.py), then formatted as text, JSON and xlsx (bot/reports.py).

    python -m benchmarks.report [--size tiny|default|full] [--database URL]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from benchmarks.synthetic import (
    DATASET,
    MONTH,
    fresh_database,
    median,
    on_each_database,
    parser,
    peak_rss_mib,
    populate,
    report,
    run,
    timed,
)
from bot.reports import report_json, report_text, report_xlsx
from core.figures import parse_month
from core.i18n import load_catalogue
from core.services.pledges import province
from storage.db import make_sessionmaker
from storage.report_queries import monthly_report
from storage.uow import SqlUnitOfWorkFactory

SIZES = {"tiny": 2_000, "default": 100_000, "full": 1_000_000}
REPEATS = 3


async def bench(url: str, residents: int) -> dict[str, Any]:
    engine = await fresh_database(url)
    try:
        population = await populate(engine, residents)
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        catalogue = load_catalogue()

        def text(key: str, /, **params: object) -> str:
            return catalogue.text(key, "vi", **params)

        async def build() -> Any:
            async with uow() as u:
                unit = await province(u, DATASET)
                month = parse_month(MONTH)
                return await monthly_report(u.session, DATASET, month, unit.id)

        queries, formats = [], []
        for _ in range(REPEATS):
            seconds, built = await timed(build)
            queries.append(seconds)

            async def render(built: Any = built) -> int:
                pages = report_text(built, text)
                body = json.dumps(report_json(built), ensure_ascii=False)
                return len(pages) + len(body) + len(report_xlsx(built, text))

            formats.append((await timed(render))[0])
        return {"insert_s": population.seconds, "query_s": median(queries),
                "format_s": median(formats), "total_s": median(queries) + median(formats),
                "units": len(built.figures),
                "peak_rss_mib": peak_rss_mib()}
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    residents = SIZES[args.size]
    results = await on_each_database(args, lambda url, _tmp: bench(url, residents))
    rows = [(db, r["units"], r["query_s"], r["format_s"], r["total_s"], r["peak_rss_mib"])
            for db, r in results.items()]
    report(f"monthly report {MONTH}: {residents:,} residents, every unit",
           ("database", "units", "SQL s", "text+json+xlsx s", "total s", "peak RSS MiB"), rows,
           {"size": args.size, "residents": residents, "month": MONTH, "repeats": REPEATS,
            "results": results})


if __name__ == "__main__":
    run(main, parser(__doc__).parse_args())
