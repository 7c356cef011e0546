"""'phocap allocate [--json] [--commit] [--unit UNIT]': the plan and each commune's list.

Without --commit nothing is written. --commit records the plan as it stands at that moment:
the whole of it (every distribution to communes, then every commune's list), or with --unit
one unit's part (a province's or district's distribution, a commune's own list, plan III.4);
with --fingerprint it records it only if it is still the one a reader checked.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from bot.cli.common import CLI, Parsers
from bot.runtime import Runtime
from core.allocation import Entry, explain_entry
from core.clock import Clock
from core.dates import format_date
from core.money import format_amount
from core.priority import Support as Queue
from core.services import allocation
from core.services.allocation import AllocationView, Committed, CommunePlan
from core.services.units import find_unit


def add_parsers(parsers: Parsers) -> None:
    cmd = parsers.top.add_parser("allocate")
    cmd.add_argument("--json", action="store_true")
    cmd.add_argument("--commit", action="store_true")
    cmd.add_argument("--fingerprint", help="commit only if the plan is still this one")
    cmd.add_argument("--on", type=date.fromisoformat, help="YYYY-MM-DD; default: today")
    cmd.add_argument("--unit", help="one unit's part: a commune's list, or the distribution "
                                    "of what a province or district holds")
    cmd.set_defaults(run=cmd_allocate)


async def cmd_allocate(rt: Runtime, args: argparse.Namespace, clock: Clock) -> int:
    now = clock().astimezone(rt.settings.tz)
    on: date = args.on or now.date()
    per_person = rt.settings.support_per_person
    async with rt.uow() as uow:
        unit = await find_unit(uow, rt.settings.dataset, args.unit) if args.unit else None
        if args.commit:
            done = await allocation.commit(uow, CLI, rt.settings.dataset, on, now,
                                           per_person, expected=args.fingerprint, unit=unit,
                                           tz=rt.settings.tz)
            await uow.commit()
        view = await allocation.preview(uow, rt.settings.dataset, on, per_person, unit=unit)
        moved = {m.receipt_id for m in view.written_moves}
        numbers = {r: (await uow.receipts.get(r)) for r in moved if r is not None}
    receipts = {r: rc.number for r, rc in numbers.items() if rc is not None}
    if args.json:
        data = view_json(rt, view, receipts)
        if args.commit:
            data["committed"] = _committed_json(done)
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        if args.commit:
            print(rt.text("allocation-cli-committed", plan=done.plan_id, transfers=done.transfers,
                          whole=done.whole, partial=done.partial))
        print(view_text(rt, view, receipts, committed=args.commit))
    return 0


# ---- JSON -------------------------------------------------------------------------------------


def view_json(rt: Runtime, view: AllocationView, receipts: dict[int, str]) -> dict[str, Any]:
    return {
        "on": view.on.isoformat(),
        "per_person": view.per_person,
        "fingerprint": view.fingerprint,
        "unit": view.part.code if view.part else None,  # whose part; None: the whole plan
        "province": {
            "code": view.province.code,
            "name": view.province.name,
            "phones": _plan_json(view.phones, 1),
            "money": _plan_json(view.money, view.per_person),
        },
        "transfers": [
            {"from": m.from_unit.code, "to": m.to_unit.code, "to_name": m.to_unit.name,
             "phones": m.phones, "money": m.money,
             "receipt": receipts.get(m.receipt_id) if m.receipt_id else None,
             "earmark": m.earmark}
            for m in view.written_moves
        ],
        "communes": [_commune_json(rt, c) for c in view.communes],
    }


def _plan_json(plan: Any, unit: int) -> dict[str, Any]:
    """A province plan; `unit` turns shares into dong for money (1 for phones)."""
    return {
        "available": plan.available * unit,
        "demand_by_tier": list(plan.demand),
        "served_by_tier": list(plan.served),
        "rationed_tier": plan.rationed_tier,
        "left": plan.left * unit,
    }


def _commune_json(rt: Runtime, c: CommunePlan) -> dict[str, Any]:
    a = c.assignment
    return {
        "code": c.commune.code,
        "name": c.commune.name,
        "phones_held": c.phones_held,
        "money_held": c.money_held,
        "phones_in": c.phones_in,
        "money_in": c.money_in,
        "phones_left": a.phones_left,
        "money_left": a.money_left,
        # what each queue holds this round: phones, and people's shares of money
        "stock": {queue.value: a.stock(queue) for queue in Queue},
        # the phone queue in order, then the money queue: a person waiting for both is in
        # both, each line with that queue's position and total and the facts that set it
        "entries": [_entry_json(rt, c, e) for e in a.entries],
    }


def _entry_json(rt: Runtime, c: CommunePlan, e: Entry) -> dict[str, Any]:
    r = e.ranked
    return {
        "resident_id": e.resident_id,
        "support": e.support.value if e.support else None,
        "queue": r.support.value,
        "tier": e.tier,
        "position": e.position,
        "of_total": e.of_total,
        "waiting": e.waiting,
        "household_id": r.candidate.household_id,
        "household": r.household.value,
        "approved_at": r.candidate.approved_at.isoformat() if r.candidate.approved_at else None,
        "decided": r.decided.value,
        "explanation": explanation(rt, c, e),
    }


def explanation(rt: Runtime, c: CommunePlan, e: Entry) -> str:
    key, params = explain_entry(c.assignment, e, c.commune.name, rt.settings.tz)
    return rt.text(key, **params)


def _committed_json(done: Committed) -> dict[str, int]:
    return {"plan_id": done.plan_id, "transfers": done.transfers, "whole": done.whole,
            "partial": done.partial}


# ---- text -------------------------------------------------------------------------------------


def view_text(rt: Runtime, view: AllocationView, receipts: dict[int, str],
              committed: bool) -> str:
    lines = [rt.text("allocation-cli-title", date=format_date(view.on),
                     per_person=format_amount(view.per_person))]
    lines.append(rt.text("allocation-cli-province", phones=view.phones.available,
                         money=format_amount(view.money.available * view.per_person)))
    for m in view.written_moves:
        key = "allocation-cli-earmark" if m.earmark else "allocation-cli-transfer"
        lines.append(rt.text(key, source=m.from_unit.name, target=m.to_unit.name,
                             phones=m.phones, money=format_amount(m.money),
                             receipt=receipts.get(m.receipt_id or 0, "-")))
    for c in view.communes:
        lines += _commune_text(rt, c)
    if not committed:
        # the command that records exactly this: with the unit when it is one unit's part
        again = view.fingerprint + (f" --unit {view.part.code}" if view.part else "")
        lines.append(rt.text("allocation-cli-preview-only", fingerprint=again))
    return "\n".join(lines)


def _commune_text(rt: Runtime, c: CommunePlan) -> list[str]:
    a = c.assignment
    given = [(e, e.support) for e in a.entries if e.support is not None]
    kinds = [s.value for _, s in given]
    lines = ["", rt.text("allocation-cli-commune", commune=c.commune.name,
                         phones=c.phones_held + c.phones_in,
                         money=format_amount(c.money_held + c.money_in),
                         whole=kinds.count("whole"), partial=kinds.count("partial"),
                         waiting=len(a.waiting()))]
    for e, support in given:
        label = rt.text(f"allocation-cli-support-{support.value}")
        lines.append(rt.text("allocation-cli-entry", resident=e.resident_id, support=label,
                             explanation=explanation(rt, c, e)))
    return lines
