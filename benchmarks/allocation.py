"""Allocation at national size: synthetic residents in bulk, then read, ranked, planned,
assigned and written back by the allocation service (core/services/allocation.py).

Steps timed apart: the bulk insert; reading every commune's waiting candidates (storage's
residents.waiting_in); ranking them (core.priority.rank) beside a plain sorted() of the same
keys; the service's preview (read, rank, plan) and its commit (all of that again inside the
lock, then transfers and one support per person served, written back). Peak memory is the
process's peak RSS after each step.

    python -m benchmarks.allocation [--size tiny|default|full] [--database URL]
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime
from typing import Any

from benchmarks.synthetic import (
    DATASET,
    PER_PERSON,
    SYSTEM,
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
from core.priority import Candidate, Support, rank
from core.services import allocation
from storage.db import make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory

SIZES = {"tiny": 2_000, "default": 100_000, "full": 1_000_000}
ON = date(2023, 12, 1)
NOW = datetime(2023, 12, 1, 3, 0).astimezone()
NEVER = datetime.max
REPEATS = 3


def sort_key(c: Candidate) -> tuple[object, ...]:
    """The fields rank orders by, as a plain tuple: the baseline's key."""
    return (c.commune_id, c.poverty, c.policy, c.household_has_smartphone,
            c.approved_at is None, c.approved_at or NEVER, c.resident_id)


def compare_ranking(candidates: list[Candidate]) -> dict[str, float]:
    """Median seconds of rank() for both queues and of sorted() twice, same input, same run."""
    ranked, baseline = [], []
    for _ in range(REPEATS):
        started = time.perf_counter()
        rank(candidates, Support.WHOLE, ON)
        rank(candidates, Support.PARTIAL, ON)
        ranked.append(time.perf_counter() - started)
        started = time.perf_counter()
        sorted(candidates, key=sort_key)
        sorted(candidates, key=sort_key)
        baseline.append(time.perf_counter() - started)
    return {"rank_s": median(ranked), "sorted_s": median(baseline),
            "rank_over_sorted": median(ranked) / median(baseline)}


async def bench(url: str, residents: int) -> dict[str, Any]:
    engine = await fresh_database(url)
    try:
        population = await populate(engine, residents)
        steps: dict[str, Any] = {"insert_s": population.seconds,
                                 "insert_rows_per_s": residents / population.seconds}
        rss = {"insert": peak_rss_mib()}
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))

        async def read() -> list[Candidate]:
            async with uow() as u:
                waiting, _ = await u.residents.waiting_in(population.communes)
                return [c for cid in population.communes for c in waiting[cid]]

        steps["read_candidates_s"], candidates = await timed(read)
        rss["read"] = peak_rss_mib()
        steps |= compare_ranking(candidates)
        rss["rank"] = peak_rss_mib()
        del candidates

        async def preview() -> allocation.AllocationView:
            async with uow() as u:
                return await allocation.preview(u, DATASET, ON, PER_PERSON)

        steps["preview_s"], view = await timed(preview)
        rss["preview"] = peak_rss_mib()

        async def commit() -> allocation.Committed:
            async with uow() as u:
                done = await allocation.commit(u, SYSTEM, DATASET, ON, NOW, PER_PERSON,
                                               expected=view.fingerprint)
                await u.commit()
                return done

        steps["commit_s"], committed = await timed(commit)
        rss["commit"] = peak_rss_mib()
        steps |= {"whole": committed.whole, "partial": committed.partial,
                  "transfers": committed.transfers, "peak_rss_mib": rss}
        return steps
    finally:
        await engine.dispose()


async def main(args: argparse.Namespace) -> None:
    residents = SIZES[args.size]
    results = await on_each_database(args, lambda url, _tmp: bench(url, residents))
    rows = []
    for db, r in results.items():
        rows += [
            (db, "bulk insert", r["insert_s"], f"{r['insert_rows_per_s']:,.0f} rows/s",
             r["peak_rss_mib"]["insert"]),
            (db, "read candidates", r["read_candidates_s"], "", r["peak_rss_mib"]["read"]),
            (db, "rank (both queues)", r["rank_s"], f"{r['rank_over_sorted']:.2f}x sorted()",
             r["peak_rss_mib"]["rank"]),
            (db, "sorted() baseline", r["sorted_s"], "", ""),
            (db, "service preview", r["preview_s"], "", r["peak_rss_mib"]["preview"]),
            (db, "service commit (end to end)", r["commit_s"],
             f"{r['whole']:,} phones, {r['partial']:,} money", r["peak_rss_mib"]["commit"]),
        ]
    report(f"allocation: {residents:,} residents in {residents // 100:,} communes",
           ("database", "step", "seconds", "note", "peak RSS MiB"), rows,
           {"size": args.size, "residents": residents, "communes": residents // 100,
            "service": "core.services.allocation", "results": results})


if __name__ == "__main__":
    run(main, parser(__doc__).parse_args())
