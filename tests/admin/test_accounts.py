"""Signing in, the failure limit, sign-out, idle expiry, password change and CSRF."""

from __future__ import annotations

from sqlalchemy import select

from admin.passwords import verify_password
from core.model import Status
from storage.models import AdminSecretRow
from tests.admin.conftest import PASSWORD, Admin


async def test_right_password_signs_in_and_wrong_one_does_not(admin: Admin) -> None:
    wrong = await admin.login("commune", "not-the-password")
    assert wrong.status == 401
    assert (await admin.client.get("/admin", allow_redirects=False)).status == 302
    right = await admin.login("commune")
    assert (right.status, right.headers["Location"]) == (302, "/admin")
    home = await admin.client.get("/admin")
    assert home.status == 200 and "Can Bo Xa" in await home.text()


async def test_five_failures_lock_the_account_until_the_window_passes(admin: Admin) -> None:
    for _ in range(5):
        assert (await admin.login("commune", "wrong-password")).status == 401
    locked = await admin.login("commune")  # the right password, refused all the same
    assert locked.status == 429
    assert admin.runtime.text("admin-login-locked", minutes=15) in await locked.text()
    admin.clock.advance(minutes=14)
    assert (await admin.login("commune")).status == 429
    admin.clock.advance(minutes=2)
    assert (await admin.login("commune")).status == 302


async def test_failures_from_one_address_lock_every_login_from_it(admin: Admin) -> None:
    for name in ("a1", "a2", "a3", "a4", "a5"):
        assert (await admin.login(name, "x")).status == 401
    assert (await admin.login("province")).status == 429


async def test_logout_ends_the_session(admin: Admin) -> None:
    await admin.login("commune")
    await admin.logout()
    r = await admin.client.get("/admin/residents", allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (302, "/admin/login")


async def test_eight_idle_hours_end_the_session(admin: Admin) -> None:
    await admin.login("commune")
    admin.clock.advance(hours=7, minutes=59)
    assert (await admin.client.get("/admin", allow_redirects=False)).status == 200
    admin.clock.advance(hours=7, minutes=59)  # active a moment ago: still signed in
    assert (await admin.client.get("/admin", allow_redirects=False)).status == 200
    admin.clock.advance(hours=8, minutes=1)
    r = await admin.client.get("/admin/residents", allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (302, "/admin/login?expired=1")
    page = await admin.client.get("/admin/login?expired=1")
    assert admin.runtime.text("admin-login-expired") in await page.text()


async def test_password_change_checks_old_length_and_repeat(admin: Admin) -> None:
    await admin.login("commune")
    cases = [("wrong-old-pw", "abcdefghijk", "abcdefghijk", "admin-password-old-wrong"),
             (PASSWORD, "short", "short", "admin-password-too-short"),
             (PASSWORD, "abcdefghijk", "abcdefghijz", "admin-password-mismatch")]
    for old, new, again, key in cases:
        r = await admin.post("/admin/password", {"old": old, "new": new, "again": again})
        assert r.status == 400
        assert admin.runtime.text(key, min=10) in await r.text()
    r = await admin.post("/admin/password",
                         {"old": PASSWORD, "new": "mot-mat-khau-moi", "again": "mot-mat-khau-moi"})
    assert r.status == 200
    assert (await admin.client.get("/admin", allow_redirects=False)).status == 200  # kept
    async with admin.runtime.uow() as uow:
        me = await uow.officials.by_login("xa")
    assert me is not None and verify_password(me.password_hash, "mot-mat-khau-moi")
    await admin.logout()
    assert (await admin.login("commune")).status == 401
    assert (await admin.login("commune", "mot-mat-khau-moi")).status == 302


async def test_forged_or_missing_csrf_is_refused_and_changes_nothing(admin: Admin) -> None:
    await admin.login("commune")
    own = admin.world.residents["own"]
    for token in ("", "forged-token"):
        r = await admin.post(f"/admin/residents/{own}/approve", token=token)
        assert r.status == 403
        assert admin.runtime.text("admin-error-csrf") in await r.text()
    r = await admin.client.post(f"/admin/residents/{own}/approve", allow_redirects=False)
    assert r.status == 403
    api = await admin.client.post(f"/api/v1/residents/{own}/approve",
                                  headers={"X-CSRF-Token": "forged"})
    assert api.status == 403
    async with admin.runtime.uow() as uow:
        resident = await uow.residents.get(own)
    assert resident is not None and resident.status is Status.REGISTERED


async def test_the_session_key_is_made_once_and_kept_in_the_database(admin: Admin) -> None:
    await admin.login("commune")
    async with admin.runtime.uow() as uow:
        keys = [(k.name, len(k.value)) for k in await uow.session.scalars(select(AdminSecretRow))]
    assert keys == [("session-key", 44)]


async def test_english_is_remembered_in_the_session(admin: Admin) -> None:
    page = await admin.client.get("/admin/login?lang=en")
    assert admin.runtime.catalogue.text("admin-login-title", "en") in await page.text()
    again = await admin.client.get("/admin/login")
    assert '<html lang="en">' in await again.text()
    vi = await admin.client.get("/admin/login?lang=vi")
    assert admin.runtime.catalogue.text("admin-login-title", "vi") in await vi.text()
