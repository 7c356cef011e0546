"""Every page of the menu in real Chromium at a phone's width (390 x 844) and an office PC's
(1366 x 900): nothing that matters is cut off at the side, the menu folds behind one button on
the phone, and a commune officer does a day's work on the phone (issue 16)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page

from bot import seed
from bot.report_delivery import report_builder
from core.figures import Month
from core.services.reports import build_and_send
from tests.admin.conftest import PASSWORD, START
from tests.admin.test_admin_browser import Served, served
from tests.bot.test_webchat_browser import OUTPUT, chromium
from tests.conftest import SYSTEM
from tests.posting_setup import posted_before

pytestmark = pytest.mark.browser
__all__ = ["served"]  # the fixture, shared with the other browser tests

PHONE = (390, 844)
DESKTOP = (1366, 900)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
AN = "N\u00f4ng V\u0103n An"

# For each visible table of the page: where its key cell (the .key cell, else the first) and
# its status cell of the first row are, and the nearest box that scrolls sideways.
MEASURE = """() => {
  const vw = document.documentElement.clientWidth;
  const tables = [];
  for (const table of document.querySelectorAll('main table')) {
    const row = table.querySelector('tbody tr');
    if (!row || table.offsetParent === null || row.cells.length === 0) continue;
    const key = row.querySelector('.key') || row.cells[0];
    const status = row.querySelector('.status');
    let scroller = null;
    for (let el = table; el && el !== document.body; el = el.parentElement) {
      const o = getComputedStyle(el).overflowX;
      if (o === 'auto' || o === 'scroll') { scroller = el; break; }
    }
    const box = (el) => { const r = el.getBoundingClientRect(); return [r.left, r.right]; };
    tables.push({
      name: table.id || table.className,
      key: box(key), keySticky: getComputedStyle(key).position === 'sticky',
      status: status ? box(status) : null,
      table: box(table),
      scroller: scroller ? box(scroller) : null,
      overflows: scroller ? scroller.scrollWidth > scroller.clientWidth + 1 : false,
      cue: scroller ? getComputedStyle(scroller).backgroundImage : '',
    });
  }
  return {vw, width: document.documentElement.scrollWidth, tables};
}"""


def layout_problems(path: str, found: dict[str, Any]) -> list[str]:
    """What a reader of this page could not see without zooming or scrolling the page."""
    vw, problems = found["vw"], []
    if found["width"] > vw:
        problems.append(f"{path}: the page is {found['width']} px wide in {vw}")
    for t in found["tables"]:
        where = f"{path} table {t['name']}"
        left, right = t["key"]
        if left < 0 or right > vw:
            problems.append(f"{where}: its key column is off-screen ({left}..{right})")
        holder = t["scroller"] or t["table"]
        if holder[1] > vw + 1:
            problems.append(f"{where}: runs past the screen ({holder[1]} px)")
        if t["overflows"]:  # the rest scrolls: the key stays, a shadow says there is more
            if not t["keySticky"]:
                problems.append(f"{where}: scrolls, but its key column scrolls away")
            if "gradient" not in t["cue"]:
                problems.append(f"{where}: scrolls without a cue")
        if t["status"] and t["status"][1] > vw and not t["overflows"]:
            problems.append(f"{where}: its status is off-screen and cannot be scrolled to")
    return problems


async def sign_in(page: Page, base: str, login: str) -> None:
    await page.goto(f"{base}/admin/login")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/admin")


async def add_demo(served: Served) -> None:
    """The demo population beside the test world's, so that lists are as long as real ones."""
    async with served.runtime.uow() as u:
        await seed.load_demo(u, SYSTEM, "2023", START)
        await u.commit()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
async def test_every_page_of_the_menu_fits_the_screen(served: Served,
                                                      size: tuple[int, int]) -> None:
    await add_demo(served)
    width, height = size
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": width, "height": height})
        await sign_in(page, served.base, "tinh")  # the province sees every page of the menu
        menu, button = page.locator("#menu"), page.locator("#menu-button")
        links = [await a.get_attribute("href") for a in await menu.locator("a").all()]
        assert "/admin/channels" in links and "/admin/residents" in links and len(links) >= 12
        if width == PHONE[0]:  # folded behind one button, which opens it
            assert not await menu.is_visible()
            await button.click()
            assert await menu.is_visible()
            assert await menu.locator("a[href='/admin/reports']").is_visible()
            box = await menu.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        else:  # at a desk the menu is simply there
            assert await menu.is_visible() and not await button.is_visible()
        problems: list[str] = []
        for path in ["/admin", *[link for link in links if link]]:
            await page.goto(served.base + path)
            assert await page.title() and "404" not in await page.title()
            problems += layout_problems(path, await page.evaluate(MEASURE))
        assert problems == []
        if width == DESKTOP[0]:
            await page.goto(f"{served.base}/admin")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / "dashboard-desktop.png"))


