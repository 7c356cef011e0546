"""The admin web's accounts beyond the official: API tokens, the session secret every process
shares, and refused logins counted for throttling. Tokens are audited; failures are not (they
are their own record, and a refused login names no official for certain)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from core.model import Actor, Official
from core.ports import UnitOfWork
from core.services.audit import record

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """Tokens are kept only as hashes: a copy of the database cannot call the API."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def add_token(
    uow: UnitOfWork, actor: Actor, official: Official, label: str, now: datetime
) -> str:
    """A new API token for the official: the token itself, to be shown once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    added = await uow.accounts.add_token(official.id, token_hash(token), label, now)
    await record(uow, actor, now, "add-token", "official", official.id, official.unit_id,
                 after=added)
    return token


async def revoke_token(
    uow: UnitOfWork, actor: Actor, official: Official, token_id: int, now: datetime
) -> bool:
    """Revoke one of the official's own live tokens; False when there is none of that id."""
    token = next((t for t in await uow.views.tokens_of(official.id) if t.id == token_id), None)
    if token is None or not await uow.accounts.revoke_token(official.id, token_id, now):
        return False
    await record(uow, actor, now, "revoke-token", "official", official.id, official.unit_id,
                 before=token)
    return True


async def official_for_token(uow: UnitOfWork, token: str, now: datetime) -> Official | None:
    """The official a live token belongs to (the token is marked used), or None."""
    official_id = await uow.accounts.official_for_token(token_hash(token), now)
    return await uow.officials.get(official_id) if official_id else None


async def shared_secret(uow: UnitOfWork, name: str, fresh: str, now: datetime) -> str:
    """The secret called name that every process shares: the first caller's fresh one."""
    return await uow.accounts.shared_secret(name, fresh, now)


async def recent_failures(
    uow: UnitOfWork, login: str, address: str, since: datetime
) -> tuple[int, int]:
    """Refused logins since a moment: (for this login, from this address)."""
    return await uow.accounts.recent_failures(login, address, since)


async def record_failure(uow: UnitOfWork, login: str, address: str, now: datetime) -> None:
    await uow.accounts.add_failure(login, address, now)


async def forget_failures(uow: UnitOfWork, login: str, before: datetime) -> None:
    """After a good login the account's count starts again; anyone's older ones go."""
    await uow.accounts.forget_failures(login, before)
