"""'phocap report': the monthly report (plan VI.1-VI.2) as text, JSON, xlsx or the formal
report (docx, html); with --from and --to, the final review over a period (plan VI.1)."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from bot.cli.common import Parsers, emit, unit_or_province
from bot.report_delivery import report_builder
from bot.runtime import Runtime
from core.clock import Clock
from core.errors import RuleError
from core.figures import Month, Report, parse_month
from core.report_runs import ReportNotes
from core.services.report_notes import report_sections
from core.services.reports import build_and_send, monthly_report, period_report
from documents.report_docx import Sending, report_docx, report_form_xlsx, report_html
from documents.report_json import notes_json, report_json
from documents.report_text import report_text
from documents.report_xlsx import report_xlsx

FORMAL = ("docx", "html", "xlsx-form")  # the report in the decree's form


def add_parsers(parsers: Parsers) -> None:
    report = parsers.top.add_parser("report")
    report.add_argument("--month", help="YYYY-MM (or --from and --to)")
    report.add_argument("--from", dest="first", help="YYYY-MM: the final review's first month")
    report.add_argument("--to", dest="last", help="YYYY-MM: the final review's last month")
    report.add_argument("--unit", help="code or name; default: the province")
    report.add_argument("--format", default="text",
                        choices=("text", "json", "xlsx", "docx", "html", "xlsx-form"),
                        help="xlsx: every unit's figures; docx, html, xlsx-form: the formal "
                             "report to the unit above")
    report.add_argument("--limit", type=int, help="text: split into messages of this length")
    report.add_argument("--out", type=Path)
    report.add_argument("--send", action="store_true",
                        help="build, store and send it to the unit's officials, once")
    report.set_defaults(run=cmd_report)


async def cmd_report(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """The month's figures for the unit and every unit below it."""
    if args.first or args.last:
        return await _review(rt, args, clock)
    if not args.month:
        raise RuleError("documents-report-month-or-period")
    month = parse_month(args.month, rt.settings.tz)  # a RuleError ends with exit code 1
    dataset = rt.settings.dataset
    if args.send:
        return await _send(rt, args, month, clock)
    async with rt.uow() as uow:
        unit = await unit_or_province(uow, rt, args.unit)
        report = await monthly_report(uow, dataset, month, unit.id)
        notes = await report_sections(uow, unit.id, month)  # sections II and III, if written
        above = await uow.units.get(unit.parent_id) if unit.parent_id else None
    if args.format in FORMAL:
        _formal(rt, args, report, Sending(above=above, on=_today(rt, clock)), notes)
    elif args.format == "xlsx":
        emit(report_xlsx(report, rt.text, notes), args.out)
    elif args.format == "json":
        data = report_json(report)
        if not notes.empty:
            data["notes"] = notes_json(notes)
        emit(json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"), args.out)
    else:
        # With --limit, the messages a chat would get, a blank line between them.
        text = "\n\n".join(report_text(report, rt.text, args.limit, notes=notes))
        emit(text.encode("utf-8"), args.out)
    return 0


async def _review(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """The final review: the same form, the figures over the period."""
    if not (args.first and args.last) or args.month or args.send:
        raise RuleError("documents-report-month-or-period")
    if args.format not in FORMAL:
        raise RuleError("documents-review-format")
    first = parse_month(args.first, rt.settings.tz)
    last = parse_month(args.last, rt.settings.tz)
    async with rt.uow() as uow:
        unit = await unit_or_province(uow, rt, args.unit)
        report = await period_report(uow, rt.settings.dataset, first, last, unit.id)
        above = await uow.units.get(unit.parent_id) if unit.parent_id else None
    _formal(rt, args, report, Sending(above=above, on=_today(rt, clock), since=first))
    return 0


def _formal(rt: Runtime, args: argparse.Namespace, report: Report, sending: Sending,
            notes: ReportNotes | None = None) -> None:
    """The report in the decree's form, with the officer's sections II and III if written."""
    own = {"difficulties": notes.difficulties, "proposals": notes.proposals} if notes else {}
    if args.format == "docx":
        emit(report_docx(report, rt.text, sending=sending, **own), args.out)
    elif args.format == "xlsx-form":
        emit(report_form_xlsx(report, rt.text, sending=sending, **own), args.out)
    else:
        emit(report_html(report, rt.text, rt.locale, sending=sending, **own).encode("utf-8"),
             args.out)


def _today(rt: Runtime, clock: Clock) -> date:
    return clock().astimezone(rt.settings.tz).date()


async def _send(rt: Runtime, args: argparse.Namespace, month: Month, clock: Clock) -> int:
    """Exactly once per unit and month: a second --send says when it was done."""
    async with rt.uow() as uow:
        unit = await unit_or_province(uow, rt, args.unit)
        run = await build_and_send(
            uow, unit, month, build=report_builder(rt.catalogue, rt.settings.dataset),
            now=clock(), trigger="cli", locale=rt.settings.locale)
        await uow.commit()
    params = {"unit": unit.name, "month": f"{month.month:02d}/{month.year}"}
    if not run.recipients:
        print(rt.text("reports-sent-to-nobody", **params))
        return 0
    names = ", ".join(str(r["name"]) for r in run.recipients)
    print(rt.text("reports-sent", count=len(run.recipients), names=names, **params))
    return 0
