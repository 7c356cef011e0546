"""'phocap handover give SUPPORT --serial IMEI': a phone of the support's lot handed over
(the same service as the chat and the admin page); 'phocap handover record ID --out
FILE.html': the printable handover record, offline; 'phocap export handovers': every
handover, what it carried and what came back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import CLI, Parsers, emit, export_options, out, write_rows
from bot.runtime import Runtime
from core.clock import Clock
from core.errors import RuleError
from core.names import addressed
from core.services.handover import (
    CHECKLIST,
    display_code,
    handover_record,
    qr_payload,
    record_handover,
)
from documents.handover_record import PlanRef, record_docx, render_record
from documents.lists import HANDOVER_COLUMNS, handover_row


def add_parsers(parsers: Parsers) -> None:
    handover = parsers.top.add_parser("handover").add_subparsers(dest="action", required=True)
    give = handover.add_parser("give")
    give.add_argument("support", help="the support's number, S-12 or 12")
    give.add_argument("--serial", help="the IMEI or serial of the phone handed over")
    give.add_argument("--not-done", action="append", default=[], choices=CHECKLIST,
                      help="a checklist item not done at the handover (each item is done "
                           "unless named here)")
    give.set_defaults(run=cmd_handover_give)
    rec = handover.add_parser("record")
    rec.add_argument("id", type=int)
    rec.add_argument("--out", type=Path)
    rec.add_argument("--bot", help="the Telegram bot's username, for the QR's deep link")
    rec.add_argument("--format", choices=("html", "docx"),
                     help="default: docx for an --out ending in .docx, else html")
    rec.set_defaults(run=cmd_handover_record)

    handovers = parsers.exports.add_parser("handovers")
    export_options(handovers)
    handovers.set_defaults(run=cmd_export_handovers)


async def cmd_handover_give(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Record the handover of a phone of the support's lot and print what was recorded."""
    support_id = _support_number(args.support)
    checklist = {item: item not in args.not_done for item in CHECKLIST}
    async with rt.uow() as uow:
        done = await record_handover(uow, CLI, support_id, args.serial, checklist, clock())
        data = await handover_record(uow, CLI, done.id)
        await uow.commit()
    r = data.receipt
    out(rt.text("handover-cli-done", support=f"S-{support_id}",
                **addressed(data.resident.full_name, data.resident.gender),
                serial=done.serial or "key:handover-none-given",
                model=data.model or "key:handover-model-unknown",
                number=r.number if r else "key:handover-none-given",
                donor=(r.donor_name if r else None) or "key:handover-donor-anonymous",
                code=display_code(done.code), id=done.id))
    return 0


def _support_number(typed: str) -> int:
    number = typed.strip().upper().removeprefix("S-").removeprefix("S")
    if not number.isdecimal() or len(number) > 9:
        raise RuleError("handover-support-unknown", support=typed.strip())
    return int(number)


async def cmd_handover_record(rt: Runtime, args: argparse.Namespace, _clock: Clock) -> int:
    async with rt.uow() as uow:
        data = await handover_record(uow, CLI, args.id)
    qr = qr_payload(data.handover.code, args.bot)
    plan = PlanRef(rt.settings.plan_number, rt.settings.plan_day)
    docx = args.format == "docx" or (args.format is None and args.out is not None
                                     and args.out.suffix.lower() == ".docx")
    if docx:
        emit(record_docx(rt.catalogue, rt.locale, data, qr, plan=plan), args.out)
        return 0
    page = render_record(rt.catalogue, rt.locale, data, qr, plan=plan)
    if args.out is None:
        sys.stdout.write(page)
        return 0
    args.out.write_text(page, encoding="utf-8")
    print(rt.text("handover-cli-written", path=str(args.out)))
    return 0


async def cmd_export_handovers(rt: Runtime, args: argparse.Namespace, _clock: Clock) -> int:
    async with rt.uow() as uow:
        rows = [handover_row(r) for r in await uow.handovers.export_rows(None)]
    write_rows(rows, HANDOVER_COLUMNS, args.format, args.out, rt.text)
    return 0
