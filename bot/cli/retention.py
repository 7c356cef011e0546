"""'phocap retention': delete now what is kept past its time (the scheduler does it hourly)."""

from __future__ import annotations

import argparse
from pathlib import Path

from admin.app import upload_folder
from bot.cli.common import Parsers, out
from bot.runtime import Runtime, retention
from core.clock import Clock
from core.services.retention import enforce_retention


def add_parsers(parsers: Parsers) -> None:
    command = parsers.top.add_parser("retention")
    command.add_argument("--uploads", type=Path, default=None,
                         help="the admin's upload folder, if not the default one")
    command.set_defaults(run=cmd_retention)


async def cmd_retention(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """The scheduler's retention step, once: replay records, then this machine's uploads."""
    folder = args.uploads or upload_folder()
    pruned = await enforce_retention(rt.uow, clock(), retention(rt.settings), folder)
    out(rt.text("retention-done", replays=pruned.replays, uploads=pruned.uploads))
    return 0
