"""The chat channels' health page: the province's own (menu entry, both languages, a phone's
width), one card per channel joining this process's state with what the database holds."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import insert

from bot.channels.base import STATUSES, ChannelStatus
from core.i18n import load_catalogue
from storage.models import OutboxRow, RefusedDeliveryRow, ZaloOATokenRow
from tests.admin.conftest import START, Admin

TEXTS = load_catalogue()


def vi(key: str, **params: object) -> str:
    return html.escape(TEXTS.text(key, "vi", **params), quote=False)


def card(page: str, channel: str) -> str:
    found = re.search(rf'<section class="channel" id="channel-{channel}">(.*?)</section>',
                      page, re.S)
    assert found, f"no card for {channel}"
    return found.group(1)


def field(section: str, name: str) -> str:
    found = re.search(rf'<dd data-field="{name}">(.*?)</dd>', section, re.S)
    assert found, f"no {name}"
    return re.sub(r"<[^>]+>", " ", found.group(1)).split()


async def a_troubled_oa(admin: Admin) -> None:
    """Zalo OA, worked by hand at START (02:30 UTC, 09:30 in Bac Kan, 12/09/2023): this
    process failed twice on -32 (rate limit); the outbox holds one message waiting after a
    -32 and one given up on -230 an hour ago; the token expires 13/09 01:00 UTC."""
    status = ChannelStatus("zalo_oa", admin.clock)
    status.failed("ZaloOAError: HTTP 200, error -32", "-32")
    status.failed("ZaloOAError: HTTP 200, error -32", "-32")
    admin.client.app[STATUSES].add(status)
    hour_ago = START - timedelta(hours=1)
    async with admin.runtime.engine.begin() as conn:
        common = {"channel": "zalo_oa", "locale": "vi", "reply": {"key": "k"},
                  "created_at": hour_ago}
        await conn.execute(insert(OutboxRow), [
            {**common, "chat_id": "u1", "dedupe_key": "m1", "attempts": 1, "dead": False,
             "last_error": "ZaloOAError: HTTP 200, error -32",
             "not_before": START + timedelta(seconds=30)},
            {**common, "chat_id": "u2", "dedupe_key": "m2", "attempts": 1, "dead": True,
             "last_error": "zalo-oa HTTP 200, error -230: outside the window",
             "not_before": hour_ago}])
        await conn.execute(insert(RefusedDeliveryRow).values(
            channel="zalo_oa", chat_id="u2", error_code=-230, reply_key="k", at=hour_ago))
        await conn.execute(insert(ZaloOATokenRow).values(
            id=1, access_token="AT", refresh_token="RT", expires_at=START + timedelta(
                hours=22, minutes=30), refreshing_until=None, updated_at=hour_ago))


async def test_the_province_sees_each_channel_and_what_troubles_it(admin: Admin) -> None:
    await a_troubled_oa(admin)
    assert (await admin.login("province")).status == 302
    page = await (await admin.client.get("/admin/channels")).text()

    assert '<a href="/admin/channels">' + vi("admin-nav-channels") in page
    oa = card(page, "zalo_oa")
    assert 'data-state="retrying"' in oa and vi("admin-channels-state-retrying") in oa
    assert "ZaloOAError: HTTP 200, error -32" in oa
    assert vi("admin-channels-failures", count=2) in oa
    # -32: two in this process, one in the outbox; -230 once (outbox and refusal are one)
    assert " ".join(field(oa, "errors")) == " ".join([
        vi("admin-channels-error-count", code="-32", count=3),
        vi("admin-channels-error-count", code="-230", count=1)])
    assert field(oa, "waiting") == ["1"] and field(oa, "dead") == ["1"]
    assert field(oa, "token-expires") == ["13/09/2023", "08:00"]  # 01:00 UTC, Bac Kan time
    assert field(oa, "proactive") == ["0"]  # none sent this month, as the OA recorded
    for other in ("zalo", "telegram"):
        section = card(page, other)
        assert 'data-state="unconfigured"' in section
        assert " ".join(field(section, "errors")) == vi("admin-channels-none")
        assert 'data-field="token-expires"' not in section


async def test_the_page_speaks_english_when_asked(admin: Admin) -> None:
    await a_troubled_oa(admin)
    await admin.login("province")
    page = await (await admin.client.get("/admin/channels?lang=en")).text()
    assert TEXTS.text("admin-channels-title", "en") in page
    assert TEXTS.text("admin-channels-state-retrying", "en") in page
    assert TEXTS.text("admin-channels-error-count", "en", code="-32", count=3) in page


@pytest.mark.parametrize("role", ["commune", "village_head"])
async def test_below_the_province_there_is_no_menu_entry_and_no_page(admin: Admin,
                                                                      role: str) -> None:
    await admin.login(role)
    home = await (await admin.client.get("/admin")).text()
    assert "/admin/channels" not in home
    assert (await admin.client.get("/admin/channels")).status == 403


@pytest.mark.browser
async def test_the_page_fits_a_phone_in_chromium(database_url: str, tmp_path) -> None:
    """At 360 px nothing scrolls sideways, even with a long error and every card shown."""
    from aiohttp import web

    from admin.appkeys import CLOCK
    from bot.runtime import open_runtime
    from bot.server import make_app
    from bot.settings import load_settings
    from tests.admin.conftest import Clock, build_world
    from tests.admin.test_admin_browser import sign_in
    from tests.bot.test_webchat_browser import OUTPUT, chromium, phone_page

    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as rt:
        await build_world(rt)
        app = make_app(rt)
        clock = Clock(START)
        app[CLOCK] = clock
        status = ChannelStatus("zalo_oa", clock)
        status.failed("ZaloOAError: HTTP 200, error -32: Your application reached limit "
                      "call api (at channels/zalo_oa.py:331)", "-32")
        app[STATUSES].add(status)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        outside: list[str] = []
        try:
            async with chromium() as browser:
                page = await phone_page(browser, outside)
                await sign_in(page, base, "tinh")
                await page.click("#menu-button")  # at a phone's width the menu is folded
                await page.click("text=" + TEXTS.text("admin-nav-channels", "vi"))
                await page.wait_for_url(f"{base}/admin/channels")
                OUTPUT.mkdir(exist_ok=True)
                await page.screenshot(path=str(OUTPUT / "admin-channels.png"), full_page=True)
                width = await page.evaluate("document.documentElement.scrollWidth")
                cards = await page.locator("section.channel").count()
        finally:
            await runner.cleanup()
    assert cards == 3
    assert width <= 360, f"the channels page scrolls sideways: {width} px"
    assert outside == []
