"""'phocap handover record ID --out FILE.html': the printable handover record, offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.handover_record import render_record
from bot.runtime import Runtime
from core.model import Actor
from core.services.handover import handover_record
from handlers.handover import qr_payload

CLI = Actor(label="cli", system=True)


def add_handover_commands(sub: Any) -> None:
    """Register 'handover record' on build_parser's top-level subparsers."""
    handover = sub.add_parser("handover").add_subparsers(dest="action", required=True)
    rec = handover.add_parser("record")
    rec.add_argument("id", type=int)
    rec.add_argument("--out", type=Path)
    rec.add_argument("--bot", help="the Telegram bot's username, for the QR's deep link")
    rec.set_defaults(run=cmd_handover_record)


async def cmd_handover_record(rt: Runtime, args: argparse.Namespace) -> int:
    async with rt.uow() as uow:
        data = await handover_record(uow, CLI, args.id)
    page = render_record(rt.catalogue, rt.locale, data, qr_payload(data.handover.code, args.bot))
    if args.out is None:
        sys.stdout.write(page)
        return 0
    args.out.write_text(page, encoding="utf-8")
    print(rt.text("handover-cli-written", path=str(args.out)))
    return 0
