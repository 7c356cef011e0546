"""Reads (and the few writes) the admin web needs beyond the repositories.

Functions take the unit of work's AsyncSession; they return plain values, never ORM rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.model import Actor, AuditEntry, ChatState, Household, Official, Resident
from core.names import fold
from storage.chats import chat_from_row
from storage.households import household_from_row
from storage.models import (
    AdminSecretRow,
    ApiTokenRow,
    AuditRow,
    ChatRow,
    HouseholdRow,
    LoginFailureRow,
    OfficialRow,
    ResidentRow,
    UnitRow,
)
from storage.name_search import is_common, name_match
from storage.officials import official_from_row
from storage.residents import resident_from_row
from storage.sql import utc as _utc

# -- shared secrets ----------------------------------------------------------------------------


async def shared_secret(session: AsyncSession, name: str, fresh: str, now: datetime) -> str:
    """The stored secret called name; the first caller stores fresh, later ones read it."""
    found = await session.get(AdminSecretRow, name)
    if found is not None:
        return found.value
    try:
        async with session.begin_nested():
            session.add(AdminSecretRow(name=name, value=fresh, created_at=now))
    except IntegrityError:  # another process stored one first: use theirs
        pass
    stored = await session.scalar(select(AdminSecretRow.value).where(AdminSecretRow.name == name))
    assert stored is not None
    return stored


# -- login throttling --------------------------------------------------------------------------


async def recent_failures(
    session: AsyncSession, login: str, address: str, since: datetime
) -> tuple[int, int]:
    """Failures since a moment: (for this login, from this address)."""
    by_login = await session.scalar(
        select(func.count()).select_from(LoginFailureRow).where(
            LoginFailureRow.login == login, LoginFailureRow.at > since)
    )
    by_address = await session.scalar(
        select(func.count()).select_from(LoginFailureRow).where(
            LoginFailureRow.address == address, LoginFailureRow.at > since)
    )
    return int(by_login or 0), int(by_address or 0)


async def add_failure(session: AsyncSession, login: str, address: str, at: datetime) -> None:
    session.add(LoginFailureRow(login=login[:100], address=address[:64], at=at))
    await session.flush()


async def forget_failures(session: AsyncSession, login: str, before: datetime) -> None:
    """After a good login the account's count starts again; old rows of anyone are dropped."""
    await session.execute(delete(LoginFailureRow).where(
        or_(LoginFailureRow.login == login, LoginFailureRow.at < before)))


# -- API tokens --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None


async def add_token(
    session: AsyncSession, official_id: int, token_hash: str, label: str, now: datetime
) -> int:
    row = ApiTokenRow(official_id=official_id, token_hash=token_hash, label=label[:100],
                      created_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def official_for_token(session: AsyncSession, token_hash: str, now: datetime) -> int | None:
    """The official a live token belongs to (and mark it used), or None."""
    row = await session.scalar(select(ApiTokenRow).where(
        ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None)))
    if row is None:
        return None
    row.last_used_at = now
    await session.flush()
    return row.official_id


async def tokens_of(session: AsyncSession, official_id: int) -> list[TokenInfo]:
    rows = await session.scalars(select(ApiTokenRow).where(
        ApiTokenRow.official_id == official_id, ApiTokenRow.revoked_at.is_(None)
    ).order_by(ApiTokenRow.id))
    return [TokenInfo(r.id, r.label, _utc(r.created_at) or r.created_at, _utc(r.last_used_at))
            for r in rows]


async def revoke_token(session: AsyncSession, official_id: int, token_id: int,
                       now: datetime) -> bool:
    result = await session.execute(update(ApiTokenRow).where(
        ApiTokenRow.id == token_id, ApiTokenRow.official_id == official_id,
        ApiTokenRow.revoked_at.is_(None)).values(revoked_at=now))
    return bool(getattr(result, "rowcount", 0))


