"""The saving of an uploaded list as a task of the app, not of the request: a large list
takes minutes, and the official may leave the page and come back to its progress.

A job is kept in memory under the upload's random token, which only the session that
uploaded holds; the page reloads itself (a meta refresh, and a link) until the job is done,
then shows the report and the rejected rows as the save did in the request.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from aiohttp import web

from admin.appkeys import TABLE_READER, UOW
from core.errors import RuleError
from core.importing import parse_rows
from core.model import Actor, Unit
from core.services.imports import BATCH, ImportReport, import_residents
from documents.spreadsheets import Table

log = logging.getLogger(__name__)

INLINE_ROWS = BATCH  # a list of one batch or less is saved within the request, as before
REFRESH_S = 3  # the progress page reloads itself this often


@dataclass(slots=True)
class Job:
    token: str
    filename: str
    commune: Unit
    approve: bool
    total: int = 0
    done: int = 0
    table: Table | None = None
    report: ImportReport | None = None
    error: RuleError | None = None  # the list could not be read or saved
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def finished(self) -> bool:
        return self.task is not None and self.task.done()

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0


JOBS = web.AppKey("admin_import_jobs", dict[str, Job])


def setup_jobs(app: web.Application) -> None:
    app[JOBS] = {}
    app.on_shutdown.append(_stop)


async def _stop(app: web.Application) -> None:
    """A server that stops ends its imports between two statements: the batches committed
    stay, and saving the file again finishes the job (rows present are not saved twice)."""
    for job in app[JOBS].values():
        if job.task is not None and not job.task.done():
            job.task.cancel()


def start(app: web.Application, job: Job, path: Path, actor: Actor, today: date,
          now: datetime, outside_limit: int) -> Job:
    app[JOBS][job.token] = job
    job.task = asyncio.create_task(_run(app, job, path, actor, today, now, outside_limit))
    return job


async def _run(app: web.Application, job: Job, path: Path, actor: Actor, today: date,
               now: datetime, outside_limit: int) -> None:
    try:
        table = await app[TABLE_READER].read(path)  # in a worker: never on the loop
        rows = parse_rows(((r.line, table.values(r)) for r in table.rows), today)
        job.total = len(rows)

        def step(done: int) -> None:
            job.done = done

        async with app[UOW]() as uow:
            report = await import_residents(uow, actor, job.commune, rows, today, now,
                                            approve=job.approve, progress=step,
                                            outside_limit=outside_limit,
                                            batch_done=uow.commit)
            await uow.commit()
        job.table, job.report = table, report
    except RuleError as err:
        job.error = err
    except Exception:  # the page says so; the log has the cause
        log.exception("import job %s failed", job.token[:8])
        job.error = RuleError("import-job-failed")


def find(app: web.Application, token: str | None) -> Job | None:
    return app[JOBS].get(token) if token else None


def forget(app: web.Application, token: str) -> None:
    app[JOBS].pop(token, None)
