"""Coverage month by month (SqlReportViews.coverage_by_month): adults and households not yet
covered at the end of each month since the programme began, in two GROUP BY queries whatever
the number of months or people. As the report counts it (core.figures): over the pilot
communes' villages whose survey was done by each month's end, never over the others.

A person (or household) is uncovered from the moment they registered without a smartphone
(DESIGN 'Coverage') until their first support not cancelled. Each one's start and end fall in
a month bucket (a CASE over the month ends, the same SQL on SQLite and PostgreSQL); counting
(start bucket, end bucket) pairs gives every month's number by cumulative sums here. The same
reading of history as storage/report_queries.py: a later cancellation or rejection counts
as if it had always been so.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.figures import Month, MonthCoverage, coverage, path_up, pilot_villages, surveyed
from core.model import Status, SupportStatus
from core.report_runs import month_of
from storage.models import HouseholdRow, ReceiptRow, ResidentRow, SupportRow
from storage.sql import utc as _utc
from storage.units import units_of


async def programme_start(session: AsyncSession) -> datetime | None:
    """The first registration or receipt."""
    first = [await session.scalar(select(func.min(ResidentRow.registered_at))),
             await session.scalar(select(func.min(ReceiptRow.received_at)))]
    known = [_utc(x) for x in first if x is not None]
    return min(x for x in known if x is not None) if known else None


async def coverage_by_month(session: AsyncSession, dataset: str, unit_id: int,
                            now: datetime, tz: tzinfo) -> list[MonthCoverage]:
    """The unit's coverage at the end of each month from the programme's first to now's."""
    start = await programme_start(session)
    if start is None:
        return []
    months = _months(month_of(start, tz), month_of(now, tz))
    units = await units_of(session, dataset)
    by_id = {u.id: u for u in units}
    # each village's way up, not the unit's every unit below (a province's fifty thousand)
    villages = [v for v in pilot_villages(units) if unit_id in path_up(v.id, by_id)]
    ids = [v.id for v in villages]
    # their communes: the residents' indexed column, so a commune reads its own rows only
    communes = sorted({v.parent_id for v in villages if v.parent_id is not None})
    ends = [m.end for m in months]
    people = _by_village(await _pairs(session, _people(ids, communes), ends), len(months))
    homes = _by_village(await _pairs(session, _homes(ids, communes), ends), len(months))
    out: list[MonthCoverage] = []
    for k, month in enumerate(months):
        known = [v for v in villages if surveyed(v, month.end)]
        p = sum(people.get(v.id, [0] * len(months))[k] for v in known)
        h = sum(homes.get(v.id, [0] * len(months))[k] for v in known)
        adults = sum(v.adult_population or 0 for v in known)
        households = sum(v.household_population or 0 for v in known)
        out.append(MonthCoverage(month, p, h, coverage(p, adults), coverage(h, households)))
    return out


def _months(first: Month, last: Month) -> list[Month]:
    out = [first]
    while (out[-1].year, out[-1].month) < (last.year, last.month):
        m = out[-1]
        out.append(Month(m.year + m.month // 12, m.month % 12 + 1, m.tz))
    return out


def _first_support(communes: list[int]) -> Any:
    """Each resident's first support not cancelled, for the residents of these communes
    only (not every support of the country grouped for a commune's page)."""
    return (select(SupportRow.resident_id.label("resident_id"),
                   func.min(SupportRow.created_at).label("at"))
            .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
            .where(SupportRow.status != SupportStatus.CANCELLED.value,
                   ResidentRow.commune_id.in_(communes))
            .group_by(SupportRow.resident_id).subquery("first_support"))


def _people(villages: list[int], communes: list[int]) -> Any:
    """Each adult registered without a smartphone: (start, stop)."""
    served = _first_support(communes)
    return (select(ResidentRow.village_id.label("village"),
                   ResidentRow.registered_at.label("start"), served.c.at.label("stop"))
            .outerjoin(served, served.c.resident_id == ResidentRow.id)
            .where(~ResidentRow.has_smartphone, ResidentRow.status != Status.REJECTED.value,
                   ResidentRow.commune_id.in_(communes), ResidentRow.village_id.in_(villages)))


def _homes(villages: list[int], communes: list[int]) -> Any:
    """Each household with nobody holding a smartphone: from its first registration
    without one to the first support of any member."""
    served = _first_support(communes)
    waiting = (~ResidentRow.has_smartphone) & (ResidentRow.status != Status.REJECTED.value)
    per_home = (
        select(ResidentRow.household_id.label("household_id"),
               func.max(case((ResidentRow.has_smartphone, 1), else_=0)).label("phone"),
               func.min(case((waiting, ResidentRow.registered_at), else_=None)).label("start"),
               func.min(served.c.at).label("stop"))
        .outerjoin(served, served.c.resident_id == ResidentRow.id)
        # the households of these villages only (their index), not every household's members
        .where(ResidentRow.household_id.in_(
            select(HouseholdRow.id).where(HouseholdRow.village_id.in_(villages))))
        .group_by(ResidentRow.household_id).subquery("per_home"))
    return (select(HouseholdRow.village_id.label("village"), per_home.c.start, per_home.c.stop)
            .join(HouseholdRow, HouseholdRow.id == per_home.c.household_id)
            .where(~HouseholdRow.has_smartphone, per_home.c.phone == 0,
                   per_home.c.start.is_not(None), HouseholdRow.village_id.in_(villages)))


def _bucket(column: Any, ends: list[datetime]) -> Any:
    """The index of the first month whose end is after column (len(ends): none, or NULL)."""
    return case(*((column < end, i) for i, end in enumerate(ends)), else_=len(ends))


async def _pairs(session: AsyncSession, spans: Any, ends: list[datetime]
                 ) -> list[tuple[int, int, int, int]]:
    """(village, start bucket, end bucket, how many): the end is the stop, never before the
    start."""
    each = spans.subquery("spans")
    stop = case((each.c.stop < each.c.start, each.c.start), else_=each.c.stop)
    # Buckets labelled in a subquery first, grouped after: PostgreSQL would not match a
    # GROUP BY expression with bound values to the selected one.
    labelled = select(each.c.village, _bucket(each.c.start, ends).label("b0"),
                      _bucket(stop, ends).label("b1")).subquery("labelled")
    query = (select(labelled.c.village, labelled.c.b0, labelled.c.b1, func.count())
             .group_by(labelled.c.village, labelled.c.b0, labelled.c.b1))
    return [(int(v), int(a), int(b), int(n))
            for v, a, b, n in (await session.execute(query)).all()]


def _by_village(pairs: list[tuple[int, int, int, int]], months: int) -> dict[int, list[int]]:
    """Each village's uncovered at the end of each month."""
    grouped: dict[int, list[tuple[int, int, int]]] = {}
    for village, b0, b1, n in pairs:
        grouped.setdefault(village, []).append((b0, b1, n))
    return {village: _running(each, months) for village, each in grouped.items()}


def _running(pairs: list[tuple[int, int, int]], months: int) -> list[int]:
    """Uncovered at the end of month k: started by then, minus stopped by then."""
    started, stopped = [0] * (months + 1), [0] * (months + 1)
    for b0, b1, n in pairs:
        started[b0] += n
        stopped[b1] += n
    out: list[int] = []
    total = 0
    for k in range(months):
        total += started[k] - stopped[k]
        out.append(total)
    return out
