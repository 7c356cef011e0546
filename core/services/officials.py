"""Officials: accounts for the admin web, each bound to one unit and one role."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.errors import RuleError
from core.model import Actor, Level, Official, Role
from core.names import normalise_name
from core.ports import UnitOfWork
from core.services.audit import record

ROLE_LEVEL = {
    Role.PROVINCE: Level.PROVINCE,
    Role.DISTRICT: Level.DISTRICT,
    Role.COMMUNE: Level.COMMUNE,
    Role.VILLAGE_HEAD: Level.VILLAGE,
}


async def add_official(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    role: Role,
    unit_id: int,
    now: datetime,
    login: str | None = None,
    password_hash: str | None = None,
) -> Official:
    """A new official; the unit's level must match the role, and a login is used once."""
    unit = await uow.units.get(unit_id)
    if unit is None or unit.level is not ROLE_LEVEL[role]:
        raise RuleError("officials-role-unit", role=role.value)
    if login and await uow.officials.by_login(login):
        raise RuleError("officials-login-taken", login=login)
    official = await uow.officials.add(
        Official(id=0, name=normalise_name(name), role=role, unit_id=unit.id, login=login,
                 password_hash=password_hash)
    )
    await record(uow, actor, now, "create", "official", official.id, unit.id,
                 after=_without_hash(official))
    return official


async def set_password(
    uow: UnitOfWork, actor: Actor, official: Official, password_hash: str, now: datetime
) -> int:
    """A new password: every session and API token of the official ends; the new session
    generation, for the session that changed it to carry on."""
    changed = replace(official, password_hash=password_hash)
    await uow.officials.update(changed)
    await uow.accounts.revoke_tokens(official.id, now)
    generation = await uow.accounts.end_sessions(official.id, now)
    # the trail keeps that the password changed, never its hash (core.services.audit masks it)
    await record(uow, actor, now, "password", "official", official.id, official.unit_id,
                 before=official, after=changed)
    return generation


def _without_hash(official: Official) -> Official:
    return replace(official, password_hash=None)
