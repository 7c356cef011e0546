"""Pledges, receipts and stock at a desk."""

from __future__ import annotations

from core.model import PledgeKind
from core.services.pledges import PledgeForm, make_pledge
from tests.admin.conftest import START, Admin
from tests.conftest import SYSTEM


async def earmarked_pledge(admin: Admin) -> str:
    async with admin.runtime.uow() as u:
        pledge = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.PHONES, quantity=2, condition="new", model="Nokia C32",
            commune_id=admin.world.units["commune"].id, donor_name="Cong Ty Minh Anh"),
            "web", None, START)
        await u.commit()
    return pledge.code


async def test_a_receipt_against_a_pledge_shows_on_its_page_and_in_the_stock(
        admin: Admin) -> None:
    code = await earmarked_pledge(admin)
    await admin.login("commune")
    listed = await (await admin.client.get("/admin/pledges")).text()
    assert code in listed and "Cong Ty Minh Anh" in listed
    unit = admin.world.units["commune"].id
    bad = await admin.post("/admin/receipts", {"unit": unit, "pledge": code.lower(),
                                               "phones": "1", "serials": "490154203237519"})
    assert bad.status == 400  # a wrong IMEI check digit: said, and what was typed is kept
    assert "490154203237519" in await bad.text()
    done = await admin.post("/admin/receipts", {"unit": unit, "pledge": code.lower(),
                                                "phones": "1", "serials": "490154203237518"})
    assert done.status == 302 and done.headers["Location"] == f"/admin/pledges/{code}"
    page = await (await admin.client.get(done.headers["Location"])).text()
    partly = admin.runtime.catalogue.text("public-status-partly-received", "vi")
    assert f'id="pledge-status">{partly}<' in page and 'id="receipts"' in page
    stock = await (await admin.client.get("/admin/stock")).text()
    row = stock.split(admin.world.units["commune"].name)[1].split("</tr>")[0]
    assert '<td class="num">1</td>' in row
    await admin.logout()
    await admin.login("sibling")
    assert (await admin.client.get(f"/admin/pledges/{code}")).status == 404
    assert code not in await (await admin.client.get("/admin/pledges")).text()
    assert (await (await admin.client.get("/api/v1/pledges")).json()) == {"pledges": []}


async def test_the_api_lists_the_units_pledges(admin: Admin) -> None:
    code = await earmarked_pledge(admin)
    await admin.login("commune")
    [pledge] = (await (await admin.client.get("/api/v1/pledges")).json())["pledges"]
    assert (pledge["code"], pledge["quantity"], pledge["status"]) == (code, 2, "pledged")
    none = await (await admin.client.get("/api/v1/pledges?status=received")).json()
    assert none == {"pledges": []}
