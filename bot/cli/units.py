"""'phocap import units' and 'phocap export units': the administrative tree in and out."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from bot import seed
from bot.cli.common import CLI, Parsers, export_options, out, write_rows
from bot.runtime import Runtime
from core.clock import Clock
from core.services.units import import_units

UNIT_FIELDS = ("code", "name", "level", "parent", "dataset", "adults", "households", "address",
               "pilot", "no_signal")


def add_parsers(parsers: Parsers) -> None:
    units = parsers.imports.add_parser("units")
    units.add_argument("file", type=Path)
    units.set_defaults(run=cmd_import_units)

    exp_units = parsers.exports.add_parser("units")
    export_options(exp_units)
    exp_units.add_argument("--dataset")
    exp_units.set_defaults(run=cmd_export_units)


async def cmd_import_units(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    dataset, records = seed.read_unit_file(args.file)
    async with rt.uow() as uow:
        result = await import_units(uow, CLI, dataset, records, clock())
        await uow.commit()
    out(rt.text("cli-units-imported", dataset=dataset, **asdict(result)))
    return 0


async def cmd_export_units(rt: Runtime, args: argparse.Namespace, _clock: Clock) -> int:
    async with rt.uow() as uow:
        units = await uow.units.all(args.dataset or rt.settings.dataset)
    codes = {u.id: u.code for u in units}
    rows: list[dict[str, object]] = [
        {
            "code": u.code, "name": u.name, "level": u.level.value,
            "parent": codes.get(u.parent_id) if u.parent_id else None, "dataset": u.dataset,
            "adults": u.adult_population, "households": u.household_population,
            "address": u.address, "pilot": u.pilot, "no_signal": u.no_signal,
        }
        for u in units
    ]
    write_rows(rows, UNIT_FIELDS, args.format, args.out, rt.text)
    return 0
