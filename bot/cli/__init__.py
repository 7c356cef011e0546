"""The 'phocap' command: argument parsing, then one async function per command."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from admin.passwords import hash_password, new_password
from bot import seed
from bot.logs import setup_logging
from bot.runtime import Runtime, open_runtime
from bot.scheduler import setup_scheduler
from bot.server import make_app
from bot.settings import Settings, SettingsError, load_settings
from core.errors import RuleError
from core.i18n import load_catalogue
from core.model import Actor, Level, Role
from core.services.linking import INVITE_LIFETIME, create_invite
from core.services.officials import ROLE_LEVEL, add_official
from core.services.units import find_unit, import_units
from storage import migrate

CLI = Actor(label="cli", system=True)
ADMIN_LOGIN = "admin"

Command = Callable[[Runtime, argparse.Namespace], Awaitable[int]]


def now() -> datetime:
    return datetime.now(UTC)


def out(text: str) -> None:
    print(text, flush=True)


async def cmd_init(rt: Runtime, args: argparse.Namespace) -> int:
    """Migrate, load the shipped units once, the demo population if asked, the first admin."""
    await migrate.upgrade(rt.engine)
    async with rt.uow() as uow:
        fresh = not await uow.units.datasets()
        if fresh:
            await seed.load_default_units(uow, CLI, now())
        province = (await uow.units.all(rt.settings.dataset))[0]
        admin = await uow.officials.by_login(ADMIN_LOGIN)
        password = None
        if admin is None:
            password = rt.settings.admin_password.reveal() or new_password()
            await add_official(uow, CLI, rt.text("cli-admin-name"), Role.PROVINCE, province.id,
                               now(), login=ADMIN_LOGIN, password_hash=hash_password(password))
        residents, invite = 0, None
        if args.demo and fresh:
            residents = await seed.load_demo(uow, CLI, rt.settings.dataset, now())
        if args.demo:  # a fresh code each start: codes are used once
            invite = await seed.demo_village_head(
                uow, CLI, rt.settings.dataset, rt.text("cli-demo-head-name"), now())
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


async def cmd_run(rt: Runtime, _args: argparse.Namespace) -> int:
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


async def cmd_import_units(rt: Runtime, args: argparse.Namespace) -> int:
    dataset, records = seed.read_unit_file(args.file)
    async with rt.uow() as uow:
        result = await import_units(uow, CLI, dataset, records, now())
        await uow.commit()
    out(rt.text("cli-units-imported", dataset=dataset, **asdict(result)))
    return 0


UNIT_FIELDS = ("code", "name", "level", "parent", "dataset", "adults", "households", "address")


async def cmd_export_units(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.uow() as uow:
        units = await uow.units.all(args.dataset or rt.settings.dataset)
    codes = {u.id: u.code for u in units}
    rows = [
        {
            "code": u.code, "name": u.name, "level": u.level.value,
            "parent": codes.get(u.parent_id) if u.parent_id else None, "dataset": u.dataset,
            "adults": u.adult_population, "households": u.household_population,
            "address": u.address,
        }
        for u in units
    ]
    write_rows(rows, UNIT_FIELDS, args.format, args.out, rt.text)
    return 0


def write_rows(
    rows: Sequence[dict[str, object]], columns: Sequence[str], fmt: str, target: Path | None,
    text: Callable[..., str],
) -> None:
    """Rows out as JSON, CSV (UTF-8 with BOM, so Excel reads the diacritics) or xlsx."""
    if fmt == "json":
        data = json.dumps(list(rows), ensure_ascii=False, indent=2, default=str)
        _emit(data.encode("utf-8"), target)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        _emit(("\ufeff" + buf.getvalue()).encode("utf-8"), target)
    else:
        from bot.spreadsheets import rows_to_xlsx

        _emit(rows_to_xlsx(rows, columns, text), target)


def _emit(data: bytes, target: Path | None) -> None:
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.write(b"\n")
        sys.stdout.flush()
    else:
        target.write_bytes(data)


async def cmd_user_add(rt: Runtime, args: argparse.Namespace) -> int:
    password = args.password or new_password()
    async with rt.uow() as uow:
        level = {Role.PROVINCE: Level.PROVINCE, Role.DISTRICT: Level.DISTRICT,
                 Role.COMMUNE: Level.COMMUNE, Role.VILLAGE_HEAD: Level.VILLAGE}[Role(args.role)]
        unit = await find_unit(uow, rt.settings.dataset, args.unit, level)
        await add_official(uow, CLI, args.name, Role(args.role), unit.id, now(),
                           login=args.login, password_hash=hash_password(password))
        await uow.commit()
    out(rt.text("cli-user-added", login=args.login, unit=unit.name, role=args.role))
    if not args.password:
        out(rt.text("cli-user-password", password=password))
    return 0


async def cmd_invite(rt: Runtime, args: argparse.Namespace) -> int:
    """A one-time code that links an official's chat; the code alone on the last line."""
    role, moment = Role(args.role), now()
    async with rt.uow() as uow:
        unit = await find_unit(uow, rt.settings.dataset, args.unit, ROLE_LEVEL[role])
        official, code = await create_invite(uow, CLI, role, unit.id, args.name, moment)
        await uow.commit()
    until = (moment + INVITE_LIFETIME).astimezone(rt.settings.tz).strftime("%H:%M %d/%m/%Y")
    out(rt.text("cli-invite-created", name=official.name, role=f"key:role-{role.value}",
                unit=unit.name, until=until))
    out(code)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phocap")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init")
    init.add_argument("--demo", action="store_true")
    init.set_defaults(run=cmd_init)

    sub.add_parser("run").set_defaults(run=cmd_run)

    imp = sub.add_parser("import").add_subparsers(dest="what", required=True)
    units = imp.add_parser("units")
    units.add_argument("file", type=Path)
    units.set_defaults(run=cmd_import_units)

    exp = sub.add_parser("export").add_subparsers(dest="what", required=True)
    exp_units = exp.add_parser("units")
    _export_options(exp_units)
    exp_units.add_argument("--dataset")
    exp_units.set_defaults(run=cmd_export_units)
    from bot.residents_cli import add_resident_commands  # imported late: it imports this module

    add_resident_commands(imp, exp)
    from bot.pledges_cli import add_pledge_commands

    add_pledge_commands(exp)
    from bot.receiving_cli import add_receiving_commands

    add_receiving_commands(sub, imp)
    from bot.handover_cli import add_handover_commands, add_handover_exports

    add_handover_commands(sub)
    add_handover_exports(exp)
    from bot.ledger_cli import add_ledger_commands

    add_ledger_commands(sub)
    from bot.report_cli import add_report_commands

    add_report_commands(sub)
    from bot.allocate_cli import add_allocate_commands

    add_allocate_commands(sub)
    from bot.backup_cli import add_backup_commands

    add_backup_commands(sub)

    user = sub.add_parser("user").add_subparsers(dest="action", required=True)
    add = user.add_parser("add")
    add.add_argument("--login", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--unit", required=True)
    add.add_argument("--password")
    add.set_defaults(run=cmd_user_add)

    invite = sub.add_parser("invite")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--unit", required=True)
    invite.add_argument("--name", required=True)
    invite.set_defaults(run=cmd_invite)
    return parser


def _export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    p.add_argument("--out", type=Path)


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(environ)
    except SettingsError as err:
        # The settings failed, so the locale is whatever the environment asked for, if known.
        locale = (environ or os.environ).get("PHOCAP_LOCALE", "")
        catalogue = load_catalogue()
        print(catalogue.text("settings-error", locale, name=err.name,
                             reason=catalogue.text(err.key, locale, **err.params)), file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    async with open_runtime(settings) as rt:
        try:
            return int(await args.run(rt, args))
        except RuleError as err:
            print(rt.text(err.key, **err.params), file=sys.stderr)
            return 1
