"""The 'phocap' command: argument parsing, then one async function per command.

Each command group is a module beside this one that registers its subcommands; none of them
imports this package or another group, only bot.cli.common and what lies below.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot.cli import (
    allocate,
    backup,
    gifts,
    handover,
    ledger,
    pledges,
    posting,
    receiving,
    report,
    residents,
    retention,
    serve,
    units,
    users,
    zalo,
)
from bot.cli.common import Command, Group, Parsers
from bot.logs import setup_logging
from bot.runtime import open_runtime
from bot.settings import Settings, SettingsError, load_settings
from core.clock import Clock, system_clock
from core.errors import RuleError
from core.i18n import load_catalogue

# In this order the commands appear in 'phocap --help', as they always have.
GROUPS: tuple[Group, ...] = (
    units, residents, pledges, receiving, gifts, handover, ledger, report, allocate, posting,
    backup, users, retention,
    zalo,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phocap")
    top = parser.add_subparsers(dest="command", required=True)
    serve.add_parsers(top)  # 'init' and 'run' come first, before 'import' and 'export'
    imports = top.add_parser("import").add_subparsers(dest="what", required=True)
    exports = top.add_parser("export").add_subparsers(dest="what", required=True)
    parsers = Parsers(top=top, imports=imports, exports=exports)
    for group in GROUPS:
        group.add_parsers(parsers)
    return parser


def main(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None,
         clock: Clock = system_clock) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(environ)
    except SettingsError as err:
        # The settings failed, so the locale is whatever the environment asked for, if known.
        locale = (environ or os.environ).get("PHOCAP_LOCALE", "")
        catalogue = load_catalogue()
        print(catalogue.text("settings-error", locale, name=err.name,
                             reason=catalogue.text(err.key, locale, **err.params)), file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    return asyncio.run(_run(settings, args, clock))


async def _run(settings: Settings, args: argparse.Namespace, clock: Clock) -> int:
    command: Command = args.run
    async with open_runtime(settings) as rt:
        try:
            return int(await command(rt, args, clock))
        except RuleError as err:
            print(rt.text(err.key, **err.params), file=sys.stderr)
            return 1
