"""The allocation plan from the records: worked by hand, committed once, never twice.

The scene, worked out by hand before the code ran (t1 < t2 < t3 < t4 are approval times):

xa Con Minh (CM), village Na Dam
  H1 poor, merit family:  a1 (t1), a2 (t2), a3 (t4)      whole-phone tier 1
  H2 poor, merit family:  b1 (t3)                        whole-phone tier 1
  H3 poor, no policy:     c1 (t1)                        whole-phone tier 3
xa Nghia Ta (NT), village Na Pau
  H4 near-poor, merit:    d1 (t1)                        whole-phone tier 1
  H5 poor, merit:         e1 (t2)                        whole-phone tier 1

The province receives 3 phones and 1,200,000 d, and 1 phone pledged for NT (an earmark).
1. The earmarked phone went to NT when it was received (issue 14: an earmark is its commune's
   stock from that moment): NT lacks 1 more in tier 1, CM lacks 4 in tier 1, 1 in 3.
2. Tier 1 wants 5 > 3 phones: shared 3*4/5 = 2.4 and 3*1/5 = 0.6 -> floors 2 and 0, the one
   left to the larger remainder (0.6): CM 2, NT 1.
3. CM gives its 2 phones to a1 and b1: one whole phone per household first (issue 14: before,
   a2 got H1's second phone ahead of b1 of H2, which had none); a2 (t2) is 3rd, a3 4th, behind
   b1 (t3), because H1 has a phone given earlier in this same plan. NT gives d1, e1 theirs.
4. Part of the price at 500,000 d: CM's queue is c1 (tier 1, t1), then a2 (t2) and a3 (t4) in
   tier 2 (a member of H1 got a whole phone). The province's 1,200,000 d is 2 shares: tier 1
   wants 1 (c1), tier 2 wants 2 and gets the 1 left (rationed): c1 and a2 are paid; 200,000 d
   stays at the province; a3 waits, 2nd of 2 in tier 2, 3rd of 3 in the money queue.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from core.errors import RuleError
from core.ledger import first_bad
from core.model import Actor, PledgeKind, Policy, Poverty, Role, SupportKind, Unit
from core.priority import Support as Queue
from core.services import allocation, registry
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handover_setup import units

ON = date(2023, 10, 2)
DATASET = "2023"


@dataclass
class Scene:
    province: Unit
    cm: Unit
    nt: Unit
    ids: dict[str, int]


async def adult(u: object, village: Unit, household: int | None, name: str, approved: datetime,
                poverty: Poverty = Poverty.POOR, policy: Policy = Policy.MERIT,
                ) -> tuple[int, int]:
    """A registered adult, approved at `approved`; (resident id, household id)."""
    if household is None:
        h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(  # type: ignore[arg-type]
            village.id, name, poverty, policy, False), approved)
        household = h.id
    r = await registry.register_resident(u, SYSTEM, household, registry.ResidentForm(  # type: ignore[arg-type]
        name, date(1980, 1, 1), False), approved, approved.date())
    await registry.approve(u, SYSTEM, r.id, approved)  # type: ignore[arg-type]
    return r.id, household


@pytest.fixture
async def scene(uow: SqlUnitOfWorkFactory, now: datetime) -> Scene:
    found = await units(uow, now)
    cm_village, nt_village = found["02173-01"], found["02071-01"]
    t = [now + timedelta(hours=h) for h in range(5)]
    ids: dict[str, int] = {}
    async with uow() as u:
        ids["a1"], h1 = await adult(u, cm_village, None, "Ma Van A", t[1])
        ids["a2"], _ = await adult(u, cm_village, h1, "Ma Van Hai", t[2])
        ids["b1"], _ = await adult(u, cm_village, None, "Be Van Ba", t[3])
        ids["c1"], _ = await adult(u, cm_village, None, "Ly Van Cuong", t[1], policy=Policy.NONE)
        ids["a3"], _ = await adult(u, cm_village, h1, "Ma Thi Ba", t[4])
        ids["d1"], _ = await adult(u, nt_village, None, "Ha Van Dung", t[1],
                                   poverty=Poverty.NEAR_POOR)
        ids["e1"], _ = await adult(u, nt_village, None, "Ha Van Em", t[2])
        province = found["06"]
        await record_receipt(u, SYSTEM, ReceiptForm(province.id, phones=3, money=1_200_000), now)
        chat = await u.chats.get_or_create("web", "donor", now)
        pledge = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.PHONES, quantity=1, condition="new", commune_id=found["02071"].id),
            "web", chat.id, now)
        await record_receipt(u, SYSTEM, ReceiptForm(province.id, phones=1,
                                                    pledge_code=pledge.code), now)
        await u.commit()
    return Scene(province, found["02173"], found["02071"], ids)


def given(view: allocation.AllocationView, commune: Unit) -> dict[int, tuple[str, int, int]]:
    """resident id -> (support, tier, position) of those served in the commune's list."""
    [plan] = [c for c in view.communes if c.commune.id == commune.id]
    return {e.resident_id: (e.support.value, e.tier, e.position)
            for e in plan.assignment.entries if e.support is not None}


