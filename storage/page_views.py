"""What the officials' pages read (core.ports.PageViews): lists and counts shaped for a page."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from core.model import Actor, AuditEntry, ChatState, Household, Official, Role
from core.names import fold
from core.page_views import (
    AuditLine,
    AuditQuery,
    HouseholdLine,
    InvitationLine,
    OfficialQuery,
    Place,
    ReceiptLine,
    ResidentLine,
    ResidentQuery,
    TokenInfo,
)
from storage.chats import chat_from_row
from storage.households import household_from_row
from storage.models import (
    ApiTokenRow,
    AuditRow,
    ChatRow,
    HouseholdRow,
    InviteRow,
    OfficialRow,
    PledgeRow,
    ReceiptRow,
    ResidentRow,
    UnitRow,
)
from storage.name_search import matches, name_match
from storage.officials import official_from_row
from storage.receipts import receipt_from_row
from storage.residents import resident_from_row
from storage.sql import CHUNK, among, utc
from storage.unit_tree import unit_revision


class SqlPageViews:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- residents -----------------------------------------------------------------------------

    async def resident_page(self, q: ResidentQuery, limit: int) -> list[ResidentLine]:
        """Up to limit residents after q.after_id (and q.offset more), in id order."""
        session = self._session
        has_name = bool(q.name and fold(q.name))
        ids = await matches(session, q.name or "") if has_name else None
        in_id_order = q.place.under is not None and (ids is None)  # no name, or a common one
        async with _without_sort(session, in_id_order):
            return await self._lines(and_(*_resident_filters(q, ids)), limit=limit,
                                     offset=q.offset)

    async def resident_count(self, q: ResidentQuery, limit: int | None = None) -> int:
        has_name = bool(q.name and fold(q.name))
        ids = await matches(self._session, q.name or "") if has_name else None
        found = (select(ResidentRow.id)
                 .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
                 .where(and_(*_resident_filters(q, ids))).limit(limit).subquery())
        return int(await self._session.scalar(select(func.count()).select_from(found)) or 0)

    async def resident_lines(self, resident_ids: Sequence[int]) -> dict[int, ResidentLine]:
        ids = sorted(set(resident_ids))
        out: dict[int, ResidentLine] = {}
        for start in range(0, len(ids), CHUNK):  # a commune's whole list, in bounded queries
            where = ResidentRow.id.in_(ids[start:start + CHUNK])
            out.update((x.resident.id, x) for x in await self._lines(where))
        return out

    async def _lines(self, where: ColumnElement[bool], *, limit: int | None = None,
                     offset: int = 0) -> list[ResidentLine]:
        village, commune = aliased(UnitRow), aliased(UnitRow)
        query = (
            select(ResidentRow, HouseholdRow, village.name, commune.name)
            .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
            .join(village, village.id == ResidentRow.village_id)
            .join(commune, commune.id == ResidentRow.commune_id)
            .where(where).order_by(ResidentRow.id).limit(limit).offset(offset)
        )
        return [ResidentLine(resident_from_row(r), household_from_row(h), v, c)
                for r, h, v, c in (await self._session.execute(query)).all()]

    async def status_counts(self, place: Place) -> dict[str, int]:
        query = (select(ResidentRow.status, func.count()).where(_in_place(place))
                 .group_by(ResidentRow.status))
        return {status: int(n) for status, n in (await self._session.execute(query)).all()}

    async def households_in_village(self, village_id: int) -> list[tuple[Household, int]]:
        """The village's households with how many of their people are registered."""
        rows = (await self._session.scalars(select(HouseholdRow).where(
            HouseholdRow.village_id == village_id).order_by(HouseholdRow.code))).all()
        members = await self._members([h.id for h in rows])
        return [(household_from_row(h), members.get(h.id, 0)) for h in rows]

    async def household_page(self, place: Place, offset: int, limit: int
                             ) -> list[HouseholdLine]:
        village, commune = aliased(UnitRow), aliased(UnitRow)
        query = (select(HouseholdRow, village.name, commune.name)
                 .join(village, village.id == HouseholdRow.village_id)
                 .join(commune, commune.id == HouseholdRow.commune_id)
                 .where(_in_place(place, HouseholdRow))
                 .order_by(*_household_order(place, village, commune))
                 .limit(limit).offset(offset))
        async with _without_sort(self._session, place.under is not None):
            rows = (await self._session.execute(query)).all()
        members = await self._members([h.id for h, _v, _c in rows])
        return [HouseholdLine(household_from_row(h), members.get(h.id, 0), v, c)
                for h, v, c in rows]

    async def _members(self, household_ids: Sequence[int]) -> dict[int, int]:
        """How many residents each of these households has: counted for the rows shown only
        (a GROUP BY over every resident took the whole register on each page)."""
        out: dict[int, int] = {}
        for start in range(0, len(household_ids), CHUNK):
            query = (select(ResidentRow.household_id, func.count())
                     .where(ResidentRow.household_id.in_(household_ids[start:start + CHUNK]))
                     .group_by(ResidentRow.household_id))
            out.update((int(h), int(n)) for h, n in (await self._session.execute(query)).all())
        return out

    async def household_count(self, place: Place, limit: int | None = None) -> int:
        found = (select(HouseholdRow.id).where(_in_place(place, HouseholdRow))
                 .limit(limit).subquery())
        return int(await self._session.scalar(select(func.count()).select_from(found)) or 0)

    # -- audit trail ---------------------------------------------------------------------------

    async def audit_page(self, q: AuditQuery, limit: int) -> list[AuditLine]:
        """Newest first, before q.before_id (keyset)."""
        where: list[ColumnElement[bool]] = [
            AuditRow.unit_id.in_(q.unit_ids) if q.under is None else _under(AuditRow.unit_id,
                                                                            q.under)]
        if q.entity:
            where.append(AuditRow.entity == q.entity)
        if q.entity_id is not None:
            where.append(AuditRow.entity_id == q.entity_id)
        if q.action:
            where.append(AuditRow.action == q.action)
        if q.actions:
            where.append(AuditRow.action.in_(q.actions))
        if q.hide_actions:
            where.append(AuditRow.action.not_in(q.hide_actions))
        if q.since:
            where.append(AuditRow.at >= q.since)
        if q.until:
            where.append(AuditRow.at < q.until)
        if q.before_id:
            where.append(AuditRow.id < q.before_id)
        query = (select(AuditRow, OfficialRow.name)
                 .outerjoin(OfficialRow, OfficialRow.id == AuditRow.actor_id)
                 .where(and_(*where)).order_by(AuditRow.id.desc()).limit(limit))
        return [_audit_line(r, name) for r, name in (await self._session.execute(query)).all()]

    # -- officials -----------------------------------------------------------------------------

    async def officials_in(self, unit_ids: Sequence[int]) -> list[Official]:
        rows = await self._session.scalars(select(OfficialRow).where(
            OfficialRow.unit_id.in_(list(unit_ids))).order_by(OfficialRow.unit_id, OfficialRow.id))
        return [official_from_row(r) for r in rows]

    async def official_page(self, q: OfficialQuery, offset: int, limit: int) -> list[Official]:
        rows = await self._session.scalars(
            select(OfficialRow).where(*_official_filters(q))
            .order_by(OfficialRow.unit_id, OfficialRow.id).limit(limit).offset(offset))
        return [official_from_row(r) for r in rows]

    async def official_count(self, q: OfficialQuery) -> int:
        query = select(func.count()).select_from(OfficialRow).where(*_official_filters(q))
        return int(await self._session.scalar(query) or 0)

    async def chats_of(self, official_ids: Sequence[int]) -> dict[int, list[ChatState]]:
        rows = await self._session.scalars(select(ChatRow).where(
            ChatRow.official_id.in_(list(official_ids))).order_by(ChatRow.id))
        out: dict[int, list[ChatState]] = {}
        for row in rows:
            out.setdefault(row.official_id or 0, []).append(chat_from_row(row))
        return out

    async def tokens_of(self, official_id: int) -> list[TokenInfo]:
        rows = await self._session.scalars(select(ApiTokenRow).where(
            ApiTokenRow.official_id == official_id, ApiTokenRow.revoked_at.is_(None)
        ).order_by(ApiTokenRow.id))
        return [token_info(r) for r in rows]

    async def pending_invitations(self, unit_ids: Sequence[int], now: datetime
                                  ) -> list[InvitationLine]:
        invited, inviter = aliased(OfficialRow), aliased(OfficialRow)
        query = (select(InviteRow, invited, inviter.name)
                 .join(invited, invited.id == InviteRow.official_id)
                 .outerjoin(inviter, inviter.id == InviteRow.created_by)
                 .where(among(invited.unit_id, unit_ids), InviteRow.used_at.is_(None),
                        InviteRow.revoked_at.is_(None), InviteRow.expires_at > now)
                 .order_by(InviteRow.expires_at, InviteRow.id))
        return [InvitationLine(i.id, o.id, o.name, Role(o.role), o.unit_id,
                               utc(i.created_at) or i.created_at,
                               utc(i.expires_at) or i.expires_at, by)
                for i, o, by in (await self._session.execute(query)).all()]

    # -- stock -------------------------------------------------------------------------------

    async def receipts_at(self, unit_ids: Sequence[int]) -> list[ReceiptLine]:
        query = (select(ReceiptRow, UnitRow.name, PledgeRow.code)
                 .join(UnitRow, UnitRow.id == ReceiptRow.unit_id)
                 .outerjoin(PledgeRow, PledgeRow.id == ReceiptRow.pledge_id)
                 .where(ReceiptRow.unit_id.in_(list(unit_ids)))
                 .order_by(ReceiptRow.received_at.desc(), ReceiptRow.id.desc()))
        return [ReceiptLine(receipt_from_row(r), unit, code)
                for r, unit, code in (await self._session.execute(query)).all()]

    # -- units ---------------------------------------------------------------------------------

    async def unit_revision(self) -> int:
        return await unit_revision(self._session)


