"""Every query parameter of the admin, the API, the public pages and the web chat is checked:
a value no page could have written answers 400 with the page's own message, never 500
(issue 15, item 13)."""

from __future__ import annotations

import pytest

from tests.admin.conftest import Admin

HUGE = "9" * 30  # beyond any integer column, 64 bits included
BIG = str(2**63)  # one past the largest 64-bit integer
LAST_CHAR = "\U0010ffff"  # the last code point: a noncharacter

ADMIN_PAGES = [
    f"/admin/residents?q={LAST_CHAR}",
    f"/admin/residents?q=An{LAST_CHAR}",
    f"/admin/residents?page={HUGE}",
    f"/admin/residents?page={BIG}",
    "/admin/residents?page=" + "9" * 10,  # past PostgreSQL's INTEGER
    "/admin/residents?page=-1",
    f"/admin/households?page={HUGE}",
    f"/admin/residents?unit_q={LAST_CHAR}",
    f"/admin/allocation?page={BIG}",
    "/admin/allocation?tier=5",
    "/admin/allocation.csv?queue=shop_offer",
    f"/admin/residents?unit={HUGE}",
    f"/admin/residents.xlsx?unit={BIG}",
    f"/admin/residents.xlsx?q={LAST_CHAR}",
    f"/admin/households?village={HUGE}",
    f"/admin/audit?before={HUGE}",
    f"/admin/audit?before={BIG}",
    f"/admin/audit?since={LAST_CHAR}",
    "/admin/audit?until=31/02/2023",
    "/admin/residents?unit=abc",
]
API_PAGES = [
    f"/api/v1/residents?after={HUGE}",
    f"/api/v1/residents?after={BIG}",
    f"/api/v1/residents?limit={HUGE}",
    f"/api/v1/residents?q={LAST_CHAR}",
    f"/api/v1/residents?unit={BIG}",
    f"/api/v1/households?village={HUGE}",
    f"/api/v1/stats?unit={HUGE}",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
async def test_admin_pages_refuse_impossible_values_with_400(admin: Admin, path: str) -> None:
    await admin.login("commune")
    r = await admin.client.get(path)
    assert r.status == 400, path
    assert admin.runtime.text("admin-error-bad-query") in await r.text()


@pytest.mark.parametrize("path", API_PAGES)
async def test_the_api_refuses_impossible_values_with_400(admin: Admin, path: str) -> None:
    await admin.login("commune")
    r = await admin.client.get(path)
    assert r.status == 400, path
    assert (await r.json())["error"] == "admin-error-bad-query"


@pytest.mark.parametrize("path", [
    f"/admin/residents/{HUGE}", f"/admin/residents/{BIG}/edit",
    f"/admin/residents/{HUGE}/personal-data.json", f"/admin/reports/{HUGE}.xlsx",
    f"/api/v1/residents/{HUGE}",
])
async def test_an_impossible_record_number_is_not_found(admin: Admin, path: str) -> None:
    await admin.login("province")
    assert (await admin.client.get(path)).status == 404


@pytest.mark.parametrize("path", [
    f"/public/ledger.json?after={HUGE}", f"/public/ledger.json?after={BIG}",
    f"/public/pledge/{LAST_CHAR}", f"/public/pledge?code={LAST_CHAR}",
])
async def test_public_pages_refuse_or_miss_without_500(admin: Admin, path: str) -> None:
    r = await admin.client.get(path)
    assert r.status in (400, 404) and r.status < 500, path


@pytest.mark.parametrize("after", [HUGE, BIG, LAST_CHAR, "9" * 12, "\u0661"])
async def test_the_web_chat_refuses_an_impossible_after(admin: Admin, after: str) -> None:
    r = await admin.client.get(f"/chat/api/updates?chat={'a' * 40}&after={after}")
    assert r.status == 400
