"""The monthly report's sums (SqlReportViews.report_input): GROUP BY queries that hand
core.figures a few hundred numbers.

No row of a person is loaded into Python: every query groups in the database (by village,
unit, kind or pair of units), so the report costs the same few queries for a hundred
residents or a million. Times are compared in UTC, as they are stored.

What the figures can and cannot know (the tables keep no history of these):
- a support cancelled later is left out of every month, as if it had never been made;
- a registration rejected later is left out too; a resident's "has a smartphone" is the
  current answer, taken as true at every moment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.ages import latest_adult_birth
from core.figures import Month, Movement, ReportInput, Standing, Tally, Window
from core.model import (
    Confirmation,
    Level,
    PledgeKind,
    PledgeStatus,
    Policy,
    Poverty,
    Status,
    SupportKind,
    SupportStatus,
    Unit,
)
from core.priority import TIERS
from core.services.aftercare import ADOPTION_DAYS
from core.services.units import province_of
from storage.models import (
    CaseRow,
    FollowUpRow,
    GuidanceAttendeeRow,
    GuidanceSessionRow,
    HandoverRow,
    HouseholdRow,
    PledgeRow,
    ReceiptRow,
    ResidentRow,
    SupportRow,
    TransferRow,
    UnitRow,
)
from storage.sql import among, dialect
from storage.units import units_of

CANCELLED = SupportStatus.CANCELLED.value
REJECTED = Status.REJECTED.value
CONFIRMED = (Confirmation.CONFIRMED.value, Confirmation.PAPER.value)
# Which Tally field counts the people served by each kind of support.
SERVED_FIELD = {
    SupportKind.WHOLE.value: "assigned_whole",
    SupportKind.PARTIAL.value: "assigned_partial",
    SupportKind.SHOP_OFFER.value: "shop_offers",
    SupportKind.DIRECT_GIFT.value: "direct_gifts",
    SupportKind.OTHER_PROGRAMME.value: "other_programmes",
    SupportKind.OWN_PURCHASE.value: "own_purchases",
}

Counts = dict[int, dict[str, int]]


async def report_input(session: AsyncSession, dataset: str, month: Month,
                       within: Sequence[int] | None = None) -> ReportInput:
    """Every sum the month's report needs, for every unit of the dataset; within: only for
    these units (a unit and everything below it), each sum over their rows alone, so a
    commune's figures cost a commune's rows. The figures of a unit whose subtree is within
    are the same either way."""
    await _plan_for_each_list(session)
    units = await units_of(session, dataset)
    province = province_of(units)  # where a pledge earmarked for no commune counts
    scope = EVERYWHERE
    if within is not None:
        scope = _within(units, set(within))
    at_start, at_end = await standings_at(session, [
        (month.start, month.first_day - timedelta(days=1)), (month.end, month.last_day)],
        scope)
    in_month, to_date = await windows(session, month, province.id if province else None,
                                      scope)
    return ReportInput(
        month=month,
        units=units,
        in_month=in_month,
        to_date=to_date,
        at_start=at_start,
        at_end=at_end,
    )


async def above_communes_input(session: AsyncSession, dataset: str, month: Month,
                               root: int, above: Sequence[int],
                               within: Sequence[int] | None = None) -> ReportInput:
    """The month's sums of these units above the communes: what was pledged, received and
    drawn there, with no standing (people live in villages); and the movements of stock
    touching within (None: all) between root's children, which the communes' kept sums
    leave out (core.figures.Summed). Enough for the figures of root and its children, not
    for any unit's own."""
    await _plan_for_each_list(session)
    units = await units_of(session, dataset)
    province = province_of(units)
    moved = EVERYWHERE if within is None else _Scope(sorted(within))
    in_month, to_date = await windows(session, month, province.id if province else None,
                                      _Scope(sorted(above), [], whole=True), moved, root)
    return ReportInput(month=month, units=units, in_month=in_month, to_date=to_date,
                       at_start={}, at_end={})


async def _plan_for_each_list(session: AsyncSession) -> None:
    """Plan each sum for the lists it is given, until the transaction ends. asyncpg prepares
    the statements, and after five runs PostgreSQL may keep one plan for any list, guessed
    without the values: a district's dashboard at 1,000,000 residents went from 0.2 s to
    0.6 s at the sixth run."""
    if dialect(session) == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _within(units: Sequence[Unit], ids: set[int]) -> _Scope:
    """The scope of these units: their villages, and the communes those lie in."""
    communes = {u.parent_id for u in units if u.id in ids and u.level is Level.VILLAGE
                and u.parent_id is not None} | {
        u.id for u in units if u.id in ids and u.level is Level.COMMUNE}
    whole = all(u.id in ids for u in units
                if u.level is Level.VILLAGE and u.parent_id in communes)
    return _Scope(sorted(ids), sorted(communes), whole)


