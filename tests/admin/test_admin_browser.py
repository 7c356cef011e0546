"""The admin in real Chromium at a phone's width: sign in, approve, import, rejected rows."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from aiohttp import web
from openpyxl import load_workbook
from playwright.async_api import Page

from admin.appkeys import CLOCK, IMPORT_DIR
from bot.runtime import Runtime, open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.services import registry
from tests.admin.conftest import PASSWORD, START, Clock, World, build_world
from tests.bot.test_webchat_browser import OUTPUT, chromium, phone_page
from tests.conftest import SYSTEM
from tests.core.services.test_imports import EXPECTED_ERRORS, write_bad_file
from tests.posting_setup import posted_before

pytestmark = pytest.mark.browser


@dataclass
class Served:
    base: str
    world: World
    runtime: Runtime


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as rt:
        world = await build_world(rt)
        app = make_app(rt)
        app[CLOCK] = Clock(START)
        app[IMPORT_DIR] = tmp_path / "imports"
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            yield Served(f"http://{host}:{port}", world, rt)
        finally:
            await runner.cleanup()


async def sign_in(page: Page, base: str, login: str) -> None:
    """Through the login form, to the dashboard."""
    await page.goto(f"{base}/admin/login")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/admin")


async def test_officer_approves_and_imports_in_chromium(served: Served, tmp_path: Path) -> None:
    text = served.runtime.text
    outside: list[str] = []
    async with chromium() as browser:
        page = await phone_page(browser, outside)
        await page.goto(f"{served.base}/admin/residents")
        assert page.url.endswith("/admin/login")
        await page.fill("input[name=login]", "xa")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url(f"{served.base}/admin")
        OUTPUT.mkdir(exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "admin-home.png"), full_page=True)
        bars = page.locator("svg.bars")  # the dashboard's chart, one bar label per unit
        assert await bars.count() == 1
        assert text("admin-dashboard-chart-title") in (await bars.text_content() or "")

        await page.goto(f"{served.base}/admin/residents?q=nong+van")
        await page.click("text=N\u00f4ng V\u0103n An")
        await page.click("#approve")
        status = page.locator("#status")
        assert await status.inner_text() == text("export-value-status-approved")
        await page.screenshot(path=str(OUTPUT / "admin-resident.png"), full_page=True)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the resident page scrolls sideways: {width} px"

        bad = write_bad_file("xlsx", tmp_path, date(2010, 1, 1))
        await page.goto(f"{served.base}/admin/import")
        await page.set_input_files("input[name=file]", str(bad))
        await page.click("#preview")
        invalid = page.locator("#invalid-rows tbody tr")
        assert await invalid.count() >= len(EXPECTED_ERRORS) - 1
        await page.screenshot(path=str(OUTPUT / "admin-import-preview.png"), full_page=True)
        await page.click("#save")
        async with page.expect_download() as info:
            await page.click("#rejects")
        download = await info.value
        target = tmp_path / "tai-ve.xlsx"
        await download.save_as(str(target))
        await page.screenshot(path=str(OUTPUT / "admin-import-report.png"), full_page=True)
    rows = list(load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][-1] == text("import-reason-column")
    assert len(rows) > 1
    assert outside == []
    async with served.runtime.uow() as uow:
        approved = await uow.residents.get(served.world.residents["own"])
    assert approved is not None and approved.status.value == "approved"


async def test_officer_receives_a_phone_and_hands_it_over_in_chromium(served: Served) -> None:
    """A receipt typed at a desk, the commune's own list recorded by the commune (plan III.4:
    the commune makes its list from what it holds), the handover recorded, its record opened
    for printing: all through the pages, at a phone's width."""
    async with served.runtime.uow() as u:
        await registry.approve(u, SYSTEM, served.world.residents["own"], START)
        await u.commit()
    outside: list[str] = []
    async with chromium() as browser:
        page = await phone_page(browser, outside)

        await sign_in(page, served.base, "xa")
        await page.goto(f"{served.base}/admin/pledges")
        await page.click("summary")  # the receipt form is folded away
        await page.fill("input[name=phones]", "1")
        await page.fill("input[name=model]", "Nokia C32")
        await page.click("#receive")
        await page.wait_for_url(f"{served.base}/admin/stock")
        assert await page.locator("#stock tbody tr").first.inner_text()

        # the commune's list was posted a full period ago and nobody objected (issue 18)
        await posted_before(served.runtime.uow, SYSTEM, served.world.units["commune"],
                            START.date(), START)
        await page.goto(f"{served.base}/admin/posting")
        assert await page.locator("#posting-ready").count() == 1
        # the commune records its own list: its phone goes to An
        await page.goto(f"{served.base}/admin/allocation")
        await page.click("#commit-list")
        await page.wait_for_url(f"{served.base}/admin/allocation/commit")  # the answer page
        assert await page.locator(".notice").count() == 1

        await page.goto(f"{served.base}/admin/handovers")
        await page.click("summary")
        await page.fill("input[name=serial]", "490154203237518")
        for box in await page.locator("main input[type=checkbox]").all():
            await box.check()
        await page.click("button[id^=hand-over-]")
        await page.wait_for_url("**/record")
        assert "490154203237518" in await page.content()
        assert await page.locator("svg").count() >= 1  # the QR
        OUTPUT.mkdir(exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "admin-handover-record.png"), full_page=True)
    assert outside == []  # every asset came from our own server


async def test_officer_writes_and_sends_the_months_report_on_a_phone(served: Served) -> None:
    """Issue 16 item 3 at a phone's width: the reports page leads to last month's report of
    the commune, sections II and III are written and kept, the report is downloaded and sent
    once; the page never needs scrolling sideways (the wide tables scroll in their box)."""
    text = served.runtime.text
    hard = "Th\u00f4n N\u00e0 M\u00f2n ch\u01b0a c\u00f3 s\u00f3ng."
    outside: list[str] = []
    async with chromium() as browser:
        page = await phone_page(browser, outside)
        await sign_in(page, served.base, "xa")
        await page.goto(f"{served.base}/admin/reports")
        await page.click("#build-report")
        await page.wait_for_url("**/admin/reports/build")
        assert text("report-build-heading", unit="x\u00e3 C\u00f4n Minh", month="08/2023") in (
            await page.locator("h2").inner_text())
        await page.fill("#difficulties", hard)
        await page.click("#notes-form button[type=submit]")
        await page.wait_for_url("**#notes")
        assert await page.input_value("#difficulties") == hard
        async with page.expect_download() as download:
            await page.click("#xlsx")
        saved = io.BytesIO((await (await download.value).path()).read_bytes())
        cells = [c.value for row in load_workbook(saved).worksheets[0].iter_rows() for c in row]
        assert hard in cells
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        await page.click("#send button")
        await page.wait_for_url("**#sent")
        sent = await page.locator("#sent").inner_text()
        assert text("report-build-stored-xlsx") in sent  # stored: nobody linked to receive it
        assert await page.locator("#send").count() == 0  # nothing left to click twice
    assert outside == []
