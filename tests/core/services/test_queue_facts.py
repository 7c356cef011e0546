"""Issue 14, items 3 and 4 on the records: what storage tells the ranking about a household,
and what the plan then tells each person. Worked by hand (DESIGN 'The plan's rules'):

H2. xa Con Minh, all poor without a policy family (phone tier 3). Household D: D1..D4 approved
    on day 1 and given whole phones by a committed plan (4 phones at the province). Day 2:
    D5 approved 08:00, E1 (household E, no phone) 10:00; 1 new phone. The phone queue is
    E1 (household without a phone), then D5 (household with four phones given): E1 gets it,
    although D5 was approved earlier; D5 is told "trong ho da co nguoi co dien thoai thong
    minh", 2nd of 2 waiting for a phone, the 1 phone does not reach them, and that the
    household's state decided. In the money queue D5 is tier 2 (whole phones given at home).
H3. Household F: F1 on another programme's list (import served); F2 and F3 wait. Household K:
    K1 given a phone directly (a direct gift); K2 waits. Household S: S1 bought one through a
    shop's offer; S2 waits. G1 (household G, nothing known) approved last. Phone queue: G1
    first; F2, F3, K2, S2 rank as households with a phone and are never told "trong ho chua
    ai co dien thoai thong minh". Money queue: G1 and S2 in tier 1 (a shop's offer is not a
    whole phone given), F2, F3, K2 in tier 2 (another member given a whole phone).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.allocation import Entry, explain_entry
from core.i18n import load_catalogue
from core.model import Policy, SupportKind, Unit
from core.priority import VIETNAM, Household
from core.priority import Support as Queue
from core.services import allocation
from core.services.allocation import AllocationView, CommunePlan
from core.services.gifts import import_other_programme, record_gift
from core.services.receiving import ReceiptForm, record_receipt
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_allocation_service import adult
from tests.handover_setup import units

DATASET = "2023"
CATALOGUE = load_catalogue()
DAY1 = datetime(2023, 9, 12, 9, 0, tzinfo=VIETNAM)
DAY2 = datetime(2023, 9, 13, tzinfo=VIETNAM)
ON = date(2023, 10, 2)


def commune_plan(view: AllocationView, commune: Unit) -> CommunePlan:
    [found] = [c for c in view.communes if c.commune.id == commune.id]
    return found


def lines(plan: CommunePlan, queue: Queue) -> list[Entry]:
    return [e for e in plan.assignment.entries if e.ranked.support is queue]


def said(plan: CommunePlan, e: Entry) -> str:
    key, params = explain_entry(plan.assignment, e, plan.commune.name)
    return CATALOGUE.text(key, "vi", **params)


async def test_h2_a_household_given_phones_in_an_earlier_plan_waits_behind_one_with_none(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found = await units(uow, now)
    village, province, commune = found["02173-01"], found["06"], found["02173"]
    async with uow() as u:
        d1, home = await adult(u, village, None, "Ma Van Mot", DAY1, policy=Policy.NONE)
        for i, name in enumerate(("Ma Van Hai", "Ma Van Ba", "Ma Van Bon"), 1):
            await adult(u, village, home, name, DAY1 + timedelta(minutes=i), policy=Policy.NONE)
        await record_receipt(u, SYSTEM, ReceiptForm(province.id, phones=4), DAY1)
        await u.commit()
    async with uow() as u:
        first = await allocation.commit(u, SYSTEM, DATASET, ON, DAY1 + timedelta(hours=2))
        await u.commit()
    assert first.whole == 4
    async with uow() as u:
        d5, _ = await adult(u, village, home, "Ma Thi Nam", DAY2.replace(hour=8),
                            policy=Policy.NONE)
        e1, _ = await adult(u, village, None, "Hoang Van Em", DAY2.replace(hour=10),
                            policy=Policy.NONE)
        await record_receipt(u, SYSTEM, ReceiptForm(province.id, phones=1), DAY2)
        await u.commit()
    async with uow() as u:
        [candidate_d5] = [c for c in await u.residents.candidates(commune.id)
                          if c.resident_id == d5]
        view = await allocation.preview(u, DATASET, ON)
    assert candidate_d5.household_got_whole_phone and candidate_d5.household_id == home
    plan = commune_plan(view, commune)
    phones = lines(plan, Queue.WHOLE)
    assert [(e.resident_id, e.waiting, e.position, e.of_total) for e in phones] == [
        (e1, False, 1, 2), (d5, True, 2, 2)]
    text = said(plan, phones[1])
    assert text == (
        "Nh\u00f3m 3 (trong 4 nh\u00f3m: h\u1ed9 ngh\u00e8o), trong h\u1ed9 \u0111\u00e3 c\u00f3 "
        "ng\u01b0\u1eddi c\u00f3 \u0111i\u1ec7n tho\u1ea1i th\u00f4ng minh, duy\u1ec7t ng\u00e0y "
        "13/09/2023: th\u1ee9 2 trong 2 ng\u01b0\u1eddi ch\u1edd m\u00e1y \u1edf x\u00e3 "
        "C\u00f4n Minh; \u0111\u1ee3t n\u00e0y x\u00e3 c\u00f3 1 m\u00e1y, ch\u01b0a \u0111\u1ebfn "
        "l\u01b0\u1ee3t. Trong c\u00f9ng nh\u00f3m, v\u1ecb tr\u00ed n\u00e0y do quy t\u1eafc "
        "c\u1ee7a ch\u01b0\u01a1ng tr\u00ecnh quy\u1ebft \u0111\u1ecbnh: ng\u01b0\u1eddi "
        "thu\u1ed9c h\u1ed9 ch\u01b0a c\u00f3 \u0111i\u1ec7n tho\u1ea1i th\u00f4ng minh "
        "\u0111\u01b0\u1ee3c x\u1ebfp tr\u01b0\u1edbc (m\u1ed7i h\u1ed9 c\u00f3 m\u1ed9t "
        "m\u00e1y tr\u01b0\u1edbc).")
    assert [(e.resident_id, e.tier) for e in lines(plan, Queue.PARTIAL)] == [(d5, 2)]
    assert d1 not in {e.resident_id for e in plan.assignment.entries}


async def test_h3_every_route_of_a_phone_counts_for_the_household(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found = await units(uow, now)
    village, commune = found["02173-01"], found["02173"]
    at = [DAY1 + timedelta(minutes=m) for m in range(10)]
    async with uow() as u:
        _, f = await adult(u, village, None, "La Van Phuc", at[0], policy=Policy.NONE)
        f2, _ = await adult(u, village, f, "La Thi Hai", at[1], policy=Policy.NONE)
        f3, _ = await adult(u, village, f, "La Van Ba", at[2], policy=Policy.NONE)
        k1, k = await adult(u, village, None, "Nong Van Khoa", at[3], policy=Policy.NONE)
        k2, _ = await adult(u, village, k, "Nong Thi Khuyen", at[4], policy=Policy.NONE)
        s1, s = await adult(u, village, None, "Hoang Van Sang", at[5], policy=Policy.NONE)
        s2, _ = await adult(u, village, s, "Hoang Thi Sen", at[6], policy=Policy.NONE)
        g1, _ = await adult(u, village, None, "Trieu Van Giang", at[7], policy=Policy.NONE)
        await u.commit()
    async with uow() as u:
        rows: list[tuple[int, dict[str, object]]] = [
            (2, {"full_name": "La Van Phuc", "date_of_birth": "01/01/1980"})]
        report = await import_other_programme(u, SYSTEM, commune, rows, "Chuong trinh B", now)
        await record_gift(u, SYSTEM, k1, SupportKind.DIRECT_GIFT, "UBND huyen", None, now)
        await record_gift(u, SYSTEM, s1, SupportKind.SHOP_OFFER, "FPT Shop", "tra gop", now)
        await u.commit()
    assert report.recorded == 1
    async with uow() as u:
        view = await allocation.preview(u, DATASET, ON)
    plan = commune_plan(view, commune)
    phones = lines(plan, Queue.WHOLE)
    assert [e.resident_id for e in phones] == [g1, f2, f3, k2, s2]
    assert [e.ranked.household for e in phones] == [Household.NONE] + [Household.KNOWN] * 4
    for e in phones[1:]:
        assert "ch\u01b0a ai c\u00f3" not in said(plan, e)
    money = {e.resident_id: e.tier for e in lines(plan, Queue.PARTIAL)}
    assert money == {f2: 2, f3: 2, k2: 2, s2: 1, g1: 1}
    assert [e.resident_id for e in lines(plan, Queue.PARTIAL)][:2] == [g1, s2]
    assert all(e.waiting for e in plan.assignment.entries)


async def test_approval_times_are_shown_in_viet_nam_to_the_minute(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    """H1's C1 on the records: stored in UTC, told at 09:15 local when the time decided."""
    found = await units(uow, now)
    village, commune = found["02173-01"], found["02173"]
    async with uow() as u:
        await adult(u, village, None, "Ly Van Mot", DAY1.replace(hour=9, minute=5),
                    policy=Policy.NONE)
        late, _ = await adult(u, village, None, "Ly Van Hai",
                              DAY1.replace(hour=9, minute=15).astimezone(UTC),
                              policy=Policy.NONE)
        await u.commit()
    async with uow() as u:
        view = await allocation.preview(u, DATASET, ON)
    plan = commune_plan(view, commune)
    [line] = [e for e in lines(plan, Queue.WHOLE) if e.resident_id == late]
    assert "duy\u1ec7t l\u00fac 09:15 ng\u00e0y 12/09/2023" in said(plan, line)
    assert "\u0111\u1ee3t n\u00e0y x\u00e3 ch\u01b0a c\u00f3 m\u00e1y n\u00e0o" in said(plan, line)
