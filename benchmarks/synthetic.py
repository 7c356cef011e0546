"""What every benchmark shares: sizes and options, a fresh database, a synthetic population
inserted in bulk, and the printing of figures (a table for people, one JSON line for tools).

The population hangs under the shipped province (06) of the 2023 dataset, so that the
province official, the allocation service and the monthly report see all of it: synthetic
districts, communes ("X\u00e3 Th\u1eed nghi\u1ec7m 00001"), villages, households, residents
and a province stock of phones and money. Names come from bot/data/demo-names.json; nothing
is a real person. Rows go in with one executemany per batch (SQLite) or COPY (PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.seed import DATA, load_default_units
from core.demo import load_demo_names
from core.model import Actor
from core.names import name_key
from storage.db import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import Base, UnitRow
from storage.uow import SqlUnitOfWorkFactory

TABLES = Base.metadata.tables
SYSTEM = Actor(official_id=None, label="benchmark", system=True)
DATASET = "2023"
PROVINCE_CODE = "06"
POSTGRES_ENV = "PHOCAP_BENCH_POSTGRES_URL"  # set: the benchmarks that compare run there too
BATCH = 20_000
SAMPLE_EVERY = 997  # residents between two sample names (admin_list searches them)
START = datetime(2023, 8, 1, 1, 0, tzinfo=UTC)  # the campaign's first registrations
MONTH = "2023-10"  # the report month: registrations span August to December
PER_PERSON = 500_000
COMMUNE_NAME = "X\u00e3 Th\u1eed nghi\u1ec7m {:05d}"
DISTRICT_NAME = "Huy\u1ec7n Th\u1eed nghi\u1ec7m {:03d}"
VILLAGE_NAME = "Th\u00f4n Th\u1eed nghi\u1ec7m {:05d}-{}"


# ---- options and sizes --------------------------------------------------------------------


def parser(description: str | None, more_sizes: Sequence[str] = ()) -> argparse.ArgumentParser:
    """--size tiny|default|full (--full for short), or one of more_sizes the script knows,
    and --database URL (repeatable)."""
    p = argparse.ArgumentParser(description=(description or "").splitlines()[0])
    p.add_argument("--size", choices=("tiny", "default", "full", *more_sizes), default="default")
    p.add_argument("--full", dest="size", action="store_const", const="full")
    p.add_argument("--database", action="append", default=[], metavar="URL",
                   help=f"default: a temporary SQLite file, and ${POSTGRES_ENV} when set")
    return p


def databases(args: argparse.Namespace, workdir: Path) -> list[str]:
    """The databases to run on: those given, else SQLite (and PostgreSQL when configured)."""
    if args.database:
        return list(args.database)
    urls = [f"sqlite+aiosqlite:///{workdir / 'bench.db'}"]
    if os.environ.get(POSTGRES_ENV):
        urls.append(os.environ[POSTGRES_ENV])
    return urls


async def on_each_database(
    args: argparse.Namespace, bench: Callable[[str, Path], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    """bench(url, a scratch folder) on every database to run on; results by dialect."""
    results: dict[str, Any] = {}
    with workdir() as tmp:
        for url in databases(args, Path(tmp)):
            results[dialect(url)] = await bench(url, Path(tmp))
    return results


def dialect(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="phocap-bench-")


# ---- the database -------------------------------------------------------------------------


async def fresh_database(url: str) -> AsyncEngine:
    """An empty database at the newest schema with the shipped units; everything else dropped."""
    if dialect(url) == "sqlite":
        _remove_sqlite(Path(url.split("///", 1)[1]))
    engine = make_engine(url)
    if dialect(url) == "postgresql":
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    async with uow() as u:
        await load_default_units(u, SYSTEM, START)
        await u.commit()
    return engine


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def insert_rows(conn: AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Many rows at once: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        await conn.execute(table.insert(), list(rows))
        return
    columns = list(rows[0])
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    records = [tuple(_copy_value(r[c]) for c in columns) for r in rows]
    await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _copy_value(value: object) -> object:
    """COPY takes a JSON column as its text."""
    return json.dumps(value) if isinstance(value, list | dict) else value


async def fix_sequences(conn: AsyncConnection, tables: Sequence[Table]) -> None:
    """After rows with explicit ids, PostgreSQL's sequences must move past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        await conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table.name}))"))