# ---- what happened in the month and to date ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scope:
    """The units a report is asked for (None: all): a condition on a unit column."""

    ids: list[int] | None
    communes: list[int] | None = None  # the communes its villages lie in
    whole: bool = False  # every village of those communes is in ids

    def has(self, column: Any) -> ColumnElement[bool]:
        return true() if self.ids is None else among(column, self.ids)

    def residents(self) -> ColumnElement[bool]:
        """Residents of its villages, found by their commune first (the indexed column).
        The villages are not named when the communes are whole: PostgreSQL takes the two
        lists as independent and expects a district's 10,000 residents to be one, then
        sums the people served once for each of them (a district's dashboard at 1,000,000
        residents ran for over ten minutes)."""
        if self.ids is None:
            return true()
        communes = among(ResidentRow.commune_id, self.communes or [])
        return communes if self.whole else and_(communes, among(ResidentRow.village_id,
                                                                self.ids))


EVERYWHERE = _Scope(None)


async def windows(session: AsyncSession, month: Month, province_id: int | None,
                  scope: _Scope = EVERYWHERE, moved: _Scope | None = None,
                  root: int | None = None) -> tuple[Window, Window]:
    """Own tallies per unit in the month and from the beginning to the month's end, and the
    movements of stock touching the units of moved (by default scope's; root: see
    _movements). Each table is read once for both: the month is the part of the to-date
    rows that falls in it, summed beside them."""
    both: tuple[Counts, Counts] = (defaultdict(lambda: defaultdict(int)),
                                   defaultdict(lambda: defaultdict(int)))
    span = _Span(month.start, month.end)
    await _registrations(session, both, span, scope)
    await _pledges(session, both, span, province_id, scope)
    await _receipts(session, both, span, scope)
    await _supports(session, both, span, scope)
    await _drawn(session, both, span, scope)
    await _handovers(session, both, span, scope)
    await _follow_ups(session, both, span, scope)
    await _cases(session, both, span, scope)
    await _guidance(session, both, month, scope)
    movements = await _movements(session, span, scope if moved is None else moved, root)
    return tuple(  # type: ignore[return-value]
        Window({unit_id: Tally(**fields) for unit_id, fields in counts.items()}, moved)
        for counts, moved in zip(both, movements, strict=True))


@dataclass(frozen=True, slots=True)
class _Span:
    """The month [start, end); to date is everything before end."""

    start: datetime
    end: datetime

    def month(self, column: Any) -> ColumnElement[bool]:
        return and_(column >= self.start, column < self.end)

    def to_date(self, column: Any) -> ColumnElement[bool]:
        return column < self.end  # type: ignore[no-any-return]


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _sum_if(condition: ColumnElement[bool], value: Any) -> Any:
    return func.sum(case((condition, value), else_=0))


def _add(both: tuple[Counts, Counts], unit_id: int, field: str, month: Any,
         to_date: Any) -> None:
    both[0][unit_id][field] += int(month or 0)  # NUMERIC sums on PostgreSQL: int() them
    both[1][unit_id][field] += int(to_date or 0)


async def _registrations(session: AsyncSession, both: tuple[Counts, Counts],
                         span: _Span, scope: _Scope) -> None:
    approved = ResidentRow.status == Status.APPROVED.value
    query = (
        select(ResidentRow.village_id,
               _count_if(span.month(ResidentRow.registered_at)),
               _count_if(span.to_date(ResidentRow.registered_at)),
               _count_if(and_(approved, span.month(ResidentRow.approved_at))),
               _count_if(and_(approved, span.to_date(ResidentRow.approved_at))))
        .where(~ResidentRow.has_smartphone, ResidentRow.status != REJECTED,
               scope.residents(),
               or_(span.to_date(ResidentRow.registered_at),
                   and_(approved, span.to_date(ResidentRow.approved_at))))
        .group_by(ResidentRow.village_id)
    )
    for village_id, reg_m, reg_t, appr_m, appr_t in (await session.execute(query)).all():
        _add(both, village_id, "registered", reg_m, reg_t)
        _add(both, village_id, "approved", appr_m, appr_t)


