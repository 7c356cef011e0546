"""What every command shares: its signature, the actor, where it registers, how it prints."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias

from bot.runtime import Runtime, make_table_reader
from core.clock import Clock
from core.model import Actor, Unit
from core.ports import UnitOfWork
from core.services.units import find_unit, province
from documents.spreadsheets import Table, rows_to_csv, rows_to_xlsx

CLI = Actor(label="cli", system=True)

# A command: the runtime, its parsed arguments and the clock in; the exit code out
# (0 done, 1 refused, 2 not ready; argparse itself exits with 2 on bad arguments).
Command: TypeAlias = Callable[[Runtime, argparse.Namespace, Clock], Awaitable[int]]
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
Text: TypeAlias = Callable[..., str]


@dataclass(frozen=True)
class Parsers:
    """Where a command group adds its commands: 'phocap X', 'phocap import X', 'phocap export X'."""

    top: Subparsers
    imports: Subparsers
    exports: Subparsers


class Group(Protocol):
    """A module of commands (bot.cli.units, bot.cli.report...): it adds them to the parsers."""

    def add_parsers(self, parsers: Parsers) -> None: ...


def out(text: str) -> None:
    print(text, flush=True)


async def unit_or_province(uow: UnitOfWork, rt: Runtime, typed: str | None) -> Unit:
    """The unit a --unit argument names (code or name), or the province when it is absent."""
    if typed:
        return await find_unit(uow, rt.settings.dataset, typed)
    return await province(uow, rt.settings.dataset)


def export_options(p: argparse.ArgumentParser) -> None:
    """--format and --out, the same for every 'phocap export X'."""
    p.add_argument("--format", choices=("json", "csv", "xlsx"), default="json")
    p.add_argument("--out", type=Path)


def write_rows(
    rows: Sequence[dict[str, object]], columns: Sequence[str], fmt: str, target: Path | None,
    text: Text,
) -> None:
    """Rows out as JSON, CSV (UTF-8 with BOM, so Excel reads the diacritics) or xlsx."""
    if fmt == "json":
        data = json.dumps(list(rows), ensure_ascii=False, indent=2, default=str)
        emit(data.encode("utf-8"), target)
    elif fmt == "csv":
        emit(rows_to_csv(rows, columns), target)
    else:
        emit(rows_to_xlsx(rows, columns, text), target)


def emit(data: bytes, target: Path | None) -> None:
    """A document to the file asked for, or to stdout followed by a newline."""
    if target is None:
        sys.stdout.buffer.write(data + b"\n")
        sys.stdout.flush()
    else:
        target.write_bytes(data)


async def read_list(rt: Runtime, path: Path) -> Table:
    """A list to import, read in a worker within the settings' limits, as the admin reads
    uploads; a RuleError says why it cannot be (the command ends with exit code 1)."""
    reader = make_table_reader(rt.settings)
    try:
        return await reader.read(path)
    finally:
        reader.close()
