"""The audit trail reads as sentences (issue 16, item 7): no raw catalogue key, no Python
dict, no password hash (after a password change and a user added), field names as labels,
coded values as words, times as dd/mm/yyyy HH:MM in Vietnam's time, a filter per entity.

START is 12/09/2023 02:30 UTC: 09:30 in Vietnam."""

from __future__ import annotations

import re

from core.model import AuditEntry, PledgeKind
from core.page_views import AuditQuery
from core.services import handover as handover_service
from core.services import registry
from core.services.audit import SECRET_MARK
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from tests.admin.conftest import PASSWORD, START, Admin
from tests.admin.test_handovers_page import IMEI, ITEMS, assigned
from tests.conftest import SYSTEM

# a catalogue key as the pages would leak it: 'admin-action-handover', 'column-money' ...
RAW_KEY = re.compile(
    r"\b(admin-action|admin-entity|admin-field|admin-audit|column|export-value)-[a-z0-9_-]+")
DICT_REPR = re.compile(r"\{'|': |\[\('")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
NEW_PASSWORD = "mat-khau-moi-2"


def body(html: str) -> str:
    """The page's main part (the menu and the form's options are checked elsewhere)."""
    return html.split("<main", 1)[1].split("</main>", 1)[0]


async def busy_day(admin: Admin) -> None:
    """A day of the programme: an approval, a correction, a pledge, a receipt, a handover,
    an invitation, a web account added and a password changed."""
    w = admin.world
    support_id = await assigned(admin, "own", serials=(IMEI,))
    async with admin.runtime.uow() as u:
        await handover_service.record_handover(
            u, SYSTEM, support_id, IMEI, dict.fromkeys(ITEMS, True), START)
        await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.MONEY, amount=2_000_000, commune_id=w.units["commune"].id,
            donor_name="Nguyen Van Tien"), "webchat", None, START)
        await record_receipt(u, SYSTEM, ReceiptForm(w.units["commune"].id, money=2_000_000),
                             START)
        await u.commit()
    await admin.login("province")
    added = await admin.post("/admin/officials/account", {
        "name": "Ma Van Moi", "login": "moi", "where": f"commune:{w.units['commune'].id}"})
    assert added.status == 200
    assert (await admin.post("/admin/officials/invite", {
        "name": "Ma Van Thon", "where": f"village_head:{w.units['village'].id}"})).status == 200
    assert (await admin.post(f"/admin/residents/{w.residents['own2']}/reject",
                             {"reason": "co dien thoai"})).status == 302
    changed = await admin.post("/admin/password", {
        "old": PASSWORD, "new": NEW_PASSWORD, "again": NEW_PASSWORD})
    assert changed.status in (200, 302)
    await admin.logout()
    await admin.login("province", NEW_PASSWORD)


async def test_the_trail_never_shows_a_key_a_dict_a_hash_or_a_utc_time(admin: Admin) -> None:
    await busy_day(admin)
    async with admin.runtime.uow() as u:  # the hash itself is not even in the trail
        province = await u.officials.by_login("tinh")
        assert province is not None and province.password_hash
        lines = await u.views.audit_page(AuditQuery(
            unit_ids=(admin.world.units["province"].id,), action="password"), 5)
    [password] = lines
    assert password.entry.after == {"password_hash": SECRET_MARK}
    html = await (await admin.client.get("/admin/audit")).text()
    main = body(html)
    text = admin.runtime.text
    assert RAW_KEY.findall(main) == []
    assert DICT_REPR.findall(main) == []
    assert ISO_TIME.findall(main) == []
    assert "password_hash" not in main and province.password_hash not in main
    assert "$argon2" not in main
    assert f'<span class="field">{text("column-password_hash")}</span>: ' \
           f'{text("admin-audit-changed")}' in main
    assert text("admin-action-handover") in main and text("admin-entity-receipt") in main
    assert "12/09/2023 09:30" in main  # START in Vietnam's time
    # a coded value as a word, an amount with its dots
    assert text("export-value-status-rejected") in main
    assert "2.000.000" in main


async def test_an_older_entry_holding_a_hash_shows_only_that_it_changed(admin: Admin) -> None:
    """Entries written before the trail masked secrets still hold the hash: never shown."""
    old_hash = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
    async with admin.runtime.uow() as u:
        officer = await u.officials.by_login("xa")
        assert officer is not None
        await u.audit.append(AuditEntry(
            at=START, actor=SYSTEM, action="update", entity="official", entity_id=officer.id,
            unit_id=officer.unit_id, before={"password_hash": None, "name": "Can Bo"},
            after={"password_hash": old_hash, "name": "Can Bo Xa"}))
        await u.commit()
    await admin.login("commune")
    main = body(await (await admin.client.get("/admin/audit?entity=official")).text())
    assert old_hash not in main and "$argon2" not in main
    text = admin.runtime.text
    assert f'{text("column-password_hash")}</span>: {text("admin-audit-changed")}' in main
    assert f'{text("admin-field-official-name")}</span>: Can Bo \u2192 Can Bo Xa' in main


async def test_every_entity_has_a_filter_and_the_filter_keeps_to_it(admin: Admin) -> None:
    await busy_day(admin)
    html = await (await admin.client.get("/admin/audit")).text()
    for entity in ("handover", "pledge", "receipt", "support", "case", "resident"):
        assert f'<option value="{entity}"' in html
    main = body(await (await admin.client.get("/admin/audit?entity=receipt")).text())
    trail = main.split('<table class="list audit">', 1)[1]  # below the filter's menus
    text = admin.runtime.text
    assert text("admin-entity-receipt") in trail
    assert text("admin-entity-handover") not in trail
    assert text("admin-entity-pledge") not in trail


async def test_the_residents_history_reads_the_same_way(admin: Admin) -> None:
    own = admin.world.residents["own"]
    async with admin.runtime.uow() as u:
        await registry.approve(u, SYSTEM, own, START)
        await u.commit()
    await admin.login("commune")
    main = body(await (await admin.client.get(f"/admin/residents/{own}")).text())
    text = admin.runtime.text
    assert (f'<span class="field">{text("column-status")}</span>: '
            f'{text("export-value-status-registered")} \u2192 '
            f'{text("export-value-status-approved")}') in main
    assert f'{text("column-approved_at")}</span>: 12/09/2023 09:30' in main
    assert RAW_KEY.findall(main) == [] and ISO_TIME.findall(main) == []


async def test_no_page_of_the_menu_renders_a_raw_key(admin: Admin) -> None:
    await busy_day(admin)
    w = admin.world
    pages = ("/admin", "/admin/residents", f"/admin/households?village={w.units['village'].id}",
             "/admin/pledges", "/admin/stock", "/admin/allocation", "/admin/handovers",
             "/admin/import", "/admin/officials", "/admin/invitations", "/admin/audit",
             "/admin/channels", "/admin/reports", "/admin/account",
             f"/admin/residents/{w.residents['own']}")
    for path in pages:
        r = await admin.client.get(path)
        assert r.status == 200, path
        main = body(await r.text())
        assert (path, RAW_KEY.findall(main), DICT_REPR.findall(main)) == (path, [], [])
