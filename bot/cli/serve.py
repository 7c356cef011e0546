"""'phocap init' and 'phocap run': a database made ready (and its first admin), then the
service itself."""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

from admin.passwords import hash_password, new_password
from bot import seed
from bot.cli.common import CLI, Subparsers, out
from bot.demo_programme import load_demo_programme
from bot.runtime import Runtime
from bot.scheduler import setup_scheduler
from bot.server import make_app
from core.clock import Clock
from core.model import Role
from core.services.officials import add_official
from storage import migrate

ADMIN_LOGIN = "admin"


def add_parsers(top: Subparsers) -> None:
    """Register 'init' and 'run' (on the top level only: they come before 'import')."""
    init = top.add_parser("init")
    init.add_argument("--demo", action="store_true")
    init.set_defaults(run=cmd_init)

    top.add_parser("run").set_defaults(run=cmd_run)


async def cmd_init(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Migrate, load the shipped units once, the demo population if asked, the first admin."""
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
        if args.demo and fresh:
            residents = await seed.load_demo(uow, CLI, rt.settings.dataset, clock())
            await load_demo_programme(uow, CLI, rt.settings.dataset, clock())
        if args.demo:  # a fresh code each start: codes are used once
            invite = await seed.demo_village_head(
                uow, CLI, rt.settings.dataset, rt.text("cli-demo-head-name"), clock())
        await uow.commit()
    out(rt.text("cli-init-done", database=_safe_url(rt.settings.database_url)))
    if residents:
        out(rt.text("cli-demo-loaded", residents=residents))
    base = f"http://{rt.settings.host}:{rt.settings.port}"
    if password:
        out(rt.text("cli-admin-created", url=f"{base}/admin", login=ADMIN_LOGIN,
                    password=password))
    else:
        out(rt.text("cli-admin-exists", url=f"{base}/admin", login=ADMIN_LOGIN))
    if invite:
        code, village = invite
        out(rt.text("cli-demo-invite", url=f"{base}/chat", village=village.name, code=code))
    return 0


def _safe_url(url: str) -> str:
    """The database URL without a password, fit for printing."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, credentials = head.partition("//")
    return f"{scheme}//{credentials.split(':', 1)[0]}:***@{tail}"


async def cmd_run(rt: Runtime, _args: argparse.Namespace, _clock: Clock) -> int:
    if rt.settings.public_url and not rt.settings.secret_key:
        # without it the session key would sit in the database: a copy could forge a cookie
        out(rt.text("cli-run-needs-secret-key"))
        return 2
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
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0