async def _pledges(session: AsyncSession, both: tuple[Counts, Counts], span: _Span,
                   province_id: int | None, scope: _Scope) -> None:
    """By the commune a pledge is earmarked for; the others count for the province."""
    in_month = span.month(PledgeRow.created_at)
    query = (
        select(PledgeRow.commune_id, PledgeRow.kind,
               _sum_if(in_month, PledgeRow.quantity), func.sum(PledgeRow.quantity),
               _sum_if(in_month, PledgeRow.amount), func.sum(PledgeRow.amount),
               _count_if(in_month), func.count())
        .where(PledgeRow.status != PledgeStatus.CANCELLED.value,
               span.to_date(PledgeRow.created_at),
               # earmarked for no commune: the province's, in a scope that holds it
               scope.has(func.coalesce(PledgeRow.commune_id, province_id or 0)))
        .group_by(PledgeRow.commune_id, PledgeRow.kind)
    )
    for commune_id, kind, qty_m, qty_t, amount_m, amount_t, n_m, n_t in (
            await session.execute(query)).all():
        unit_id = commune_id if commune_id is not None else province_id
        if unit_id is None:
            continue
        if kind == PledgeKind.PHONES.value:
            _add(both, unit_id, "pledged_phones", qty_m, qty_t)
        elif kind == PledgeKind.MONEY.value:
            _add(both, unit_id, "pledged_money", amount_m, amount_t)
        else:
            _add(both, unit_id, "pledged_offers", n_m, n_t)


async def _receipts(session: AsyncSession, both: tuple[Counts, Counts], span: _Span,
                    scope: _Scope) -> None:
    in_month = span.month(ReceiptRow.received_at)
    query = (
        select(ReceiptRow.unit_id, ReceiptRow.source, _sum_if(in_month, ReceiptRow.phones),
               func.sum(ReceiptRow.phones), _sum_if(in_month, ReceiptRow.money),
               func.sum(ReceiptRow.money))
        .where(span.to_date(ReceiptRow.received_at), scope.has(ReceiptRow.unit_id))
        .group_by(ReceiptRow.unit_id, ReceiptRow.source)
    )
    for unit_id, source, phones_m, phones_t, money_m, money_t in (
            await session.execute(query)).all():
        _add(both, unit_id, "received_phones", phones_m, phones_t)
        _add(both, unit_id, "received_money", money_m, money_t)
        if source:  # plan IV: each source reported apart (none recorded: in the totals only)
            _add(both, unit_id, f"received_phones_{source}", phones_m, phones_t)
            _add(both, unit_id, f"received_money_{source}", money_m, money_t)


async def _supports(session: AsyncSession, both: tuple[Counts, Counts], span: _Span,
                    scope: _Scope) -> None:
    """People served, by the village they live in and how."""
    in_month = span.month(SupportRow.created_at)
    query = (
        select(ResidentRow.village_id, SupportRow.kind, _count_if(in_month), func.count(),
               _sum_if(in_month, SupportRow.amount), func.sum(SupportRow.amount))
        .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
        .where(SupportRow.status != CANCELLED, span.to_date(SupportRow.created_at),
               scope.residents())
        .group_by(ResidentRow.village_id, SupportRow.kind)
    )
    for village_id, kind, n_m, n_t, amount_m, amount_t in (await session.execute(query)).all():
        _add(both, village_id, SERVED_FIELD[kind], n_m, n_t)
        if kind == SupportKind.PARTIAL.value:
            _add(both, village_id, "assigned_partial_money", amount_m, amount_t)


async def _drawn(session: AsyncSession, both: tuple[Counts, Counts], span: _Span,
                 scope: _Scope) -> None:
    """What assignments took from the stock of the unit that held it."""
    in_month = span.month(SupportRow.created_at)
    query = (
        select(SupportRow.holder_unit_id, SupportRow.kind, _count_if(in_month), func.count(),
               _sum_if(in_month, SupportRow.amount), func.sum(SupportRow.amount))
        .where(SupportRow.holder_unit_id.is_not(None), SupportRow.status != CANCELLED,
               SupportRow.kind.in_([SupportKind.WHOLE.value, SupportKind.PARTIAL.value]),
               span.to_date(SupportRow.created_at), scope.has(SupportRow.holder_unit_id))
        .group_by(SupportRow.holder_unit_id, SupportRow.kind)
    )
    for unit_id, kind, n_m, n_t, amount_m, amount_t in (await session.execute(query)).all():
        if kind == SupportKind.WHOLE.value:
            _add(both, unit_id, "drawn_phones", n_m, n_t)
        else:
            _add(both, unit_id, "drawn_money", amount_m, amount_t)


