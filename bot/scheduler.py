"""The one scheduler of the process: an hourly tick that asks the database what is due.

The tick (Jobs.tick) is the only thing the scheduler calls, and it takes the time as an
argument: on the report day at 08:00 last month's reports are built and sent, five days
before the commune officers are reminded, in the daytime donors with pledges not yet
received and the follow-up questions 7, 30 and 90 days after a handover. What was done is
in the database (report_runs, the outbox's dedupe keys, follow_ups), so the tick run at
start catches up a missed run, and a second process or a repeated tick does nothing twice.
Each tick also deletes what is kept past its time (core.services.retention).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from admin.appkeys import IMPORT_DIR
from bot.appkeys import RUNTIME
from bot.report_delivery import report_builder
from bot.runtime import Runtime, retention
from core.clock import system_clock
from core.report_runs import month_of
from core.services.reminders import remind_communes, remind_donors
from core.services.reports import keep_figures, send_due_reports
from core.services.retention import Pruned, enforce_retention
from handlers.follow_up import ask_due as ask_follow_ups
from storage import migrate

log = logging.getLogger(__name__)

# Set once the start's catch-up run has ended and the scheduler has logged it (or at once when
# there is no scheduler): 'phocap run' prints its framed welcome after it, last.
STARTED = web.AppKey("scheduler_started", asyncio.Event)


@dataclass(frozen=True, slots=True)
class Done:
    """What one tick queued."""

    reports: list[tuple[int, str]]  # (unit id, month) built and sent
    officer_reminders: int
    donor_reminders: int
    pruned: Pruned = field(default_factory=lambda: Pruned(0, 0))
    follow_ups: int = 0
    figures_kept: int = 0  # communes whose month was summed again for the dashboards


class Jobs:
    def __init__(self, runtime: Runtime, uploads: Path | None = None) -> None:
        self._rt = runtime
        self._uploads = uploads  # the admin's upload folder, when this process serves it

    async def tick(self, now: datetime) -> Done:
        """Everything due at `now`: reports first, then the reminders."""
        s = self._rt.settings
        # A builder per tick: the run's reports share one reading of the sums, the next
        # tick reads afresh.
        build = report_builder(self._rt.catalogue, s.dataset)
        runs = await send_due_reports(self._rt.uow, now, dataset=s.dataset, day=s.report_day,
                                      tz=s.tz, build=build, locale=s.locale)
        officers = await remind_communes(self._rt.uow, now, dataset=s.dataset,
                                         day=s.report_day, tz=s.tz)
        donors = await remind_donors(self._rt.uow, now, tz=s.tz)
        follow_ups = await ask_follow_ups(self._rt.uow, now, s.tz)
        pruned = await enforce_retention(self._rt.uow, now, retention(s), self._uploads)
        kept = await keep_figures(self._rt.uow, s.dataset, month_of(now, s.tz))
        return Done([(r.unit_id, r.month) for r in runs], officers, donors, pruned, follow_ups,
                    kept)

    async def run(self, clock: Callable[[], datetime] | None = None) -> None:
        """The scheduler's job: a tick now, its failure logged (the next hour tries again)."""
        try:
            done = await self.tick((clock or system_clock)())
        except Exception:  # the database was away: the next tick catches up
            log.exception("scheduler: the tick failed")
            return
        if done.reports or done.officer_reminders or done.donor_reminders or done.follow_ups:
            log.info("scheduler: %d report(s), %d officer and %d donor reminder(s), "
                     "%d follow-up question(s) queued", len(done.reports),
                     done.officer_reminders, done.donor_reminders, done.follow_ups)
        if done.figures_kept:
            log.info("scheduler: %d commune(s) summed again for the dashboards",
                     done.figures_kept)
        if done.pruned.replays or done.pruned.uploads:
            log.info("scheduler: %d replay record(s) and %d upload(s) past their time deleted",
                     done.pruned.replays, done.pruned.uploads)


def make_scheduler(jobs: Jobs, runtime: Runtime) -> AsyncIOScheduler:
    """Every hour on the hour (08:00 included), and once at start to catch up."""
    tz = runtime.settings.tz
    scheduler = AsyncIOScheduler(timezone=tz)
    scheduler.add_job(jobs.run, CronTrigger(minute=0, timezone=tz), id="tick",
                      coalesce=True, max_instances=1, misfire_grace_time=3600)
    scheduler.add_job(jobs.run, id="catch-up")  # no trigger: once, as soon as it starts
    return scheduler


async def _scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    runtime = app[RUNTIME]
    if not await migrate.is_current(runtime.engine):
        log.info("scheduler: no database yet; it stays off")
        app[STARTED].set()
        yield
        return
    scheduler = make_scheduler(Jobs(runtime, app.get(IMPORT_DIR)), runtime)
    started = app[STARTED]

    def caught_up(event: JobExecutionEvent) -> None:  # called after the job's own log line
        if event.job_id == "catch-up":
            started.set()

    scheduler.add_listener(caught_up, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


def setup_scheduler(app: web.Application) -> None:
    """For 'phocap run' only: one scheduler per process (tests' apps run without it)."""
    app[STARTED] = asyncio.Event()
    app.cleanup_ctx.append(_scheduler_ctx)
