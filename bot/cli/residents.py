"""'phocap import residents' and 'phocap export residents': communes' lists in and out."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from bot.cli.common import (
    CLI,
    Parsers,
    export_options,
    out,
    read_list,
    unit_or_province,
    write_rows,
)
from bot.cli.progress import Progress
from bot.runtime import Runtime
from core.clock import Clock
from core.codes import household_shown
from core.importing import ResidentExport, RowError, parse_rows
from core.model import Level
from core.services.audit import record_list_read
from core.services.imports import ImportReport, import_residents
from core.services.units import descendants, find_unit
from documents.spreadsheets import Table, rejects_path, write_rejects

RESIDENT_FIELDS = (
    "id", "commune", "commune_code", "village", "village_code", "household", "household_head",
    "full_name", "date_of_birth", "gender", "citizen_id", "legacy_id", "poverty", "policy",
    "has_smartphone", "phone", "status", "approved_at", "ethnicity",
    # what the priority reads about the household (an outside reader can redo the order)
    "household_has_smartphone", "household_whole_phones", "household_other_programme",
    "household_direct_gifts", "household_shop_offers", "support",
)


def add_parsers(parsers: Parsers) -> None:
    residents = parsers.imports.add_parser("residents")
    residents.add_argument("file", type=Path)
    residents.add_argument("--commune", required=True)
    residents.add_argument("--dry-run", action="store_true")
    residents.add_argument("--approve", action="store_true")
    residents.add_argument("--rejects", type=Path)
    residents.add_argument("--progress", action="store_true", default=None,
                           help="a progress bar on stderr even when it is not a terminal")
    residents.set_defaults(run=cmd_import_residents)

    listing = parsers.exports.add_parser("residents")
    export_options(listing)
    listing.add_argument("--unit")
    listing.set_defaults(run=cmd_export_residents)


async def cmd_import_residents(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Read, check and save a commune's list; report each refused row; 1 if unreadable."""
    bar = Progress(rt, args.progress)
    bar.note("import-progress-reading", path=str(args.file))
    table = await read_list(rt, args.file)
    started = clock()
    today = started.astimezone(rt.settings.tz).date()
    parsed = parse_rows(((row.line, table.values(row)) for row in table.rows), today)
    bar.start(len(parsed))
    async with rt.uow() as uow:
        commune = await find_unit(uow, rt.settings.dataset, args.commune, Level.COMMUNE)
        # one transaction a batch (a dry run: one, rolled back): a crash leaves whole
        # batches, which a re-run counts present
        report = await import_residents(uow, CLI, commune, parsed, today, started,
                                        approve=args.approve, progress=bar.step,
                                        outside_limit=rt.settings.import_outside_ids,
                                        batch_done=None if args.dry_run else uow.commit)
        if args.dry_run:
            await record_list_read(uow, CLI, started, commune.id, "cli-import-dry-run",
                                   {"file": args.file.name}, len(parsed))
            await uow.rollback()
        else:
            await uow.commit()
    target = _write_rejects(rt, args, table, report)
    _print_report(rt, args, commune.name, report, target)
    return 0


def _write_rejects(
    rt: Runtime, args: argparse.Namespace, table: Table, report: ImportReport
) -> Path | None:
    if not report.errors:
        return None
    reasons: dict[int, str] = {}
    for err in report.errors:
        text = rt.text("import-reason", field=_field_label(rt, err), reason=_reason(rt, err))
        reasons[err.line] = f"{reasons[err.line]}; {text}" if err.line in reasons else text
    target: Path = args.rejects or rejects_path(args.file, table)
    write_rejects(table, reasons, target, rt.text("import-reason-column"))
    return target


def _print_report(
    rt: Runtime, args: argparse.Namespace, commune: str, report: ImportReport,
    rejects: Path | None,
) -> None:
    summary = "import-summary-dry-run" if args.dry_run else "import-summary"
    out(rt.text(summary, commune=commune, saved=report.saved, present=report.present,
                rejected=report.rejected, households=report.households_created))
    if args.approve and not args.dry_run:
        out(rt.text("import-approved", approved=report.approved))
    for err in report.errors:
        out(_error_line(rt, err))
    if rejects is not None:
        out(rt.text("import-rejects-file", path=str(rejects)))


def _error_line(rt: Runtime, err: RowError) -> str:
    if err.field is None:
        return rt.text("import-row-error-nofield", line=err.line, reason=_reason(rt, err))
    return rt.text("import-row-error", line=err.line, field=_field_label(rt, err),
                   reason=_reason(rt, err))


def _field_label(rt: Runtime, err: RowError) -> str:
    return rt.text(f"column-{err.field}") if err.field else ""


def _reason(rt: Runtime, err: RowError) -> str:
    return rt.text(err.key, **err.params)


async def cmd_export_residents(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Residents as JSON, CSV or xlsx; the whole programme, or one unit and what lies below.
    The read is kept in the audit trail under the unit it covered (the province for all)."""
    async with rt.uow() as uow:
        unit_ids = None
        unit = await unit_or_province(uow, rt, args.unit)
        if args.unit:
            unit_ids = [u.id for u in await descendants(uow, unit)]
        residents = await uow.residents.export_rows(unit_ids)
        await record_list_read(uow, CLI, clock(), unit.id, "cli-export",
                               {"unit": args.unit, "format": args.format}, len(residents))
        await uow.commit()
    write_rows([_export_row(r) for r in residents], RESIDENT_FIELDS, args.format, args.out,
               rt.text)
    return 0


def _export_row(r: ResidentExport) -> dict[str, object]:
    """Plain values: the date stays a date (ISO in JSON and CSV, dd/mm/yyyy in xlsx)."""
    row: dict[str, object] = {name: getattr(r, name) for name in RESIDENT_FIELDS}
    approved: datetime | None = r.approved_at
    row["approved_at"] = approved.isoformat() if approved else None
    row["household"] = household_shown(r.household)
    return row
