"""'phocap posting': the list a commune posts (danh sach niem yet), as a printable page,
.docx or .xlsx."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.common import CLI, Parsers, emit
from bot.runtime import Runtime
from core.clock import Clock
from core.services.posting_list import posting_list
from core.services.units import find_unit
from documents.posting_list import posting_docx, posting_html, posting_xlsx


def add_parsers(parsers: Parsers) -> None:
    posting = parsers.top.add_parser("posting")
    posting.add_argument("--unit", required=True, help="the commune: code or name")
    posting.add_argument("--format", choices=("html", "docx", "xlsx"), default="html")
    posting.add_argument("--out", type=Path)
    posting.set_defaults(run=cmd_posting)


async def cmd_posting(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """The commune's people to be supported by its plan today, in priority order."""
    today = clock().astimezone(rt.settings.tz).date()
    async with rt.uow() as uow:
        commune = await find_unit(uow, rt.settings.dataset, args.unit)
        data = await posting_list(uow, CLI, commune.id, today, rt.settings.support_per_person)
    if args.format == "docx":
        emit(posting_docx(data, rt.text), args.out)
    elif args.format == "xlsx":
        emit(posting_xlsx(data, rt.text), args.out)
    else:
        emit(posting_html(data, rt.text, rt.locale).encode("utf-8"), args.out)
    return 0
