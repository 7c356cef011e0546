"""The audit trail of a wide unit (issue 21): past admin.scoping.LISTED_UNITS units (a
province's fifty thousand, past the drivers' limit of bound parameters) the page finds the
units under the official's in SQL instead of sending their ids. With the bound set to 1 the
province's page must show exactly what the list of ids shows, and the trail of xa Nghia Ta
(another commune of the province) but never that of the 2025 province's commune."""

from __future__ import annotations

import pytest

from admin import audit
from core.page_views import AuditQuery
from tests.admin.conftest import Admin
from tests.admin.test_audit_page import body, busy_day


async def test_the_wide_unit_finds_the_same_trail(admin: Admin,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    await busy_day(admin)
    w = admin.world
    async with admin.runtime.uow() as u:  # what each unit's trail holds, read directly
        foreign = await u.views.audit_page(AuditQuery(unit_ids=(w.units["foreign"].id,)), 100)
        sibling = await u.views.audit_page(AuditQuery(unit_ids=(w.units["sibling"].id,)), 100)
        province = await u.views.audit_page(AuditQuery(unit_ids=(), under=w.units[
            "province"].id), 1000)
    assert foreign and sibling  # the outsider's and the sibling officer's accounts
    ids = {x.id for x in province}
    assert not ids & {x.id for x in foreign} and {x.id for x in sibling} <= ids
    await admin.login("province")
    listed = body(await (await admin.client.get("/admin/audit")).text())
    monkeypatch.setattr(audit, "LISTED_UNITS", 1)
    found = body(await (await admin.client.get("/admin/audit")).text())
    assert found == listed and "<tbody>" in found