async def test_the_plan_matches_the_one_worked_by_hand(uow: SqlUnitOfWorkFactory,
                                                       scene: Scene) -> None:
    async with uow() as u:
        view = await allocation.preview(u, DATASET, ON)
    ids = scene.ids
    earmarks = [(m.to_unit.code, m.phones) for m in view.moves if m.earmark]
    plan_moves = sorted((m.to_unit.code, m.phones, m.money) for m in view.moves if not m.earmark)
    assert earmarks == []  # moved at the receipt already
    [nt] = [c for c in view.communes if c.commune.id == scene.nt.id]
    assert (nt.phones_held, nt.phones_in) == (1, 1)
    assert plan_moves == [("02071", 1, 0), ("02173", 0, 1_000_000), ("02173", 2, 0)]
    assert view.phones.demand == (5, 0, 1, 0) and view.phones.served == (3, 0, 0, 0)
    assert view.phones.rationed_tier == 1
    assert view.money.available == 2 and view.money.served == (1, 1, 0, 0)
    assert view.money.rationed_tier == 2
    assert given(view, scene.cm) == {
        ids["a1"]: ("whole", 1, 1), ids["b1"]: ("whole", 1, 2),
        ids["c1"]: ("partial", 1, 1), ids["a2"]: ("partial", 2, 2),
    }
    assert given(view, scene.nt) == {ids["d1"]: ("whole", 1, 1), ids["e1"]: ("whole", 1, 2)}
    [cm] = [c for c in view.communes if c.commune.id == scene.cm.id]
    a3 = [(e.waiting, e.ranked.support, e.tier, e.position, e.of_total)
          for e in cm.assignment.entries if e.resident_id == ids["a3"]]
    assert a3 == [(True, Queue.WHOLE, 1, 4, 5), (True, Queue.PARTIAL, 2, 3, 3)]
    assert view.count(Queue.WHOLE) == 4 and view.count(Queue.PARTIAL) == 2


