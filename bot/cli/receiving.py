"""'phocap receive', 'phocap stock' and 'phocap import served': donations in, stock on hand,
people already given a device by another programme."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import CLI, Parsers, out, read_list, unit_or_province
from bot.runtime import Runtime
from core.clock import Clock
from core.dates import format_date
from core.importing import RowError
from core.model import Level, Receipt, ReceiptSource
from core.money import format_amount, parse_amount
from core.names import in_running_text
from core.ports import UnitOfWork
from core.services.gifts import import_other_programme
from core.services.pledges import find_pledge
from core.services.receiving import (
    ReceiptForm,
    StockLine,
    earmarked_for,
    receipt_source,
    record_receipt,
    stock,
)
from core.services.units import find_unit


def add_parsers(parsers: Parsers) -> None:
    receive = parsers.top.add_parser("receive")
    receive.add_argument("--unit", required=True)
    receive.add_argument("--pledge")
    receive.add_argument("--donor")
    receive.add_argument("--phones", type=int, default=0)
    receive.add_argument("--model")
    receive.add_argument("--used", action="store_true")
    receive.add_argument("--serial", action="append", default=[])
    receive.add_argument("--money")
    receive.add_argument("--number")
    receive.add_argument("--note")
    receive.add_argument("--source", choices=[s.value for s in ReceiptSource])
    receive.set_defaults(run=cmd_receive)

    holdings = parsers.top.add_parser("stock")
    holdings.add_argument("--unit")
    holdings.add_argument("--json", action="store_true")
    holdings.set_defaults(run=cmd_stock)

    served = parsers.imports.add_parser("served")
    served.add_argument("file", type=Path)
    served.add_argument("--commune", required=True)
    served.add_argument("--programme", required=True)
    served.set_defaults(run=cmd_import_served)


async def cmd_receive(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Record a receipt and print it: number, what arrived, where, and the pledge's state."""
    money = parse_amount(args.money) if args.money else 0  # a RuleError ends with exit code 1
    async with rt.uow() as uow:
        unit = await find_unit(uow, rt.settings.dataset, args.unit)
        form = ReceiptForm(
            unit_id=unit.id, phones=args.phones, money=money, model=args.model,
            condition="used" if args.used else None, serials=tuple(args.serial),
            pledge_code=args.pledge, donor_name=args.donor, number=args.number, note=args.note,
            source=receipt_source(args.source),
        )
        receipt = await record_receipt(uow, CLI, form, clock())
        lines = await _receipt_lines(rt, uow, receipt, unit.name)
        if args.pledge:
            lines.extend(await _pledge_lines(rt, uow, receipt, args.pledge))
        await uow.commit()
    for line in lines:
        out(line)
    return 0


async def _receipt_lines(rt: Runtime, uow: UnitOfWork, receipt: Receipt, unit: str
                         ) -> list[str]:
    when = format_date(receipt.received_at.astimezone(rt.settings.tz).date())
    lines = [rt.text("receiving-cli-done", number=receipt.number, unit=unit, date=when)]
    if receipt.phones:
        lines.append(rt.text(
            "receiving-cli-phones", phones=receipt.phones,
            model=receipt.model or "key:pledge-model-none",
            condition_label=f"key:pledge-state-{receipt.condition}",
        ))
    if receipt.serials:
        lines.append(rt.text("receiving-cli-serials", serials=", ".join(receipt.serials)))
    if receipt.money:
        lines.append(rt.text("receiving-cli-money", money=format_amount(receipt.money)))
    if receipt.donor_name:
        lines.append(rt.text("receiving-cli-donor", donor=receipt.donor_name))
    else:
        lines.append(rt.text("receiving-cli-anonymous"))
    return lines


async def _pledge_lines(rt: Runtime, uow: UnitOfWork, receipt: Receipt, typed: str) -> list[str]:
    """The pledge's state after this receipt, and where its stock is kept."""
    pledge = await find_pledge(uow, typed)
    if pledge is None:
        return []
    lines = [rt.text("receiving-cli-pledge", code=pledge.code,
                     status_label=f"key:receiving-status-{pledge.status.value}")]
    commune_id = await earmarked_for(uow, receipt)
    if commune_id is not None:
        commune = await uow.units.get(commune_id)
        lines.append(rt.text("receiving-cli-earmark",
                             commune=in_running_text(commune.name) if commune else ""))
    return lines


async def cmd_stock(rt: Runtime, args: argparse.Namespace, _clock: Clock) -> int:
    """Phones and money on hand at a unit (default: the province) and at each unit below."""
    async with rt.uow() as uow:
        unit = await unit_or_province(uow, rt, args.unit)
        lines = await stock(uow, CLI, unit)
    if args.json:
        out(json.dumps([_stock_row(line) for line in lines], ensure_ascii=False, indent=2))
        return 0
    out(rt.text("receiving-stock-title", unit=unit.name))
    for line in lines:
        row = _stock_row(line)
        for key in ("money", "subtree_money"):
            row[key] = format_amount(int(str(row[key])))
        out(rt.text("receiving-stock-line", **row))
    return 0


def _stock_row(line: StockLine) -> dict[str, object]:
    return {
        "code": line.unit.code,
        "name": line.unit.name,
        "level": line.unit.level.value,
        "phones": line.holdings.phones,
        "money": line.holdings.money,
        "subtree_phones": line.subtree_phones,
        "subtree_money": line.subtree_money,
        "lots": [{"receipt_id": r, "phones": n} for r, n in line.holdings.lots],
    }


async def cmd_import_served(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Another programme's list of people given a device: matched, recorded, the rest listed."""
    table = await read_list(rt, args.file)
    rows = [(row.line, table.values(row)) for row in table.rows]
    async with rt.uow() as uow:
        commune = await find_unit(uow, rt.settings.dataset, args.commune, Level.COMMUNE)
        report = await import_other_programme(uow, CLI, commune, rows, args.programme, clock())
        await uow.commit()
    out(rt.text("receiving-served-summary", commune=commune.name, programme=report.programme,
                recorded=report.recorded, already=report.already,
                problems=len(report.problems)))
    for err in report.problems:
        out(_problem_line(rt, err))
    return 0


def _problem_line(rt: Runtime, err: RowError) -> str:
    reason = rt.text(err.key, **err.params)
    if err.field is None:
        return rt.text("receiving-served-row", line=err.line, reason=reason)
    return rt.text("receiving-served-row-field", line=err.line,
                   field=rt.text(f"column-{err.field}"), reason=reason)
