"""A commune's list from Excel or CSV: upload, preview (a dry run), save, rejected rows."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp_session import get_session

from admin import import_jobs
from admin.appkeys import IMPORT_DIR, TABLE_READER
from admin.context import NotFound, config, now, render, text, today, unit_of_work, who
from admin.scoping import Scope, request_scope
from core.errors import RuleError
from core.importing import ImportRow, RowError, cell_text, commune_named, parse_rows
from core.model import Level, Unit
from core.serials import mask_serial
from core.services.audit import record_list_read
from core.services.imports import ImportReport, import_residents
from documents.spreadsheets import CSV_SUFFIXES, XLSX_SUFFIXES, SourceRow, Table, write_rejects

SESSION_KEY = "import"


@dataclass(frozen=True, slots=True)
class Pending:
    """The uploaded file, kept in a temp folder under a random name held in the session."""

    token: str
    suffix: str
    commune_id: int
    filename: str

    def path(self, folder: Path) -> Path:
        return folder / f"{self.token}{self.suffix}"

    def rejects(self, folder: Path, table: Table) -> Path:
        return folder / f"{self.token}-loi{'.xlsx' if table.format == 'xlsx' else '.csv'}"


def _communes(scope: Scope) -> list[Unit]:
    return sorted(scope.of_level(Level.COMMUNE), key=lambda u: u.name)


async def import_page(request: web.Request) -> web.Response:
    """The upload form: a commune of the official's unit (their own one chosen) and a file;
    while this session's list is being saved, its progress instead."""
    stored = (await get_session(request)).get(SESSION_KEY)
    pending = _from_session(stored)
    if pending is not None and import_jobs.find(request.app, pending.token) is not None:
        raise web.HTTPSeeOther("/admin/import/job")
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
    return render(request, "import.html", {"communes": _communes(scope),
                                           "chosen": who(request).official.unit_id})


async def upload(request: web.Request) -> web.Response:
    """Keep the file, run the import and roll it back: the preview."""
    form = await request.post()
    upload_field = form.get("file")
    async with unit_of_work(request) as uow:
        scope = await request_scope(request, uow)
        commune = _commune(scope, form.get("commune"))
        communes = [u for u in await uow.units.all(config(request).dataset)
                    if u.level is Level.COMMUNE]
    filename = str(getattr(upload_field, "filename", "") or "")
    suffix = Path(filename).suffix.lower()
    if suffix not in XLSX_SUFFIXES + CSV_SUFFIXES or not hasattr(upload_field, "file"):
        return _form_error(request, scope, text(
            request, "import-unknown-format", path=filename or "-", suffix=suffix or "-"),
            commune.id)
    pending = Pending(secrets.token_hex(16), suffix, commune.id, Path(filename).name[:100])
    folder = request.app[IMPORT_DIR]
    await _end_previous(request, folder)  # a new upload ends this session's earlier preview
    data = upload_field.file.read()  # type: ignore[union-attr]
    await asyncio.to_thread(pending.path(folder).write_bytes, data)
    try:
        table, rows, report = await _run(request, commune, pending.path(folder), dry_run=True,
                                         filename=pending.filename)
    except RuleError as err:
        pending.path(folder).unlink(missing_ok=True)
        params = {**err.params, "path": pending.filename}  # not our temp folder's name
        return _form_error(request, scope, text(request, err.key, **params), commune.id)
    (await get_session(request))[SESSION_KEY] = {**_to_session(pending), "rows": len(rows)}
    bad = {e.line for e in report.errors}
    good = {r.line for r in rows if isinstance(r, ImportRow) and r.line not in bad}
    return render(request, "import_preview.html", {
        "commune": commune, "report": report, "filename": pending.filename,
        "named": commune_named(table.titles, communes), "columns": table.headers,
        "good": [_as_read(table, r) for r in table.rows if r.line in good],
        "errors": [_error_line(request, e) for e in report.errors],
    })


def _as_read(table: Table, row: SourceRow) -> tuple[int, list[str]]:
    """A row's every cell as the file has it, the citizen ID partly masked: the preview
    shows what was read, not what it became."""
    return row.line, [mask_serial(cell_text(row.cells.get(h))) if table.fields.get(h) ==
                      "citizen_id" and row.cells.get(h) is not None
                      else cell_text(row.cells.get(h)) for h in table.headers]


async def save(request: web.Request) -> web.Response:
    """Start saving the previewed list as a job of the app; a list of one batch is waited
    for (the report at once, as before), a longer one shows its progress page."""
    form = await request.post()
    session = await get_session(request)
    stored = session.get(SESSION_KEY)
    pending = _from_session(stored)
    folder = request.app[IMPORT_DIR]
    if pending is None or not pending.path(folder).is_file() or (
            isinstance(stored, dict) and stored.get("job")):
        raise NotFound
    async with unit_of_work(request) as uow:
        commune = _commune(await request_scope(request, uow), pending.commune_id)
    job = import_jobs.start(
        request.app, import_jobs.Job(pending.token, pending.filename, commune,
                                     form.get("approve") == "1"),
        pending.path(folder), who(request).actor, today(request), now(request),
        config(request).import_outside_ids)
    session[SESSION_KEY] = {**_to_session(pending), "job": True}
    rows = stored.get("rows") if isinstance(stored, dict) else None
    if isinstance(rows, int) and rows <= import_jobs.INLINE_ROWS and job.task is not None:
        await asyncio.wait({job.task})
    return await _job_page(request, job, pending)


