"""Invitations (issue 16, item 6): the codes not yet used, who made them and when they
expire, within the official's unit; revoking one (CSRF, audited, once) stops the code in
the chat that redeems it."""

from __future__ import annotations

import re

import pytest

from core.errors import RuleError
from core.page_views import AuditQuery
from core.services.linking import redeem
from tests.admin.conftest import START, Admin

NEW_HEAD = "Ma V\u0103n Kh\u00e1nh"
CODE = re.compile(r'id="invite-code">([^<]+)<')
REVOKE = re.compile(r'action="/admin/invitations/(\d+)/revoke"')


async def invite(admin: Admin, village: str = "village") -> str:
    """The commune officer invites a village head through the officials page: the code."""
    page = await admin.post("/admin/officials/invite", {
        "name": NEW_HEAD, "where": f"village_head:{admin.world.units[village].id}"})
    assert page.status == 200
    found = CODE.search(await page.text())
    assert found
    return found.group(1)


async def redeem_code(admin: Admin, code: str) -> None:
    async with admin.runtime.uow() as u:
        chat = await u.chats.get_or_create("webchat", "new-phone", START)
        await redeem(u, chat, code, admin.clock(), "webchat:127.0.0.1")
        await u.chats.save(chat)
        await u.commit()


async def test_the_page_lists_a_pending_invitation_with_its_maker_and_expiry(
    admin: Admin,
) -> None:
    await admin.login("commune")
    await invite(admin)
    page = await (await admin.client.get("/admin/invitations")).text()
    assert NEW_HEAD in page
    assert "Can Bo Xa" in page  # who made it (the officer's name in the world)
    assert "19/09/2023 09:30" in page  # 7 days after 12/09/2023 09:30, Vietnam's time
    assert 'href="/admin/invitations"' in page  # in the menu
    await admin.logout()
    await admin.login("sibling")  # another commune's officer sees nothing of it
    page = await (await admin.client.get("/admin/invitations")).text()
    assert NEW_HEAD not in page and not REVOKE.search(page)


async def test_an_expired_or_used_invitation_is_not_listed(admin: Admin) -> None:
    await admin.login("commune")
    code = await invite(admin)
    await redeem_code(admin, code)
    await invite(admin)
    admin.clock.advance(days=7, seconds=1)
    page = await (await admin.client.get("/admin/invitations")).text()
    assert NEW_HEAD not in page


async def test_a_revoked_code_no_longer_links_and_the_revocation_is_audited_once(
    admin: Admin,
) -> None:
    await admin.login("commune")
    code = await invite(admin)
    page = await (await admin.client.get("/admin/invitations")).text()
    found = REVOKE.search(page)
    assert found
    path = f"/admin/invitations/{found.group(1)}/revoke"
    assert (await admin.client.post(path, data={}, allow_redirects=False)).status == 403
    assert (await admin.post(path)).status == 302
    assert (await admin.post(path)).status == 302  # a second click changes nothing
    page = await (await admin.client.get("/admin/invitations")).text()
    assert NEW_HEAD not in page
    with pytest.raises(RuleError) as refused:
        await redeem_code(admin, code)
    assert refused.value.key == "link-code-revoked"
    async with admin.runtime.uow() as u:
        lines = await u.views.audit_page(AuditQuery(
            unit_ids=(admin.world.units["village"].id,), action="revoke-invite"), 10)
    assert len(lines) == 1 and lines[0].entry.entity == "official"


async def test_another_communes_officer_cannot_revoke_and_the_code_still_links(
    admin: Admin,
) -> None:
    await admin.login("commune")
    code = await invite(admin)
    found = REVOKE.search(await (await admin.client.get("/admin/invitations")).text())
    assert found
    await admin.logout()
    await admin.login("sibling")
    assert (await admin.post(f"/admin/invitations/{found.group(1)}/revoke")).status == 404
    await redeem_code(admin, code)  # still works: links the chat
    async with admin.runtime.uow() as u:
        chat = await u.chats.get_or_create("webchat", "new-phone", START)
    assert chat.official_id is not None