async def _handovers(session: AsyncSession, both: tuple[Counts, Counts], span: _Span,
                     scope: _Scope) -> None:
    confirmed = HandoverRow.confirmation.in_(CONFIRMED)
    query = (
        select(ResidentRow.village_id,
               _count_if(span.month(HandoverRow.handed_at)),
               _count_if(span.to_date(HandoverRow.handed_at)),
               _count_if(and_(confirmed, span.month(HandoverRow.confirmed_at))),
               _count_if(and_(confirmed, span.to_date(HandoverRow.confirmed_at))))
        .join(SupportRow, SupportRow.id == HandoverRow.support_id)
        .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
        .where(SupportRow.status != CANCELLED, scope.residents(),
               or_(span.to_date(HandoverRow.handed_at),
                   and_(confirmed, span.to_date(HandoverRow.confirmed_at))))
        .group_by(ResidentRow.village_id)
    )
    for village_id, handed_m, handed_t, conf_m, conf_t in (await session.execute(query)).all():
        _add(both, village_id, "handed_over", handed_m, handed_t)
        _add(both, village_id, "confirmed", conf_m, conf_t)


async def _follow_ups(session: AsyncSession, both: tuple[Counts, Counts], span: _Span,
                      scope: _Scope) -> None:
    """The 30- and 90-day answers, and those in which the phone is used for something."""
    answered = FollowUpRow.answered_at
    used = func.json_array_length(FollowUpRow.uses) > 0
    query = (
        select(ResidentRow.village_id, FollowUpRow.day,
               _count_if(span.month(answered)), func.count(),
               _count_if(and_(used, span.month(answered))), _count_if(used))
        .join(HandoverRow, HandoverRow.id == FollowUpRow.handover_id)
        .join(SupportRow, SupportRow.id == HandoverRow.support_id)
        .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
        .where(FollowUpRow.day.in_(ADOPTION_DAYS), FollowUpRow.phone_state.is_not(None),
               span.to_date(answered), scope.residents())
        .group_by(ResidentRow.village_id, FollowUpRow.day)
    )
    for village_id, day, n_m, n_t, used_m, used_t in (await session.execute(query)).all():
        _add(both, village_id, f"answered_{day}", n_m, n_t)
        _add(both, village_id, f"using_{day}", used_m, used_t)


async def _cases(session: AsyncSession, both: tuple[Counts, Counts], span: _Span,
                 scope: _Scope) -> None:
    query = (
        select(ResidentRow.village_id, _count_if(span.month(CaseRow.opened_at)), func.count())
        .join(HandoverRow, HandoverRow.id == CaseRow.handover_id)
        .join(SupportRow, SupportRow.id == HandoverRow.support_id)
        .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
        .where(span.to_date(CaseRow.opened_at), scope.residents())
        .group_by(ResidentRow.village_id)
    )
    for village_id, n_m, n_t in (await session.execute(query)).all():
        _add(both, village_id, "cases_opened", n_m, n_t)


async def _guidance(session: AsyncSession, both: tuple[Counts, Counts], month: Month,
                    scope: _Scope) -> None:
    """Sessions by the day they were held (a local date), not the day they were recorded."""
    held = GuidanceSessionRow.held_on
    in_month = and_(held >= month.first_day, held < month.first_day_after)
    sessions = (
        select(GuidanceSessionRow.village_id, _count_if(in_month), func.count())
        .where(held < month.first_day_after, scope.has(GuidanceSessionRow.village_id))
        .group_by(GuidanceSessionRow.village_id)
    )
    for village_id, n_m, n_t in (await session.execute(sessions)).all():
        _add(both, village_id, "guidance_sessions", n_m, n_t)
    came = sessions.join(GuidanceAttendeeRow,
                         GuidanceAttendeeRow.session_id == GuidanceSessionRow.id)
    for village_id, n_m, n_t in (await session.execute(came)).all():
        _add(both, village_id, "guided", n_m, n_t)