def token_info(r: ApiTokenRow) -> TokenInfo:
    return TokenInfo(r.id, r.label, utc(r.created_at) or r.created_at, utc(r.last_used_at))


def _in_place(place: Place, row: type[ResidentRow] | type[HouseholdRow] = ResidentRow
              ) -> ColumnElement[bool]:
    """The residents (or households) of the place."""
    if place.village_id is not None:
        return row.village_id == place.village_id
    if place.under is None:
        return row.commune_id.in_(place.commune_ids)
    # a commune hangs under a district or straight under its province (since 2025); asked
    # of each resident read, in id order, so that a page stops early (a list of thousands of
    # communes would be built and sent on every request)
    commune, parent = aliased(UnitRow), aliased(UnitRow)
    return (select(commune.id).outerjoin(parent, parent.id == commune.parent_id)
            .where(commune.id == row.commune_id,
                   or_(commune.parent_id == place.under, parent.parent_id == place.under))
            .exists())


def _under(unit_id: InstrumentedAttribute[int] | InstrumentedAttribute[int | None], under: int
           ) -> ColumnElement[bool]:
    """The unit is `under` or hangs below it, at most three levels down (a village, its
    commune, a district): a province's fifty thousand units are not sent as a list (past
    the drivers' limit of bound parameters)."""
    unit, up1, up2 = aliased(UnitRow), aliased(UnitRow), aliased(UnitRow)
    return or_(unit_id == under, select(unit.id)
               .outerjoin(up1, up1.id == unit.parent_id)
               .outerjoin(up2, up2.id == up1.parent_id)
               .where(unit.id == unit_id,
                      or_(unit.parent_id == under, up1.parent_id == under,
                          up2.parent_id == under))
               .exists())


