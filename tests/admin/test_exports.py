"""Every list leaves as .xlsx and .csv (issue 16, item 2): opened with openpyxl (and the
csv module), the catalogue's Vietnamese titles, a row as worked out by hand, the page's
filter applied, the official's unit only, times in Vietnam's time, the read in the trail.

The world (tests/admin/conftest.py): START is 12/09/2023 02:30 UTC, 09:30 in Vietnam.
"""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from admin.exports import check_size
from core.errors import RuleError
from core.model import Confirmation, PledgeKind, Role
from core.page_views import AuditQuery
from core.services import handover as handover_service
from core.services import registry
from core.services.linking import create_invite
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import START, Admin
from tests.admin.test_handovers_page import AN, IMEI, ITEMS, assigned
from tests.conftest import SYSTEM

LOCALES = Path(__file__).resolve().parents[2] / "locales"
HONG_HA = "C\u00f4ng ty H\u1ed3ng H\u00e0"
NGHIA_TA_DONOR = "B\u00e0 Ho\u00e0ng Th\u1ecb Lan"


def vi(key: str) -> str:
    """A Vietnamese catalogue text, read from the files (no Vietnamese in .py files)."""
    for path in sorted((LOCALES / "vi").glob("*.toml")):
        found = tomllib.loads(path.read_text("utf-8")).get(key)
        if found is not None:
            return str(found)
    raise KeyError(key)


async def sheet(admin: Admin, path: str) -> list[list[object]]:
    """The workbook's rows as values, after checking the answer is a workbook."""
    r = await admin.client.get(path)
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert r.headers["Content-Disposition"].endswith('.xlsx"')
    ws = load_workbook(io.BytesIO(await r.read())).active
    assert ws is not None
    return [list(row) for row in ws.iter_rows(values_only=True)]


async def table(admin: Admin, path: str) -> list[list[str]]:
    r = await admin.client.get(path)
    assert r.status == 200, await r.text()
    assert r.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))


def column(rows: list[list[object]], title_key: str) -> list[object]:
    at = rows[0].index(vi(title_key))
    return [r[at] for r in rows[1:]]


async def receipts(admin: Admin) -> None:
    """One receipt at the commune, one at the sibling commune."""
    w = admin.world
    async with admin.runtime.uow() as u:
        await record_receipt(u, SYSTEM, ReceiptForm(
            w.units["commune"].id, phones=2, model="Xiaomi Redmi A3", money=1_500_000,
            donor_name=HONG_HA, number="PN-01"), START)
        await record_receipt(u, SYSTEM, ReceiptForm(
            w.units["sibling"].id, phones=1, donor_name=NGHIA_TA_DONOR, number="PN-02"), START)
        await u.commit()


async def test_residents_leave_as_xlsx_and_csv_under_the_filter(admin: Admin) -> None:
    w = admin.world
    async with admin.runtime.uow() as u:
        await registry.approve(u, SYSTEM, w.residents["own"], START)
        await u.commit()
    await admin.login("commune")
    page = await (await admin.client.get("/admin/residents?status=approved")).text()
    assert 'href="/admin/residents.xlsx?status=approved"' in page
    assert 'href="/admin/residents.csv?status=approved"' in page
    rows = await sheet(admin, "/admin/residents.xlsx?status=approved")
    assert rows[0][:3] == [vi("column-id"), vi("column-commune"), vi("column-village")]
    assert column(rows, "column-full_name") == [AN]  # own2 is not approved: filtered out
    assert column(rows, "column-status") == [vi("export-value-status-approved")]
    assert column(rows, "column-approved_at") == [datetime(2023, 9, 12, 9, 30)]  # local
    text = await table(admin, "/admin/residents.csv?status=approved")
    assert text[0] == rows[0]
    row = dict(zip(text[0], text[1], strict=True))
    assert row[vi("column-approved_at")] == "12/09/2023 09:30"
    assert row[vi("column-date_of_birth")] == "01/03/1970"
    assert row[vi("column-id")] == str(w.residents["own"])


