"""The posting page and the public posted list (issue 18, item 3), through the app.

Worked by hand: in xa Con Minh (village Na Dam) three poor adults, each in a household of
their own, approved at the same moment: An (born 01/03/1970), Binh (01/03/1971), Hoa
(14/07/1985, with a citizen ID and a phone). The commune holds one phone, so the ranked list
is 1 An (whole phone, the lowest record id), 2 Binh, 3 Hoa (waiting). An objection to number 1
is answered "removed": after the period the phone goes to Binh.
"""

from __future__ import annotations

from datetime import date

from core.services import registry
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM

AN, BINH = "N\u00f4ng V\u0103n An", "L\u00f2 Th\u1ecb B\u00ecnh"
HOA = "N\u00f4ng Th\u1ecb Hoa"
HOA_ID, HOA_PHONE = "006185001234", "0912345678"


async def three_waiting(admin: Admin) -> int:
    """An and Binh of the test world, Hoa added; all approved; one phone at Con Minh."""
    w = admin.world
    async with admin.runtime.uow() as u:
        h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
            village_id=w.units["village"].id, head_name=HOA, poverty=registry.Poverty.POOR,
            policy=registry.Policy.NONE, has_smartphone=False, code="HX-009"), START)
        hoa = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
            full_name=HOA, date_of_birth=date(1985, 7, 14), has_smartphone=False,
            citizen_id=HOA_ID, phone=HOA_PHONE), START, START.date())
        for rid in (w.residents["own"], w.residents["own2"], hoa.id):
            await registry.approve(u, SYSTEM, rid, START)
        await record_receipt(u, SYSTEM, ReceiptForm(w.units["commune"].id, phones=1), START)
        await u.commit()
    return hoa.id


def fingerprint(html: str) -> str:
    return html.split('name="fingerprint" value="')[1].split('"')[0]


async def test_a_commune_posts_answers_and_commits_after_the_period(admin: Admin) -> None:
    await three_waiting(admin)
    text = admin.runtime.catalogue.text
    await admin.login("commune")
    page = await (await admin.client.get("/admin/posting")).text()
    assert 'id="open-posting"' in page
    opened = await admin.post("/admin/posting/open")
    html = await opened.text()
    assert opened.status == 200 and 'id="posted-list"' in html
    assert html.count("<tr") == 1 + 3  # the header and the three people
    # an objection made in person; bad numbers change nothing
    for bad, key in (("abc", "admin-bad-query"), ("9", "posting-no-such-line")):
        refused = await admin.post("/admin/posting/objections", {"number": bad, "reason": "x"})
        assert refused.status == 409
        if key == "posting-no-such-line":
            assert text(key, "vi", number=9, count=3) in await refused.text()
    recorded = await admin.post("/admin/posting/objections",
                                {"number": "1", "reason": "has a phone"})
    assert recorded.status == 200
    async with admin.runtime.uow() as u:
        posting = await u.postings.current(admin.world.units["commune"].id)
        assert posting is not None
        [objection] = await u.postings.objections(posting.id)
    assert (objection.line_number, objection.reason) == (1, "has a phone")
    # the commit waits for the period
    listed = await (await admin.client.get("/admin/allocation")).text()
    early = await admin.post("/admin/allocation/commit", {"fingerprint": fingerprint(listed)})
    assert early.status == 409 and "posting-still-open" not in await early.text()
    assert text("posting-still-open", "vi", closes="09:30 19/09/2023") in await early.text()
    # another commune's officer may not answer
    await admin.logout()
    await admin.login("sibling")
    foreign = await admin.post(f"/admin/posting/objections/{objection.id}/answer",
                               {"verdict": "removed", "answer": "no"})
    assert foreign.status == 409
    assert text("posting-not-allowed", "vi") in await foreign.text()
    await admin.logout()
    await admin.login("commune")
    answered = await admin.post(f"/admin/posting/objections/{objection.id}/answer",
                                {"verdict": "removed", "answer": "seen with a phone"})
    assert answered.status == 200
    again = await admin.post(f"/admin/posting/objections/{objection.id}/answer",
                             {"verdict": "kept", "answer": "twice"})
    assert again.status == 409
    admin.clock.advance(days=7, minutes=1)
    await admin.login("commune")  # a session ends after 12 hours
    listed = await (await admin.client.get("/admin/allocation")).text()
    done = await admin.post("/admin/allocation/commit", {"fingerprint": fingerprint(listed)})
    assert done.status == 200
    async with admin.runtime.uow() as u:
        an = await u.supports.active_for(admin.world.residents["own"])
        binh = await u.supports.active_for(admin.world.residents["own2"])
        trail = await u.audit.for_entity("objection", objection.id)
        closed = await u.postings.get(posting.id)
    assert an is None and binh is not None and binh.kind.value == "whole"
    assert [e.action for e in trail] == ["object", "answer"]
    assert closed is not None and closed.closed_at is not None


async def test_the_public_list_shows_the_short_name_year_and_village_only(
        admin: Admin) -> None:
    hoa = await three_waiting(admin)
    none = await admin.client.get("/public/commune/02173")
    assert none.status == 200
    assert admin.runtime.catalogue.text("public-posting-none", "vi",
                                        commune="X\u00e3 C\u00f4n Minh") in await none.text()
    await admin.login("commune")
    assert (await admin.post("/admin/posting/open")).status == 200
    await admin.logout()
    page = await admin.client.get("/public/commune/02173")
    html = await page.text()
    assert page.status == 200
    for shown in ("N\u00f4ng V. An", "L\u00f2 T. B\u00ecnh", "N\u00f4ng T. Hoa", "1970", "1971",
                  "1985", "N\u00e0 D\u0103m"):
        assert shown in html
    for hidden in (AN, BINH, HOA, HOA_ID, HOA_PHONE, "0912 345 678", "14/07/1985",
                   "1985-07-14", "01/03/1970", "/admin/residents", f"/{hoa}"):
        assert hidden not in html
    assert (await admin.client.get("/public/commune/06")).status == 404  # not a commune
    assert (await admin.client.get("/public/commune/nowhere")).status == 404
