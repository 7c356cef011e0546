"""Conversation throughput through the real Telegram path, beside a bare echo bot.

N chats at once, half of them village heads registering residents through the whole
registration dialog, half donors pledging phones, each chat sending its next update as soon
as the last one is answered (closed loop, no think time: the most the server can do). Every
update is POSTed to /webhook/telegram of a server in its own process; the latency of an update
runs from the POST to the last sendMessage it caused arriving at the fake Bot API
(tests/fakes/telegram_api.py), both clocked here.

Servers, one after another, on the same fake and the same load:
- echo: a bare python-telegram-bot echo bot in webhook mode (no rate limiter);
- echo-limited: the same echo bot with PTB's AIORateLimiter, as phocap ships: the like-for-like
  baseline of phocap as shipped;
- phocap: our app (bot/server.py make_app, webhook mode) on SQLite and on PostgreSQL, as
  configured for production: PTB's AIORateLimiter keeps to Telegram's 30 messages a second;
- phocap-unlimited: the same app with PTB built without the rate limiter, to show what the
  engine and the database cost by themselves.

Every row is given as a fraction of each echo bot: "of echo" (the bare one) and "of limited
echo" (the one with the limiter). phocap as shipped is judged against the limited echo bot,
phocap unlimited against the bare one.

    python -m benchmarks.conversations [--size tiny|default|full] [--database URL]
        [--servers echo,echo-limited,phocap,phocap-unlimited]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import random
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from benchmarks.synthetic import (
    SYSTEM,
    Names,
    citizen_id,
    databases,
    dialect,
    fresh_database,
    median,
    parser,
    percentile,
    report,
    run,
    workdir,
)
from bot.channels.telegram import TELEGRAM, file_url
from bot.channels.telegram_request import AiohttpRequest
from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.model import Level, Role
from core.services.linking import create_invite
from storage.db import make_engine, make_sessionmaker
from storage.models import PledgeRow, ResidentRow
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes.telegram_api import SECRET_HEADER, FakeTelegramAPI, Params

SIZES = {"tiny": (4, 1), "default": (40, 2), "full": (200, 3)}  # chats, rounds per chat
SECRET = "bench-Secret_123"
PUBLIC_URL = "https://phocap.example"
WEBHOOK = "/webhook/telegram"
WARM_UP = 5  # updates from another chat before the clock starts
REPLY_WAIT = 60.0  # seconds: a POST that takes longer is a failure, not a figure


# ---- the fake Bot API, with a clock on every sendMessage -----------------------------------


class ClockedFake(FakeTelegramAPI):
    """The tests' fake Bot API; it also notes when each sendMessage arrived, per chat."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        send = self._methods["sendmessage"]

        def clocked(params: Params) -> Any:
            self.arrivals[str(params["chat_id"])].append(time.perf_counter())
            return send(params)

        self._methods["sendmessage"] = clocked

    def forget(self) -> None:
        """Between runs: the fake keeps every call, which would only grow."""
        self.calls.clear()
        self.arrivals.clear()


# ---- the servers, each in its own process --------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    kind: str  # echo | phocap
    api_url: str
    token: str
    database_url: str = ""
    rate_limited: bool = True


def serve(spec: ServerSpec, pipe: Connection) -> None:
    """The child process: start the server, send its URL, run until the parent says stop."""
    asyncio.run(_serve(spec, pipe))


async def _serve(spec: ServerSpec, pipe: Connection) -> None:
    app = await (_echo_app(spec) if spec.kind == "echo" else _phocap_app(spec))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    host, port = runner.addresses[0][:2]
    await app[READY]()
    pipe.send(f"http://{host}:{port}")
    started = time.process_time()
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "stop"
    pipe.send(time.process_time() - started)  # the server's CPU seconds under load
    await runner.cleanup()


READY: web.AppKey[Callable[[], Awaitable[None]]] = web.AppKey("ready")


