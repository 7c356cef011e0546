"""A receipt form sent again, as a browser does when the answer to the first was lost (the
process killed right after its commit, or the line cut): recorded once, and the officer is
taken to where the first one went. A new form (a new receipt) is recorded as usual."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from storage.models import ReceiptRow
from tests.admin.conftest import Admin
from tests.admin.test_donations_pages import earmarked_pledge

ONCE = re.compile(r'name="once" value="([^"]+)"')


async def receipts(admin: Admin) -> int:
    async with admin.runtime.uow() as u:
        return int(await u.session.scalar(select(func.count(ReceiptRow.id))) or 0)


async def form_token(admin: Admin) -> str:
    page = await (await admin.client.get("/admin/pledges")).text()
    found = ONCE.search(page)
    assert found, "the receipt form carries no one-time token"
    return found.group(1)


async def test_a_receipt_form_sent_twice_is_recorded_once(admin: Admin) -> None:
    code = await earmarked_pledge(admin)
    await admin.login("commune")
    form = {"unit": admin.world.units["commune"].id, "pledge": code, "phones": "1",
            "once": await form_token(admin)}
    first = await admin.post("/admin/receipts", form)
    again = await admin.post("/admin/receipts", form)
    assert first.status == again.status == 302
    assert again.headers["Location"] == first.headers["Location"] == f"/admin/pledges/{code}"
    assert await receipts(admin) == 1

    another = await admin.post("/admin/receipts", {**form, "once": await form_token(admin)})
    assert another.status == 302
    assert await receipts(admin) == 2
