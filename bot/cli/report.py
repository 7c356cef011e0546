"""'phocap report': the monthly report (plan VI.1-VI.2) as text, JSON or xlsx."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import Parsers, emit, unit_or_province
from bot.report_delivery import report_builder
from bot.runtime import Runtime
from core.clock import Clock
from core.figures import Month, parse_month
from core.services.report_notes import report_sections
from core.services.reports import build_and_send, monthly_report
from documents.report_json import notes_json, report_json
from documents.report_text import report_text
from documents.report_xlsx import report_xlsx


def add_parsers(parsers: Parsers) -> None:
    report = parsers.top.add_parser("report")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--unit", help="code or name; default: the province")
    report.add_argument("--format", choices=("text", "json", "xlsx"), default="text")
    report.add_argument("--limit", type=int, help="text: split into messages of this length")
    report.add_argument("--out", type=Path)
    report.add_argument("--send", action="store_true",
                        help="build, store and send it to the unit's officials, once")
    report.set_defaults(run=cmd_report)


async def cmd_report(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """The month's figures for the unit and every unit below it."""
    month = parse_month(args.month, rt.settings.tz)  # a RuleError ends with exit code 1
    dataset = rt.settings.dataset
    if args.send:
        return await _send(rt, args, month, clock)
    async with rt.uow() as uow:
        unit = await unit_or_province(uow, rt, args.unit)
        report = await monthly_report(uow, dataset, month, unit.id)
        notes = await report_sections(uow, unit.id, month)  # sections II and III, if written
    if args.format == "xlsx":
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