# ---- the population -----------------------------------------------------------------------


@dataclass
class Names:
    """Weighted surnames, middle names and given names of the province's peoples."""

    surnames: list[str]
    weights: list[float]
    middle: dict[str, list[str]]
    given: dict[str, list[str]]

    @classmethod
    def load(cls) -> Names:
        groups = load_demo_names(DATA / "demo-names.json")["groups"]
        assert isinstance(groups, dict)
        surnames: dict[str, float] = {}
        middle: dict[str, set[str]] = {"male": set(), "female": set()}
        given: dict[str, set[str]] = {"male": set(), "female": set()}
        for group in groups.values():
            total = sum(group["surnames"].values())
            for name, weight in group["surnames"].items():
                surnames[name] = surnames.get(name, 0.0) + group["share"] * weight / total
            for sex in ("male", "female"):
                middle[sex] |= set(group["middle"][sex])
                given[sex] |= set(group["given"][sex])
        return cls(list(surnames), list(surnames.values()),
                   {k: sorted(v) for k, v in middle.items()},
                   {k: sorted(v) for k, v in given.items()})

    def person(self, rng: random.Random, sex: str, surname: str | None = None) -> str:
        surname = surname or rng.choices(self.surnames, self.weights)[0]
        return f"{surname} {rng.choice(self.middle[sex])} {rng.choice(self.given[sex])}"


@dataclass
class Population:
    """What was made, for the benchmarks to aim at."""

    residents: int
    households: int
    communes: list[int]  # unit ids
    villages: list[int]
    province_id: int
    first_resident_id: int
    last_resident_id: int
    sample_names: list[str] = field(default_factory=list)  # full names, for searches
    phones: int = 0
    money: int = 0
    seconds: float = 0.0


def layout(residents: int, communes: int | None = None) -> tuple[int, int]:
    """(communes, districts): 100 residents a commune, as 1,000,000 in 10,000 communes, unless
    the communes are given (5,000,000 in 10,000: 500 a commune); 100 communes a district."""
    communes = communes or max(1, residents // 100)
    return communes, max(1, communes // 100)


async def populate(engine: AsyncEngine, residents: int, *, seed: int = 8,
                   stock_share: float = 0.02, communes: int | None = None) -> Population:
    """Units, households and residents under province 06, and a province stock of phones
    (stock_share of the residents) and of money (as much again, at PER_PERSON). Residents go
    in by batches of BATCH, generated as they are written: memory does not grow with them."""
    started = time.perf_counter()
    rng = random.Random(seed)
    names = Names.load()
    communes, districts = layout(residents, communes)
    async with engine.begin() as conn:
        province_id = await _scalar(conn, select(UnitRow.id).where(
            UnitRow.dataset == DATASET, UnitRow.code == PROVINCE_CODE))
        unit_id = await _next_id(conn, TABLES["units"])
        units, commune_ids, village_ids = _units(unit_id, province_id, districts, communes,
                                                 residents)
        await insert_rows(conn, TABLES["units"], units)
        household_id = await _next_id(conn, TABLES["households"])
        resident_id = first = await _next_id(conn, TABLES["residents"])
        population = Population(residents, 0, commune_ids, village_ids, province_id, first,
                                first + residents - 1)
        for households, people in _people(rng, names, residents, commune_ids, village_ids,
                                          household_id, resident_id):
            await insert_rows(conn, TABLES["households"], households)
            await insert_rows(conn, TABLES["residents"], people)
            population.households += len(households)
            if len(population.sample_names) < 50:
                population.sample_names += [p["full_name"] for p in people[::SAMPLE_EVERY]]
        population.phones = int(residents * stock_share)
        population.money = population.phones * PER_PERSON
        await insert_rows(conn, TABLES["receipts"], _receipts(
            await _next_id(conn, TABLES["receipts"]), province_id, population.phones,
            population.money))
        await fix_sequences(conn, [TABLES["units"], TABLES["households"],
                                   TABLES["residents"], TABLES["receipts"]])
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE"))
    population.seconds = time.perf_counter() - started
    return population


async def vacuum(engine: AsyncEngine, *tables: str) -> None:
    """PostgreSQL: VACUUM ANALYZE the tables (all when none), as autovacuum would have done
    on a database in service: rows just copied in or deleted by a benchmark otherwise cost
    the next reader hint-bit writes and dead tuples. Nothing on SQLite."""
    if engine.dialect.name != "postgresql":
        return
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f"VACUUM ANALYZE {', '.join(tables)}"))