# -- residents ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """Where to look: one village, some communes (a commune, a district), or every commune
    under a wide unit (a province: thousands of communes are not sent as a list)."""

    village_id: int | None = None
    commune_ids: tuple[int, ...] = ()
    under: int | None = None


@dataclass(frozen=True, slots=True)
class ResidentQuery:
    place: Place
    status: str | None = None
    poverty: str | None = None
    policy: str | None = None
    name: str | None = None
    after_id: int = 0


@dataclass(frozen=True, slots=True)
class ResidentLine:
    resident: Resident
    household: Household
    village: str
    commune: str


def _in_place(place: Place) -> ColumnElement[bool]:
    if place.village_id is not None:
        return ResidentRow.village_id == place.village_id
    if place.under is None:
        return ResidentRow.commune_id.in_(place.commune_ids)
    # a commune hangs under a district or straight under its province (since 2025); asked
    # of each resident read, in id order, so that a page stops early (a list of thousands of
    # communes would be built and sent on every request)
    commune, parent = aliased(UnitRow), aliased(UnitRow)
    return (select(commune.id).outerjoin(parent, parent.id == commune.parent_id)
            .where(commune.id == ResidentRow.commune_id,
                   or_(commune.parent_id == place.under, parent.parent_id == place.under))
            .exists())


def _resident_filters(q: ResidentQuery, common: bool) -> list[ColumnElement[bool]]:
    where = [_in_place(q.place), ResidentRow.id > q.after_id]
    if q.status:
        where.append(ResidentRow.status == q.status)
    if q.poverty:
        where.append(HouseholdRow.poverty == q.poverty)
    if q.policy:
        where.append(HouseholdRow.policy == q.policy)
    if q.name and fold(q.name):
        where.append(name_match(q.name, common))
    return where


async def resident_page(session: AsyncSession, q: ResidentQuery, limit: int) -> list[ResidentLine]:
    """Up to limit residents after q.after_id, in id order (keyset: no OFFSET)."""
    has_name = bool(q.name and fold(q.name))
    common = has_name and await is_common(session, q.name or "")
    village, commune = aliased(UnitRow), aliased(UnitRow)
    query = (
        select(ResidentRow, HouseholdRow, village.name, commune.name)
        .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
        .join(village, village.id == ResidentRow.village_id)
        .join(commune, commune.id == ResidentRow.commune_id)
        .where(and_(*_resident_filters(q, common)))
        .order_by(ResidentRow.id)
        .limit(limit)
    )
    in_id_order = q.place.under is not None and (common or not has_name)
    async with _without_sort(session, in_id_order):
        rows = (await session.execute(query)).all()
    return [ResidentLine(resident_from_row(r), household_from_row(h), v, c)
            for r, h, v, c in rows]


@asynccontextmanager
async def _without_sort(session: AsyncSession, wanted: bool) -> AsyncIterator[None]:
    """Read a wide place in id order and stop at the page's end, on PostgreSQL too.

    Its planner cannot estimate how many residents a wide place (a test on each one's
    commune) and a common name (LIKE '% x%') keep: it guesses a handful, then fetches every
    match and sorts them (seconds for a surname at 1,000,000). SQLite reads in id order by
    itself: no index serves the test on the commune.
    """
    postgres = wanted and (await session.connection()).dialect.name == "postgresql"
    if postgres:
        await session.execute(text("SET LOCAL enable_sort = off"))
    yield
    # Back on for the request's other queries. After an error there is nothing to reset:
    # the transaction is aborted, and SET LOCAL ends with it.
    if postgres:
        await session.execute(text("RESET enable_sort"))


async def status_counts(session: AsyncSession, place: Place) -> dict[str, int]:
    query = (select(ResidentRow.status, func.count()).where(_in_place(place))
             .group_by(ResidentRow.status))
    return {status: int(n) for status, n in (await session.execute(query)).all()}


async def households_in_village(
    session: AsyncSession, village_id: int
) -> list[tuple[Household, int]]:
    """The village's households with how many of their people are registered."""
    members = (select(ResidentRow.household_id, func.count().label("n"))
               .group_by(ResidentRow.household_id).subquery())
    query = (select(HouseholdRow, func.coalesce(members.c.n, 0))
             .outerjoin(members, members.c.household_id == HouseholdRow.id)
             .where(HouseholdRow.village_id == village_id).order_by(HouseholdRow.code))
    return [(household_from_row(h), int(n)) for h, n in (await session.execute(query)).all()]


# -- audit trail -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditQuery:
    unit_ids: tuple[int, ...]
    entity: str | None = None
    entity_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    entry: AuditEntry
    actor_name: str | None


async def audit_page(session: AsyncSession, q: AuditQuery, limit: int) -> list[AuditLine]:
    """Newest first, before q.before_id (keyset)."""
    where: list[ColumnElement[bool]] = [AuditRow.unit_id.in_(q.unit_ids)]
    if q.entity:
        where.append(AuditRow.entity == q.entity)
    if q.entity_id is not None:
        where.append(AuditRow.entity_id == q.entity_id)
    if q.action:
        where.append(AuditRow.action == q.action)
    if q.since:
        where.append(AuditRow.at >= q.since)
    if q.until:
        where.append(AuditRow.at < q.until)
    if q.before_id:
        where.append(AuditRow.id < q.before_id)
    query = (select(AuditRow, OfficialRow.name)
             .outerjoin(OfficialRow, OfficialRow.id == AuditRow.actor_id)
             .where(and_(*where)).order_by(AuditRow.id.desc()).limit(limit))
    return [_audit_line(r, name) for r, name in (await session.execute(query)).all()]


def _audit_line(r: AuditRow, name: str | None) -> AuditLine:
    entry = AuditEntry(
        at=_utc(r.at) or r.at, actor=Actor(label=r.actor_label, official_id=r.actor_id),
        action=r.action, entity=r.entity, entity_id=r.entity_id, unit_id=r.unit_id,
        before=r.before, after=r.after,
    )
    return AuditLine(r.id, entry, name)


# -- officials ---------------------------------------------------------------------------------


async def officials_in(session: AsyncSession, unit_ids: Sequence[int]) -> list[Official]:
    rows = await session.scalars(select(OfficialRow).where(
        OfficialRow.unit_id.in_(list(unit_ids))).order_by(OfficialRow.unit_id, OfficialRow.id))
    return [official_from_row(r) for r in rows]


async def chats_of(
    session: AsyncSession, official_ids: Sequence[int]
) -> dict[int, list[ChatState]]:
    rows = await session.scalars(select(ChatRow).where(
        ChatRow.official_id.in_(list(official_ids))).order_by(ChatRow.id))
    out: dict[int, list[ChatState]] = {}
    for row in rows:
        out.setdefault(row.official_id or 0, []).append(chat_from_row(row))
    return out
