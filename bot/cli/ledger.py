"""'phocap ledger verify': recompute the public ledger's hash chain from the database."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import Parsers
from bot.runtime import Runtime
from core.clock import Clock
from core.ledger import first_bad
from core.services.ledger import shown_time


def add_parsers(parsers: Parsers) -> None:
    ledger = parsers.top.add_parser("ledger").add_subparsers(dest="action", required=True)
    ledger.add_parser("verify").set_defaults(run=cmd_ledger_verify)


async def cmd_ledger_verify(rt: Runtime, _args: argparse.Namespace, _clock: Clock) -> int:
    """0 and the head hash when every entry holds; 1 naming the first one that does not."""
    async with rt.uow() as uow:
        entries = await uow.ledger.all()
    bad = first_bad(entries)
    if bad is not None:
        day = shown_time(bad, rt.settings.tz)
        print(rt.text("public-verify-bad", id=bad.id, kind=bad.kind, date=day), file=sys.stderr)
        return 1
    if not entries:
        print(rt.text("public-verify-empty"))
        return 0
    print(rt.text("public-verify-ok", count=len(entries), head=entries[-1].hash))
    return 0