async def test_a_commit_records_it_once_and_leaves_nothing_to_do(
        uow: SqlUnitOfWorkFactory, scene: Scene, now: datetime) -> None:
    async with uow() as u:
        view = await allocation.preview(u, DATASET, ON)
        done = await allocation.commit(u, SYSTEM, DATASET, ON, now, expected=view.fingerprint)
        await u.commit()
    assert (done.transfers, done.whole, done.partial) == (3, 4, 2)
    async with uow() as u:
        held = await u.receipts.holdings_by_unit([scene.province.id, scene.cm.id, scene.nt.id])
        supports = [await u.supports.active_for(r) for r in scene.ids.values()]
        again = await allocation.preview(u, DATASET, ON)
        entries = await u.ledger.all()
        with pytest.raises(RuleError) as refused:
            await allocation.commit(u, SYSTEM, DATASET, ON, now)
    assert refused.value.key == "allocation-nothing"
    assert [(h.phones, h.money) for h in held.values()] == [(0, 200_000), (0, 0), (0, 0)]
    kinds = sorted(s.kind.value for s in supports if s is not None)
    assert kinds == ["partial"] * 2 + ["whole"] * 4  # a3 is still waiting
    assert all(s.receipt_id for s in supports if s and s.kind is SupportKind.WHOLE)
    assert again.moves == () and again.count(Queue.WHOLE) == again.count(Queue.PARTIAL) == 0
    assert first_bad(entries) is None
    assert sum(e.kind == "assignment" for e in entries) == 6
    assert sum(e.kind == "transfer" for e in entries) == 4  # the earmark's, at its receipt
    assert all("Ma Van" not in str(e.payload) for e in entries)  # pseudonyms only
    # Issue 15, item 9: no tier or queue place beside a support's number; the tiers only as
    # counts per commune (worked by hand above, with issue 14's household rule: CM whole a1
    # and b1, tier 1, money c1 in tier 1 and a2 in tier 2, his household given a phone;
    # NT whole d1, e1, tier 1).
    assert not [e for e in entries if e.kind == "assignment"
                and {"tier", "position"} & set(e.payload)]
    assert sorted((e.payload["commune"], e.payload["tiers"]) for e in entries
                  if e.kind == "assignment_tiers") == [
        ("02071", {"whole": {"1": 2}}),
        ("02173", {"partial": {"1": 1, "2": 1}, "whole": {"1": 2}})]


async def test_a_changed_plan_is_refused_and_nothing_is_written(
        uow: SqlUnitOfWorkFactory, scene: Scene, now: datetime) -> None:
    async with uow() as u:
        seen = (await allocation.preview(u, DATASET, ON)).fingerprint
        await record_receipt(u, SYSTEM, ReceiptForm(scene.cm.id, phones=1), now)
        await u.commit()
    async with uow() as u:
        with pytest.raises(RuleError) as refused:
            await allocation.commit(u, SYSTEM, DATASET, ON, now, expected=seen)
    assert refused.value.key == "allocation-changed"
    async with uow() as u:
        assert [await u.supports.active_for(r) for r in scene.ids.values()] == [None] * 7
        assert not [e for e in await u.ledger.all()
                    if e.kind in ("transfer", "assignment") and e.payload["plan"] is not None]


async def test_two_commits_at_once_record_one_plan(
        database_url: str, scene: Scene, now: datetime) -> None:
    engines = [make_engine(database_url) for _ in range(2)]
    try:
        factories = [SqlUnitOfWorkFactory(make_sessionmaker(e)) for e in engines]
        async with factories[0]() as u:
            seen = (await allocation.preview(u, DATASET, ON)).fingerprint

        async def commit(factory: SqlUnitOfWorkFactory) -> str:
            async with factory() as u:
                try:
                    await allocation.commit(u, SYSTEM, DATASET, ON, now, expected=seen)
                except RuleError as err:
                    return err.key
                await u.commit()
                return "committed"

        results = await asyncio.gather(*(commit(f) for f in factories))
        assert sorted(results) == ["allocation-changed", "committed"]
        async with factories[0]() as u:
            supports = [await u.supports.active_for(r) for r in scene.ids.values()]
            transfers = [e for e in await u.ledger.all() if e.kind == "transfer"]
        assert sum(s is not None for s in supports) == 6 and len(transfers) == 4
    finally:
        for e in engines:
            await e.dispose()


async def test_a_commune_officer_may_not_commit_the_provinces_distribution(
        uow: SqlUnitOfWorkFactory, scene: Scene, now: datetime) -> None:
    commune = Actor(label="officer", official_id=None, role=Role.COMMUNE, unit_id=scene.cm.id)
    async with uow() as u:
        with pytest.raises(RuleError) as refused:
            await allocation.commit(u, commune, DATASET, ON, now, unit=scene.province)
    assert refused.value.key == "allocation-not-allowed"
