"""Earmarks go to their commune, whoever records the receipt; an officer records receipts
only against pledges they may see (issue 14, items 1 and 2).

Worked by hand from DESIGN.md ("Where support is received, and who decides") and plan III.4:

E1. A pledge of 2 phones earmarked for xa Con Minh (02173, district Na Ri 066) is received and
    recorded at xa Giao Hieu (01870, district Pac Nam 060) by the province officer (the only
    officer above both). From that moment the 2 phones are Con Minh's stock: Giao Hieu holds 0,
    Con Minh 2; the ledger reads receipt at 01870, then a transfer 01870 -> 02173 of 2 phones,
    marked as an earmark, naming the receipt and the pledge; the donor is told that Giao Hieu
    received them for xa Con Minh. In the plan, with one waiting adult in each commune (both
    poor, merit families: whole-phone tier 1), Con Minh's adult gets a phone and Giao Hieu's
    waits. The same with 1,000,000 d earmarked: Con Minh's adult gets part of the price
    (tier 1), Giao Hieu's waits.
E2. Giao Hieu's commune officer records a receipt against that pledge, and against a pledge
    without an earmark (the province's to receive): both answered "no pledge with code ...",
    the answer for a code that does not exist; the pledge stays "pledged", no message is
    queued, nothing reaches the ledger, no receipt is written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from core.errors import RuleError
from core.model import Actor, Pledge, PledgeKind, PledgeStatus, Role, Unit
from core.services import allocation
from core.services.pledges import PledgeForm, make_pledge, visible
from core.services.receiving import ReceiptForm, record_receipt
from storage.models import OutboxRow, ReceiptRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_allocation_service import adult
from tests.handover_setup import units

CON_MINH, GIAO_HIEU, NA_RI, PAC_NAM, PROVINCE = "02173", "01870", "066", "060", "06"
ON = date(2023, 10, 2)


def officer(role: Role, unit: Unit) -> Actor:
    return Actor(label=f"{role.value}-officer", role=role, unit_id=unit.id)


async def pledged(uow: SqlUnitOfWorkFactory, form: PledgeForm, now: datetime) -> Pledge:
    async with uow() as u:
        chat = await u.chats.get_or_create("web", "donor-1", now)
        made = await make_pledge(u, SYSTEM, form, "web", chat.id, now)
        await u.commit()
    return made


async def outbox(uow: SqlUnitOfWorkFactory) -> list[dict[str, object]]:
    async with uow() as u:
        return list(await u.session.scalars(select(OutboxRow.reply).order_by(OutboxRow.id)))


@pytest.fixture
async def places(uow: SqlUnitOfWorkFactory, now: datetime) -> dict[str, Unit]:
    return await units(uow, now)


async def waiting_pair(uow: SqlUnitOfWorkFactory, places: dict[str, Unit],
                       now: datetime) -> tuple[int, int]:
    """One poor adult of a merit family in each commune: (Con Minh's, Giao Hieu's)."""
    async with uow() as u:
        cm, _ = await adult(u, places["02173-01"], None, "Ma Van A", now)
        gh, _ = await adult(u, places["01870-01"], None, "Ly Van B", now)
        await u.commit()
    return cm, gh


@pytest.mark.parametrize("kind", ["phones", "money"])
async def test_an_earmark_received_at_another_commune_is_its_communes_stock(
        uow: SqlUnitOfWorkFactory, places: dict[str, Unit], now: datetime, kind: str) -> None:
    cm_adult, gh_adult = await waiting_pair(uow, places, now)
    if kind == "phones":
        form = PledgeForm(PledgeKind.PHONES, quantity=2, condition="new",
                          commune_id=places[CON_MINH].id)
        what = {"phones": 2}
    else:
        form = PledgeForm(PledgeKind.MONEY, amount=1_000_000, commune_id=places[CON_MINH].id)
        what = {"money": 1_000_000}
    p = await pledged(uow, form, now)
    province = officer(Role.PROVINCE, places[PROVINCE])
    async with uow() as u:
        receipt = await record_receipt(u, province, ReceiptForm(
            places[GIAO_HIEU].id, pledge_code=p.code, **what), now)
        await u.commit()
    phones, money = what.get("phones", 0), what.get("money", 0)
    async with uow() as u:
        held = await u.receipts.holdings_by_unit([places[GIAO_HIEU].id, places[CON_MINH].id])
        entries = await u.ledger.all()
    assert (held[places[GIAO_HIEU].id].phones, held[places[GIAO_HIEU].id].money) == (0, 0)
    assert (held[places[CON_MINH].id].phones, held[places[CON_MINH].id].money) == (phones, money)
    assert receipt.unit_id == places[GIAO_HIEU].id  # where it physically arrived stays true
    assert [e.kind for e in entries] == ["receipt", "transfer"]
    assert entries[1].payload == {
        "from": GIAO_HIEU, "to": CON_MINH, "phones": phones, "money": money,
        "receipt": receipt.number, "pledge": p.code, "plan": None, "earmark": True,
    }
    [reply, letter] = await outbox(uow)
    assert letter["key"] == "documents-thanks-chat"
    key = "receiving-donor-phones-for" if kind == "phones" else "receiving-donor-money-for"
    assert reply["key"] == key
    params = reply["params"]
    assert isinstance(params, dict)
    assert (params["unit"], params["commune"]) == (places[GIAO_HIEU].name, "x\u00e3 C\u00f4n Minh")
    # In any plan, the stock serves Con Minh's queue and never Giao Hieu's.
    async with uow() as u:
        view = await allocation.preview(u, "2023", ON)
        await allocation.commit(u, SYSTEM, "2023", ON, now, expected=view.fingerprint)
        await u.commit()
    served = {e.resident_id: e.support.value for c in view.communes
              for e in c.assignment.entries if not e.waiting and e.support is not None}
    assert served == {cm_adult: "whole" if kind == "phones" else "partial"}
    async with uow() as u:
        assert await u.supports.active_for(gh_adult) is None
        support = await u.supports.active_for(cm_adult)
    assert support is not None and support.holder_unit_id == places[CON_MINH].id
    if kind == "phones":
        assert support.receipt_id == receipt.id


async def test_an_earmark_received_at_its_own_commune_moves_nowhere(
        uow: SqlUnitOfWorkFactory, places: dict[str, Unit], now: datetime) -> None:
    p = await pledged(uow, PledgeForm(PledgeKind.PHONES, quantity=2, condition="new",
                                      commune_id=places[CON_MINH].id), now)
    async with uow() as u:
        await record_receipt(u, officer(Role.COMMUNE, places[CON_MINH]), ReceiptForm(
            places[CON_MINH].id, phones=2, pledge_code=p.code), now)
        await u.commit()
    async with uow() as u:
        held = await u.receipts.holdings(places[CON_MINH].id)
        entries = await u.ledger.all()
    assert held.phones == 2 and [e.kind for e in entries] == ["receipt"]
    [reply, letter] = await outbox(uow)
    assert reply["key"] == "receiving-donor-phones"
    assert letter["key"] == "documents-thanks-chat"


async def test_an_officer_records_receipts_only_against_pledges_they_may_see(
        uow: SqlUnitOfWorkFactory, places: dict[str, Unit], now: datetime) -> None:
    earmarked = await pledged(uow, PledgeForm(PledgeKind.PHONES, quantity=2, condition="new",
                                              commune_id=places[CON_MINH].id), now)
    anywhere = await pledged(uow, PledgeForm(PledgeKind.PHONES, quantity=1, condition="new"),
                             now)
    answers = []
    for actor, code in [
        (officer(Role.COMMUNE, places[GIAO_HIEU]), earmarked.code),
        (officer(Role.COMMUNE, places[GIAO_HIEU]), anywhere.code),
        (officer(Role.DISTRICT, places[PAC_NAM]), earmarked.code),
        (officer(Role.DISTRICT, places[NA_RI]), anywhere.code),
        (officer(Role.COMMUNE, places[GIAO_HIEU]), "UH-ZZZZZZ"),  # no such pledge
    ]:
        async with uow() as u:
            with pytest.raises(RuleError) as err:
                await record_receipt(u, actor, ReceiptForm(places[GIAO_HIEU].id
                                                           if actor.role is Role.COMMUNE else
                                                           actor.unit_id or 0, phones=1,
                                                           pledge_code=code), now)
        answers.append((err.value.key, err.value.params))
    assert answers == [
        ("receiving-pledge-unknown", {"code": earmarked.code}),
        ("receiving-pledge-unknown", {"code": anywhere.code}),
        ("receiving-pledge-unknown", {"code": earmarked.code}),
        ("receiving-pledge-unknown", {"code": anywhere.code}),
        ("receiving-pledge-unknown", {"code": "UH-ZZZZZZ"}),
    ]
    async with uow() as u:
        statuses = [(await u.pledges.by_code(c)) for c in (earmarked.code, anywhere.code)]
        receipts = await u.session.scalar(select(func.count(ReceiptRow.id)))
        entries = await u.ledger.all()
    assert [s.status if s else None for s in statuses] == [PledgeStatus.PLEDGED] * 2
    assert receipts == 0 and entries == [] and await outbox(uow) == []
    # Na Ri's district officer may see Con Minh's pledge: received at Na Ri, moved to Con Minh.
    async with uow() as u:
        await record_receipt(u, officer(Role.DISTRICT, places[NA_RI]), ReceiptForm(
            places[NA_RI].id, phones=2, pledge_code=earmarked.code), now)
        await u.commit()
    async with uow() as u:
        assert (await u.receipts.holdings(places[CON_MINH].id)).phones == 2


def test_the_visibility_rule_is_the_pages_and_the_services() -> None:
    """Earmarked: officers of that commune or above it; not earmarked: the province only."""
    mine = Pledge(1, "UH-AAAAAA", PledgeKind.PHONES, PledgeStatus.PLEDGED,
                  datetime(2023, 9, 12, tzinfo=UTC), quantity=1, commune_id=7)
    unmarked = replace(mine, commune_id=None)
    covers = {7}.__contains__
    assert visible(mine, Role.COMMUNE, covers)
    assert not visible(mine, Role.COMMUNE, set().__contains__)
    assert not visible(unmarked, Role.COMMUNE, covers)
    assert not visible(unmarked, Role.DISTRICT, covers)
    assert visible(unmarked, Role.PROVINCE, covers)