async def _phocap_app(spec: ServerSpec) -> web.Application:
    settings = load_settings(environ={
        "PHOCAP_DATABASE_URL": spec.database_url, "PHOCAP_TELEGRAM_TOKEN": spec.token,
        "PHOCAP_TELEGRAM_API_URL": spec.api_url, "PHOCAP_PUBLIC_URL": PUBLIC_URL,
        "PHOCAP_TELEGRAM_WEBHOOK_SECRET": SECRET}, toml_path=Path("/nonexistent/phocap.toml"))
    stack = AsyncExitStack()
    app = make_app(await stack.enter_async_context(open_runtime(settings)))
    if not spec.rate_limited:  # as built by bot/channels/telegram.py, less the rate limiter
        app[TELEGRAM].application = _ptb(spec, rate_limited=False).request(AiohttpRequest()).build()

    async def close_runtime(_app: web.Application) -> None:
        await stack.aclose()

    async def ready() -> None:
        await asyncio.wait_for(app[TELEGRAM].ready.wait(), 30)

    app.on_cleanup.append(close_runtime)
    app[READY] = ready
    return app


def _ptb(spec: ServerSpec, rate_limited: bool) -> Any:
    """PTB's builder in webhook mode, as the echo example sets it up (httpx transport)."""
    builder = (ApplicationBuilder().token(spec.token).base_url(spec.api_url)
               .base_file_url(file_url(spec.api_url)).concurrent_updates(True)
               .job_queue(None).updater(None))
    if rate_limited:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    return builder


async def _echo_app(spec: ServerSpec) -> web.Application:
    """python-telegram-bot's echo example in webhook mode behind a plain aiohttp route."""
    ptb = _ptb(spec, rate_limited=spec.rate_limited).build()

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None and update.message.text:
            await update.message.reply_text(update.message.text)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is not None and query.message is not None:
            await query.answer()
            await context.bot.send_message(query.message.chat.id, query.data or "?")

    ptb.add_handler(MessageHandler(filters.TEXT, echo))
    ptb.add_handler(CallbackQueryHandler(pressed))

    async def webhook(request: web.Request) -> web.Response:
        if request.headers.get(SECRET_HEADER) != SECRET:
            return web.Response(status=403)
        await ptb.process_update(Update.de_json(await request.json(), ptb.bot))
        return web.Response()

    app = web.Application()
    app.router.add_post(WEBHOOK, webhook)

    async def ready() -> None:
        await ptb.initialize()
        await ptb.bot.set_webhook(PUBLIC_URL + WEBHOOK, secret_token=SECRET)

    async def stop(_app: web.Application) -> None:
        await ptb.shutdown()

    app[READY] = ready
    app.on_cleanup.append(stop)
    return app


class Server:
    """A server process for one run."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        ctx = mp.get_context("spawn")
        self._pipe, child = ctx.Pipe()
        self._process = ctx.Process(target=serve, args=(spec, child), daemon=True)
        self.url = ""
        self.cpu_seconds = 0.0

    async def __aenter__(self) -> Server:
        self._process.start()
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, self._pipe.poll, 60)
        if not ready:
            raise RuntimeError(f"{self.spec.kind} server did not start")
        self.url = self._pipe.recv() + WEBHOOK
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._pipe.send("stop")
        loop = asyncio.get_running_loop()
        if await loop.run_in_executor(None, self._pipe.poll, 30):
            self.cpu_seconds = float(self._pipe.recv())
        await asyncio.get_running_loop().run_in_executor(None, self._process.join, 10)
        if self._process.is_alive():
            self._process.kill()


# ---- the chats ------------------------------------------------------------------------------


Step = tuple[str, str]  # ("say", text) or ("press", callback data)


def village_head_script(invite: str, rounds: int, person: Callable[[], tuple[str, str, str]]
                        ) -> list[Step]:
    """Link with the invite, then register one new household's head per round."""
    steps: list[Step] = [("say", f"/start {invite}")]
    for _ in range(rounds):
        head, born, cid = person()
        steps += [("press", "cmd:register"), ("press", "new"), ("say", "-"), ("say", head),
                  ("press", "poor"), ("press", "none"), ("press", "no"), ("say", head),
                  ("say", born), ("say", cid), ("press", "no"), ("press", "skip"),
                  ("press", "yes"), ("press", "confirm"), ("press", "no")]
    return steps


