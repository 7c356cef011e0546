"""'phocap export pledges': every pledge, with its commune, as JSON, CSV or xlsx."""

from __future__ import annotations

import argparse

from bot.cli.common import Parsers, export_options, write_rows
from bot.runtime import Runtime
from core.clock import Clock
from core.services.pledges import PledgeExport, export_pledges

PLEDGE_FIELDS = (
    "code",
    "kind",
    "quantity",
    "condition",
    "model",
    "amount",
    "offer",
    "commune",
    "commune_code",
    "donor_name",
    "status",
    "created_at",
)


def add_parsers(parsers: Parsers) -> None:
    pledges = parsers.exports.add_parser("pledges")
    export_options(pledges)
    pledges.set_defaults(run=cmd_export_pledges)


async def cmd_export_pledges(rt: Runtime, args: argparse.Namespace, _clock: Clock) -> int:
    async with rt.uow() as uow:
        rows = [pledge_row(r) for r in await export_pledges(uow)]
    write_rows(rows, PLEDGE_FIELDS, args.format, args.out, rt.text)
    return 0


def pledge_row(row: PledgeExport) -> dict[str, object]:
    """One pledge as export columns; the donor's contact number stays out (personal data)."""
    p = row.pledge
    return {
        "code": p.code,
        "kind": p.kind.value,
        "quantity": p.quantity,
        "condition": p.condition,
        "model": p.model,
        "amount": p.amount,
        "offer": p.offer,
        "commune": row.commune,
        "commune_code": row.commune_code,
        "donor_name": p.donor_name,
        "status": p.status.value,
        "created_at": p.created_at.isoformat(),
    }