def _official_filters(q: OfficialQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        OfficialRow.unit_id.in_(q.unit_ids) if q.under is None
        else _under(OfficialRow.unit_id, q.under)]
    if q.role:
        where.append(OfficialRow.role == q.role)
    if q.name:
        typed = "%" + q.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(func.lower(OfficialRow.name).like(func.lower(typed), escape="\\"),
                         OfficialRow.login.like(typed.lower(), escape="\\")))
    return where


def _household_order(place: Place, village: type[UnitRow], commune: type[UnitRow]
                     ) -> tuple[InstrumentedAttribute[Any], ...]:
    """By commune, village and code; under a wide unit (thousands of communes) in the order
    of registration, so that a page is read and stopped at, not every household sorted."""
    if place.under is not None:
        return (HouseholdRow.id,)
    return (commune.name, village.name, HouseholdRow.code, HouseholdRow.id)


def _resident_filters(q: ResidentQuery, name_ids: Sequence[int] | None
                      ) -> list[ColumnElement[bool]]:
    """name_ids: the matches of a rare name (name_search.matches), None for a common one."""
    where = [_in_place(q.place), ResidentRow.id > q.after_id]
    if q.status:
        where.append(ResidentRow.status == q.status)
    if q.poverty:
        where.append(HouseholdRow.poverty == q.poverty)
    if q.policy:
        where.append(HouseholdRow.policy == q.policy)
    if q.name and fold(q.name):
        where.append(name_match(q.name, name_ids))
    return where


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


def _audit_line(r: AuditRow, name: str | None) -> AuditLine:
    entry = AuditEntry(
        at=utc(r.at) or r.at, actor=Actor(label=r.actor_label, official_id=r.actor_id),
        action=r.action, entity=r.entity, entity_id=r.entity_id, unit_id=r.unit_id,
        before=r.before, after=r.after,
    )
    return AuditLine(r.id, entry, name)
