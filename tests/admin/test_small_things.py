"""What a user meets at once (issue 16, item 8): the bare address, page titles in the user's
language, numbers grouped by thousands, a refused receipt keeping what was typed."""

from __future__ import annotations

import re

from tests.admin.conftest import Admin

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
MENU = ("/admin", "/admin/residents", "/admin/households", "/admin/pledges", "/admin/stock",
        "/admin/allocation", "/admin/handovers", "/admin/import", "/admin/officials",
        "/admin/audit", "/admin/channels", "/admin/reports", "/admin/account")


async def title(admin: Admin, path: str) -> str:
    found = TITLE.search(await (await admin.client.get(path)).text())
    assert found, f"no title on {path}"
    return found.group(1)


async def test_the_bare_address_leads_to_the_public_page(admin: Admin) -> None:
    for asked, to in (("/", "/public"), ("/?lang=en", "/public?lang=en")):
        answer = await admin.client.get(asked, allow_redirects=False)
        assert answer.status == 302 and answer.headers["Location"] == to
    page = await admin.client.get("/")
    assert page.status == 200 and 'id="overview"' in await page.text()


async def test_every_page_is_titled_in_the_users_language(admin: Admin) -> None:
    text = admin.runtime.catalogue.text
    await admin.login("province")
    titles = {}
    for lang in ("vi", "en"):
        await admin.client.get(f"/admin?lang={lang}")  # the choice is kept in the session
        titles[lang] = [await title(admin, path) for path in MENU]
        assert titles[lang][0] == f"{text('admin-home-title', lang)} \u00b7 phocap"
        missing = await title(admin, "/admin/residents/99999")
        assert missing == f"{text('admin-error-title', lang, status=404)} \u00b7 phocap"
    for path, vi, en in zip(MENU, titles["vi"], titles["en"], strict=True):
        assert vi != en, f"{path}: the same title in both languages ({vi})"
        assert not re.search(r"\b(admin|public)-[a-z-]+", vi + en), f"{path}: a raw key"
    public = {lang: TITLE.search(await (await admin.client.get(f"/public?lang={lang}")).text())
              for lang in ("vi", "en")}
    assert public["vi"] and public["en"]
    assert public["vi"].group(1) == text("public-overview-title", "vi")
    assert public["en"].group(1) == text("public-overview-title", "en")


async def test_numbers_are_grouped_by_thousands_in_the_users_language(admin: Admin) -> None:
    """The support per person, 500 000 dong by default, as the allocation page states it (the
    dashboard's adults are now those of the surveyed villages only, a small figure here)."""
    await admin.login("province")
    vi = await (await admin.client.get("/admin/allocation?lang=vi")).text()
    assert "500.000" in vi and "500000" not in vi
    en = await (await admin.client.get("/admin/allocation?lang=en")).text()
    assert "500,000" in en and "500000" not in en


async def test_a_refused_receipt_keeps_every_value_typed(admin: Admin) -> None:
    await admin.login("commune")
    typed = {"unit": str(admin.world.units["commune"].id), "pledge": "", "donor": "Cong Ty ABC",
             "phones": "2", "model": "Nokia C32", "condition": "used",
             "serials": "490154203237519", "money": "1,5tr", "number": "PT-07",
             "note": "giao tai xa"}
    bad = await admin.post("/admin/receipts", typed)
    assert bad.status == 400  # a wrong IMEI check digit
    page = await bad.text()
    for name in ("donor", "phones", "model", "money", "number", "note"):
        assert re.search(f'name="{name}"[^>]* value="{typed[name]}"', page), name
    assert '<textarea name="serials" rows="3">490154203237519</textarea>' in page
    assert '<option value="used" selected>' in page
    assert f'<option value="{typed["unit"]}" selected>' in page


def test_a_sentences_whole_numbers_are_grouped_too() -> None:
    from admin.context import grouped

    assert grouped({"count": 1500, "day": 15, "yes": True, "name": "An"}, "vi") == {
        "count": "1.500", "day": "15", "yes": True, "name": "An"}
    assert grouped({"count": 226500}, "en") == {"count": "226,500"}