def donor_script(rounds: int) -> list[Step]:
    """Start, then pledge five new phones for xa Con Minh per round, anonymously."""
    steps: list[Step] = [("say", "/start")]
    for _ in range(rounds):
        steps += [("press", "cmd:pledge"), ("press", "phones"), ("say", "5"), ("press", "new"),
                  ("press", "skip"), ("say", "con minh"), ("press", "anonymous"),
                  ("press", "skip"), ("press", "confirm")]
    return steps


@dataclass
class Load:
    """The same scripts for every server: chat id -> steps."""

    scripts: dict[int, list[Step]]
    registrations: int
    pledges: int


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # seconds per update
    failures: int = 0
    seconds: float = 0.0

    def figures(self) -> dict[str, float]:
        n = len(self.latencies)
        return {"updates": n, "failures": self.failures, "seconds": self.seconds,
                "updates_per_s": n / self.seconds if self.seconds else 0.0,
                "p50_ms": 1000 * median(self.latencies),
                "p99_ms": 1000 * percentile(self.latencies, 99)}


async def drive(fake: ClockedFake, url: str, load: Load, think: float = 0.0) -> Outcome:
    """Every chat through its script at once; each update waits for the answer of the last,
    and then for a pause of 0 to 2 x think seconds (a person reading and typing; the first
    update of each chat waits as long, so that the chats do not all start together)."""
    outcome = Outcome()
    pauses = random.Random(8)
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=REPLY_WAIT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def chat(chat_id: int, steps: list[Step], think: float) -> None:
            arrivals = fake.arrivals[str(chat_id)]
            if think:  # people do not all start in the same instant
                await asyncio.sleep(pauses.uniform(0, 2 * think))
            for verb, value in steps:
                update = (fake.text_update(chat_id, value) if verb == "say"
                          else fake.callback_update(chat_id, value))
                seen = len(arrivals)
                started = time.perf_counter()
                async with session.post(url, json=update,
                                        headers={SECRET_HEADER: SECRET}) as resp:
                    status = resp.status
                # Webhook mode: everything the update causes is sent before the answer.
                if status != 200 or len(arrivals) == seen:
                    outcome.failures += 1
                    continue
                outcome.latencies.append(arrivals[-1] - started)
                if think:
                    await asyncio.sleep(pauses.uniform(0, 2 * think))

        await chat(999, [("say", "/help")] * WARM_UP, 0.0)  # first connections, caches
        outcome.latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(chat(c, s, think) for c, s in load.scripts.items()))
        outcome.seconds = time.perf_counter() - started
    return outcome


# ---- the database side ----------------------------------------------------------------------


async def prepare(url: str, chats: int, rounds: int) -> Load:
    """A fresh database with an invite per village head; the scripts of every chat."""
    engine = await fresh_database(url)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    now = datetime.now(UTC)
    heads = (chats + 1) // 2
    names, rng = Names.load(), random.Random(8)
    try:
        async with uow() as u:
            villages = [v for v in await u.units.all("2023") if v.level is Level.VILLAGE]
            invites = []
            for i in range(heads):
                village = villages[i % len(villages)]
                _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, village.id,
                                              names.person(rng, "male"), now)
                invites.append(code)
            await u.commit()
    finally:
        await engine.dispose()
    serial = iter(range(10**6))

    def person() -> tuple[str, str, str]:
        sex = rng.choice(("male", "female"))
        born = date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28))
        return (names.person(rng, sex), born.strftime("%d/%m/%Y"),
                citizen_id(next(serial), born, sex))

    scripts = {1_000 + i: village_head_script(code, rounds, person)
               for i, code in enumerate(invites)}
    scripts |= {5_000 + i: donor_script(rounds) for i in range(chats - heads)}
    return Load(scripts, heads * rounds, (chats - heads) * rounds)


