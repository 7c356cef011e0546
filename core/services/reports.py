"""The monthly report built, stored and sent exactly once per unit and month.

The (unit, month) row, figures and all, is written in the transaction that queues one message
per linked official, and only if it was not there: whoever commits first (a process, the
CLI, a restart catching up) has built and sent it; everyone after is told when that
happened. The monthly run takes a batch of units per transaction, with a few statements for
the whole batch. The sums come from uow.views (storage), the figures from core.figures, and
the stored JSON and chat text from a Builder that bot/ wires (the formats live in documents/).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from core.dates import format_date
from core.errors import RuleError
from core.figures import Kept, Month, Report, compute, path_up, roll_up
from core.messages import Reply
from core.model import Actor, ChatState, Level, Official, Unit
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.report_runs import ReportRun, due_month
from core.review import cumulative, months_between
from core.services.audit import record
from core.services.outbox import enqueue_all
from core.services.scope import require_within
from core.services.units import province_of

ALREADY = ("reports-already-sent", "reports-already-built")
REPORTED_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
# Units per transaction in a run: few enough that the write lock is held briefly (SQLite
# writes one transaction at a time), enough that ten thousand communes do not pay a
# commit and a round of queries each.
BATCH = 100


async def monthly_report(uow: UnitOfWork, dataset: str, month: Month, unit_id: int,
                         within: Sequence[int] | None = None) -> Report:
    """The month's figures for a unit and every unit below it: what the CLI, the admin and
    the scheduler all call. within: the unit and every unit below it, when the caller knows
    them, so that only their rows are summed (the same figures, a commune's cost)."""
    data = await uow.views.report_input(dataset, month, within)
    if within is not None:
        # the roll-up needs the unit, what is below it and the way up (a village's commune
        # says whether it is a pilot), not a country's every unit sorted on each look
        data = replace(data, units=_with_way_up(data.units, unit_id, set(within)))
    return compute(data, unit_id)


def _with_way_up(units: Sequence[Unit], unit_id: int, within: set[int]) -> list[Unit]:
    """The units of within and those above unit_id."""
    keep = within | set(path_up(unit_id, {u.id: u for u in units}))
    return [u for u in units if u.id in keep]


async def kept_report(uow: UnitOfWork, month: Month, unit: Unit, below: Collection[Unit],
                      communes: Sequence[Unit], shown: Sequence[Unit]
                      ) -> tuple[Report, dict[str, int]]:
    """The month so far of a unit above the communes (a district, a province) and its
    residents by status, from its communes' kept sums: those whose rows changed since (or
    never kept for the month) are summed again and kept first, so the figures are
    monthly_report's at the cost of what changed since the last look. below: the unit and
    every unit under it; communes: those among them; shown: the unit and those under it down
    to the communes (what a caller that asks often keeps at hand)."""
    kept, _again = await _kept_now(uow, month, unit, below, [c.id for c in communes])
    # a roll-up that stops at the communes needs no village (nor do the movements:
    # villages hold no stock)
    top = await uow.views.above_communes_input(
        unit.dataset, month, unit.id, [u.id for u in shown if u.level is not Level.COMMUNE],
        None if unit.parent_id is None else [u.id for u in below])
    rolled = roll_up(replace(top, units=shown), [unit.id], {c: k.sums for c, k in kept.items()})
    # no unit's own figures: the movements were taken between the root's children
    report = replace(rolled.report(unit.id), own={})
    statuses: dict[str, int] = {}
    for k in kept.values():
        for status, n in k.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    return report, statuses


async def keep_figures(uow_factory: UnitOfWorkFactory, dataset: str, month: Month) -> int:
    """Sum again and keep the month of every commune of the dataset whose rows changed (or
    none kept for the month): the hourly tick's, so that a dashboard's first look in a month
    or after a busy hour costs what changed since, not a province's every resident. How
    many communes were summed."""
    async with uow_factory() as uow:
        units = await uow.units.all(dataset)
        top = province_of(units)
        if top is None:
            return 0
        _kept, again = await _kept_now(uow, month, top, units,
                                       [u.id for u in units if u.level is Level.COMMUNE])
    return again


async def _kept_now(uow: UnitOfWork, month: Month, unit: Unit, below: Collection[Unit],
                    communes: Sequence[int]) -> tuple[dict[int, Kept], int]:
    """The communes' month as kept, those stale summed again and kept first; and how many
    were summed."""
    stale = await uow.figures.stale(unit.dataset, communes)
    kept = await uow.figures.kept(month.label, communes)
    again = set(stale.communes) | (set(communes) - kept.keys())
    # most of them (a new month): every commune summed in one pass over the rows costs less
    # than a list of nearly all of them
    fresh = await _summed(uow, month, unit, below,
                          communes if 2 * len(again) > len(communes) else sorted(again))
    if (fresh or stale.marks) and await uow.figures.keep(stale, month.label, fresh):
        await uow.commit()
    return kept | fresh, len(fresh)


async def _summed(uow: UnitOfWork, month: Month, unit: Unit, below: Collection[Unit],
                  communes: Sequence[int]) -> dict[int, Kept]:
    """These communes' month summed from their rows."""
    if not communes:
        return {}
    chosen = set(communes)
    everything = len(chosen) == sum(u.level is Level.COMMUNE for u in below)
    within = (None if everything and unit.parent_id is None
              else [u.id for u in below if u.id in chosen or u.parent_id in chosen])
    rolled = roll_up(await uow.views.report_input(unit.dataset, month, within), communes)
    statuses = await uow.figures.statuses(communes)
    return {c: Kept(rolled.sums[c], statuses[c]) for c in communes}


async def period_report(uow: UnitOfWork, dataset: str, first: Month, last: Month,
                        unit_id: int) -> Report:
    """The final review's figures: each month computed as its monthly report is, then put
    together over the period (core.review)."""
    months = months_between(first, last)
    return cumulative([await monthly_report(uow, dataset, m, unit_id) for m in months])


@dataclass(frozen=True, slots=True)
class Built:
    """A unit's report for a month: the figures to store and its chat text by locale."""

    figures: dict[str, object]
    text: Callable[[str], str]


Builder = Callable[[UnitOfWork, Unit, Month], Awaitable[Built]]


async def build_and_send(
    uow: UnitOfWork, unit: Unit, month: Month, *, build: Builder, now: datetime,
    trigger: str, locale: str = "vi",
) -> ReportRun:
    """Claim (unit, month), store its figures and queue it to each official of the unit who
    has a linked chat; the caller commits. A RuleError if it was built before."""
    runs = await build_and_send_all(uow, [unit], month, build=build, now=now,
                                    trigger=trigger, locale=locale)
    if not runs:
        raise already_done(await uow.reports.for_unit(unit.id, month.label), unit, month)
    return runs[0]


async def build_and_send_all(
    uow: UnitOfWork, units: Sequence[Unit], month: Month, *, build: Builder, now: datetime,
    trigger: str, locale: str = "vi",
) -> list[ReportRun]:
    """build_and_send for several units in one transaction, with a few statements for all
    of them; a unit whose month was claimed before is skipped (not in the list returned)."""
    found = await uow.reports.recipients([u.id for u in units])
    readers = {unit.id: found.get(unit.id, []) for unit in units}
    built = {unit.id: await build(uow, unit, month) for unit in units}
    claimed = await uow.reports.claim([
        ReportRun(id=0, unit_id=unit.id, month=month.label, built_at=now, trigger=trigger[:100],
                  sent_at=now if readers[unit.id] else None,
                  recipients=_recipients(readers[unit.id]), figures=built[unit.id].figures)
        for unit in units])
    mine = [u for u in units if u.id in claimed]
    messages = [(chat, Reply("reports-message",
                             {"text": built[unit.id].text(chat.locale or locale)}),
                 _key(unit, month, official.id))
                for unit in mine for official, chat in readers[unit.id]]
    queued = await enqueue_all(uow, messages, now, locale)
    # A copy already queued under its key (a run whose row was taken away) is not sent again
    # and not counted as sent now: the rare run that loses a recipient is written again.
    redone: dict[int, ReportRun] = {}
    for unit in mine:
        kept = [(official, chat) for official, chat in readers[unit.id]
                if _key(unit, month, official.id) in queued]
        if len(kept) != len(readers[unit.id]):
            redone[unit.id] = replace(claimed[unit.id], recipients=_recipients(kept),
                                      sent_at=now if kept else None)
    await uow.reports.finish(list(redone.values()))
    return [redone.get(unit.id, claimed[unit.id]) for unit in mine]


async def send_report(
    uow: UnitOfWork, actor: Actor, unit_id: int, month: Month, *, build: Builder,
    now: datetime, locale: str = "vi",
) -> ReportRun:
    """An official's "send to the unit's officials" for a unit of their scope: the
    scheduler's exactly-once build_and_send, audited; the caller commits. Only for a month
    that is over: a report sent early would take the month's place from the full one."""
    await require_within(uow, actor, unit_id)
    unit = await uow.units.get(unit_id)
    if unit is None or unit.level not in REPORTED_LEVELS:
        raise RuleError("report-notes-not-reported", unit=unit.name if unit else "")
    if now < month.end:
        raise RuleError("report-send-month-not-over", month=f"{month.month:02d}/{month.year}")
    run = await build_and_send(uow, unit, month, build=build, now=now, trigger=actor.label,
                               locale=locale)
    await record(uow, actor, now, "send", "report", run.id, unit.id,
                 after=_Sent(month=run.month, recipients=len(run.recipients)))
    return run


@dataclass(frozen=True, slots=True)
class _Sent:
    """What the audit trail keeps of a report sent: the month and how many got it."""

    month: str
    recipients: int


def _recipients(readers: Sequence[tuple[Official, ChatState]]) -> list[dict[str, object]]:
    """Who a report went to, as its row keeps them."""
    return [{"official_id": official.id, "name": official.name, "channel": chat.channel}
            for official, chat in readers]


def _key(unit: Unit, month: Month, official_id: int) -> str:
    """The outbox's dedupe key of one official's copy: queued once, whatever happens."""
    return f"report:{unit.id}:{month.label}:{official_id}"


def already_done(run: ReportRun | None, unit: Unit, month: Month) -> RuleError:
    """'Already sent on <date, time>' (or built, when there was nobody to send it to)."""
    params = {"unit": unit.name, "month": f"{month.month:02d}/{month.year}"}
    if run is None:  # claimed by a transaction that then rolled back: rare, try again
        return RuleError("reports-busy", **params)
    when = run.sent_at or run.built_at
    local = when.astimezone(month.tz)
    key = "reports-already-sent" if run.sent_at else "reports-already-built"
    return RuleError(key, when=f"{format_date(local)} {local:%H:%M}", **params)


async def reporting_units(uow: UnitOfWork, dataset: str) -> list[Unit]:
    """The province, districts and communes that have officials, in code order."""
    staffed = await uow.reports.staffed(dataset)  # one query, not one per unit
    units = [u for u in await uow.units.all(dataset)
             if u.level in REPORTED_LEVELS and u.id in staffed]
    return sorted(units, key=lambda u: (REPORTED_LEVELS.index(u.level), u.code))


async def send_due_reports(
    uows: UnitOfWorkFactory, now: datetime, *, dataset: str, day: int, tz: tzinfo,
    build: Builder, locale: str = "vi", batch: int = BATCH,
) -> list[ReportRun]:
    """The latest month whose report time has passed, for every reporting unit that does not
    have it yet: on the day at 08:00, and on start to catch up a run missed. One transaction
    per `batch` units, so that a unit built by another process is simply skipped and a failure
    costs one batch, which the next tick builds again."""
    month = due_month(now, day, tz)
    async with uows() as uow:
        start = await uow.reports.programme_start()
        if start is None or start >= month.end:  # nothing had happened yet that month
            return []
        units = await reporting_units(uow, dataset)
        done = await uow.reports.built(month.label, [u.id for u in units])
    todo = [u for u in units if u.id not in done]
    runs: list[ReportRun] = []
    for first in range(0, len(todo), batch):
        async with uows() as uow:
            runs += await build_and_send_all(uow, todo[first:first + batch], month,
                                             build=build, now=now, trigger="scheduler",
                                             locale=locale)
            await uow.commit()
    return runs
