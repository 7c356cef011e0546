"""The monthly report built, stored and sent exactly once per unit and month.

The (unit, month) row is claimed first, in the transaction that stores the figures and queues
one message per linked official: whoever commits first (a process, the CLI, a restart
catching up) has built and sent it; everyone after is told when that happened. The figures
and the chat text come from a Builder that bot/ wires (SQL sums and formats live there).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

from core.dates import format_date
from core.errors import RuleError
from core.figures import Month
from core.messages import Reply
from core.model import Level, Unit
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.report_runs import ReportRun, due_month
from core.services.outbox import enqueue

ALREADY = ("reports-already-sent", "reports-already-built")
REPORTED_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)


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
    run = await uow.reports.claim(unit.id, month.label, now, trigger)
    if run is None:
        raise already_done(await uow.reports.for_unit(unit.id, month.label), unit, month)
    built = await build(uow, unit, month)
    recipients: list[dict[str, object]] = []
    for official in await uow.officials.in_unit(unit.id):
        chats = await uow.chats.linked_to(official.id)
        if not chats:
            continue
        chat = chats[0]  # the chat the official used last
        reply = Reply("reports-message", {"text": built.text(chat.locale or locale)})
        key = f"report:{unit.id}:{month.label}:{official.id}"
        if await enqueue(uow, chat, reply, key, now, locale):
            recipients.append({"official_id": official.id, "name": official.name,
                               "channel": chat.channel})
    sent_at = now if recipients else None
    await uow.reports.finish(run.id, built.figures, recipients, sent_at)
    return replace(run, sent_at=sent_at, recipients=recipients, figures=built.figures)


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
    units = [u for u in await uow.units.all(dataset) if u.level in REPORTED_LEVELS]
    return sorted([u for u in units if await uow.officials.in_unit(u.id)],
                  key=lambda u: (REPORTED_LEVELS.index(u.level), u.code))


async def send_due_reports(
    uows: UnitOfWorkFactory, now: datetime, *, dataset: str, day: int, tz: tzinfo,
    build: Builder, locale: str = "vi",
) -> list[ReportRun]:
    """The latest month whose report time has passed, for every reporting unit that does not
    have it yet: on the day at 08:00, and on start to catch up a run missed. One transaction
    per unit, so that a unit built by another process is simply skipped."""
    month = due_month(now, day, tz)
    async with uows() as uow:
        start = await uow.reports.programme_start()
        if start is None or start >= month.end:  # nothing had happened yet that month
            return []
        units = await reporting_units(uow, dataset)
        done = await uow.reports.built(month.label, [u.id for u in units])
    runs: list[ReportRun] = []
    for unit in units:
        if unit.id in done:
            continue
        async with uows() as uow:
            try:
                run = await build_and_send(uow, unit, month, build=build, now=now,
                                           trigger="scheduler", locale=locale)
            except RuleError as err:
                if err.key in ALREADY:  # another process got there between our two looks
                    continue
                raise
            await uow.commit()
        runs.append(run)
    return runs
