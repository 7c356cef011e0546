"""A commune officer records, on a resident's page, that a giver served them (issue 18 item 1):
scoped, CSRF, audited, refused with a message on bad input, once on a replay; the person
leaves the queue and the shop's offer pledge shows how many people used it."""

from __future__ import annotations

from core.model import PledgeKind, ReceiptSource, SupportKind
from core.services import registry
from core.services.pledges import PledgeForm, make_pledge
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM


async def offer_pledge(admin: Admin, commune: str = "commune") -> str:
    async with admin.runtime.uow() as u:
        pledge = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.OFFER, offer="Giam 50% Redmi A2", donor_name="FPT Shop Bac Kan",
            commune_id=admin.world.units[commune].id), "web", None, START)
        await u.commit()
    return pledge.code


async def approve_all(admin: Admin) -> None:
    async with admin.runtime.uow() as u:
        for rid in admin.world.residents.values():
            await registry.approve(u, SYSTEM, rid, START)
        await u.commit()


def say(admin: Admin, key: str, **params: object) -> str:
    return admin.runtime.catalogue.text(key, "vi", **params)


async def test_an_offer_against_a_pledge_serves_the_person_once(admin: Admin) -> None:
    await approve_all(admin)
    code = await offer_pledge(admin)
    own = admin.world.residents["own"]
    commune = admin.world.units["commune"].id
    async with admin.runtime.uow() as u:
        waiting, _ = await u.residents.waiting_in([commune])
    assert own in {c.resident_id for c in waiting[commune]}
    await admin.login("commune")
    page = await (await admin.client.get(f"/admin/residents/{own}")).text()
    assert 'id="gift-form"' in page
    form = {"kind": "offer", "giver": "", "pledge": code.lower(), "what": "tra gop 0%",
            "once": "abc123"}
    first = await admin.post(f"/admin/residents/{own}/gift", form)
    assert first.status == 302 and first.headers["Location"] == f"/admin/residents/{own}"
    again = await admin.post(f"/admin/residents/{own}/gift", form)  # the browser sends it again
    assert again.status == 302
    async with admin.runtime.uow() as u:
        support = await u.supports.active_for(own)
        waiting, _ = await u.residents.waiting_in([commune])
        used = await u.supports.using_pledge((await u.pledges.by_code(code)).id)  # type: ignore[union-attr]
        trail = await u.audit.for_entity("support", support.id if support else 0)
    assert support is not None and support.kind is SupportKind.SHOP_OFFER
    assert (support.giver, support.note) == ("FPT Shop Bac Kan", "tra gop 0%")  # the pledge's
    assert own not in {c.resident_id for c in waiting[commune]}
    assert used == 1 and [e.action for e in trail] == ["serve"]
    page = await (await admin.client.get(f"/admin/residents/{own}")).text()
    assert 'id="served"' in page and 'id="gift-form"' not in page
    pledge_page = await (await admin.client.get(f"/admin/pledges/{code}")).text()
    assert f'id="offer-used">{say(admin, "gifts-offer-used", count=1)}<' in pledge_page
    public = await (await admin.client.get(f"/public/pledge/{code}")).text()
    assert f'id="offer-used">{say(admin, "gifts-offer-used", count=1)}<' in public
    overview = await (await admin.client.get("/public")).text()
    assert 'id="total-gifts">1<' in overview  # counted in the public figures, nobody named
    assert "N\u00f4ng V\u0103n An" not in overview


async def test_bad_input_is_refused_with_a_message_and_changes_nothing(admin: Admin) -> None:
    code = await offer_pledge(admin, "sibling")
    own = admin.world.residents["own"]
    await admin.login("commune")
    cases = [
        ({"kind": "direct", "giver": " "}, say(admin, "gifts-giver-missing")),
        ({"kind": "gift", "giver": "UBND xa"}, say(admin, "receiving-gift-kind-invalid")),
        ({"kind": "offer", "giver": "FPT", "pledge": "ZZZZ-9999"},
         say(admin, "gifts-pledge-unknown", code="ZZZZ-9999")),
        ({"kind": "direct", "giver": "FPT", "pledge": code},
         say(admin, "gifts-pledge-not-offer", code=code)),
        ({"kind": "offer", "giver": "FPT", "pledge": code},
         say(admin, "gifts-pledge-elsewhere", code=code)),
    ]
    for form, message in cases:
        refused = await admin.post(f"/admin/residents/{own}/gift", form)
        assert refused.status == 400, form
        body = await refused.text()
        assert message.replace('"', "&#34;") in body, form
    async with admin.runtime.uow() as u:
        assert await u.supports.active_for(own) is None


async def test_another_communes_resident_and_a_missing_token_are_refused(admin: Admin) -> None:
    sibling = admin.world.residents["sibling"]
    await admin.login("commune")
    outside = await admin.post(f"/admin/residents/{sibling}/gift",
                               {"kind": "direct", "giver": "UBND xa"})
    assert outside.status == 404
    own = admin.world.residents["own"]
    forged = await admin.post(f"/admin/residents/{own}/gift",
                              {"kind": "direct", "giver": "UBND xa"}, token="wrong")
    assert forged.status == 403
    async with admin.runtime.uow() as u:
        assert await u.supports.active_for(sibling) is None
        assert await u.supports.active_for(own) is None


async def test_a_resident_who_bought_their_own_phone_leaves_the_queue(admin: Admin) -> None:
    await approve_all(admin)
    own2 = admin.world.residents["own2"]
    commune = admin.world.units["commune"].id
    await admin.login("commune")
    done = await admin.post(f"/admin/residents/{own2}/gift", {"kind": "own", "what": "Redmi"})
    assert done.status == 302
    async with admin.runtime.uow() as u:
        support = await u.supports.active_for(own2)
        waiting, _ = await u.residents.waiting_in([commune])
    assert support is not None and support.kind is SupportKind.OWN_PURCHASE
    assert own2 not in {c.resident_id for c in waiting[commune]}


async def test_a_receipt_records_its_source_and_refuses_an_unknown_one(admin: Admin) -> None:
    unit = admin.world.units["commune"].id
    await admin.login("commune")
    page = await (await admin.client.get("/admin/pledges")).text()
    assert 'id="receipt-source"' in page and say(admin, "gifts-source-business") in page
    bad = await admin.post("/admin/receipts", {"unit": unit, "money": "1tr", "number": "BN-X",
                                               "source": "lottery"})
    assert bad.status == 400
    assert say(admin, "gifts-source-invalid") in await bad.text()
    done = await admin.post("/admin/receipts", {"unit": unit, "money": "1tr", "number": "BN-Y",
                                                "source": "business"})
    assert done.status == 302
    async with admin.runtime.uow() as u:
        assert await u.receipts.by_number("BN-X") is None
        receipt = await u.receipts.by_number("BN-Y")
    assert receipt is not None and receipt.source is ReceiptSource.BUSINESS
