"""'phocap user add' and 'phocap invite': an official with a password for the admin pages,
or a one-time code that links an official's chat."""

from __future__ import annotations

import argparse

from admin.passwords import hash_password, new_password
from bot.cli.common import CLI, Parsers, out
from bot.runtime import Runtime
from core.clock import Clock
from core.model import Level, Role
from core.passwords import check_password
from core.services.linking import INVITE_LIFETIME, create_invite
from core.services.officials import ROLE_LEVEL, add_official
from core.services.units import find_unit


def add_parsers(parsers: Parsers) -> None:
    user = parsers.top.add_parser("user").add_subparsers(dest="action", required=True)
    add = user.add_parser("add")
    add.add_argument("--login", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--unit", required=True)
    add.add_argument("--password")
    add.set_defaults(run=cmd_user_add)

    invite = parsers.top.add_parser("invite")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--unit", required=True)
    invite.add_argument("--name", required=True)
    invite.set_defaults(run=cmd_invite)


async def cmd_user_add(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    if args.password is not None:
        check_password(args.password)  # the web form's minimum, from core
    password = args.password or new_password()
    async with rt.uow() as uow:
        level = {Role.PROVINCE: Level.PROVINCE, Role.DISTRICT: Level.DISTRICT,
                 Role.COMMUNE: Level.COMMUNE, Role.VILLAGE_HEAD: Level.VILLAGE}[Role(args.role)]
        unit = await find_unit(uow, rt.settings.dataset, args.unit, level)
        await add_official(uow, CLI, args.name, Role(args.role), unit.id, clock(),
                           login=args.login, password_hash=hash_password(password))
        await uow.commit()
    out(rt.text("cli-user-added", login=args.login, unit=unit.name, role=args.role))
    if not args.password:
        out(rt.text("cli-user-password", password=password))
    return 0


async def cmd_invite(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """A one-time code that links an official's chat; the code alone on the last line."""
    role, moment = Role(args.role), clock()
    async with rt.uow() as uow:
        unit = await find_unit(uow, rt.settings.dataset, args.unit, ROLE_LEVEL[role])
        official, code = await create_invite(uow, CLI, role, unit.id, args.name, moment)
        await uow.commit()
    until = (moment + INVITE_LIFETIME).astimezone(rt.settings.tz).strftime("%H:%M %d/%m/%Y")
    out(rt.text("cli-invite-created", name=official.name, role=f"key:role-{role.value}",
                unit=unit.name, until=until))
    out(code)
    return 0
