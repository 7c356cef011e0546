"""Many officials at once: Locust (benchmarks/locustfile.py) run headless against two
`phocap run` processes on two ports, sharing one database.

The database holds the synthetic population, an official with a chat in every reporting
unit and a committed allocation (as benchmarks/admin_pages.py builds it), and N web accounts
of every level made through the officials service: a tenth at the province, three tenths at
districts, the rest at communes, all with one known password. Each simulated official signs
in (the login form first, for its CSRF token), then, 2 to 8 seconds apart, opens a menu page,
searches a name, exports a commune's list or approves a registration of its unit. Beside
them N Telegram users post updates to the webhook (with the secret header), 2 to 8 seconds
apart: half are village heads linked by an invite, registering households, half donors
pledging phones. The servers call a fake Bot API on 127.0.0.1 (tests/fakes/telegram_api.py):
nothing leaves the machine. While Locust runs, the database's connections are counted twice
a second (PostgreSQL's pg_stat_activity).

Printed: each route's requests, failures, p50, p95 and max; the throughput; the errors
(Locust's failures and the servers' logged errors; the goal is 0); the connections at peak;
and what the load did in the database (approvals, registrations, pledges).

    python -m benchmarks.load [--size tiny|default|full] [--database URL] [--residents N]
        [--officials N] [--chats N] [--seconds S]

The database is the first --database, else $PHOCAP_BENCH_POSTGRES_URL, else a temporary
SQLite file (two processes on one SQLite file: not the issue's figure). It is emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import random
import shutil
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.admin_pages import MENU, Account, World, add_accounts, build_world
from benchmarks.admin_pages import PASSWORD as OFFICIAL_PASSWORD
from benchmarks.conversations import (
    PUBLIC_URL,
    SECRET,
    WEBHOOK,
    Step,
    donor_script,
    village_head_script,
)
from benchmarks.synthetic import (
    POSTGRES_ENV,
    SYSTEM,
    Names,
    citizen_id,
    dialect,
    parser,
    report,
    run,
    workdir,
)
from core.model import Role
from core.names import fold
from core.services.linking import create_invite
from storage.db import make_engine, make_sessionmaker
from storage.models import OfficialRow, PledgeRow, ResidentRow
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes.telegram_api import SECRET_HEADER, FakeTelegramAPI

# residents, officials, chats, seconds
SIZES = {"tiny": (2_000, 4, 4, 15), "default": (100_000, 20, 20, 60),
         "full": (1_000_000, 200, 200, 300)}
ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = ROOT / "benchmarks" / "locustfile.py"
APPROVALS = 40  # registrations set aside for each account to approve
SERVERS = 2
SECRET_KEY = "load-benchmark-secret-key-0123456789"
POLL = 0.5  # seconds between two counts of the database's connections
CID_SERIAL = 15_000_000  # citizen IDs of the chats' registrations: none of the population's


# ---- the plan: accounts, their work, the chats' updates -------------------------------------


def levels(officials: int) -> list[Role]:
    """A tenth at the province, three tenths at districts, the rest at communes (one each at
    least)."""
    province = max(1, officials // 10)
    district = max(1, officials * 3 // 10)
    commune = max(1, officials - province - district)
    return [Role.PROVINCE] * province + [Role.DISTRICT] * district + [Role.COMMUNE] * commune


def accounts_for(world: World, officials: int) -> list[Account]:
    """Accounts spread over the units: districts and communes in turn, far apart."""
    roles = levels(officials)
    communes, districts = world.population.communes, world.districts
    spread = max(1, len(communes) // max(1, roles.count(Role.COMMUNE)))
    out: list[Account] = []
    for n, role in enumerate(roles):
        unit = {Role.PROVINCE: world.population.province_id,
                Role.DISTRICT: districts[n % len(districts)],
                Role.COMMUNE: communes[(n * spread) % len(communes)]}[role]
        out.append((f"load-{role.value}-{n:03d}", role, unit))
    return out


def communes_of(world: World, role: Role, unit: int) -> list[int]:
    if role is Role.COMMUNE:
        return [unit]
    if role is Role.DISTRICT:
        return [c for c, d in world.district_of.items() if d == unit]
    return list(world.population.communes)


def village_of(world: World, commune: int) -> int:
    """populate() gives each commune four villages, in the communes' order."""
    return world.population.villages[4 * world.population.communes.index(commune)]


