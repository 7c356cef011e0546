"""'phocap export pledges': every pledge, with its commune, as JSON, CSV or xlsx."""

from __future__ import annotations

import argparse

from bot.cli.common import Parsers, export_options, write_rows
from bot.runtime import Runtime
from core.clock import Clock
from core.services.pledges import export_pledges
from documents.lists import PLEDGE_COLUMNS, pledge_row


def add_parsers(parsers: Parsers) -> None:
    pledges = parsers.exports.add_parser("pledges")
    export_options(pledges)
    pledges.set_defaults(run=cmd_export_pledges)


async def cmd_export_pledges(rt: Runtime, args: argparse.Namespace, _clock: Clock) -> int:
    async with rt.uow() as uow:
        rows = [pledge_row(r) for r in await export_pledges(uow)]
    write_rows(rows, PLEDGE_COLUMNS, args.format, args.out, rt.text)
    return 0
