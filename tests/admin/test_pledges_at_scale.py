"""The pledges page at a province's size (issue 21): the receipt form offers the units on the
way down to the one chosen in the unit picker and those just under it, one level at a time,
not every commune of the province; the stock page reads the official's units from the scope."""

from __future__ import annotations

import re

from tests.admin.conftest import Admin

RECEIPT_UNITS = re.compile(r'<form method="post" action="/admin/receipts".*?<select name="unit">'
                           r'(.*?)</select>', re.S)
VALUE = re.compile(r'<option value="(\d+)"')


async def offered(admin: Admin, **params: str | int) -> list[int]:
    got = await admin.client.get("/admin/pledges", params=params)
    assert got.status == 200
    found = RECEIPT_UNITS.search(await got.text())
    assert found, "no receipt form"
    return [int(v) for v in VALUE.findall(found.group(1))]


async def test_the_receipt_form_offers_one_level_at_a_time(admin: Admin) -> None:
    w = admin.world
    province, commune = w.units["province"], w.units["commune"]
    district = commune.parent_id
    await admin.login("province")
    top = await offered(admin)
    assert top[0] == province.id and district in top
    assert commune.id not in top and w.units["sibling"].id not in top
    down = await offered(admin, unit=district)
    assert down[:2] == [province.id, district] and commune.id in down
    assert w.units["village"].id not in down  # villages receive nothing
    typed = await offered(admin, unit_q="con minh")  # typed without a script
    assert commune.id in typed and w.units["sibling"].id not in typed
    assert (await admin.client.get("/admin/pledges", params={"unit": w.units["foreign"].id})
            ).status == 404
    await admin.logout()
    await admin.login("commune")
    assert await offered(admin) == [commune.id]
