"""No channel dies in silence: whatever fails while a channel starts or polls is logged with
its cause, retried after a pause, kept in the channel's status and shown by /healthz, which
still answers 200 while the database does."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.channels.base import ChannelStatus, StartFailed, cause, start_with_retries
from bot.channels.zalo_bot import ZALO, Retry
from bot.channels.zalo_oa import ZALO_OA
from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.channel_health import State
from storage.zalo_tokens import TokenPair, ZaloTokenStore
from tests.fakes.zalo_bot_api import FakeZaloBotAPI
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_SECRET, FakeZaloOA

T0 = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)


class Ticking:
    """A clock a test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def health(server: TestServer) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(server.make_url("/healthz")) as r:
        return r.status, await r.json()


# ---- the status by itself -----------------------------------------------------------------


def test_a_status_counts_failures_in_a_row_and_an_update_brings_it_back() -> None:
    clock = Ticking()
    status = ChannelStatus("zalo", clock)
    assert status.state is State.STARTING
    status.failed("getUpdates: HTTP 502, error 502", "502")
    clock.now += timedelta(seconds=1)
    status.failed("getUpdates: HTTP 502, error 502", "502")
    snap = status.snapshot()
    assert (snap.state, snap.failures, snap.since) == (State.RETRYING, 2, T0)  # since the 1st
    assert [code for _, code in snap.errors] == ["502", "502"]
    clock.now += timedelta(seconds=1)
    status.received()
    snap = status.snapshot()
    assert (snap.state, snap.failures, snap.last_update) == (
        State.RUNNING, 0, T0 + timedelta(seconds=2))
    assert len(snap.errors) == 2  # the day's errors stay for the page


def test_a_cause_names_type_message_and_place_and_never_a_secret() -> None:
    token = "1234567890:secret-token"
    try:
        raise ValueError(f"cannot read https://bot-api.example/bot{token}/getMe\nmore")
    except ValueError as err:
        why = cause(err, [token])
    assert why.startswith("ValueError: cannot read https://bot-api.example/bot***/getMe (at ")
    assert token not in why and "more" not in why
    assert cause(StartFailed("setWebhook: HTTP 401")) == "setWebhook: HTTP 401"


async def test_start_retries_anything_with_a_pause_and_stops_only_when_refused(caplog) -> None:
    attempts: list[int] = []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise KeyError("is_bot")
        if len(attempts) == 2:
            raise StartFailed("HTTP 502")

    status, ready = ChannelStatus("x"), asyncio.Event()
    with caplog.at_level(logging.WARNING):
        # real pauses of 1 s then 2 s: kept, so that the back-off itself is what runs
        await asyncio.wait_for(start_with_retries(status, flaky, ready), 10)
    assert ready.is_set() and len(attempts) == 3
    assert status.state is State.RUNNING
    assert [c for _, c in status.snapshot().errors] == ["KeyError", "HTTP 502"]
    assert "x: cannot start (KeyError: 'is_bot' (at " in caplog.text
    assert "retrying in 2 s" in caplog.text  # the pause doubled

    async def refused() -> None:
        raise StartFailed("setWebhook: HTTP 401", permanent=True)

    off, never = ChannelStatus("y"), asyncio.Event()
    await asyncio.wait_for(start_with_retries(off, refused, never), 1)
    assert off.state is State.OFF and not never.is_set()
    assert off.snapshot().last_error == "setWebhook: HTTP 401"


# ---- the Zalo Bot Platform: polling ---------------------------------------------------------


@pytest.fixture
async def zalo_api() -> AsyncIterator[FakeZaloBotAPI]:
    async with FakeZaloBotAPI() as fake:
        yield fake
    assert fake.unknown == []


async def test_zalo_polling_failures_are_shown_and_healthz_follows_them(
        zalo_api: FakeZaloBotAPI, database_url: str, tmp_path: Path, caplog) -> None:
    # The documented 403 ("Internal server error" on the Bot Platform) and a 502, then the
    # platform answers again: the loop goes on, and the state comes back to running.
    env = {"PHOCAP_DATABASE_URL": database_url, "PHOCAP_ZALO_TOKEN": zalo_api.token,
           "PHOCAP_ZALO_API_URL": zalo_api.base_url}
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime)
        channel = app[ZALO]
        channel.retry = Retry(base=0.01, cap=0.05)
        channel.poll_timeout = 1
        zalo_api.fail("getUpdates", 403, description="Internal server error")
        zalo_api.fail("getUpdates", 502)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            await asyncio.wait_for(channel.ready.wait(), 5)
            for _ in range(500):
                if zalo_api.polls >= 1 and channel.status.state is State.RUNNING:
                    break
                await asyncio.sleep(0.01)
            status, body = await health(server)
        finally:
            await server.close()
    snap = channel.status.snapshot()
    assert [code for _, code in snap.errors] == ["403", "502"]
    assert snap.last_error == "getUpdates: HTTP 502, error 502"
    assert (status, body) == (200, {"status": "ok", "database": True,
                                    "channels": {"zalo": "running"}})
    assert "zalo: getUpdates: HTTP 403, error 403" in caplog.text
    assert zalo_api.token not in caplog.text


# ---- Zalo OA: the start loads the token pair from the database --------------------------------


class FlakyStore(ZaloTokenStore):
    """The token table does not answer the first `failures` times (the database restarting)."""

    def __init__(self, inner: ZaloTokenStore, failures: int) -> None:
        super().__init__(inner._engine)
        self.failures = failures

    async def load_or_seed(self, initial: TokenPair, now: datetime) -> TokenPair:
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("the database is restarting")
        return await super().load_or_seed(initial, now)


async def test_zalo_oa_start_that_fails_is_retried_and_shown(
        database_url: str, tmp_path: Path, caplog) -> None:
    async with FakeZaloOA() as oa:
        env = {"PHOCAP_DATABASE_URL": database_url, "PHOCAP_ZALO_OA_APP_ID": APP_ID,
               "PHOCAP_ZALO_OA_SECRET_KEY": OA_SECRET, "PHOCAP_ZALO_OA_APP_SECRET": APP_SECRET,
               "PHOCAP_ZALO_OA_ACCESS_TOKEN": "AT-1", "PHOCAP_ZALO_OA_REFRESH_TOKEN": "RT-1",
               "PHOCAP_ZALO_OA_API_URL": oa.base_url, "PHOCAP_ZALO_OA_OAUTH_URL": oa.base_url}
        settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
        async with open_runtime(settings) as runtime:
            app = make_app(runtime)
            channel = app[ZALO_OA]
            channel.store = FlakyStore(channel.store, failures=1)
            server = TestServer(app, host="127.0.0.1")
            await server.start_server()
            try:
                for _ in range(500):
                    if channel.status.snapshot().failures:
                        break
                    await asyncio.sleep(0.01)
                during = await health(server)
                await asyncio.wait_for(channel.ready.wait(), 5)  # after a pause of 1 s
                after = await health(server)
            finally:
                await server.close()
    assert during == (200, {"status": "ok", "database": True,
                            "channels": {"zalo_oa": "retrying"}})
    assert after[1]["channels"] == {"zalo_oa": "running"}
    assert "zalo_oa: cannot start (ConnectionRefusedError: the database is restarting" \
        in caplog.text
    assert "AT-1" not in caplog.text and "RT-1" not in caplog.text