async def _scalar(conn: AsyncConnection, query: Any) -> int:
    value = (await conn.execute(query)).scalar_one()
    return int(value)


async def _next_id(conn: AsyncConnection, table: Table) -> int:
    value = (await conn.execute(select(func.max(table.c.id)))).scalar_one()
    return int(value or 0) + 1


def _units(first_id: int, province_id: int, districts: int, communes: int, residents: int
           ) -> tuple[list[dict[str, Any]], list[int], list[int]]:
    rows: list[dict[str, Any]] = []
    ids = iter(range(first_id, first_id + 10 * communes + districts + 10))
    district_ids = []

    def unit(code: str, name: str, level: str, parent: int, adults: int | None) -> int:
        uid = next(ids)
        rows.append({"id": uid, "dataset": DATASET, "code": code, "name": name,
                     "name_key": name_key(name), "level": level, "parent_id": parent,
                     "adult_population": adults, "household_population": None,
                     "address": None, "sample": True})
        return uid

    for d in range(1, districts + 1):
        district_ids.append(unit(f"B{d:03d}", DISTRICT_NAME.format(d), "district", province_id,
                                 None))
    commune_ids, village_ids = [], []
    per_commune = residents // communes
    for c in range(1, communes + 1):
        district = district_ids[(c - 1) % districts]
        cid = unit(f"S{c:05d}", COMMUNE_NAME.format(c), "commune", district, per_commune * 3)
        commune_ids.append(cid)
        for v in range(1, 5):
            village_ids.append(unit(f"S{c:05d}-{v:02d}", VILLAGE_NAME.format(c, v), "village",
                                    cid, None))
    return rows, commune_ids, village_ids


POVERTY = (("poor", 0.35), ("near_poor", 0.25), ("none", 0.40))
POLICY = (("merit", 0.05), ("social", 0.10), ("none", 0.85))
STATUS = (("approved", 0.80), ("registered", 0.15), ("rejected", 0.05))


def _pick(rng: random.Random, choices: Sequence[tuple[str, float]]) -> str:
    return rng.choices([c for c, _ in choices], [w for _, w in choices])[0]


