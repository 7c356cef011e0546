"""The database goes away and comes back: Telegram's and Zalo's webhooks answer 5xx so that
the platforms deliver again, /healthz says so, and the service recovers by itself; nothing is
done twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from sqlalchemy.engine import make_url

from bot.channels.telegram import WEBHOOK_PATH
from tests.fakes.telegram_api import FakeTelegramAPI, post_update
from tests.fakes.zalo_bot_api import FakeZaloBotAPI, post_webhook
from tests.faults.proxy import Proxy
from tests.journeys.common import seed
from tests.journeys.test_telegram import PUBLIC_URL, SECRET, Phocap

CHAT = 7007
ZALO_CHAT = "z-7007"
ZALO_SECRET = "zalo-secret-for-the-outage"


@pytest.fixture
async def proxy(pg_url: str) -> AsyncIterator[Proxy]:
    url = make_url(pg_url)
    p = Proxy(url.host or "127.0.0.1", url.port or 5432)
    await p.start()
    yield p
    await p.cut()


async def test_webhooks_answer_500_while_the_database_is_away_then_recover(
        pg_url: str, proxy: Proxy, tmp_path: Path) -> None:
    await seed(pg_url)
    through = make_url(pg_url).set(host="127.0.0.1", port=proxy.port)
    async with FakeTelegramAPI() as api, FakeZaloBotAPI() as zalo:
        app = Phocap({
            "PHOCAP_DATABASE_URL": through.render_as_string(hide_password=False),
            "PHOCAP_TELEGRAM_TOKEN": api.token, "PHOCAP_TELEGRAM_API_URL": api.base_url,
            "PHOCAP_PUBLIC_URL": PUBLIC_URL, "PHOCAP_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "PHOCAP_ZALO_TOKEN": zalo.token, "PHOCAP_ZALO_API_URL": zalo.base_url,
            "PHOCAP_ZALO_WEBHOOK_SECRET": ZALO_SECRET,
        }, tmp_path)
        await app.start()
        try:
            hook = app.url + WEBHOOK_PATH
            assert await post_update(hook, api.text_update(CHAT, "/help"), SECRET) == 200
            await api.wait_for_messages(CHAT, 1)
            await asyncio.sleep(0.3)
            answer = len(api.sent_messages(CHAT))  # the messages one /help gets

            await proxy.cut()
            update = api.text_update(CHAT, "/help")
            assert await post_update(hook, update, SECRET) == 500  # Telegram will retry
            zalo_update = {"event_name": "message.text.received",
                           "message": zalo.message(ZALO_CHAT, "/help")}
            assert await post_webhook(app.url, zalo_update, ZALO_SECRET) >= 500  # Zalo too
            async with ClientSession() as http, http.get(app.url + "/healthz") as health:
                assert health.status == 503

            await proxy.restore()
            statuses = []
            for _ in range(10):  # Telegram redelivers the same update until it gets a 200
                statuses.append(await post_update(hook, update, SECRET))
                if statuses[-1] == 200:
                    break
                await asyncio.sleep(0.2)
            assert statuses[-1] == 200, statuses
            assert await post_webhook(app.url, zalo_update, ZALO_SECRET) == 200
            assert await post_webhook(app.url, zalo_update, ZALO_SECRET) == 200  # again
            await api.wait_for_messages(CHAT, 2 * answer)
            # Zalo's replies go through the outbox, one a second per chat.
            await zalo.wait_sent(answer, ZALO_CHAT)
            await asyncio.sleep(0.3)
            assert len(api.sent_messages(CHAT)) == 2 * answer  # once, not per delivery
            assert len(zalo.sent(ZALO_CHAT)) == answer  # once, though delivered three times
            async with ClientSession() as http, http.get(app.url + "/healthz") as health:
                assert health.status == 200
        finally:
            await app.stop()