async def _movements(session: AsyncSession, span: _Span, scope: _Scope,
                     root: int | None = None) -> tuple[list[Movement], list[Movement]]:
    """The stock moved between each pair of units touching scope. root: between the units
    just below root (a commune of another of its children counts as that child), which is
    all the crossings of the root and its children need: a province's ten thousand pairs
    of units are its hundred districts' few dozen."""
    ends: list[Any] = [TransferRow.from_unit_id, TransferRow.to_unit_id]
    joins: list[Any] = []
    if root is not None:
        for i, column in enumerate(list(ends)):
            unit = aliased(UnitRow)
            joins.append((unit, unit.id == column))
            ends[i] = case((and_(unit.level == Level.COMMUNE.value, unit.parent_id != root),
                            unit.parent_id), else_=unit.id)
    inner = select(ends[0].label("a"), ends[1].label("b"), TransferRow.at, TransferRow.phones,
                   TransferRow.money)
    for unit, on in joins:
        inner = inner.join(unit, on)
    # grouped outside: grouping by expressions with bound values would not match the
    # selected ones on PostgreSQL
    moved = inner.where(span.to_date(TransferRow.at), or_(
        scope.has(TransferRow.from_unit_id), scope.has(TransferRow.to_unit_id))).subquery()
    in_month = span.month(moved.c.at)
    query = (
        select(moved.c.a, moved.c.b, _count_if(in_month), _sum_if(in_month, moved.c.phones),
               func.sum(moved.c.phones), _sum_if(in_month, moved.c.money),
               func.sum(moved.c.money))
        .group_by(moved.c.a, moved.c.b)
        .order_by(moved.c.a, moved.c.b)
    )
    month: list[Movement] = []
    to_date: list[Movement] = []
    for a, b, n_m, phones_m, phones_t, money_m, money_t in (await session.execute(query)).all():
        if n_m:  # a pair that moved nothing this month is not among the month's movements
            month.append(Movement(a, b, int(phones_m or 0), int(money_m or 0)))
        to_date.append(Movement(a, b, int(phones_t or 0), int(money_t or 0)))
    return month, to_date


# ---- where people stood at a moment -----------------------------------------------------------


async def standings_at(session: AsyncSession, moments: Sequence[tuple[datetime, date]],
                       scope: _Scope = EVERYWHERE) -> list[dict[int, Standing]]:
    """Per moment (the instant `at`, adults on the day `on`) and village: adults and
    households not covered, and the people waiting in each tier (eligible as core.priority
    decides). The residents are read once for all the moments: the month's start and end
    cost one pass, not two."""
    served = _served(max(at for at, _ in moments), scope)
    home = _home(served, [at for at, _ in moments], scope)
    adults = await _people(session, served,
                           _whole_homes(max(at for at, _ in moments), scope), moments, scope)
    homes = await _homes(session, home, len(moments), scope)
    out: list[dict[int, Standing]] = []
    for i in range(len(moments)):
        by_village: dict[int, Standing] = {}
        for village_id in adults[i].keys() | homes[i].keys():
            uncovered, whole, partial = adults[i].get(village_id, (0, [0] * TIERS, [0] * TIERS))
            by_village[village_id] = Standing(uncovered, homes[i].get(village_id, 0),
                                              tuple(whole), tuple(partial))
        out.append(by_village)
    return out


def _served(before: datetime, scope: _Scope) -> Any:
    """Per resident served before `before`: when first (one row a person, however many
    supports); in a scope, its residents only."""
    query = (
        select(SupportRow.resident_id.label("resident_id"),
               func.min(SupportRow.created_at).label("first_at"))
        .where(SupportRow.status != CANCELLED, SupportRow.created_at < before)
        .group_by(SupportRow.resident_id)
    )
    if scope.ids is not None:
        query = query.join(ResidentRow, ResidentRow.id == SupportRow.resident_id).where(
            scope.residents())
    return query.subquery("served")


def _whole_homes(before: datetime, scope: _Scope) -> Any:
    """Per household given a whole phone before `before`: when first. Few rows (those
    served), where _home has one per household: the tiers need only this."""
    return (
        select(ResidentRow.household_id.label("household_id"),
               func.min(SupportRow.created_at).label("whole_at"))
        .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
        .where(SupportRow.status != CANCELLED, SupportRow.kind == SupportKind.WHOLE.value,
               SupportRow.created_at < before, scope.residents())
        .group_by(ResidentRow.household_id)
        .subquery("whole_homes")
    )


