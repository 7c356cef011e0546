"""The unit picker in real Chromium: the province officer types "con minh" without
diacritics, picks xa Con Minh among the suggestions, and the list is that commune's."""

from __future__ import annotations

import pytest

from tests.admin.conftest import PASSWORD
from tests.admin.test_admin_browser import Served, served  # noqa: F401 - the fixture
from tests.bot.test_webchat_browser import chromium, phone_page

pytestmark = pytest.mark.browser

AN, BINH = "N\u00f4ng V\u0103n An", "L\u00f2 Th\u1ecb B\u00ecnh"
CUONG = "Ho\u00e0ng V\u0103n C\u01b0\u1eddng"


async def test_typing_con_minh_picks_the_commune_and_filters_the_list(
        served: Served) -> None:  # noqa: F811 - the fixture imported above
    text = served.runtime.text
    outside: list[str] = []
    refused: list[str] = []  # a script or request the page's own policy blocked
    async with chromium() as browser:
        page = await phone_page(browser, outside)
        page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
        await page.goto(f"{served.base}/admin/login")
        await page.fill("input[name=login]", "tinh")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{served.base}/admin")
        await page.goto(f"{served.base}/admin/residents")
        count = page.locator("#row-count")
        assert await count.inner_text() == text("lists-rows-shown", first=1, last=3, total=3)
        await page.locator(".unit-search").press_sequentially("con minh", delay=30)
        option = page.locator("#unit-suggestions li").first
        await option.wait_for(state="visible")
        assert "C\u00f4n Minh" in await option.inner_text()
        await option.click()
        commune = served.world.units["commune"].id
        await page.wait_for_url(f"**/admin/residents?*unit={commune}*")
        assert await count.inner_text() == text("lists-rows-shown", first=1, last=2, total=2)
        names = await page.locator("table.list tbody td:nth-child(2)").all_inner_texts()
        assert sorted(names) == sorted([AN, BINH]) and CUONG not in names
    assert outside == [] and refused == []
