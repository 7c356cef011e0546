"""'phocap report': the monthly report (plan VI.1-VI.2) as text, JSON or xlsx."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.report_delivery import report_builder
from bot.runtime import Runtime
from core.figures import Month, parse_month
from core.services.reports import build_and_send, monthly_report
from core.services.units import find_unit, province
from documents.report_json import report_json
from documents.report_text import report_text
from documents.report_xlsx import report_xlsx


def add_report_commands(sub: Any) -> None:
    """Register 'report' on build_parser's top-level subparsers."""
    report = sub.add_parser("report")
    report.add_argument("--month", required=True, help="YYYY-MM")
    report.add_argument("--unit", help="code or name; default: the province")
    report.add_argument("--format", choices=("text", "json", "xlsx"), default="text")
    report.add_argument("--limit", type=int, help="text: split into messages of this length")
    report.add_argument("--out", type=Path)
    report.add_argument("--send", action="store_true",
                        help="build, store and send it to the unit's officials, once")
    report.set_defaults(run=cmd_report)


async def cmd_report(rt: Runtime, args: argparse.Namespace) -> int:
    """The month's figures for the unit and every unit below it."""
    month = parse_month(args.month, rt.settings.tz)  # a RuleError ends with exit code 1
    dataset = rt.settings.dataset
    if args.send:
        return await _send(rt, args, month)
    async with rt.uow() as uow:
        if args.unit:
            unit = await find_unit(uow, dataset, args.unit)
        else:
            unit = await province(uow, dataset)
        report = await monthly_report(uow, dataset, month, unit.id)
    if args.format == "xlsx":
        _emit(report_xlsx(report, rt.text), args.out)
    elif args.format == "json":
        _emit(json.dumps(report_json(report), ensure_ascii=False, indent=2).encode("utf-8"),
              args.out)
    else:
        # With --limit, the messages a chat would get, a blank line between them.
        text = "\n\n".join(report_text(report, rt.text, args.limit))
        _emit(text.encode("utf-8"), args.out)
    return 0


async def _send(rt: Runtime, args: argparse.Namespace, month: Month) -> int:
    """Exactly once per unit and month: a second --send says when it was done."""
    async with rt.uow() as uow:
        unit = await (find_unit(uow, rt.settings.dataset, args.unit) if args.unit
                      else province(uow, rt.settings.dataset))
        run = await build_and_send(
            uow, unit, month, build=report_builder(rt.catalogue, rt.settings.dataset),
            now=datetime.now(UTC), trigger="cli", locale=rt.settings.locale)
        await uow.commit()
    params = {"unit": unit.name, "month": f"{month.month:02d}/{month.year}"}
    if not run.recipients:
        print(rt.text("reports-sent-to-nobody", **params))
        return 0
    names = ", ".join(str(r["name"]) for r in run.recipients)
    print(rt.text("reports-sent", count=len(run.recipients), names=names, **params))
    return 0


def _emit(data: bytes, target: Path | None) -> None:
    if target is None:
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
    else:
        target.write_bytes(data)
