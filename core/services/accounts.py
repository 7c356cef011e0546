"""The admin web's accounts beyond the official: API tokens, session generations, the session
secret every process shares, and refused logins counted for throttling. Tokens are audited;
failures are not (they are their own record, and a refused login names no official for
certain).

Throttling counts a login's failures from one address only: behind a load balancer every
official may share an address, and a stranger who knows a login must not lock its owner out
from elsewhere. From the FREE_FAILURES-th failure on, the next try waits a delay that doubles
with each further failure, up to MAX_DELAY (hand-worked: 5 failures wait 15 s, 6 wait 30 s,
7 one minute, 8 two, 9 four, 10 eight, 11 and more fifteen)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from core.model import Actor, Official
from core.ports import UnitOfWork
from core.services.audit import record

TOKEN_BYTES = 32
FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=15)
FAILURE_MEMORY = timedelta(days=1)  # failures older than this are forgotten


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


async def official_for_token(
    uow: UnitOfWork, token: str, now: datetime, lifetime: timedelta
) -> Official | None:
    """The official a live token younger than lifetime belongs to (marked used), or None."""
    official_id = await uow.accounts.official_for_token(token_hash(token), now, now - lifetime)
    return await uow.officials.get(official_id) if official_id else None


async def session_generation(uow: UnitOfWork, official_id: int) -> int:
    """The generation an official's session must carry to be alive."""
    return await uow.accounts.session_generation(official_id)


async def end_sessions(uow: UnitOfWork, official: Official, now: datetime) -> int:
    """End every session of the official, in every process (logout); the new generation."""
    return await uow.accounts.end_sessions(official.id, now)


async def shared_secret(uow: UnitOfWork, name: str, fresh: str, now: datetime) -> str:
    """The secret called name that every process shares: the first caller's fresh one."""
    return await uow.accounts.shared_secret(name, fresh, now)


def delay_after(failures: int) -> timedelta:
    """How long the next try of a login from an address waits after its last failure."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings: int = min(failures - FREE_FAILURES, 16)
    return min(FIRST_DELAY * (1 << doublings), MAX_DELAY)


async def login_wait(uow: UnitOfWork, login: str, address: str, now: datetime) -> timedelta:
    """How long this login from this address must still wait before a try counts (0: none)."""
    count, last = await uow.accounts.recent_failures(login, address, now - FAILURE_MEMORY)
    if last is None:
        return timedelta(0)
    return max(last + delay_after(count) - now, timedelta(0))


async def record_failure(uow: UnitOfWork, login: str, address: str, now: datetime) -> None:
    await uow.accounts.add_failure(login, address, now)


async def forget_failures(uow: UnitOfWork, login: str, address: str, now: datetime) -> None:
    """After a good login its count from that address starts again; anyone's old ones go."""
    await uow.accounts.forget_failures(login, address, now - FAILURE_MEMORY)
