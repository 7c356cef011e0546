"""Handovers at a desk: record one, print its record, close a case, confirm on paper, and
nothing of another commune."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, timedelta

from docx import Document

from core.model import Confirmation, Handover, Support, SupportKind, SupportStatus
from core.services import handover as service
from core.services import registry
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import START, Admin, add_person
from tests.conftest import SYSTEM

AN = "N\u00f4ng V\u0103n An"
IMEI = "490154203237518"
XIAOMI, XIAOMI_2, FOREIGN = "867712051234567", "353325111234567", "358910091234565"
HONG_HA = "C\u00f4ng ty Th\u01b0\u01a1ng m\u1ea1i H\u1ed3ng H\u00e0"
ITEMS = ("vneid", "zalo", "banking", "public_services", "data_3g4g")


async def assigned(admin: Admin, key: str = "own", commune: str = "commune",
                   serials: tuple[str, ...] = ()) -> int:
    """An approved resident with a phone assigned from a receipt of their commune."""
    w = admin.world
    async with admin.runtime.uow() as u:
        await registry.approve(u, SYSTEM, w.residents[key], START)
        receipt = await record_receipt(u, SYSTEM, ReceiptForm(
            w.units[commune].id, phones=max(len(serials), 1), serials=serials,
            model="Xiaomi Redmi A3" if serials else None,
            donor_name=HONG_HA if serials else None), START)
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
    # the same record as .docx, linked beside the print view
    word_path = done.headers["Location"] + ".docx"
    assert f'href="{word_path}"' in html
    word = await admin.client.get(word_path)
    assert word.status == 200 and word.headers["Cache-Control"] == "no-store"
    assert word.content_type.endswith("wordprocessingml.document")
    paragraphs = [p.text for p in Document(io.BytesIO(await word.read())).paragraphs]
    assert any(AN in p for p in paragraphs) and any(IMEI in p for p in paragraphs)
    await admin.logout()
    await admin.login("sibling")  # another commune's officer
    assert (await admin.client.get(done.headers["Location"])).status == 404
    assert (await admin.client.get(word_path)).status == 404


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


async def test_the_phone_is_picked_from_the_persons_lot_and_another_communes_is_refused(
    admin: Admin,
) -> None:
    """Issue 14, item 6: the page names the lot (model, donor) and offers its IMEIs; Nghia
    Ta's phone typed for a Con Minh resident is refused with the reason, nothing recorded; the
    Xiaomi picked is recorded and its record says Xiaomi Redmi A3 and its donor."""
    support_id = await assigned(admin, serials=(XIAOMI, XIAOMI_2))
    async with admin.runtime.uow() as u:
        await record_receipt(u, SYSTEM, ReceiptForm(admin.world.units["sibling"].id, phones=1,
                                                    serials=(FOREIGN,)), START)
        await u.commit()
    await admin.login("commune")
    page = await (await admin.client.get("/admin/handovers")).text()
    assert "Xiaomi Redmi A3" in page and HONG_HA in page
    assert f'<option value="{XIAOMI}">' in page and f'<option value="{XIAOMI_2}">' in page
    form = {"support": support_id, **{f"item-{i}": "yes" for i in ITEMS}}
    foreign = await admin.post("/admin/handovers", {**form, "serial": FOREIGN})
    assert foreign.status == 400
    said = await foreign.text()
    assert "Ngh\u0129a T\u00e1" in said and FOREIGN in said
    async with admin.runtime.uow() as u:
        assert await u.handovers.for_support(support_id) is None
    done = await admin.post("/admin/handovers", {**form, "serial": XIAOMI_2})
    assert done.status == 302
    record = await (await admin.client.get(done.headers["Location"])).text()
    assert XIAOMI_2 in record and "Xiaomi Redmi A3" in record and HONG_HA in record


async def test_the_waiting_and_done_lists_are_paged_and_filtered_by_unit(admin: Admin) -> None:
    """51 phones waiting in xa Con Minh and 51 handed over in it: 50 of each on page 1 (the
    supports in the queue's order, the handovers newest first), the last on page 2; the
    province sees the same counts, and none when it picks xa Nghia Ta."""
    w = admin.world
    supports = []
    for i in range(102):
        resident_id, _ = await add_person(admin.runtime.uow, w.units["village"],
                                          f"Ma V\u0103n {chr(65 + i // 26)}{chr(97 + i % 26)}",
                                          date(1960, 1 + i % 12, 1 + i // 12), f"P-{i:03d}")
        async with admin.runtime.uow() as u:
            [support] = await u.supports.add(Support(
                id=0, resident_id=resident_id, kind=SupportKind.PARTIAL,
                commune_id=w.units["commune"].id, status=SupportStatus.ASSIGNED,
                created_at=START + timedelta(minutes=i), amount=500_000))
            if i >= 51:  # the later 51 handed over, an hour apart
                await u.handovers.add(Handover(id=0, support_id=support.id, code=f"H{i:05d}",
                                               handed_at=START + timedelta(hours=i)))
                support = replace(support, status=SupportStatus.HANDED_OVER)
                await u.supports.update(support)
            await u.commit()
        supports.append(support.id)
    for who in ("commune", "province"):
        await admin.login(who)
        first = await (await admin.client.get("/admin/handovers")).text()
        shown = admin.runtime.catalogue.text("lists-rows-shown", "vi", first=1, last=50,
                                             total=51)
        assert first.count(shown) == 2  # the waiting list and the handovers done
        ids = [int(x) for x in re.findall(r'id="hand-over-(\d+)"', first)]
        assert ids == supports[:50]  # in the order they were assigned
        done = re.findall(r'/admin/handovers/(\d+)/record"', first)
        assert len(done) == 50
        second = await (await admin.client.get("/admin/handovers",
                                               params={"wpage": 2, "page": 2})).text()
        assert [int(x) for x in re.findall(r'id="hand-over-(\d+)"', second)] == [supports[50]]
        last = re.findall(r'/admin/handovers/(\d+)/record"', second)
        assert len(last) == 1 and last[0] not in done  # the oldest handover, alone
        await admin.logout()
    await admin.login("province")
    other = await (await admin.client.get("/admin/handovers",
                                          params={"unit": w.units["sibling"].id})).text()
    assert 'id="hand-over-' not in other and "/record\"" not in other