async def test_a_commune_officer_does_a_days_work_on_a_phone(served: Served,
                                                            tmp_path: Path) -> None:
    """Find a person, approve them, record a receipt, commit the commune's list, record the
    handover and download the month's report: at 390 px, through the folded menu."""
    await add_demo(served)
    base, text = served.base, served.runtime.text
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": PHONE[0], "height": PHONE[1]},
                                      has_touch=True)

        async def go(href: str) -> None:
            await page.click("#menu-button")
            await page.click(f"#menu a[href='{href}']")
            await page.wait_for_url(f"{base}{href}")

        async def fits() -> None:
            assert layout_problems(page.url, await page.evaluate(MEASURE)) == []

        await sign_in(page, base, "xa")
        await go("/admin/residents")
        await page.fill("input[name=q]", "nong van")
        await page.click("form.filters button[type=submit]")
        row = page.locator(f"tr[data-id='{served.world.residents['own']}']")
        assert AN in await row.locator(".key").inner_text()
        await fits()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.goto(f"{base}/admin/residents")  # the commune's list, as it first opens
        await page.screenshot(path=str(SCREENSHOTS / "residents-phone.png"), full_page=True,
                              clip={"x": 0, "y": 0, "width": PHONE[0], "height": 1400})
        await page.goto(f"{base}/admin/residents?q=nong+van")
        await row.locator("input[type=checkbox]").check()
        await page.click("#approve-selected")
        await page.wait_for_load_state()
        assert (await row.locator(".status").inner_text()
                == text("export-value-status-approved"))

        await go("/admin/pledges")
        await page.click("summary")  # the receipt form is folded away
        await page.fill("input[name=phones]", "1")
        await page.fill("input[name=model]", "Nokia C32")
        await page.click("#receive")
        await page.wait_for_url(f"{base}/admin/stock")
        await fits()

        # the commune's list was posted a full period ago and nobody objected (issue 18)
        await posted_before(served.runtime.uow, SYSTEM, served.world.units["commune"],
                            START.date(), START)
        await go("/admin/allocation")
        await page.click("#commit-list")
        await page.wait_for_url(f"{base}/admin/allocation/commit")  # the answer page
        assert await page.locator(".notice").count() == 1
        await fits()

        await go("/admin/handovers")
        await page.click("summary")
        await page.fill("input[name=serial]", "490154203237518")
        for box in await page.locator("main details input[type=checkbox]").all():
            await box.check()
        await page.click("button[id^=hand-over-]")
        await page.wait_for_url("**/record")
        assert "490154203237518" in await page.content()
        await fits()

        unit = served.world.units["commune"]  # the report the scheduler builds on its day
        async with served.runtime.uow() as u:
            await build_and_send(u, unit, Month(2023, 9), now=START, trigger="test",
                                 build=report_builder(served.runtime.catalogue, unit.dataset))
            await u.commit()
        await page.goto(f"{base}/admin")  # the printable record has no menu: back home
        await go("/admin/reports")
        await fits()
        async with page.expect_download() as info:
            await page.click("#reports a[href$='.xlsx']")
        target = tmp_path / "bao-cao.xlsx"
        await (await info.value).save_as(str(target))
        OUTPUT.mkdir(exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "admin-reports-phone.png"), full_page=True)
    sheet = load_workbook(target).active
    assert sheet is not None
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any(unit.name in c for c in cells)
    async with served.runtime.uow() as u:
        approved = await u.residents.get(served.world.residents["own"])
    assert approved is not None and approved.status.value == "approved"


async def test_the_folded_menu_opens_without_scripts(served: Served) -> None:
    """Old phones and locked-down browsers run no script: the button still opens the menu."""
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 360, "height": 740},
                                            java_script_enabled=False)
        page = await context.new_page()
        await sign_in(page, served.base, "xa")
        menu = page.locator("#menu")
        assert not await menu.is_visible()
        await page.click("#menu-button")
        assert await menu.is_visible()
        await page.click("#menu a[href='/admin/handovers']")
        await page.wait_for_url(f"{served.base}/admin/handovers")
        assert not await page.locator("#menu").is_visible()  # folded again on the next page
