"""The allocation page: each official sees and commits their own part, and only the part it
was shown: the province its distribution to communes, a commune its own list (issue 14)."""

from __future__ import annotations

from dataclasses import replace

from core.services import registry
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM
from tests.posting_setup import posted_before

AN = "N\u00f4ng V\u0103n An"  # own commune (Con Minh)
AN_ID = "006090001234"
CUONG = "Ho\u00e0ng V\u0103n C\u01b0\u1eddng"  # sibling commune (Nghia Ta)


async def stock_and_approve(admin: Admin) -> None:
    """Approve everyone and give the province one phone: it goes to one of the two communes."""
    async with admin.runtime.uow() as u:
        for resident_id in admin.world.residents.values():
            await registry.approve(u, SYSTEM, resident_id, START)
        await record_receipt(u, SYSTEM, ReceiptForm(admin.world.units["province"].id, phones=1),
                             START)
        await u.commit()


async def test_a_commune_officer_sees_only_their_communes_list_made_from_what_it_holds(
        admin: Admin) -> None:
    await stock_and_approve(admin)
    await admin.login("commune")
    page = await admin.client.get("/admin/allocation")
    html = await page.text()
    assert page.status == 200 and AN in html and CUONG not in html
    assert "commit-list" in html and "commit-distribution" not in html
    fingerprint = html.split('name="fingerprint" value="')[1].split('"')[0]
    # the province's phone is not the commune's until the province transfers it
    refused = await admin.post("/admin/allocation/commit", {"fingerprint": fingerprint})
    assert refused.status == 409
    assert admin.runtime.catalogue.text("allocation-nothing", "vi") in await refused.text()


async def test_the_province_commits_its_distribution_then_the_commune_its_list(
        admin: Admin) -> None:
    await stock_and_approve(admin)
    await admin.login("province")
    summary = await (await admin.client.get("/admin/allocation")).text()
    # the summary plans no distribution, so it offers none to commit: the distribution's page
    assert "commit-distribution" not in summary and "commit-list" not in summary
    assert 'id="distribution-link"' in summary
    html = await (await admin.client.get("/admin/allocation",
                                         params={"distribution": "1"})).text()
    assert "commit-distribution" in html and "commit-list" not in html
    for commune, name in (("commune", AN), ("sibling", CUONG)):  # each commune's list
        drilled = await admin.client.get("/admin/allocation",
                                         params={"commune": admin.world.units[commune].id})
        assert name in await drilled.text()
    fingerprint = html.split('name="fingerprint" value="')[1].split('"')[0]
    forged = await admin.post("/admin/allocation/commit", {"fingerprint": fingerprint},
                              token="forged")
    assert forged.status == 403
    done = await admin.post("/admin/allocation/commit", {"fingerprint": fingerprint})
    assert done.status == 200
    assert admin.runtime.catalogue.text("allocation-cli-committed", "vi", plan=1, transfers=1,
                                        whole=0, partial=0) in await done.text()
    again = await admin.post("/admin/allocation/commit", {"fingerprint": fingerprint})
    assert again.status == 409  # the same distribution twice: the records have moved on
    async with admin.runtime.uow() as u:
        served = [await u.supports.active_for(r) for r in admin.world.residents.values()]
    assert served == [None] * len(served)  # the province names nobody
    communes = {admin.world.units[k].id: k for k in ("commune", "sibling")}
    async with admin.runtime.uow() as u:
        held = await u.receipts.holdings_by_unit(list(communes))
    [receiving] = [communes[unit_id] for unit_id, h in held.items() if h.phones == 1]
    await admin.logout()
    await admin.login(receiving)  # that commune's officer commits its list, once posted
    await posted_before(admin.runtime.uow, SYSTEM, admin.world.units[receiving], START.date(),
                        START)
    html = await (await admin.client.get("/admin/allocation")).text()
    fingerprint = html.split('name="fingerprint" value="')[1].split('"')[0]
    done = await admin.post("/admin/allocation/commit", {"fingerprint": fingerprint})
    assert done.status == 200
    assert admin.runtime.catalogue.text("allocation-cli-committed", "vi", plan=2, transfers=0,
                                        whole=1, partial=0) in await done.text()


async def test_each_commune_links_its_posting_list_which_names_no_citizen_id(
        admin: Admin) -> None:
    await stock_and_approve(admin)
    async with admin.runtime.uow() as u:  # the commune's own phone: An is on its list
        await record_receipt(u, SYSTEM, ReceiptForm(admin.world.units["commune"].id, phones=1),
                             START)
        an = await u.residents.get(admin.world.residents["own"])
        assert an is not None and an.full_name == AN
        await u.residents.update(replace(an, citizen_id=AN_ID))
        await u.commit()
    await admin.login("commune")
    html = await (await admin.client.get("/admin/allocation")).text()
    link = f"/admin/allocation/posting/{admin.world.units['commune'].id}"
    assert f'href="{link}"' in html
    posted = await (await admin.client.get(link)).text()
    assert AN in posted and CUONG not in posted
    assert f'href="{link}.docx"' in posted and f'href="{link}.xlsx"' in posted
    assert AN_ID not in posted
    assert (await admin.client.get(f"{link}.pdf")).status == 404
