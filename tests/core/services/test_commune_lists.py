"""The commune makes its own list; the province (a district, for its own stock) commits the
distribution of what it holds to communes (plan III.4; issue 14, item 5).

Worked by hand (every adult poor, of a merit family, in a household of their own: whole-phone
tier 1; approvals an hour apart in the order listed):

    xa Con Minh (CM, district Na Ri): c1..c6 waiting; CM holds 3 phones of its own receipt.
    xa Nghia Ta (NT, district Cho Don): n1, n2 waiting.
    The province holds 10 phones.

1. CM's officer previews CM's list from what CM holds: 3 phones, c1 c2 c3 served, c4..c6 wait.
2. CM's officer may not commit the province's distribution, nor NT's list; Na Ri's district
   officer may not commit the province's distribution either.
3. The province's officer commits the distribution: CM lacks 6 - 3 = 3, NT lacks 2; 10 phones
   cover both: 3 to CM, 2 to NT, 5 stay at the province. Nobody is named: no support at all.
4. CM's commit of the list previewed in 1 is refused (what CM holds changed since); previewed
   again, CM holds 6 and serves c1..c6, every phone drawn from CM's stock; NT's list is NT's
   officer's to commit, and serves n1, n2.
5. Nothing is left to commit for CM; the province's distribution is refused as nothing to do
   for the province either (no commune lacks a phone).

District (second case): Na Ri receives 2 phones, CM has c1..c3 waiting and holds none, NT has
n1 waiting; the province holds 1. Na Ri's officer commits Na Ri's distribution: 2 phones to CM
(its own commune), none to NT (in Cho Don); the province's phone stays where it is.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core.errors import RuleError
from core.model import Actor, Role, Unit
from core.services import allocation
from core.services.receiving import ReceiptForm, record_receipt
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_allocation_service import adult
from tests.handover_setup import units
from tests.posting_setup import posted_before

CON_MINH, NGHIA_TA, NA_RI, PROVINCE = "02173", "02071", "066", "06"
ON = date(2023, 10, 2)
DATASET = "2023"
NAMES = ("An", "Binh", "Cuong", "Dung", "Giang", "Hoa")


def officer(role: Role, unit: Unit) -> Actor:
    return Actor(label=f"{role.value}-officer", role=role, unit_id=unit.id)


async def waiting(uow: SqlUnitOfWorkFactory, village: Unit, prefix: str, n: int,
                  start: datetime) -> list[int]:
    ids = []
    async with uow() as u:
        for i in range(n):
            rid, _ = await adult(u, village, None, f"Ma Van {prefix} {NAMES[i]}",
                                 start + timedelta(hours=i))
            ids.append(rid)
        await u.commit()
    return ids


async def receive(uow: SqlUnitOfWorkFactory, unit: Unit, phones: int, now: datetime) -> None:
    async with uow() as u:
        await record_receipt(u, SYSTEM, ReceiptForm(unit.id, phones=phones), now)
        await u.commit()


def served(view: allocation.AllocationView, commune: Unit) -> list[int]:
    [plan] = [c for c in view.communes if c.commune.id == commune.id]
    return [e.resident_id for e in plan.assignment.entries if not e.waiting]


async def refusal(uow: SqlUnitOfWorkFactory, actor: Actor, unit: Unit | None, now: datetime,
                  expected: str | None = None) -> str:
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await allocation.commit(u, actor, DATASET, ON, now, expected=expected, unit=unit)
    return err.value.key


async def test_the_commune_commits_its_own_list_and_the_province_its_distribution(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found = await units(uow, now)
    province, cm, nt = found[PROVINCE], found[CON_MINH], found[NGHIA_TA]
    c = await waiting(uow, found["02173-01"], "C", 6, now)
    n = await waiting(uow, found["02071-01"], "N", 2, now)
    await receive(uow, province, 10, now)
    await receive(uow, cm, 3, now)
    cm_officer, nt_officer = officer(Role.COMMUNE, cm), officer(Role.COMMUNE, nt)
    province_officer = officer(Role.PROVINCE, province)
    # 1. the commune's own list from what it holds
    async with uow() as u:
        before = await allocation.preview(u, DATASET, ON, unit=cm)
    assert before.moves == () and [x.commune.id for x in before.communes] == [cm.id]
    assert served(before, cm) == c[:3]
    # 2. each officer commits only what their unit holds
    assert await refusal(uow, cm_officer, province, now) == "allocation-not-allowed"
    assert await refusal(uow, cm_officer, nt, now) == "allocation-not-allowed"
    assert await refusal(uow, officer(Role.DISTRICT, found[NA_RI]), province,
                         now) == "allocation-not-allowed"
    # 3. the province's distribution: transfers, nobody named
    async with uow() as u:
        distribution = await allocation.preview(u, DATASET, ON, unit=province)
        done = await allocation.commit(u, province_officer, DATASET, ON, now,
                                       expected=distribution.fingerprint)
        await u.commit()
    assert (done.transfers, done.whole, done.partial) == (2, 0, 0)
    assert sorted((m.to_unit.code, m.phones) for m in distribution.moves) == [
        (NGHIA_TA, 2), (CON_MINH, 3)]
    async with uow() as u:
        held = await u.receipts.holdings_by_unit([province.id, cm.id, nt.id])
        assert [await u.supports.active_for(r) for r in c + n] == [None] * 8
    assert [held[x.id].phones for x in (province, cm, nt)] == [5, 6, 2]
    # 4. the list previewed before the distribution is stale; the new one serves all six
    assert await refusal(uow, cm_officer, None, now,
                         expected=before.fingerprint) == "allocation-changed"
    await posted_before(uow, cm_officer, cm, ON, now)  # each list is posted first (issue 18)
    async with uow() as u:
        mine = await allocation.preview(u, DATASET, ON, unit=cm)
        done = await allocation.commit(u, cm_officer, DATASET, ON, now,
                                       expected=mine.fingerprint)
        await u.commit()
    assert served(mine, cm) == c and (done.transfers, done.whole) == (0, 6)
    async with uow() as u:
        supports = [await u.supports.active_for(r) for r in c + n]
        held = await u.receipts.holdings_by_unit([province.id, cm.id, nt.id])
    assert [s.holder_unit_id if s else None for s in supports] == [cm.id] * 6 + [None] * 2
    assert [held[x.id].phones for x in (province, cm, nt)] == [5, 0, 2]
    await posted_before(uow, nt_officer, nt, ON, now)
    async with uow() as u:
        done = await allocation.commit(u, nt_officer, DATASET, ON, now)
        await u.commit()
    assert done.whole == 2
    # 5. nothing left to do for either
    assert await refusal(uow, cm_officer, None, now) == "allocation-nothing"
    assert await refusal(uow, province_officer, None, now) == "allocation-nothing"


async def test_a_district_commits_the_distribution_of_its_own_stock_to_its_communes(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found = await units(uow, now)
    province, cm, na_ri = found[PROVINCE], found[CON_MINH], found[NA_RI]
    await waiting(uow, found["02173-01"], "C", 3, now)
    await waiting(uow, found["02071-01"], "N", 1, now)
    await receive(uow, na_ri, 2, now)
    await receive(uow, province, 1, now)
    async with uow() as u:
        done = await allocation.commit(u, officer(Role.DISTRICT, na_ri), DATASET, ON, now)
        await u.commit()
    assert (done.transfers, done.whole, done.partial) == (1, 0, 0)
    async with uow() as u:
        held = await u.receipts.holdings_by_unit([province.id, na_ri.id, cm.id,
                                                  found[NGHIA_TA].id])
        transfers = [e.payload for e in await u.ledger.all() if e.kind == "transfer"]
    assert [held[x.id].phones for x in (province, na_ri, cm, found[NGHIA_TA])] == [1, 0, 2, 0]
    assert [(t["from"], t["to"], t["phones"]) for t in transfers] == [(NA_RI, CON_MINH, 2)]
