"""Handovers at a desk: record one, print its record, close a case, confirm on paper, and
nothing of another commune."""

from __future__ import annotations

from core.model import Confirmation, Support, SupportKind, SupportStatus
from core.services import handover as service
from core.services import registry
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM

AN = "N\u00f4ng V\u0103n An"
IMEI = "490154203237518"
ITEMS = ("vneid", "zalo", "banking", "public_services", "data_3g4g")


async def assigned(admin: Admin, key: str = "own", commune: str = "commune") -> int:
    """An approved resident with a phone assigned from a receipt of their commune."""
    w = admin.world
    async with admin.runtime.uow() as u:
        await registry.approve(u, SYSTEM, w.residents[key], START)
        receipt = await record_receipt(u, SYSTEM, ReceiptForm(w.units[commune].id, phones=1),
                                       START)
        [support] = await u.supports.add(Support(
            id=0, resident_id=w.residents[key], kind=SupportKind.WHOLE,
            commune_id=w.units[commune].id, status=SupportStatus.ASSIGNED, created_at=START,
            holder_unit_id=w.units[commune].id, receipt_id=receipt.id))
        await u.commit()
    return support.id


async def test_the_officer_records_a_handover_and_prints_its_record(admin: Admin) -> None:
    support_id = await assigned(admin)
    await admin.login("commune")
    page = await (await admin.client.get("/admin/handovers")).text()
    assert AN in page and f'id="hand-over-{support_id}"' in page
    bad = await admin.post("/admin/handovers", {"support": support_id, "serial": "12"})
    assert bad.status == 400  # a serial too short: said, nothing recorded
    form = {"support": support_id, "serial": IMEI,
            **{f"item-{i}": "yes" for i in ITEMS if i != "banking"}}
    done = await admin.post("/admin/handovers", form)
    assert done.status == 302
    record = await admin.client.get(done.headers["Location"])
    html = await record.text()
    assert record.status == 200 and AN in html and IMEI in html and "<svg" in html
    assert record.headers["Cache-Control"] == "no-store"
    await admin.logout()
    await admin.login("sibling")  # another commune's officer
    assert (await admin.client.get(done.headers["Location"])).status == 404


async def test_a_case_is_closed_then_the_paper_signature_confirms(admin: Admin) -> None:
    support_id = await assigned(admin)
    async with admin.runtime.uow() as u:
        handover = await service.record_handover(u, SYSTEM, support_id, IMEI,
                                                 dict.fromkeys(ITEMS, True), START)
        chat = await u.chats.get_or_create("web", "new-phone", START)
        await service.confirm(u, handover.code, chat, Confirmation.PROBLEM, "no SIM", START)
        [case] = await u.handovers.cases_for(handover.id)
        await u.commit()
    await admin.login("commune")
    page = await (await admin.client.get("/admin/handovers")).text()
    assert "no SIM" in page
    early = await admin.post(f"/admin/handovers/{handover.id}/paper", {})
    assert early.status == 400  # the case is still open
    empty = await admin.post(f"/admin/cases/{case.id}/close", {"resolution": " "})
    assert empty.status == 400
    closed = await admin.post(f"/admin/cases/{case.id}/close", {"resolution": "SIM fitted"})
    assert closed.status == 302
    signed = await admin.post(f"/admin/handovers/{handover.id}/paper", {})
    assert signed.status == 302
    async with admin.runtime.uow() as u:
        after = await u.handovers.get(handover.id)
    assert after is not None and after.confirmation is Confirmation.PAPER
    listed = await (await admin.client.get("/admin/handovers")).text()
    signed_label = admin.runtime.catalogue.text("export-value-confirmation-paper", "vi")
    assert signed_label in listed and "no SIM" not in listed  # the case is closed