async def waiting_registrations(engine: AsyncEngine) -> dict[int, list[int]]:
    """commune id -> its residents registered and not yet approved."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(ResidentRow.commune_id, ResidentRow.id).where(
            ResidentRow.status == "registered").order_by(ResidentRow.id))).all()
    found: dict[int, list[int]] = {}
    for commune, rid in rows:
        found.setdefault(int(commune), []).append(int(rid))
    return found


def official_plans(world: World, accounts: list[Account], waiting: dict[int, list[int]]
                   ) -> list[dict[str, Any]]:
    """Each account's pages, export and registrations to approve (no two share one): the
    communes' accounts choose first, from their own commune."""
    plans = []
    for login, role, unit in sorted(accounts, key=lambda a: -list(Role).index(a[1])):
        communes = communes_of(world, role, unit)
        mine = []
        for commune in communes:
            while waiting.get(commune) and len(mine) < APPROVALS:
                mine.append(waiting[commune].pop())
        village = village_of(world, communes[0])
        export = ("/admin/residents.xlsx" if role is Role.COMMUNE
                  else f"/admin/residents.xlsx?unit={communes[0]}")
        plans.append({"login": login, "role": role.value, "approve": mine, "export": export,
                      "pages": [p.path.format(village=village) for p in MENU]})
    return plans


async def chat_updates(engine: AsyncEngine, world: World, fake: FakeTelegramAPI, chats: int,
                       seconds: int) -> tuple[list[list[dict[str, Any]]], int]:
    """The updates of every chat, as Telegram would post them: enough for one every two
    seconds; half the chats are village heads (each with an invite), half donors. Also how
    many households the heads will register at most."""
    rounds = math.ceil(seconds / 2 / 9) + 1
    heads = (chats + 1) // 2
    names, rng = Names.load(), random.Random(21)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    async with uow() as u:
        invites = []
        for i in range(heads):
            village = world.population.villages[(i * 7) % len(world.population.villages)]
            _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, village,
                                          names.person(rng, "male"), datetime.now(UTC))
            invites.append(code)
        await u.commit()
    serial = iter(range(CID_SERIAL, CID_SERIAL + 10**6))

    def person() -> tuple[str, str, str]:
        sex = rng.choice(("male", "female"))
        born = date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28))
        return names.person(rng, sex), born.strftime("%d/%m/%Y"), citizen_id(
            next(serial), born, sex)

    scripts: list[tuple[int, list[Step]]] = [
        (30_000 + i, village_head_script(code, rounds, person)) for i, code in enumerate(invites)]
    scripts += [(60_000 + i, donor_script(rounds)) for i in range(chats - heads)]
    updates = [[fake.text_update(chat, value) if verb == "say"
                else fake.callback_update(chat, value) for verb, value in steps]
               for chat, steps in scripts]
    return updates, heads * rounds


# ---- the servers ------------------------------------------------------------------------------


@dataclass
class Servers:
    """Two `phocap run` processes (python -m bot run) on two ports, one database."""

    url: str
    api_url: str
    token: str
    folder: Path
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    logged: list[int] = field(default_factory=list)  # each log's size when stopped

    def environ(self, port: int) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
        return keep | {
            "PHOCAP_DATABASE_URL": self.url, "PHOCAP_HOST": "127.0.0.1",
            "PHOCAP_PORT": str(port), "PHOCAP_SECRET_KEY": SECRET_KEY,
            "PHOCAP_PUBLIC_URL": PUBLIC_URL, "PHOCAP_TELEGRAM_TOKEN": self.token,
            "PHOCAP_TELEGRAM_API_URL": self.api_url, "PHOCAP_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "PHOCAP_LOG_LEVEL": "WARNING", "PHOCAP_CONFIG": str(self.folder / "none.toml"),
            "PYTHONPATH": str(ROOT)}

    async def start(self) -> None:
        for n in range(SERVERS):
            port = free_port()
            log = log_file(self.folder / f"server-{n}.log")
            self.processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=self.folder, env=self.environ(port),
                stdout=log, stderr=log))
            self.hosts.append(f"http://127.0.0.1:{port}")
        await asyncio.gather(*(ready(host) for host in self.hosts))

    async def stop(self) -> None:
        """Ctrl+C to each, as a person stops `phocap run` (which prints the interrupt's
        traceback as it ends: the logs are read up to here)."""
        self.logged = [(self.folder / f"server-{n}.log").stat().st_size for n in range(SERVERS)]
        for process in self.processes:
            if process.returncode is None:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()

    def logged_lines(self, levels: tuple[str, ...], tracebacks: bool = False) -> list[str]:
        """The servers' log lines of those levels (bot/logs.py writes `level=error`), and
        the tracebacks if asked, while under load: before they were stopped."""
        lines = []
        for n in range(SERVERS):
            logged = (self.folder / f"server-{n}.log").read_bytes()[:self.logged[n]]
            for line in logged.decode(errors="replace").splitlines():
                if (tracebacks and "Traceback" in line) or any(
                        f"level={lv} " in line for lv in levels):
                    lines.append(f"server {n}: {line[:300]}")
        return lines