async def test_pledges_leave_with_the_status_filter_and_the_officers_commune_only(
    admin: Admin,
) -> None:
    w = admin.world
    async with admin.runtime.uow() as u:
        for commune, n in (("commune", 3), ("sibling", 7)):
            await make_pledge(u, SYSTEM, PledgeForm(
                PledgeKind.PHONES, quantity=n, condition="new", model="Nokia C12",
                commune_id=w.units[commune].id, donor_name=HONG_HA), "webchat", None, START)
        await u.commit()
    await admin.login("commune")
    rows = await sheet(admin, "/admin/pledges.xlsx?status=pledged")
    assert column(rows, "column-quantity") == [3]  # a number, and not the sibling's 7
    assert column(rows, "column-kind") == [vi("export-value-kind-phones")]
    assert column(rows, "column-created_at") == [datetime(2023, 9, 12, 9, 30)]
    assert len(await sheet(admin, "/admin/pledges.xlsx?status=received")) == 1  # titles only
    text = await table(admin, "/admin/pledges.csv")
    assert text[1][text[0].index(vi("column-quantity"))] == "3"


async def test_receipts_and_the_stock_leave_with_a_row_per_commune(admin: Admin) -> None:
    await receipts(admin)
    await admin.login("province")
    rows = await sheet(admin, "/admin/receipts.xlsx")
    assert sorted(column(rows, "column-receipt_number")) == ["PN-01", "PN-02"]
    stock = await sheet(admin, "/admin/stock.xlsx")
    phones = dict(zip(column(stock, "column-name"), column(stock, "column-phones"),
                      strict=True))
    below = dict(zip(column(stock, "column-name"), column(stock, "column-subtree_phones"),
                     strict=True))
    w = admin.world
    # the province first, then each district followed by its communes: both communes have
    # their own row, with their own phones; the province holds none itself, 3 below it
    assert stock[1][0] == w.units["province"].code
    assert phones[w.units["commune"].name] == 2 and phones[w.units["sibling"].name] == 1
    assert below[w.units["province"].name] == 3
    assert vi("export-value-level-commune") in column(stock, "column-level")
    await admin.logout()
    await admin.login("commune")
    rows = await sheet(admin, "/admin/receipts.xlsx")
    assert column(rows, "column-receipt_number") == ["PN-01"]  # not the sibling's
    assert column(rows, "column-money") == [1_500_000]
    assert column(rows, "column-received_at") == [datetime(2023, 9, 12, 9, 30)]
    stock = await sheet(admin, "/admin/stock.xlsx")
    assert column(stock, "column-name") == [w.units["commune"].name]


async def test_handovers_leave_with_the_recipient_and_the_local_time(admin: Admin) -> None:
    support_id = await assigned(admin)
    async with admin.runtime.uow() as u:
        await handover_service.record_handover(
            u, SYSTEM, support_id, IMEI, dict.fromkeys(ITEMS, True), START)
        await u.commit()
    await admin.login("commune")
    rows = await sheet(admin, "/admin/handovers.xlsx")
    assert column(rows, "column-full_name") == [AN]
    assert column(rows, "column-serial") == [IMEI]  # a text, never a number
    assert column(rows, "column-handed_at") == [datetime(2023, 9, 12, 9, 30)]
    assert column(rows, "column-support") == [vi("export-value-support-whole")]
    await admin.logout()
    await admin.login("sibling")
    assert len(await sheet(admin, "/admin/handovers.xlsx")) == 1


