"""'phocap zalo check' against the fake Zalo Bot Platform and the fake OA, which answer as
Zalo's documentation says (errors in HTTP 200 bodies for the OA, {ok: false} for the bot).
Each case below is worked by hand from docs/zalo.md: the settings, what the platform holds,
and the findings that must come out."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.cli.zalo import Finding, Level, check, cmd_zalo_check
from bot.runtime import open_runtime
from bot.settings import Settings, load_settings
from core.i18n import load_catalogue
from storage.db import make_engine
from storage.zalo_tokens import ZaloTokenStore
from tests.fakes.zalo_bot_api import FakeZaloBotAPI
from tests.fakes.zalo_oa_api import APP_ID, APP_SECRET, OA_ID, OA_SECRET, FakeZaloOA

TEXTS = load_catalogue()
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
PUBLIC = "https://phocap.example"
SECRET = "zalo-webhook-secret-for-tests"


def clock() -> datetime:
    return NOW


def settings_of(tmp_path: Path, database_url: str, **values: str) -> Settings:
    env = {"PHOCAP_DATABASE_URL": database_url,
           **{f"PHOCAP_{k.upper()}": v for k, v in values.items()}}
    return load_settings(environ=env, toml_path=tmp_path / "absent.toml")


@pytest.fixture
async def bot() -> AsyncIterator[FakeZaloBotAPI]:
    async with FakeZaloBotAPI() as fake:
        yield fake
    assert fake.unknown == []


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake
    assert fake.unknown == []


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[ZaloTokenStore]:
    engine = make_engine(database_url)
    try:
        yield ZaloTokenStore(engine)
    finally:
        await engine.dispose()


async def run_check(settings: Settings, store: ZaloTokenStore, renew: bool = False
                    ) -> list[tuple[Level, str]]:
    async with aiohttp.ClientSession() as http:
        found = await check(settings, http, store, clock, renew=renew)
    return [(f.level, f.key) for f in found]


def bot_env(bot: FakeZaloBotAPI, **extra: str) -> dict[str, str]:
    return {"zalo_token": bot.token, "zalo_api_url": bot.base_url, **extra}


def oa_env(oa: FakeZaloOA, **extra: str) -> dict[str, str]:
    return {"zalo_oa_app_id": APP_ID, "zalo_oa_secret_key": OA_SECRET,
            "zalo_oa_app_secret": APP_SECRET, "zalo_oa_access_token": "AT-1",
            "zalo_oa_refresh_token": "RT-1", "zalo_oa_api_url": oa.base_url,
            "zalo_oa_oauth_url": oa.base_url, **extra}


OA_NONE = (Level.NOTE, "zalo-check-oa-none")
BOT_NONE = (Level.NOTE, "zalo-check-bot-none")
BOT_OK = (Level.OK, "zalo-check-bot-ok")


# ---- Zalo Bot Platform ---------------------------------------------------------------------


async def test_polling_with_no_webhook_works_and_is_called_a_development_mode(
        bot, store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, **bot_env(bot))
    assert await run_check(s, store) == [BOT_OK, (Level.NOTE, "zalo-check-bot-polling"),
                                         OA_NONE]
    assert bot.count("getMe") == 1 and bot.count("getWebhookInfo") == 1


async def test_a_wrong_token_is_named_and_nothing_else_is_asked(
        bot, store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, **bot_env(bot, zalo_token="1:wrong-token"))
    assert await run_check(s, store) == [(Level.FIX, "zalo-check-bot-token"), OA_NONE]
    assert bot.count("getWebhookInfo") == 0


async def test_an_unreachable_platform_is_said_so(store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, zalo_token="1:t",
                    zalo_api_url="http://127.0.0.1:9")  # the discard port: nobody answers
    assert await run_check(s, store) == [(Level.FIX, "zalo-check-bot-unreachable"), OA_NONE]


@pytest.mark.parametrize(("platform_url", "finding"), [
    ("", (Level.FIX, "zalo-check-bot-webhook-unset")),
    ("https://old.example/webhook/zalo", (Level.FIX, "zalo-check-bot-webhook-elsewhere")),
    (PUBLIC + "/webhook/zalo", (Level.OK, "zalo-check-bot-webhook-ok")),
])
async def test_with_a_public_url_the_webhook_must_be_ours(
        bot, store, tmp_path, database_url, platform_url, finding) -> None:
    if platform_url:
        bot.webhook = {"url": platform_url, "secret_token": SECRET}
    s = settings_of(tmp_path, database_url,
                    **bot_env(bot, public_url=PUBLIC, zalo_webhook_secret=SECRET))
    assert await run_check(s, store) == [BOT_OK, finding, OA_NONE]


async def test_polling_while_the_platform_holds_a_webhook_is_to_fix(
        bot, store, tmp_path, database_url) -> None:
    bot.webhook = {"url": PUBLIC + "/webhook/zalo", "secret_token": SECRET}
    s = settings_of(tmp_path, database_url, **bot_env(bot))
    assert await run_check(s, store) == [
        BOT_OK, (Level.FIX, "zalo-check-bot-polling-webhook-set"),
        (Level.NOTE, "zalo-check-bot-polling"), OA_NONE]


async def test_a_webhook_secret_the_platform_would_refuse_is_to_fix(
        bot, store, tmp_path, database_url) -> None:
    bot.webhook = {"url": PUBLIC + "/webhook/zalo"}
    s = settings_of(tmp_path, database_url,
                    **bot_env(bot, public_url=PUBLIC, zalo_webhook_secret="short"))
    assert await run_check(s, store) == [
        BOT_OK, (Level.FIX, "zalo-check-bot-secret"), (Level.OK, "zalo-check-bot-webhook-ok"),
        OA_NONE]


# ---- Zalo OA -------------------------------------------------------------------------------


async def test_a_working_oa_is_named_and_the_console_steps_are_given(
        oa, store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, public_url=PUBLIC, **oa_env(oa))
    async with aiohttp.ClientSession() as http:
        found = await check(s, http, store, clock)
    assert found == [
        Finding(Level.NOTE, "zalo-check-bot-none"),
        Finding(Level.NOTE, "zalo-check-oa-webhook", {"url": PUBLIC + "/webhook/zalo-oa"}),
        Finding(Level.OK, "zalo-check-oa-ok", {"name": "Phocap OA", "oaid": OA_ID}),
        Finding(Level.NOTE, "zalo-check-oa-expiry-unknown"),
        Finding(Level.NOTE, "zalo-check-oa-renew-skipped")]
    assert oa.refresh_calls == []  # no renewal unless asked: the refresh token works once


async def test_an_expired_access_token_is_to_fix(oa, store, tmp_path, database_url) -> None:
    oa.expire("AT-1")  # Zalo answers -216 in an HTTP 200
    s = settings_of(tmp_path, database_url, public_url=PUBLIC, **oa_env(oa))
    found = await run_check(s, store)
    assert (Level.FIX, "zalo-check-oa-token-invalid") in found


async def test_the_app_secret_must_not_be_the_oa_secret_again(
        oa, store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, public_url=PUBLIC,
                    **oa_env(oa, zalo_oa_app_secret=OA_SECRET))
    assert (await run_check(s, store))[1] == (Level.FIX, "zalo-check-oa-secrets-same")


async def test_an_oa_without_a_public_url_cannot_get_messages(
        oa, store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, **oa_env(oa))
    assert (Level.FIX, "zalo-check-oa-no-public-url") in await run_check(s, store)


async def test_renew_spends_the_refresh_token_once_and_stores_the_new_pair_first(
        oa, store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, public_url=PUBLIC, **oa_env(oa))
    async with aiohttp.ClientSession() as http:
        found = await check(s, http, store, clock, renew=True)
    assert found[-1] == Finding(Level.OK, "zalo-check-oa-renew-ok",
                                {"time": NOW + timedelta(seconds=90000)})
    stored = await store.load()
    assert stored is not None and stored.refresh_token != "RT-1"
    assert oa.refresh_calls == ["RT-1"] and "RT-1" not in oa.unspent_refresh
    assert stored.expires_at == NOW + timedelta(seconds=90000)


async def test_renew_with_a_wrong_app_secret_fails_and_spends_nothing(
        oa, store, tmp_path, database_url) -> None:
    s = settings_of(tmp_path, database_url, public_url=PUBLIC,
                    **oa_env(oa, zalo_oa_app_secret="not-the-app-secret"))
    found = await run_check(s, store, renew=True)
    assert found[-1] == (Level.FIX, "zalo-check-oa-renew-failed")
    assert "RT-1" in oa.unspent_refresh
    stored = await store.load()
    assert stored is not None and stored.refresh_token == "RT-1"


# ---- the command as printed ----------------------------------------------------------------


async def test_the_command_prints_vietnamese_lines_and_exits_1_when_something_is_to_fix(
        bot, oa, tmp_path, database_url, capsys) -> None:
    oa.expire("AT-1")
    s = settings_of(tmp_path, database_url, public_url=PUBLIC, zalo_webhook_secret=SECRET,
                    **bot_env(bot), **oa_env(oa))
    bot.webhook = {"url": PUBLIC + "/webhook/zalo", "secret_token": SECRET}
    async with open_runtime(s) as rt:
        code = await cmd_zalo_check(rt, argparse.Namespace(renew=False), clock)
    lines = capsys.readouterr().out.splitlines()

    def line(level: str, key: str, **params: object) -> str:
        return TEXTS.text(f"zalo-check-line-{level}", "vi",
                          text=TEXTS.text(key, "vi", **params))

    assert code == 1
    assert lines == [
        line("ok", "zalo-check-bot-ok", name="bot.phocap"),
        line("ok", "zalo-check-bot-webhook-ok", url=PUBLIC + "/webhook/zalo"),
        line("note", "zalo-check-oa-webhook", url=PUBLIC + "/webhook/zalo-oa"),
        line("fix", "zalo-check-oa-token-invalid", code=-216,
             message="Access token is invalid"),
        line("note", "zalo-check-oa-expiry-unknown"),
        line("note", "zalo-check-oa-renew-skipped"),
        TEXTS.text("zalo-check-summary-fix", "vi", count=1),
    ]


async def test_nothing_configured_says_where_to_begin(tmp_path, database_url, capsys) -> None:
    s = settings_of(tmp_path, database_url)
    async with open_runtime(s) as rt:
        code = await cmd_zalo_check(rt, argparse.Namespace(renew=False), clock)
    assert code == 1
    assert capsys.readouterr().out.splitlines()[-1] == TEXTS.text("zalo-check-nothing", "vi")


def test_phocap_zalo_check_is_a_command(tmp_path, database_url, capsys) -> None:
    from bot.cli import main

    code = main(["zalo", "check"], environ={"PHOCAP_DATABASE_URL": database_url,
                                            "PHOCAP_CONFIG": str(tmp_path / "absent.toml")})
    assert code == 1
    assert TEXTS.text("zalo-check-bot-none", "vi") in capsys.readouterr().out