def _home(served: Any, moments: Sequence[datetime], scope: _Scope) -> Any:
    """Per household: someone has a smartphone, and at each moment i: someone was served
    (served_i), someone registered is still without a smartphone (waiting_i)."""
    columns: list[Any] = [
        ResidentRow.household_id.label("household_id"),
        func.max(case((ResidentRow.has_smartphone, 1), else_=0)).label("phone"),
    ]
    for i, at in enumerate(moments):
        waiting = and_(ResidentRow.registered_at < at, ResidentRow.status != REJECTED,
                       ~ResidentRow.has_smartphone)
        columns += [
            func.max(case((served.c.first_at < at, 1), else_=0)).label(f"served_{i}"),
            func.max(case((waiting, 1), else_=0)).label(f"waiting_{i}"),
        ]
    return (
        select(*columns)
        .outerjoin(served, served.c.resident_id == ResidentRow.id)
        .where(scope.residents())
        .group_by(ResidentRow.household_id)
        .subquery("home")
    )


async def _people(session: AsyncSession, served: Any, whole_homes: Any,
                  moments: Sequence[tuple[datetime, date]], scope: _Scope
                  ) -> list[dict[int, tuple[int, list[int], list[int]]]]:
    """Per moment and village: adults not covered, and the eligible by whole and partial
    tier."""
    poor = HouseholdRow.poverty == Poverty.POOR.value
    whole_tier = case(
        (HouseholdRow.policy == Policy.MERIT.value, 1),
        (HouseholdRow.policy == Policy.SOCIAL.value, 2),
        (poor, 3),
        else_=4,
    )
    facts: list[Any] = []
    for i, (at, on) in enumerate(moments):
        unserved = or_(served.c.first_at.is_(None), served.c.first_at >= at)
        uncovered = and_(ResidentRow.registered_at < at, ~ResidentRow.has_smartphone, unserved)
        eligible = and_(
            uncovered, ResidentRow.status == Status.APPROVED.value,
            ResidentRow.approved_at < at, HouseholdRow.poverty != Poverty.NONE.value,
            ResidentRow.date_of_birth <= latest_adult_birth(on),
        )
        partial_tier = case((poor, 1), else_=3) + case((whole_homes.c.whole_at < at, 1),
                                                       else_=0)
        facts += [case((uncovered, 1), else_=0).label(f"uncovered_{i}"),
                  case((eligible, whole_tier), else_=None).label(f"whole_{i}"),
                  case((eligible, partial_tier), else_=None).label(f"partial_{i}")]
    # Each resident's facts first, grouped after: grouping by expressions with bound values
    # would not match the selected ones on PostgreSQL.
    each = (
        select(ResidentRow.village_id.label("village_id"), *facts)
        .join(HouseholdRow, HouseholdRow.id == ResidentRow.household_id)
        .outerjoin(whole_homes, whole_homes.c.household_id == ResidentRow.household_id)
        .outerjoin(served, served.c.resident_id == ResidentRow.id)
        .where(ResidentRow.registered_at < max(at for at, _ in moments),
               ResidentRow.status != REJECTED, scope.residents())
        .subquery("each")
    )
    keys = [c for c in each.c if c.name != "village_id"]
    query = select(each.c.village_id, *keys, func.count()).group_by(each.c.village_id, *keys)
    out: list[dict[int, tuple[int, list[int], list[int]]]] = [{} for _ in moments]
    for village_id, *values, n in (await session.execute(query)).all():
        for i, found in enumerate(out):
            is_uncovered, whole, partial = values[3 * i:3 * i + 3]
            uncovered_n, by_whole, by_partial = found.setdefault(
                village_id, (0, [0] * TIERS, [0] * TIERS))
            if whole is not None:
                by_whole[int(whole) - 1] += int(n)
                by_partial[int(partial) - 1] += int(n)
            found[village_id] = (uncovered_n + int(is_uncovered) * int(n), by_whole, by_partial)
    return out


async def _homes(session: AsyncSession, home: Any, moments: int, scope: _Scope
                 ) -> list[dict[int, int]]:
    """Per moment and village: households with someone registered and waiting, nobody in
    them with a smartphone and nobody served."""
    counted = [func.sum(case((and_(home.c[f"served_{i}"] == 0, home.c[f"waiting_{i}"] == 1), 1),
                             else_=0)) for i in range(moments)]
    query = (
        select(HouseholdRow.village_id, *counted)
        .join(home, home.c.household_id == HouseholdRow.id)
        .where(~HouseholdRow.has_smartphone, home.c.phone == 0,
               scope.has(HouseholdRow.village_id))
        .group_by(HouseholdRow.village_id)
    )
    out: list[dict[int, int]] = [{} for _ in range(moments)]
    for village_id, *counts in (await session.execute(query)).all():
        for i, n in enumerate(counts):
            if n:
                out[i][village_id] = int(n)
    return out
