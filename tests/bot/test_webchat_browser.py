"""The web chat in real Chromium at a cheap phone's width, against a local server only."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, Route, async_playwright, expect

from core.i18n import Catalogue, load_catalogue
from core.messages import Kind
from tests.bot.test_webchat import START_PARAMS, FakeDispatcher, tiny_app

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("PHOCAP_CHROMIUM", "/usr/bin/chromium")
# Quiet, offline Chromium: no update checks, sync or QUIC probes leave the machine.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, FakeDispatcher]]:
    async with tiny_app() as (app, dispatcher):
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            yield f"http://{host}:{port}", dispatcher
        finally:
            await runner.cleanup()


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Fails, never skips: a browser test that silently does not run checks nothing."""
    if not Path(CHROMIUM).is_file():  # noqa: ASYNC240 - one stat before a browser starts
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run the project's set-up to install it "
            "(Debian: apt-get install chromium), or point PHOCAP_CHROMIUM at a Chromium binary."
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def phone_page(browser: Browser, outside: list[str]) -> Page:
    """A 360 px wide touch screen that may only talk to 127.0.0.1."""
    context = await browser.new_context(viewport={"width": 360, "height": 740}, has_touch=True)

    async def local_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await context.route("**/*", local_only)
    page = await context.new_page()
    page.set_default_timeout(10_000)
    return page


async def test_chat_in_chromium(server: tuple[str, FakeDispatcher]) -> None:
    async with chromium() as browser:
        await converse(browser, *server)


async def converse(browser: Browser, base: str, dispatcher: FakeDispatcher) -> None:
    catalogue = load_catalogue()
    outside: list[str] = []
    page = await phone_page(browser, outside)
    await page.goto(f"{base}/chat")

    await starts_by_itself(page, dispatcher, catalogue)
    await fits_a_small_screen(page)
    await choice_is_sent_and_answered(page, dispatcher, catalogue)
    await typed_text_is_sent_with_enter(page, catalogue)

    OUTPUT.mkdir(exist_ok=True)
    await page.screenshot(path=str(OUTPUT / "webchat.png"), full_page=True)

    await reload_keeps_the_history(page, dispatcher)
    await failed_send_is_retried_with_the_same_id(page, dispatcher, catalogue)
    await lost_signal_is_retried(page, catalogue)
    await language_switch_keeps_the_conversation(page, catalogue)
    assert outside == []


async def starts_by_itself(page: Page, dispatcher: FakeDispatcher, catalogue: Catalogue) -> None:
    first = page.locator(".msg.bot").first
    await expect(first).to_have_text(catalogue.text("units-not-found", "vi", **START_PARAMS))
    # Newlines kept, markup shown as text, never interpreted.
    assert "line one\nline two" in await first.inner_text()
    assert await page.locator("#log b").count() == 0
    assert await page.locator(".msg.me").count() == 0  # "/start" itself is not shown
    labels = [
        catalogue.text("webchat-lang-vi", "vi"),
        catalogue.text("webchat-lang-en", "vi"),
        "Na Dam",
    ]
    await expect(page.locator(".options button")).to_have_text(labels)
    assert [(m.text, m.update_id is not None) for m in dispatcher.received] == [("/start", True)]
    token = dispatcher.received[0].chat_id
    assert len(token) == 32 and int(token, 16) >= 0


async def fits_a_small_screen(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width} px wide"
    for target in ["#send", "#text", ".options button >> nth=0"]:
        box = await page.locator(target).bounding_box()
        assert box is not None and box["height"] >= 44, f"{target} is too small to tap: {box}"


async def choice_is_sent_and_answered(
    page: Page, dispatcher: FakeDispatcher, catalogue: Catalogue
) -> None:
    await page.locator(".options button", has_text="Na Dam").click()
    await expect(page.locator(".msg.me").last).to_have_text("Na Dam")
    answer = catalogue.text("units-parent-missing", "vi", code="village-1")
    await expect(page.locator(".msg.bot").last).to_have_text(answer)
    await expect(page.locator(".options button")).to_have_count(0)  # answered: offer gone
    last = dispatcher.received[-1]
    assert (last.kind, last.choice) == (Kind.CHOICE, "village-1")


async def typed_text_is_sent_with_enter(page: Page, catalogue: Catalogue) -> None:
    await page.locator("#text").fill("Pac Nam")
    await page.locator("#text").press("Enter")
    await expect(page.locator(".msg.me").last).to_have_text("Pac Nam")
    answer = catalogue.text("units-not-found", "vi", text="Pac Nam")
    await expect(page.locator(".msg.bot").last).to_have_text(answer)
    await expect(page.locator("#text")).to_have_value("")
    await expect(page.locator("#typing")).to_be_hidden()


async def reload_keeps_the_history(page: Page, dispatcher: FakeDispatcher) -> None:
    before = await page.locator("#log .msg").all_inner_texts()
    calls = len(dispatcher.received)
    await page.reload()
    await expect(page.locator("#log .msg")).to_have_count(len(before))
    assert await page.locator("#log .msg").all_inner_texts() == before
    assert len(dispatcher.received) == calls  # no second /start


async def failed_send_is_retried_with_the_same_id(
    page: Page, dispatcher: FakeDispatcher, catalogue: Catalogue
) -> None:
    await page.locator("#text").fill("flaky")
    await page.locator("#text").press("Enter")
    await expect(page.locator("#offline")).to_be_visible()
    await expect(page.locator("#offline-text")).to_have_text(
        catalogue.text("webchat-error-server", "vi")
    )
    await page.locator("#retry").click()
    answer = catalogue.text("units-not-found", "vi", text="flaky")
    await expect(page.locator(".msg.bot").last).to_have_text(answer)
    await expect(page.locator("#offline")).to_be_hidden()
    failed, retried = dispatcher.received[-2:]
    assert failed.text == retried.text == "flaky"
    assert failed.update_id == retried.update_id
    assert await page.locator(".msg.me", has_text="flaky").count() == 1


async def lost_signal_is_retried(page: Page, catalogue: Catalogue) -> None:
    await page.context.set_offline(True)
    await page.locator("#text").fill("no signal")
    await page.locator("#text").press("Enter")
    await expect(page.locator("#offline-text")).to_have_text(
        catalogue.text("webchat-offline", "vi")
    )
    await expect(page.locator("#typing")).to_be_hidden()
    await page.context.set_offline(False)
    await page.locator("#retry").click()
    answer = catalogue.text("units-not-found", "vi", text="no signal")
    await expect(page.locator(".msg.bot").last).to_have_text(answer)


async def language_switch_keeps_the_conversation(page: Page, catalogue: Catalogue) -> None:
    count = await page.locator("#log .msg").count()
    await page.locator('a[hreflang="en"]').click()
    await expect(page.locator("h1")).to_have_text(catalogue.text("webchat-title", "en"))
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("#log .msg")).to_have_count(count)
    await expect(page.locator("#send")).to_have_text(catalogue.text("webchat-send", "en"))