async def job_page(request: web.Request) -> web.Response:
    """The progress of this session's saving, or its report once done."""
    stored = (await get_session(request)).get(SESSION_KEY)
    pending = _from_session(stored)
    job = import_jobs.find(request.app, pending.token if pending else None)
    if pending is None or job is None:
        raise NotFound
    return await _job_page(request, job, pending)


async def _job_page(request: web.Request, job: import_jobs.Job, pending: Pending
                    ) -> web.Response:
    if not job.finished:
        return render(request, "import_job.html", {"job": job,
                                                   "every": import_jobs.REFRESH_S})
    folder = request.app[IMPORT_DIR]
    import_jobs.forget(request.app, job.token)
    pending.path(folder).unlink(missing_ok=True)
    session = await get_session(request)
    if job.report is None or job.table is None:
        session[SESSION_KEY] = {**_to_session(pending), "done": True, "rejects": None}
        err = job.error or RuleError("import-job-failed")
        params = {**err.params, "path": pending.filename}
        async with unit_of_work(request) as uow:
            scope = await request_scope(request, uow)
        return _form_error(request, scope, text(request, err.key, **params), job.commune.id)
    report, rejects = job.report, None
    if report.errors:
        rejects = pending.rejects(folder, job.table)
        await asyncio.to_thread(write_rejects, job.table, _reasons(request, report), rejects,
                                text(request, "import-reason-column"))
    session[SESSION_KEY] = {**_to_session(pending), "done": True,
                            "rejects": rejects.name if rejects else None}
    return render(request, "import_report.html", {
        "commune": job.commune, "report": report, "approve": job.approve, "rejects": rejects,
        "errors": [_error_line(request, e) for e in report.errors]})


async def rejects_file(request: web.Request) -> web.StreamResponse:
    """The rejected rows of this session's last import, with a 'reason' column."""
    stored = (await get_session(request)).get(SESSION_KEY)
    name = stored.get("rejects") if isinstance(stored, dict) else None
    pending = _from_session(stored)
    if not isinstance(name, str) or pending is None:
        raise NotFound
    path = request.app[IMPORT_DIR] / name
    if not path.is_file():
        raise NotFound
    download = f"{Path(pending.filename).stem or 'danh-sach'}-loi{path.suffix}"
    return web.FileResponse(path, headers={
        "Content-Disposition": f'attachment; filename="{_ascii(download)}"'})


async def _end_previous(request: web.Request, folder: Path) -> None:
    """Delete the files of this session's earlier upload: its file and its rejected rows."""
    session = await get_session(request)
    stored = session.pop(SESSION_KEY, None)
    pending = _from_session(stored)
    if pending is None:
        return
    pending.path(folder).unlink(missing_ok=True)
    rejects = stored.get("rejects") if isinstance(stored, dict) else None
    if isinstance(rejects, str) and Path(rejects).name == rejects:
        (folder / rejects).unlink(missing_ok=True)


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and c not in '"\\' else "_" for c in name)


def _commune(scope: Scope, raw: object) -> Unit:
    try:
        unit = scope.get(int(str(raw)))
    except ValueError:
        raise NotFound from None
    if unit.level is not Level.COMMUNE:
        raise NotFound
    return unit


def _form_error(request: web.Request, scope: Scope, message: str, chosen: int) -> web.Response:
    return render(request, "import.html", {"communes": _communes(scope), "error": message,
                                           "chosen": chosen}, 400)


async def _run(
    request: web.Request, commune: Unit, path: Path, *, dry_run: bool = False,
    approve: bool = False, filename: str = "",
) -> tuple[Table, list[ImportRow | RowError], ImportReport]:
    table = await request.app[TABLE_READER].read(path)  # in a worker: never on the loop
    day, moment = today(request), now(request)
    rows = parse_rows(((r.line, table.values(r)) for r in table.rows), day)
    async with unit_of_work(request) as uow:
        report = await import_residents(uow, who(request).actor, commune, rows, day, moment,
                                        approve=approve,
                                        outside_limit=config(request).import_outside_ids)
        if dry_run:
            await record_list_read(uow, who(request).actor, moment, commune.id,
                                   "import-preview", {"file": filename}, len(rows))
            await uow.rollback()
        else:
            await uow.commit()
    return table, rows, report


def _reasons(request: web.Request, report: ImportReport) -> dict[int, str]:
    out: dict[int, str] = {}
    for err in report.errors:
        reason = text(request, "import-reason", field=_field(request, err),
                      reason=text(request, err.key, **err.params))
        out[err.line] = f"{out[err.line]}; {reason}" if err.line in out else reason
    return out


def _field(request: web.Request, err: RowError) -> str:
    return text(request, f"column-{err.field}") if err.field else ""


def _error_line(request: web.Request, err: RowError) -> tuple[int, str, str]:
    return err.line, _field(request, err), text(request, err.key, **err.params)


def _to_session(p: Pending) -> dict[str, object]:
    return {"token": p.token, "suffix": p.suffix, "commune_id": p.commune_id,
            "filename": p.filename}


def _from_session(raw: object) -> Pending | None:
    if not isinstance(raw, dict):
        return None
    try:
        return Pending(str(raw["token"]), str(raw["suffix"]), int(raw["commune_id"]),
                       str(raw["filename"]))
    except (KeyError, ValueError):
        return None
