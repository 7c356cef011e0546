"""Linking a chat to an official with a one-time invite code.

Wrong codes are counted per source, never per chat id alone (the web chat's client chooses its
own): a source is the channel and chat where the platform vouches for the chat (Telegram,
Zalo), the channel and client address where it does not (the web chat). A source with
MAX_FAILURES misses in the last BLOCK_FOR waits until the oldest of them is that old; all
sources together with GLOBAL_MAX misses in that time stop every link until the count falls,
so that nobody tries codes in bulk from many addresses."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.codes import code_hash, new_code
from core.errors import RuleError
from core.model import Actor, ChatState, Invite, Official, Role
from core.ports import UnitOfWork
from core.services.audit import record
from core.services.officials import add_official
from core.services.scope import require_within

INVITE_LIFETIME = timedelta(days=7)
MAX_FAILURES = 5
GLOBAL_MAX = 100
BLOCK_FOR = timedelta(hours=1)


async def create_invite(
    uow: UnitOfWork, actor: Actor, role: Role, unit_id: int, name: str, now: datetime,
    lifetime: timedelta = INVITE_LIFETIME,
) -> tuple[Official, str]:
    """A new official (no web login yet) and the code that links their chat."""
    official = await add_official(uow, actor, name, role, unit_id, now)
    return official, await reissue_invite(uow, actor, official, now, lifetime)


async def reissue_invite(
    uow: UnitOfWork, actor: Actor, official: Official, now: datetime,
    lifetime: timedelta = INVITE_LIFETIME,
) -> str:
    """Another code for an existing official (a second phone, another channel)."""
    code = new_code()
    await uow.invites.add(code_hash(code), official.id, now, now + lifetime,
                          created_by=actor.official_id)
    await record(uow, actor, now, "invite", "official", official.id, official.unit_id)
    return code


async def redeem(
    uow: UnitOfWork, chat: ChatState, typed: str, now: datetime, source: str
) -> Official:
    """Link the chat to the invite's official, or say why not; too many misses from the
    source, or from everywhere, block a while."""
    mine, every = await uow.invites.failures_since(source, now - BLOCK_FOR)
    if mine.count >= MAX_FAILURES and mine.oldest is not None:
        raise RuleError("link-blocked", minutes=_minutes_left(mine.oldest + BLOCK_FOR, now))
    if every.count >= GLOBAL_MAX and every.oldest is not None:
        raise RuleError("link-busy", minutes=_minutes_left(every.oldest + BLOCK_FOR, now))
    tries_left = max(MAX_FAILURES - mine.count - 1, 0)
    invite = await uow.invites.by_hash(code_hash(typed))
    if invite is None or invite.used_at or invite.revoked_at or invite.expires_at <= now:
        await _count_failure(uow, source, now)
        raise RuleError(_refusal(invite), tries_left=tries_left)
    official = await uow.officials.get(invite.official_id)
    if official is None or not official.active or not await uow.invites.mark_used(
        invite.id, chat.id, now
    ):
        await _count_failure(uow, source, now)
        raise RuleError("link-code-used", tries_left=tries_left)
    chat.official_id = official.id
    actor = Actor(label=f"chat:{chat.channel}", official_id=official.id, role=official.role,
                  unit_id=official.unit_id)
    await record(uow, actor, now, "link", "chat", chat.id, official.unit_id)
    return official


def _refusal(invite: Invite | None) -> str:
    """Why a code does not link: unknown, used, revoked by an official, or too old."""
    if invite is None:
        return "link-code-wrong"
    if invite.used_at:
        return "link-code-used"
    return "link-code-revoked" if invite.revoked_at else "link-code-expired"


async def revoke_invite(uow: UnitOfWork, actor: Actor, invite_id: int, now: datetime) -> None:
    """Revoke a code not yet used, of an official of the actor's unit; a code used or
    revoked already is left as it is (a second click changes nothing)."""
    invite = await uow.invites.get(invite_id)
    official = await uow.officials.get(invite.official_id) if invite else None
    if invite is None or official is None:
        raise RuleError("scope-outside-unit")  # missing or elsewhere: the same answer
    await require_within(uow, actor, official.unit_id)
    if await uow.invites.revoke(invite.id, actor.official_id, now):
        await record(uow, actor, now, "revoke-invite", "official", official.id,
                     official.unit_id)


async def _count_failure(uow: UnitOfWork, source: str, now: datetime) -> None:
    """Count the miss; misses older than the window are of no use and go (addresses)."""
    await uow.invites.add_failure(source, now)
    await uow.invites.forget_failures(now - BLOCK_FOR)


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() // 60) + 1)


async def unlink(uow: UnitOfWork, actor: Actor, chat: ChatState, now: datetime) -> None:
    """Forget the chat's official: the chat is treated as the public again."""
    if chat.official_id is None:
        return
    chat.official_id = None
    await record(uow, actor, now, "unlink", "chat", chat.id, actor.unit_id)
