"""The demo's programme beside its population (bot/data/demo-programme.json): a receipt from
each source of plan IV, a direct gift and a shop's offer used by one resident, the commune's
villages surveyed but the demo village head's, and a village without mobile signal. Sample
data, no real record."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.seed import DATA
from core.model import Actor, Level, PledgeKind, ReceiptSource, Resident, Status, SupportKind
from core.ports import UnitOfWork
from core.services import survey
from core.services.gifts import record_gift
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt


async def load_demo_programme(uow: UnitOfWork, actor: Actor, dataset: str,
                              now: datetime) -> None:
    spec: dict[str, Any] = json.loads((DATA / "demo-programme.json").read_text("utf-8"))
    commune = await uow.units.by_code(dataset, str(spec["commune"]))
    if commune is None:  # another dataset's demo: nothing of this to show
        return
    villages = [v for v in await uow.units.children(commune.id) if v.level is Level.VILLAGE]
    for village in villages[len(villages) - int(spec["no_signal"]):]:
        await uow.units.save(replace(village, no_signal=True))
    # the first villages stay unsurveyed: Na Dam's demo village head can mark it in chat
    for village in villages[int(spec["unsurveyed"]):]:
        await survey.mark_survey_done(uow, actor, village.id, now)
    for r in spec["receipts"]:
        await record_receipt(uow, actor, ReceiptForm(
            unit_id=commune.id, phones=int(r.get("phones", 0)), money=int(r.get("money", 0)),
            model=r.get("model"), donor_name=r["donor"], number=r["number"],
            source=ReceiptSource(r["source"])), now)
    waiting = [r for v in villages[:1] for r in await uow.residents.in_units([v.id])
               if r.status is Status.APPROVED and not r.has_smartphone]
    await _gifts(uow, actor, spec, commune.id, waiting[-2:], now)


async def _gifts(uow: UnitOfWork, actor: Actor, spec: dict[str, Any], commune_id: int,
                 people: list[Resident], now: datetime) -> None:
    """A direct gift to one, a shop's offer (pledged, then used) to the other."""
    if len(people) < 2:
        return
    gift, offer = spec["direct_gift"], spec["offer"]
    await record_gift(uow, actor, people[0].id, SupportKind.DIRECT_GIFT, gift["giver"],
                      gift["what"], now)
    pledge = await make_pledge(uow, actor, PledgeForm(
        PledgeKind.OFFER, offer=offer["offer"], commune_id=commune_id,
        donor_name=offer["shop"]), None, None, now)
    await record_gift(uow, actor, people[1].id, SupportKind.SHOP_OFFER, "", offer["what"],
                      now, pledge=pledge.code)