async def stored(url: str) -> tuple[int, int]:
    """Residents and pledges in the database after a run: the load did real work."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            residents = (await conn.execute(select(func.count(ResidentRow.id)))).scalar_one()
            pledges = (await conn.execute(select(func.count(PledgeRow.id)))).scalar_one()
    finally:
        await engine.dispose()
    return int(residents), int(pledges)


# ---- the runs -------------------------------------------------------------------------------


async def one_run(fake: ClockedFake, spec: ServerSpec, load: Load, think: float
                  ) -> dict[str, Any]:
    fake.forget()
    client_cpu = time.process_time()
    async with Server(spec) as server:
        outcome = await drive(fake, server.url, load, think)
        client_cpu = time.process_time() - client_cpu
    figures = outcome.figures()
    updates = figures["updates"] + WARM_UP
    return figures | {"server_cpu_ms_per_update": 1000 * server.cpu_seconds / updates,
                      "client_cpu_ms_per_update": 1000 * client_cpu / updates}


async def main(args: argparse.Namespace) -> None:
    chats, rounds = SIZES[args.size]
    chats, rounds = args.chats or chats, args.rounds or rounds
    results: dict[str, dict[str, Any]] = {}
    fake = ClockedFake()
    async with fake:
        with workdir() as tmp:
            urls = databases(args, Path(tmp))
            echo_load = await prepare(urls[0], chats, rounds)  # the echo bot ignores the data
            for limited in (False, True):
                if ("echo-limited" if limited else "echo") in args.servers:
                    base = ServerSpec("echo", fake.base_url, fake.token, rate_limited=limited)
                    name = "echo rate-limited" if limited else "echo"
                    results[name] = await one_run(fake, base, echo_load, args.think)
            for url in urls:
                for limited in (True, False):
                    if ("phocap" if limited else "phocap-unlimited") not in args.servers:
                        continue
                    load = await prepare(url, chats, rounds)
                    spec = ServerSpec("phocap", fake.base_url, fake.token, url, limited)
                    name = f"phocap {dialect(url)}" + ("" if limited else " unlimited")
                    results[name] = await one_run(fake, spec, load, args.think)
                    residents, pledges = await stored(url)
                    results[name] |= {"registered": residents, "pledged": pledges,
                                      "expected": [load.registrations, load.pledges]}
    _print(args, chats, rounds, results)


def _print(args: argparse.Namespace, chats: int, rounds: int,
           results: dict[str, dict[str, Any]]) -> None:
    rows = []
    for name, r in results.items():
        for key, baseline in (("fraction_of_echo", "echo"),
                              ("fraction_of_limited_echo", "echo rate-limited")):
            rate = results.get(baseline, {}).get("updates_per_s")
            r[key] = r["updates_per_s"] / rate if rate else None
        rows.append((name, r["updates"], r["failures"], r["updates_per_s"], r["p50_ms"],
                     r["p99_ms"], _ratio(r["fraction_of_echo"]),
                     _ratio(r["fraction_of_limited_echo"]), r["server_cpu_ms_per_update"]))
    report(f"conversations: {chats} chats at once, {rounds} dialogs each, webhook mode",
           ("server", "updates", "failed", "updates/s", "p50 ms", "p99 ms", "of echo",
            "of limited echo", "server CPU ms/update"),
           rows, {"size": args.size, "chats": chats, "rounds": rounds, "think_s": args.think,
                  "results": results})


def _ratio(fraction: float | None) -> str:
    return "-" if fraction is None else f"{fraction:.2f}"


SERVERS = ("echo", "echo-limited", "phocap", "phocap-unlimited")


def server_list(value: str) -> tuple[str, ...]:
    """--servers: a comma-separated choice among SERVERS."""
    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = set(chosen) - set(SERVERS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(SERVERS)}")
    # phocap's figure is its fraction of the echo bot run beside it: never one without it
    for ours, baseline in (("phocap", "echo-limited"), ("phocap-unlimited", "echo")):
        if ours in chosen and baseline not in chosen:
            raise argparse.ArgumentTypeError(f"{ours} is measured against {baseline}: add it")
    return chosen


def options() -> argparse.ArgumentParser:
    p = parser(__doc__)
    p.add_argument("--chats", type=int, help="chats at once (default: by --size)")
    p.add_argument("--rounds", type=int, help="dialogs per chat (default: by --size)")
    p.add_argument("--think", type=float, default=0.0, metavar="SECONDS",
                   help="mean pause of a chat between updates (default 0: saturate)")
    p.add_argument("--servers", type=server_list, default=SERVERS, metavar="LIST",
                   help=f"which servers to run, comma-separated (default: {','.join(SERVERS)})")
    return p


if __name__ == "__main__":
    run(main, options().parse_args())