def _people(rng: random.Random, names: Names, residents: int, communes: list[int],
            villages: list[int], household_id: int, resident_id: int
            ) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Batches of (households, residents): 1 to 4 adults a household, communes in turn."""
    households: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    made = 0
    while made < residents:
        slot = made * len(communes) // residents  # residents spread evenly over communes
        commune, village = communes[slot], villages[slot * 4 + rng.randrange(4)]
        size = min(rng.choice((1, 2, 2, 3, 3, 4)), residents - made)
        registered = START + timedelta(minutes=made * 150_000 // residents, seconds=made % 60)
        surname = rng.choices(names.surnames, names.weights)[0]
        house = _household(rng, names, household_id, commune, village, surname, registered)
        households.append(house)
        for _ in range(size):
            people.append(_resident(rng, names, resident_id, house, surname, registered))
            resident_id += 1
        household_id += 1
        made += size
        if len(people) >= BATCH:
            yield households, people
            households, people = [], []
    if people:
        yield households, people


def _household(rng: random.Random, names: Names, hid: int, commune: int, village: int,
               surname: str, at: datetime) -> dict[str, Any]:
    return {"id": hid, "commune_id": commune, "village_id": village, "code": f"H{hid:08d}",
            "head_name": names.person(rng, "male", surname), "poverty": _pick(rng, POVERTY),
            "policy": _pick(rng, POLICY), "has_smartphone": rng.random() < 0.1,
            "class_source": "declared", "review_year": 2023, "created_at": at}


def _resident(rng: random.Random, names: Names, rid: int, house: dict[str, Any], surname: str,
              at: datetime) -> dict[str, Any]:
    sex = rng.choice(("male", "female"))
    born = date(1943, 1, 1) + timedelta(days=rng.randrange(62 * 365))
    status = _pick(rng, STATUS)
    full_name = names.person(rng, sex, surname)
    return {"id": rid, "household_id": house["id"], "commune_id": house["commune_id"],
            "village_id": house["village_id"], "full_name": full_name,
            "name_key": name_key(full_name), "date_of_birth": born, "gender": sex,
            "citizen_id": citizen_id(rid, born, sex), "legacy_id": None,
            "has_smartphone": rng.random() < 0.05, "phone": None, "status": status,
            "reject_reason": None, "consent": True, "registered_by": None, "registered_at": at,
            "approved_by": None,
            "approved_at": at + timedelta(days=3) if status == "approved" else None}


# Province codes a citizen ID may start with (after its 0); Bac Kan's first.
BIRTH_PROVINCES = (6, 1, 2, 4, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31)


def citizen_id(n: int, born: date, sex: str) -> str:
    """A well-formed, unique 12-digit ID: a province of birth, century and sex, year, serial."""
    century = (0 if born.year < 2000 else 2) + (1 if sex == "female" else 0)
    province = BIRTH_PROVINCES[(n // 1_000_000) % len(BIRTH_PROVINCES)]
    return f"0{province:02d}{century}{born.year % 100:02d}{n % 1_000_000:06d}"


def _receipts(first_id: int, unit_id: int, phones: int, money: int) -> list[dict[str, Any]]:
    """The stock in lots of up to 500 phones, and one receipt of money."""
    rows, rid, left = [], first_id, phones
    while left > 0:
        lot = min(500, left)
        rows.append(_receipt(rid, unit_id, lot, 0))
        rid, left = rid + 1, left - lot
    if money:
        rows.append(_receipt(rid, unit_id, 0, money))
    return rows


def _receipt(rid: int, unit_id: int, phones: int, money: int) -> dict[str, Any]:
    return {"id": rid, "number": f"BENCH-{rid:06d}", "unit_id": unit_id,
            "received_at": START + timedelta(days=30, minutes=rid), "phones": phones,
            "money": money, "model": "Bench phone" if phones else None,
            "condition": "new" if phones else None, "serials": [], "pledge_id": None,
            "donor_name": None, "recorded_by": None, "note": None}


# ---- measuring and printing ---------------------------------------------------------------


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


async def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by an awaitable factory, and its result."""
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


def report(name: str, columns: Sequence[str], rows: Sequence[Sequence[object]],
           figures: dict[str, Any]) -> None:
    """The table, then the whole result as one JSON line (the last line printed)."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c)
              for i, c in enumerate(columns)]
    print(f"\n{name}")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for raw, row in zip(rows, cells, strict=True):
        print("  ".join(v.rjust(w) if isinstance(r, int | float) else v.ljust(w)
                        for r, v, w in zip(raw, row, widths, strict=True)))
    figures = {"benchmark": name, "machine": machine(), **figures}
    print(json.dumps(figures, ensure_ascii=False, default=str), flush=True)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def machine() -> dict[str, object]:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0],
            "date": datetime.now(UTC).date().isoformat()}


def run(main: Callable[[argparse.Namespace], Any], args: argparse.Namespace) -> None:
    asyncio.run(main(args))
