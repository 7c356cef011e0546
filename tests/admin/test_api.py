"""The JSON API with a Bearer token, with a session, and with neither."""

from __future__ import annotations

import re

import pytest

from core.model import Status
from tests.admin.conftest import PASSWORD, Admin

TOKEN = re.compile(r'id="new-token">([^<]+)<')


async def new_token(admin: Admin, role: str) -> str:
    await admin.login(role)
    page = await (await admin.post("/admin/account/tokens", {"label": "bao cao"})).text()
    found = TOKEN.search(page)
    assert found
    await admin.logout()
    return found.group(1)


async def test_bearer_token_reads_and_approves_without_csrf(admin: Admin) -> None:
    token = await new_token(admin, "commune")
    auth = {"Authorization": f"Bearer {token}"}
    admin.client.session.cookie_jar.clear()
    listing = await (await admin.client.get("/api/v1/residents?limit=1", headers=auth)).json()
    assert [x["full_name"] for x in listing["items"]] == ["N\u00f4ng V\u0103n An"]
    page2 = await (await admin.client.get(
        f"/api/v1/residents?limit=1&after={listing['next']}", headers=auth)).json()
    assert [x["full_name"] for x in page2["items"]] == ["L\u00f2 Th\u1ecb B\u00ecnh"]
    assert page2["next"] is None
    own, foreign = admin.world.residents["own"], admin.world.residents["foreign"]
    r = await admin.client.post(f"/api/v1/residents/{own}/approve", headers=auth)
    assert r.status == 200 and (await r.json())["status"] == Status.APPROVED.value
    assert (await admin.client.get(f"/api/v1/residents/{foreign}", headers=auth)).status == 404
    stats = await (await admin.client.get("/api/v1/stats", headers=auth)).json()
    assert stats["by_status"] == {"approved": 1, "registered": 1}


async def test_without_credentials_or_with_a_revoked_token_the_api_says_401(
    admin: Admin,
) -> None:
    assert (await admin.client.get("/api/v1/residents")).status == 401
    assert (await admin.client.get(
        "/api/v1/residents", headers={"Authorization": "Bearer made-up"})).status == 401
    token = await new_token(admin, "commune")
    await admin.login("commune")
    async with admin.runtime.uow() as uow:
        me = await uow.officials.by_login("xa")
        assert me is not None
        [made] = await uow.views.tokens_of(me.id)
    assert (await admin.post(f"/admin/account/tokens/{made.id}/revoke")).status == 302
    await admin.logout()
    r = await admin.client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 401


async def test_a_village_heads_token_reads_but_cannot_approve(admin: Admin) -> None:
    token = await new_token(admin, "village_head")
    auth = {"Authorization": f"Bearer {token}"}
    own = admin.world.residents["own"]
    assert (await admin.client.get(f"/api/v1/residents/{own}", headers=auth)).status == 200
    assert (await admin.client.post(f"/api/v1/residents/{own}/approve",
                                    headers=auth)).status == 403
    households = await (await admin.client.get("/api/v1/households", headers=auth)).json()
    assert {h["code"] for h in households["items"]} == {"HX-001", "HX-002"}


async def test_adding_and_revoking_a_token_are_in_the_audit_trail(admin: Admin) -> None:
    await admin.login("commune")
    await admin.post("/admin/account/tokens", {"label": "bao cao"})
    async with admin.runtime.uow() as uow:
        me = await uow.officials.by_login("xa")
        assert me is not None
        [token] = await uow.views.tokens_of(me.id)
    assert (await admin.post(f"/admin/account/tokens/{token.id}/revoke")).status == 302
    async with admin.runtime.uow() as uow:
        trail = await uow.audit.for_entity("official", me.id)
    done = [(e.action, (e.after or e.before or {}).get("label")) for e in trail
            if e.action.endswith("-token")]
    assert done == [("add-token", "bao cao"), ("revoke-token", "bao cao")]
    page = await (await admin.client.get("/admin/audit?action=revoke-token")).text()
    assert admin.runtime.text("admin-action-revoke-token") in page


async def test_a_token_ends_ninety_days_after_it_was_made_and_leaves_the_account_page(
        admin: Admin) -> None:
    token = await new_token(admin, "commune")
    auth = {"Authorization": f"Bearer {token}"}
    admin.clock.advance(days=89, hours=23)
    assert (await admin.client.get("/api/v1/stats", headers=auth)).status == 200
    await admin.login("commune")
    page = await (await admin.client.get("/admin/account")).text()
    # made at 09:30 on 12/09/2023 (Ha Noi time): valid until the same minute 90 days on
    assert admin.runtime.text("admin-token-expires", at="11/12/2023 09:30") in page
    admin.clock.advance(hours=2)
    assert (await admin.client.get("/api/v1/stats", headers=auth)).status == 401
    assert "bao cao" not in await (await admin.client.get("/admin/account")).text()


@pytest.mark.parametrize("admin_env", [{"PHOCAP_TOKEN_DAYS": "7"}])
async def test_the_token_lifetime_is_a_setting(admin: Admin) -> None:
    token = await new_token(admin, "commune")
    admin.clock.advance(days=7, minutes=1)
    r = await admin.client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"})
    assert r.status == 401


async def test_a_password_change_ends_every_token_of_the_official(admin: Admin) -> None:
    mine, theirs = await new_token(admin, "commune"), await new_token(admin, "province")
    await admin.login("commune")
    new = "mot-mat-khau-moi"
    r = await admin.post("/admin/password", {"old": PASSWORD, "new": new, "again": new})
    assert r.status == 200
    for token, status in ((mine, 401), (theirs, 200)):
        r = await admin.client.get("/api/v1/stats",
                                   headers={"Authorization": f"Bearer {token}"})
        assert r.status == status
    async with admin.runtime.uow() as uow:
        me = await uow.officials.by_login("xa")
        assert me is not None and await uow.views.tokens_of(me.id) == []
