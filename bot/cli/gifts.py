"""'phocap gift': a commune officer's record that a giver served a resident (a shop's offer,
a direct gift), or that the resident bought their own phone; they leave the queues."""

from __future__ import annotations

import argparse

from bot.cli.common import CLI, Parsers, out
from bot.runtime import Runtime
from core.clock import Clock
from core.errors import RuleError
from core.model import Resident, SupportKind
from core.ports import UnitOfWork
from core.services import gifts

KINDS = {"offer": SupportKind.SHOP_OFFER, "direct": SupportKind.DIRECT_GIFT,
         "own": SupportKind.OWN_PURCHASE}


def add_parsers(parsers: Parsers) -> None:
    gift = parsers.top.add_parser("gift")
    gift.add_argument("--resident", required=True)  # a record id or a 12-digit citizen ID
    gift.add_argument("--kind", required=True, choices=tuple(KINDS))
    gift.add_argument("--giver", default="")
    gift.add_argument("--pledge")
    gift.add_argument("--what")
    gift.set_defaults(run=cmd_gift)


async def cmd_gift(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    """Record it and say who was served (the record's number, never the citizen ID)."""
    kind = KINDS[args.kind]
    async with rt.uow() as uow:
        resident = await find_resident(uow, args.resident)
        if kind is SupportKind.OWN_PURCHASE:
            support = await gifts.record_own_purchase(uow, CLI, resident.id, args.what, clock())
        else:
            support = await gifts.record_gift(uow, CLI, resident.id, kind, args.giver,
                                              args.what, clock(), pledge=args.pledge)
        await uow.commit()
    out(rt.text("gifts-cli-done", support=f"S-{support.id}", name=resident.full_name,
                resident=resident.id, kind_label=f"key:receiving-kind-{kind.value}"))
    return 0


async def find_resident(uow: UnitOfWork, typed: str) -> Resident:
    """A resident by record id, or by their 12-digit citizen ID."""
    wanted = typed.strip()
    found = None
    if wanted.isdigit() and len(wanted) == 12:
        found = await uow.residents.by_citizen_id(wanted)
    elif wanted.isdigit():
        found = await uow.residents.get(int(wanted))
    if found is None:
        raise RuleError("gifts-resident-unknown")  # the typed ID is not repeated: no CCCD in logs
    return found