async def test_cases_leave_open_and_closed_with_the_person_and_the_kind(admin: Admin) -> None:
    """A case opened at the confirmation and closed, then one the sibling commune cannot
    see: both rows for the officer, with the kind and the resolution in words."""
    support_id = await assigned(admin)
    async with admin.runtime.uow() as u:
        done = await handover_service.record_handover(
            u, SYSTEM, support_id, IMEI, dict.fromkeys(ITEMS, True), START)
        chat = await u.chats.get_or_create("web", "new-phone", START)
        await handover_service.confirm(u, done.code, chat, Confirmation.PROBLEM, "no SIM",
                                       START)
        [case] = await u.handovers.cases_for(done.id)
        await handover_service.close_case(u, SYSTEM, case.id, "SIM fitted", START)
        await u.commit()
    await admin.login("commune")
    rows = await sheet(admin, "/admin/cases.xlsx")
    assert column(rows, "column-full_name") == [AN]
    assert column(rows, "column-kind") == [vi("export-value-kind-problem")]
    assert column(rows, "column-resolution") == ["SIM fitted"]
    assert column(rows, "column-opened_at") == [datetime(2023, 9, 12, 9, 30)]
    assert [r[0] for r in (await table(admin, "/admin/cases.csv"))[1:]] == [str(case.id)]
    await admin.logout()
    await admin.login("sibling")
    assert len(await sheet(admin, "/admin/cases.xlsx")) == 1


async def test_households_officials_and_invitations_leave_too(admin: Admin) -> None:
    w = admin.world
    async with admin.runtime.uow() as u:
        await create_invite(u, SYSTEM, Role.VILLAGE_HEAD,
                            w.units["village"].id, "Ma V\u0103n Kh\u00e1nh", START)
        await u.commit()
    await admin.login("commune")
    homes = await sheet(admin, f"/admin/households.xlsx?village={w.units['village'].id}")
    assert sorted(column(homes, "column-household_code")) == ["HX-001", "HX-002"]
    assert column(homes, "column-poverty") == [vi("export-value-poverty-poor")] * 2
    assert column(homes, "column-registered_members") == [1, 1]
    officials = await sheet(admin, "/admin/officials.xlsx")
    logins = column(officials, "column-login")
    assert "xa" in logins and "thon" in logins and "xa2" not in logins
    assert vi("export-value-role-village_head") in column(officials, "column-role")
    invites = await sheet(admin, "/admin/invitations.xlsx")
    assert column(invites, "column-official_name") == ["Ma V\u0103n Kh\u00e1nh"]
    assert column(invites, "column-expires_at") == [datetime(2023, 9, 19, 9, 30)]  # 7 days
    other = await admin.client.get(
        f"/admin/households.xlsx?village={w.units['sibling_village'].id}")
    assert other.status == 404


async def test_the_audit_trail_leaves_in_words_under_its_filter(admin: Admin) -> None:
    await receipts(admin)
    await admin.login("commune")
    rows = await sheet(admin, "/admin/audit.xlsx?entity=receipt")
    assert column(rows, "column-audit_action") == [vi("admin-action-receive")]
    assert column(rows, "column-audit_entity") == [vi("admin-entity-receipt")]
    assert column(rows, "column-audit_when") == [datetime(2023, 9, 12, 9, 30)]
    [changes] = column(rows, "column-audit_changes")
    assert isinstance(changes, str)
    assert f"{vi('column-money')}: 1.500.000" in changes
    assert "{" not in changes and "admin-" not in changes


async def test_every_export_is_kept_in_the_trail_with_its_list_and_rows(admin: Admin) -> None:
    await receipts(admin)
    await admin.login("commune")
    await sheet(admin, "/admin/receipts.xlsx")
    async with admin.runtime.uow() as u:
        lines = await u.views.audit_page(AuditQuery(
            unit_ids=(admin.world.units["commune"].id,), action="read-list"), 10)
    [line] = lines
    assert line.entry.entity == "receipt"
    assert line.entry.after == {"source": "admin-export", "filter": "", "rows": 1}


async def test_a_format_other_than_xlsx_and_csv_is_not_found(admin: Admin) -> None:
    await admin.login("commune")
    assert (await admin.client.get("/admin/pledges.json")).status == 404


def test_a_list_past_the_cap_is_refused_with_its_limit() -> None:
    check_size(50_000)
    with pytest.raises(RuleError) as refused:
        check_size(50_001)
    assert refused.value.key == "admin-export-too-many"
    assert refused.value.params == {"limit": 50_000}
