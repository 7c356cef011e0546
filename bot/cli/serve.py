"""'phocap init' and 'phocap run': a database made ready (and its first admin), then the
service itself."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from dataclasses import dataclass

from aiohttp import web

from admin.passwords import hash_password, new_password
from bot import seed
from bot.cli.common import CLI, Subparsers, out
from bot.demo_programme import load_demo_programme
from bot.runtime import Runtime
from bot.scheduler import STARTED, setup_scheduler
from bot.server import make_app
from core.clock import Clock
from core.model import Role, Unit
from core.services.officials import add_official
from storage import migrate

ADMIN_LOGIN = "admin"
# How long the welcome waits for the scheduler's start-up run (a large database's first tick
# may take long: then the welcome comes first, and the tick's lines after it).
STARTUP_WAIT = 30.0


def add_parsers(top: Subparsers) -> None:
    """Register 'init' and 'run' (on the top level only: they come before 'import')."""
    init = top.add_parser("init")
    init.add_argument("--demo", action="store_true")
    init.set_defaults(run=cmd_init)

    run = top.add_parser("run")
    run.add_argument("--init", action="store_true")  # 'phocap init' first, in this process
    run.add_argument("--demo", action="store_true")  # with --init: as 'phocap init --demo'
    run.set_defaults(run=cmd_run)


@dataclass(frozen=True, slots=True)
class Welcome:
    """What a first start made that its reader must see: the admin's password (shown once),
    the demo village head's invite code."""

    password: str | None
    invite: tuple[str, Unit] | None


async def cmd_init(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Migrate, load the shipped units once, the demo population if asked, the first admin."""
    welcome = await prepare(rt, args.demo, clock)
    out(framed(welcome_lines(rt, welcome)))
    return 0


async def prepare(rt: Runtime, demo: bool, clock: Clock) -> Welcome:
    """The database made ready, as 'phocap init' does; what was done is printed, what must
    not be missed is returned, for the caller to print last."""
    await migrate.upgrade(rt.engine)
    async with rt.uow() as uow:
        fresh = not await uow.units.datasets()
        if fresh:
            await seed.load_default_units(uow, CLI, clock())
        province = (await uow.units.all(rt.settings.dataset))[0]
        admin = await uow.officials.by_login(ADMIN_LOGIN)
        password = None
        if admin is None:
            password = rt.settings.admin_password.reveal() or new_password()
            await add_official(uow, CLI, rt.text("cli-admin-name"), Role.PROVINCE, province.id,
                               clock(), login=ADMIN_LOGIN, password_hash=hash_password(password))
        residents, invite = 0, None
        if demo and fresh:
            residents = await seed.load_demo(uow, CLI, rt.settings.dataset, clock())
            await load_demo_programme(uow, CLI, rt.settings.dataset, clock())
        if demo:  # a fresh code each start: codes are used once
            invite = await seed.demo_village_head(
                uow, CLI, rt.settings.dataset, rt.text("cli-demo-head-name"), clock())
        await uow.commit()
    out(rt.text("cli-init-done", database=_safe_url(rt.settings.database_url)))
    if residents:
        out(rt.text("cli-demo-loaded", residents=residents))
    return Welcome(password, invite)


def welcome_lines(rt: Runtime, welcome: Welcome) -> list[str]:
    """Where to sign in and with what; the demo's invite code when there is one."""
    base = f"http://{rt.settings.host}:{rt.settings.port}"
    lines = [rt.text("cli-welcome-admin", url=f"{base}/admin"),
             rt.text("cli-welcome-login", login=ADMIN_LOGIN)]
    if welcome.password:
        lines.append(rt.text("cli-welcome-password", password=welcome.password))
    else:
        lines.append(rt.text("cli-welcome-password-kept"))
    if welcome.invite:
        code, village = welcome.invite
        lines += ["", rt.text("cli-welcome-chat", url=f"{base}/chat"),
                  rt.text("cli-welcome-invite", village=village.name, code=code)]
    return lines


def framed(lines: list[str]) -> str:
    """Lines in a box of lines, so that they stand out of the log lines around them."""
    width = max(len(line) for line in lines)
    edge = "\u2500" * (width + 2)
    inner = [f"\u2502 {line.ljust(width)} \u2502" for line in lines]
    return "\n".join([f"\u250c{edge}\u2510", *inner, f"\u2514{edge}\u2518"])


def _safe_url(url: str) -> str:
    """The database URL without a password, fit for printing."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


async def cmd_run(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    if rt.settings.public_url and not rt.settings.secret_key:
        # without it the session key would sit in the database: a copy could forge a cookie
        out(rt.text("cli-run-needs-secret-key"))
        return 2
    welcome = await prepare(rt, args.demo, clock) if args.init else None
    if not await migrate.is_current(rt.engine):
        out(rt.text("cli-run-needs-init"))
        return 2
    app = make_app(rt)
    setup_scheduler(app)  # here, not in make_app: one scheduler per process, none in tests
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, rt.settings.host, rt.settings.port)
    await site.start()
    out(rt.text("cli-run-listening", url=f"http://{rt.settings.host}:{rt.settings.port}"))
    if welcome is not None:  # after the scheduler's start-up lines, so that it ends the output
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(app[STARTED].wait(), STARTUP_WAIT)
        out(framed(welcome_lines(rt, welcome)))
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0