def log_file(path: Path) -> Any:
    """A file for a child process's output (it writes there until it ends)."""
    return path.open("wb")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def ready(host: str, seconds: float = 90) -> None:
    """/healthz answers with the database up and the Telegram channel running."""
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(host + "/healthz") as resp:
                    body = await resp.json()
                if resp.status == 200 and body["channels"].get("telegram") == "running":
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.5)
    raise RuntimeError(f"{host} did not start: see its log")


# ---- Locust and the connections ----------------------------------------------------------------


async def connections(engine: AsyncEngine, stop: asyncio.Event) -> dict[str, int]:
    """The database's connections at peak (all, and running a statement), counted every
    POLL seconds until stop; this counter's own connection is left out."""
    peak = {"connections": 0, "active": 0}
    if engine.dialect.name != "postgresql":
        return peak
    query = text("SELECT count(*), count(*) FILTER (WHERE state = 'active') "
                 "FROM pg_stat_activity WHERE datname = current_database() "
                 "AND pid <> pg_backend_pid()")
    async with engine.connect() as conn:
        while not stop.is_set():
            total, active = (await conn.execute(query)).one()
            peak = {"connections": max(peak["connections"], int(total)),
                    "active": max(peak["active"], int(active))}
            await conn.commit()
            try:
                await asyncio.wait_for(stop.wait(), POLL)
            except TimeoutError:
                pass
    return peak


async def locust(plan: Path, users: int, seconds: int, folder: Path) -> int:
    """Locust headless, its figures written as CSV beside the plan; its exit code."""
    rate = max(1.0, users / 10)  # every user started within the first ten seconds
    environ = dict(os.environ, PHOCAP_LOAD_PLAN=str(plan), PYTHONPATH=str(ROOT))
    log = log_file(folder / "locust.log")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
        "-r", str(rate), "-t", f"{seconds}s", "--csv", str(folder / "locust"), "--only-summary",
        "--stop-timeout", "10", "--loglevel", "WARNING", cwd=folder, env=environ,
        stdout=log, stderr=log)
    return await process.wait()


