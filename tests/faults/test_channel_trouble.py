"""Telegram and Zalo answering 429 (with a retry-after), 5xx, or not in time, through the real
channels: the message waits in the outbox and goes out later, taken once, and the chat's
later messages follow it in order. On SQLite only: the trouble is the channel's; the outbox's
claims on PostgreSQL are proven by tests/bot/test_outbox.py and test_killed_outbox.py."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.telegram import TELEGRAM
from bot.channels.zalo_bot import ZALO, Retry
from bot.outbox import OUTBOX, OutboxSender, RetryPolicy
from bot.runtime import Runtime, open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.messages import Channel
from tests.bot.test_outbox_zalo import expected, queue, settled
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.zalo_bot_api import FakeZaloBotAPI

LABELS = ("first", "second", "third")
QUICK = RetryPolicy(delays=(0.2,), jitter=0)  # the real policy, with a short wait
SEND_TIMEOUT = 1.0  # what the outbox waits for a channel here


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    shutil.copy(sqlite_template, tmp_path / "p.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"


@asynccontextmanager
async def serving(env: dict[str, str], tmp_path: Path) -> AsyncIterator[tuple[web.Application,
                                                                            Runtime]]:
    """The whole app on these settings, its outbox sender quick to retry and to give up."""
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime)
        app[OUTBOX] = OutboxSender(runtime.uow, app[OUTBOX].senders, policy=QUICK, pace=0,
                                   poll=0.1, send_timeout=SEND_TIMEOUT)
        if ZALO in app:  # its own quick retries, each retry-after waited out (shortened here)
            app[ZALO].retry = Retry(base=0.01, cap=0.05, retry_after_cap=0.1)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            yield app, runtime
        finally:
            await server.close()


async def test_telegram_flood_limit_server_error_and_timeout_delay_without_loss_or_double(
        database_url: str, tmp_path: Path) -> None:
    async with FakeTelegramAPI() as api:
        env = {"PHOCAP_DATABASE_URL": database_url, "PHOCAP_TELEGRAM_TOKEN": api.token,
               "PHOCAP_TELEGRAM_API_URL": api.base_url}
        # The first message meets every kind of trouble in turn.
        api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        api.fail_next("sendMessage", 502, "Bad Gateway")
        api.stall_next("sendMessage", SEND_TIMEOUT + 1)
        async with serving(env, tmp_path) as (app, runtime):
            await app[TELEGRAM].ready.wait()
            await queue(runtime.uow, Channel.TELEGRAM, "4242", *LABELS)
            found = await settled(runtime.uow, set(LABELS), within=20)
            await api.wait_until(lambda: len(api.dropped) + len(api.accepted_texts(4242)) > 3,
                                 5, "the end of the stalled call")
            attempts = [c for c in api.calls if c.method.lower() == "sendmessage"]
    assert api.accepted_texts(4242) == [expected(label) for label in LABELS]
    assert [c.params["text"] for c in api.dropped] == [expected("first")]  # the timed-out one
    assert (found["first"].attempts, found["first"].last_error) == (
        3, "TimeoutError: no answer from the channel")
    assert all(found[k].sent_at is not None and found[k].attempts == 0 for k in LABELS[1:])
    # The outbox waited the retry-after (1 s), not its own 0.2 s, after the 429.
    waited = attempts[1].at - attempts[0].at
    assert waited >= 1.0, waited


async def test_zalo_flood_limit_server_error_and_timeout_delay_without_loss_or_double(
        database_url: str, tmp_path: Path) -> None:
    async with FakeZaloBotAPI() as api:
        env = {"PHOCAP_DATABASE_URL": database_url, "PHOCAP_ZALO_TOKEN": api.token,
               "PHOCAP_ZALO_API_URL": api.base_url}
        api.fail("sendMessage", 429, times=4, retry_after=1)  # the channel tries four times
        api.fail("sendMessage", 503, times=4)
        api.stall("sendMessage", SEND_TIMEOUT + 1)
        async with serving(env, tmp_path) as (app, runtime):
            await app[ZALO].ready.wait()
            await queue(runtime.uow, Channel.ZALO, "z-9", *LABELS)
            found = await settled(runtime.uow, set(LABELS), within=20)
            await api.wait_sent(3, "z-9")
            deadline = asyncio.get_running_loop().time() + 5
            while not api.dropped and len(api.sent("z-9")) == 3:  # the stalled call's end
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.05)
    assert api.sent("z-9") == [expected(label) for label in LABELS]
    assert [c.params["text"] for c in api.dropped] == [expected("first")]
    assert found["first"].attempts == 3 and not found["first"].dead
    assert all(found[k].sent_at is not None and found[k].attempts == 0 for k in LABELS[1:])
