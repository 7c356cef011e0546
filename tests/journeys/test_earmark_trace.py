"""The trace of one earmarked phone, end to end (issue 14, "Tests"): pledged for commune A
(xa Con Minh), received and recorded at commune B (xa Giao Hieu) by the province's officer,
A's stock from that moment, A's list committed by A's own officer, the public trace and the
ledger checked. The handover and the recipient's confirmation of that very phone continue
this journey (step functions below, one per step, so that they can be added after commit).

Worked by hand: one poor adult of a merit family waits in each commune (whole-phone tier 1).
Giao Hieu's officer may not record the receipt (the pledge is not his to see). The province's
officer records it at Giao Hieu: ledger "receipt" at 01870, then "transfer" 01870 -> 02173
(earmark); stock: Giao Hieu 0, Con Minh 1. Con Minh's officer commits Con Minh's list: its one
phone to Con Minh's adult, drawn from that receipt; Giao Hieu's adult still waits (Giao Hieu
holds nothing). The public page of the pledge shows the receipt at Giao Hieu and the phone's
destination in xa Con Minh; `phocap ledger verify` passes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from admin.public import pledge_view
from core.errors import RuleError
from core.model import Actor, Official, PledgeKind, Policy, Poverty, Role, Unit
from core.services import allocation, registry
from core.services.officials import add_official
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli import phocap as run_cli
from tests.conftest import SYSTEM
from tests.journeys.common import seed
from tests.posting_setup import posted_before

IMEI = "490154203237518"
CON_MINH, GIAO_HIEU = "02173", "01870"
# "Trieu Van Phuc" (Con Minh) and "Hoang Thi Lan" (Giao Hieu), poor, merit families
PHUC = "Tri\u1ec7u V\u0103n Ph\u00fac"
LAN = "Ho\u00e0ng Th\u1ecb Lan"


def actor(official: Official) -> Actor:
    return Actor(label=f"official:{official.id}", official_id=official.id, role=official.role,
                 unit_id=official.unit_id)


@dataclass
class Trace:
    uow: SqlUnitOfWorkFactory
    database_url: str
    tmp_path: Path
    units: dict[str, Unit]
    officers: dict[str, Official]
    residents: dict[str, int]
    pledge: str = ""
    receipt_id: int = 0
    receipt_number: str = ""

    async def now(self) -> datetime:
        return datetime.now(UTC)

    def cli(self, *args: str) -> str:
        done = run_cli(self.tmp_path, *args, PHOCAP_DATABASE_URL=self.database_url)
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture
async def trace(database_url: str, tmp_path: Path) -> Trace:
    await seed(database_url)
    engine = make_engine(database_url)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    now = datetime.now(UTC)
    async with uow() as u:
        units = {c: x for c in ("06", CON_MINH, GIAO_HIEU, f"{CON_MINH}-01", f"{GIAO_HIEU}-01")
                 if (x := await u.units.by_code("2023", c)) is not None}
        officers = {
            "province": await add_official(u, SYSTEM, "Can Bo Tinh", Role.PROVINCE,
                                           units["06"].id, now),
            CON_MINH: await add_official(u, SYSTEM, "Can Bo Con Minh", Role.COMMUNE,
                                         units[CON_MINH].id, now),
            GIAO_HIEU: await add_official(u, SYSTEM, "Can Bo Giao Hieu", Role.COMMUNE,
                                          units[GIAO_HIEU].id, now),
        }
        residents = {}
        for commune, name in ((CON_MINH, PHUC), (GIAO_HIEU, LAN)):
            h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
                units[f"{commune}-01"].id, name, Poverty.POOR, Policy.MERIT, False), now)
            r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
                name, date(1970, 5, 1), False), now, now.date())
            await registry.approve(u, SYSTEM, r.id, now)
            residents[commune] = r.id
        await u.commit()
    yield Trace(uow, database_url, tmp_path, units, officers, residents)  # type: ignore[misc]
    await engine.dispose()


async def pledge_for_con_minh(t: Trace) -> None:
    async with t.uow() as u:
        chat = await u.chats.get_or_create("web", "donor", await t.now())
        p = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.PHONES, quantity=1, condition="new", model="Nokia C32",
            commune_id=t.units[CON_MINH].id), "web", chat.id, await t.now())
        await u.commit()
    t.pledge = p.code


async def receive_at_giao_hieu(t: Trace) -> None:
    form = ReceiptForm(t.units[GIAO_HIEU].id, phones=1, serials=(IMEI,), pledge_code=t.pledge)
    async with t.uow() as u:  # not Giao Hieu's officer's pledge: as if there were none
        with pytest.raises(RuleError) as refused:
            await record_receipt(u, actor(t.officers[GIAO_HIEU]), form, await t.now())
    assert refused.value.key == "receiving-pledge-unknown"
    async with t.uow() as u:
        receipt = await record_receipt(u, actor(t.officers["province"]), form, await t.now())
        await u.commit()
    t.receipt_id, t.receipt_number = receipt.id, receipt.number
    # `phocap stock` shows the phone at Con Minh, none at Giao Hieu
    na_ri = json.loads(await asyncio.to_thread(t.cli, "stock", "--unit", "066", "--json"))
    pac_nam = json.loads(await asyncio.to_thread(t.cli, "stock", "--unit", "060", "--json"))
    assert [(r["phones"], r["lots"]) for r in na_ri if r["code"] == CON_MINH] == [
        (1, [{"receipt_id": receipt.id, "phones": 1}])]
    assert [r["phones"] for r in pac_nam if r["code"] == GIAO_HIEU] == [0]


async def con_minh_commits_its_list(t: Trace) -> None:
    on = (await t.now()).date()
    # posted for objections first (issue 18), a full period before
    await posted_before(t.uow, actor(t.officers[CON_MINH]), t.units[CON_MINH], on,
                        await t.now())
    async with t.uow() as u:
        held = await u.receipts.holdings_by_unit([t.units[CON_MINH].id, t.units[GIAO_HIEU].id])
        giao_hieu = await allocation.preview(u, "2023", on, unit=t.units[GIAO_HIEU])
        mine = await allocation.preview(u, "2023", on, unit=t.units[CON_MINH])
        done = await allocation.commit(u, actor(t.officers[CON_MINH]), "2023", on,
                                       await t.now(), expected=mine.fingerprint)
        await u.commit()
    assert held[t.units[CON_MINH].id].phones == 1 and held[t.units[GIAO_HIEU].id].phones == 0
    # Giao Hieu's one resident waits, in the phone queue and in the money queue alike
    assert {(e.resident_id, e.waiting) for c in giao_hieu.communes
            for e in c.assignment.entries} == {(t.residents[GIAO_HIEU], True)}
    assert (done.transfers, done.whole, done.partial) == (0, 1, 0)
    async with t.uow() as u:
        phuc = await u.supports.active_for(t.residents[CON_MINH])
        lan = await u.supports.active_for(t.residents[GIAO_HIEU])
    assert phuc is not None and lan is None
    assert (phuc.holder_unit_id, phuc.receipt_id) == (t.units[CON_MINH].id, t.receipt_id)


async def the_trace_is_public_and_the_ledger_holds(t: Trace) -> None:
    async with t.uow() as u:
        view = await pledge_view(u, t.pledge)
    assert view is not None
    assert [(r.receipt.number, r.unit.code if r.unit else None) for r in view.receipts] == [
        (t.receipt_number, GIAO_HIEU)]
    assert [d.commune.code if d.commune else None for d in view.destinations] == [CON_MINH]
    kinds = [(e.kind, e.payload.get("to") or e.payload.get("commune") or e.payload.get("unit"))
             for e in view.entries]
    assert kinds == [("receipt", GIAO_HIEU), ("transfer", CON_MINH), ("assignment", CON_MINH)]
    assert PHUC not in str([e.payload for e in view.entries])
    await asyncio.to_thread(t.cli, "ledger", "verify")


async def test_an_earmarked_phone_received_elsewhere_reaches_its_commune(trace: Trace) -> None:
    await pledge_for_con_minh(trace)
    await receive_at_giao_hieu(trace)
    await con_minh_commits_its_list(trace)
    await the_trace_is_public_and_the_ledger_holds(trace)