def routes(folder: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Locust's stats CSV: one line per route, and the aggregated line."""
    with open(folder / "locust_stats.csv", encoding="utf-8") as f:
        lines = list(csv.DictReader(f))
    rows = [{"method": r["Type"], "route": r["Name"], "requests": int(r["Request Count"]),
             "failures": int(r["Failure Count"]), "per_s": float(r["Requests/s"]),
             "p50_ms": float(r["50%"] or 0), "p95_ms": float(r["95%"] or 0),
             "max_ms": float(r["Max Response Time"] or 0)} for r in lines]
    total = next(r for r in rows if r["route"] == "Aggregated")
    return [r for r in rows if r["route"] != "Aggregated"], total


def failures(folder: Path) -> list[str]:
    """Locust's failures, each with how many times it happened."""
    with open(folder / "locust_failures.csv", encoding="utf-8") as f:
        return [f"{r['Method']} {r['Name']}: {r['Error']} x{r['Occurrences']}"
                for r in csv.DictReader(f)]


async def done_in_database(engine: AsyncEngine) -> dict[str, int]:
    """What the load changed: registrations approved by the load's accounts, residents
    registered through the chats, pledges made."""
    async with engine.connect() as conn:
        approved = (await conn.execute(select(func.count()).select_from(ResidentRow).join(
            OfficialRow, OfficialRow.id == ResidentRow.approved_by).where(
            OfficialRow.login.like("load-%")))).scalar_one()
        registered = (await conn.execute(select(func.count()).where(
            ResidentRow.registered_by.is_not(None)))).scalar_one()
        pledges = (await conn.execute(select(func.count(PledgeRow.id)))).scalar_one()
    return {"approved": int(approved), "registered_by_chat": int(registered),
            "pledges": int(pledges)}


# ---- the run ------------------------------------------------------------------------------------


async def bench(url: str, residents: int, officials: int, chats: int, seconds: int,
                folder: Path) -> dict[str, Any]:
    async with FakeTelegramAPI() as fake:
        engine, world = await build_world(url, residents)
        try:
            accounts = accounts_for(world, officials)
            await add_accounts(engine, accounts)
            plans = official_plans(world, accounts, await waiting_registrations(engine))
            updates, _ = await chat_updates(engine, world, fake, chats, seconds)
        finally:
            await engine.dispose()
        servers = Servers(url, fake.base_url, fake.token, folder)
        await servers.start()
        plan = folder / "plan.json"
        plan.write_text(json.dumps({
            "hosts": servers.hosts, "password": OFFICIAL_PASSWORD, "officials": plans,
            "searches": [fold(n) for n in world.population.sample_names[:12]],
            "chats": updates, "webhook": WEBHOOK, "secret_header": SECRET_HEADER,
            "secret": SECRET}), encoding="utf-8")
        engine = make_engine(url)
        try:
            stop = asyncio.Event()
            counting = asyncio.create_task(connections(engine, stop))
            started = time.perf_counter()
            code = await locust(plan, officials + chats, seconds, folder)
            elapsed = time.perf_counter() - started
            stop.set()
            peak = await counting
        finally:
            await servers.stop()
        try:
            done = await done_in_database(engine)
        finally:
            await engine.dispose()
        sent = len(fake.calls_to("sendMessage"))
    if code not in (0, 1):  # 1: some requests failed, which the figures show
        raise RuntimeError(f"locust ended with {code}: see {folder / 'locust.log'}")
    by_route, total = routes(folder)
    return {"residents": residents, "officials": officials, "chats": chats,
            "seconds": seconds, "elapsed_s": elapsed, "servers": SERVERS, "routes": by_route,
            "requests": total["requests"], "requests_per_s": total["per_s"],
            "p95_ms": total["p95_ms"], "errors": total["failures"],
            "failures": failures(folder),
            "server_errors": servers.logged_lines(("error", "critical"), tracebacks=True),
            "server_warnings": len(servers.logged_lines(("warning",))),
            "peak_connections": peak["connections"], "peak_active": peak["active"],
            "messages_sent": sent, **done}


def database(args: argparse.Namespace, folder: Path) -> str:
    if args.database:
        return str(args.database[0])
    return os.environ.get(POSTGRES_ENV) or f"sqlite+aiosqlite:///{folder / 'load.db'}"


async def main(args: argparse.Namespace) -> None:
    residents, officials, chats, seconds = SIZES[args.size]
    residents = args.residents or residents
    officials, chats = args.officials or officials, args.chats or chats
    seconds = args.seconds or seconds
    with workdir() as tmp:
        url = database(args, Path(tmp))
        try:
            r = await bench(url, residents, officials, chats, seconds, Path(tmp))
        finally:
            if args.logs:  # the servers' and Locust's logs, the plan and Locust's CSV files
                shutil.copytree(tmp, args.logs, dirs_exist_ok=True)
    rows: list[tuple[object, ...]] = [
        (x["method"], x["route"], x["requests"], x["failures"], x["per_s"], x["p50_ms"],
         x["p95_ms"], x["max_ms"]) for x in r["routes"]]
    rows.append(("", "all routes", r["requests"], r["errors"], r["requests_per_s"], "",
                 r["p95_ms"], ""))
    for line in r["failures"] + r["server_errors"]:
        print(line)
    print(f"throughput: {r['requests_per_s']:.1f} requests/s; errors: {r['errors']} "
          f"(server log errors: {len(r['server_errors'])}, warnings: {r['server_warnings']}); "
          f"database connections at peak: {r['peak_connections']} ({r['peak_active']} active); "
          f"approved {r['approved']}, "
          f"registered by chat {r['registered_by_chat']}, pledges {r['pledges']}, "
          f"messages sent {r['messages_sent']}")
    report(f"load: {officials} officials and {chats} Telegram chats for {seconds} s, "
           f"{SERVERS} servers, {residents:,} residents, {dialect(url)}",
           ("method", "route", "requests", "failed", "req/s", "p50 ms", "p95 ms", "max ms"),
           rows, {"size": args.size, "database": dialect(url), "results": r})


def options() -> argparse.ArgumentParser:
    p = parser(__doc__)
    p.add_argument("--residents", type=int, default=0, help="residents (default: by --size)")
    p.add_argument("--officials", type=int, default=0, help="simulated officials")
    p.add_argument("--chats", type=int, default=0, help="simulated Telegram users")
    p.add_argument("--seconds", type=int, default=0, help="how long Locust runs")
    p.add_argument("--logs", metavar="DIR", help="keep the logs, the plan and Locust's CSV here")
    return p


if __name__ == "__main__":
    run(main, options().parse_args())
