"""The Zalo OA channel: signed webhooks in, v3 messages out, and the one-time refresh token,
against fake OA and OAuth servers on 127.0.0.1 and the real dispatcher."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, update

from bot.channels.zalo_bot import Retry
from bot.channels.zalo_oa import (
    CHOICE_PREFIX,
    LIST_ELEMENTS,
    MESSAGE_PATH,
    OAUTH_PATH,
    ZALO_OA,
    OATokens,
    OAuthClient,
    ZaloOAChannel,
    oa_messages,
    to_inbound,
)
from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.i18n import load_catalogue
from core.messages import Kind, Option, Reply
from storage.db import make_engine
from storage.models import ProcessedUpdateRow, ZaloOATokenRow
from storage.zalo_tokens import TokenPair, ZaloTokenStore
from tests.fakes.zalo_oa_api import (
    APP_ID,
    APP_SECRET,
    OA_SECRET,
    FakeZaloOA,
    event,
    post_event,
    sign,
)

CATALOGUE = load_catalogue()
USER = "2468458835296117922"


def vi(key: str, **params: object) -> str:
    return CATALOGUE.text(key, "vi", **params)


@dataclass
class Served:
    oa: FakeZaloOA
    server: TestServer
    channel: ZaloOAChannel

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def send(self, payload: dict[str, object] | bytes, signature: str | None = "auto"
                   ) -> int:
        return await post_event(self.base_url, payload, signature)


def environ(oa: FakeZaloOA, database_url: str) -> dict[str, str]:
    return {
        "PHOCAP_DATABASE_URL": database_url,
        "PHOCAP_ZALO_OA_APP_ID": APP_ID,
        "PHOCAP_ZALO_OA_SECRET_KEY": OA_SECRET,
        "PHOCAP_ZALO_OA_APP_SECRET": APP_SECRET,
        "PHOCAP_ZALO_OA_ACCESS_TOKEN": "AT-1",
        "PHOCAP_ZALO_OA_REFRESH_TOKEN": "RT-1",
        "PHOCAP_ZALO_OA_API_URL": oa.base_url,
        "PHOCAP_ZALO_OA_OAUTH_URL": oa.base_url,
    }


@asynccontextmanager
async def serve(oa: FakeZaloOA, database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    settings = load_settings(environ=environ(oa, database_url),
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime)
        channel = app[ZALO_OA]
        channel.retry = Retry(base=0.01, cap=0.05)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            yield Served(oa, server, channel)
        finally:
            await server.close()


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA() as fake:
        yield fake
    assert fake.unknown == [], f"paths the fake does not know: {fake.unknown}"


@pytest.fixture
async def served(oa: FakeZaloOA, database_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    async with serve(oa, database_url, tmp_path) as s:
        yield s


@asynccontextmanager
async def store_on(database_url: str) -> AsyncIterator[ZaloTokenStore]:
    """A token store on its own engine: another process, as far as the database can tell."""
    engine = make_engine(database_url)
    try:
        yield ZaloTokenStore(engine)
    finally:
        await engine.dispose()


async def count_processed(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(ProcessedUpdateRow))
                       or 0)
    finally:
        await engine.dispose()


# ---- conversation ----------------------------------------------------------------------------


async def test_a_follower_gets_the_welcome_with_the_menu_as_a_list(served: Served) -> None:
    assert await served.send(event("follow", USER)) == 200
    assert served.oa.texts(USER) == [vi("chat-start-public"), vi("menu-public")]
    [elements] = served.oa.lists()
    assert [e["title"] for e in elements] == [vi("menu-pledge"), vi("menu-help"),
                                              vi("menu-lang")]
    assert elements[0]["subtitle"] == vi("zalo-oa-list-hint")
    assert {e["default_action"]["type"] for e in elements} == {"oa.query.hide"}
    assert elements[2]["default_action"]["payload"] == CHOICE_PREFIX + "cmd:lang"


async def test_pressing_a_list_item_and_typing_its_number_both_work(served: Served) -> None:
    await served.send(event("user_send_text", USER, "/start"))
    # Pressing "language": Zalo sends the hidden payload back as the user's text.
    await served.send(event("user_send_text", USER, CHOICE_PREFIX + "cmd:lang"))
    assert served.oa.texts(USER)[-1] == vi("chat-lang-choose")
    english = next(e for e in served.oa.lists()[-1] if e["title"] == vi("lang-en"))
    number = str(served.oa.lists()[-1].index(english) + 1)
    await served.send(event("user_send_text", USER, number))  # typed, not pressed
    assert CATALOGUE.text("chat-lang-set", "en") in served.oa.texts(USER)


async def test_a_sticker_gets_the_hint_and_echoes_are_ignored(served: Served) -> None:
    await served.send(event("user_send_sticker", USER))
    assert served.oa.texts(USER)[0] == vi("chat-unsupported")
    before = len(served.oa.sent)
    await served.send(event("oa_send_text", USER, "what we said"))
    await served.send(event("unfollow", USER))
    assert len(served.oa.sent) == before


async def test_a_replayed_event_is_answered_once(served: Served) -> None:
    same = event("user_send_text", USER, "/help")
    assert await served.send(same) == 200
    assert await served.send(same) == 200
    assert len(served.oa.texts(USER)) == 2


def test_more_options_than_a_list_holds_fall_back_to_a_numbered_menu() -> None:
    many = tuple(Option(f"v{n}", label=f"Choice {n}") for n in range(LIST_ELEMENTS + 1))
    [message] = oa_messages(CATALOGUE, Reply("units-not-found", {"text": "x"}, many), "en")
    assert "attachment" not in message
    assert f"{LIST_ELEMENTS + 1}. Choice {LIST_ELEMENTS}" in message["text"]
    few = many[:LIST_ELEMENTS]
    text, listed = oa_messages(CATALOGUE, Reply("units-not-found", {"text": "x"}, few), "en")
    assert "1. " not in text["text"]
    assert len(listed["attachment"]["payload"]["elements"]) == LIST_ELEMENTS
    long_label = (Option("a", label="L" * 101), Option("b", label="B"))
    [fallback] = oa_messages(CATALOGUE, Reply("units-not-found", {"text": "x"}, long_label), "en")
    assert "attachment" not in fallback


def test_to_inbound_tells_a_press_from_typing() -> None:
    typed = to_inbound(event("user_send_text", USER, "cmd:lang"))
    pressed = to_inbound(event("user_send_text", USER, CHOICE_PREFIX + "cmd:lang"))
    assert typed is not None and typed.kind is Kind.TEXT and typed.text == "cmd:lang"
    assert pressed is not None and pressed.kind is Kind.CHOICE and pressed.choice == "cmd:lang"
    assert pressed.chat_id == USER and pressed.update_id
    assert to_inbound(event("user_submit_info", USER)) is None


# ---- the webhook's checks --------------------------------------------------------------------


async def test_a_bad_or_missing_signature_is_refused_and_nothing_processed(
    served: Served, database_url: str
) -> None:
    payload = event("user_send_text", USER, "/start")
    assert await served.send(payload, signature="mac=" + "0" * 64) == 403
    assert await served.send(payload, signature=None) == 403
    other_secret = event("user_send_text", USER, "/start")
    body = json.dumps(other_secret).encode()
    forged = sign(body, str(other_secret["timestamp"]), secret="not-our-secret")
    assert await served.send(body, signature=forged) == 403
    assert served.oa.sent == []
    assert await count_processed(database_url) == 0


async def test_malformed_unknown_and_oversized_events(served: Served) -> None:
    assert await served.send(b"{oops", signature="mac=abc") == 400
    assert await served.send(event("user_reacted_message", USER)) == 200
    huge = event("user_send_text", USER, "x" * (1024 * 1024))
    assert await served.send(huge) == 413
    assert served.oa.sent == []


async def test_without_configuration_there_is_no_channel_and_the_webhook_refuses(
    database_url: str, tmp_path: Path
) -> None:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime)
        assert ZALO_OA not in app
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            url = str(server.make_url("")).rstrip("/")
            assert await post_event(url, event("user_send_text", USER, "/start")) == 403
        finally:
            await server.close()


# ---- sending: retries and refusals ------------------------------------------------------------


async def test_429_and_500_are_retried_400_is_not(served: Served) -> None:
    served.oa.fail(MESSAGE_PATH, 429, retry_after=0)
    served.oa.fail(MESSAGE_PATH, 500)
    await served.send(event("user_send_text", USER, "/help"))
    assert served.oa.texts(USER)[0] == vi("chat-help-public")
    served.oa.fail(MESSAGE_PATH, 400)
    await served.send(event("user_send_text", USER, "/help"))
    assert len(served.oa.texts(USER)) == 2  # the 400 ended that outcome: nothing more sent


async def test_outside_the_interaction_window_is_recorded_not_retried(
    served: Served, database_url: str
) -> None:
    served.oa.outside_window.add(USER)
    assert await served.send(event("user_send_text", USER, "/help")) == 200
    assert served.oa.sent == []
    async with store_on(database_url) as store:
        [refused] = await store.refused()
    assert (refused.channel, refused.chat_id, refused.error_code, refused.reply_key) == (
        "zalo_oa", USER, -230, "chat-help-public")


# ---- the token pair ---------------------------------------------------------------------------


async def test_an_invalid_token_is_refreshed_and_the_new_pair_stored_before_use(
    served: Served, database_url: str
) -> None:
    stored_when_used: list[str | None] = []

    async def look(sent: object) -> None:
        async with store_on(database_url) as store:
            pair = await store.load()
            stored_when_used.append(pair.access_token if pair else None)

    served.oa.on_send = look
    served.oa.expire("AT-1")
    await served.send(event("user_send_text", USER, "/help"))
    assert served.oa.refresh_calls == ["RT-1"]
    assert {s.access_token for s in served.oa.sent} == {"AT-2"}
    assert stored_when_used[0] == "AT-2"  # in the database before its first use
    async with store_on(database_url) as store:
        pair = await store.load()
    assert pair is not None and pair.refresh_token == "RT-2" and pair.expires_at is not None


async def test_a_token_known_to_expire_is_renewed_before_sending(
    oa: FakeZaloOA, database_url: str, tmp_path: Path
) -> None:
    async with store_on(database_url) as store:
        await store.load_or_seed(TokenPair("AT-1", "RT-1", datetime.now(UTC) + timedelta(
            minutes=5)), datetime.now(UTC))
    async with serve(oa, database_url, tmp_path) as served:
        await served.send(event("user_send_text", USER, "/help"))
    assert oa.refresh_calls == ["RT-1"]
    assert {s.access_token for s in oa.sent} == {"AT-2"}


async def test_after_a_restart_the_stored_pair_is_used_not_the_spent_one(
    oa: FakeZaloOA, database_url: str, tmp_path: Path
) -> None:
    async with serve(oa, database_url, tmp_path) as first:
        assert first.channel.tokens is not None
        # Refreshed and stored, then the process "dies" before using the new token.
        await first.channel.tokens.refresh(TokenPair("AT-1", "RT-1"))
    assert oa.refresh_calls == ["RT-1"]
    async with serve(oa, database_url, tmp_path) as second:  # same settings: AT-1 / RT-1
        await second.send(event("user_send_text", USER, "/help"))
    assert oa.refresh_calls == ["RT-1"]  # RT-1 was not tried again
    assert {s.access_token for s in oa.sent} == {"AT-2"}


async def test_two_processes_refreshing_at_once_spend_the_token_once(
    oa: FakeZaloOA, database_url: str
) -> None:
    oa.oauth_delay = 0.3  # long enough for both to be waiting on it
    stale = TokenPair("AT-1", "RT-1")
    async with aiohttp.ClientSession() as session, store_on(database_url) as one, \
            store_on(database_url) as two:
        now = datetime.now(UTC)
        await one.load_or_seed(stale, now)

        def keeper(store: ZaloTokenStore) -> OATokens:
            oauth = OAuthClient(session, oa.base_url, APP_ID, APP_SECRET, Retry(base=0.01))
            tokens = OATokens(store, stale, oauth, lambda: datetime.now(UTC))
            tokens.wait_step = 0.02
            return tokens

        first, second = await asyncio.gather(keeper(one).refresh(stale),
                                             keeper(two).refresh(stale))
    assert oa.refresh_calls == ["RT-1"]
    assert first == second and first.access_token == "AT-2"


async def test_a_failed_refresh_gives_the_lease_back(
    oa: FakeZaloOA, database_url: str
) -> None:
    oa.fail(OAUTH_PATH, 400)
    stale = TokenPair("AT-1", "RT-1")
    async with aiohttp.ClientSession() as session, store_on(database_url) as store:
        await store.load_or_seed(stale, datetime.now(UTC))
        oauth = OAuthClient(session, oa.base_url, APP_ID, APP_SECRET, Retry(base=0.01))
        tokens = OATokens(store, stale, oauth, lambda: datetime.now(UTC))
        with pytest.raises(Exception, match="HTTP 400"):
            await tokens.refresh(stale)
        assert (await tokens.refresh(stale)).access_token == "AT-2"  # tried again, allowed
    assert oa.refresh_calls == ["RT-1"]  # (the fake answered the 400 before looking)


async def test_the_settings_pair_is_only_a_seed(database_url: str) -> None:
    async with store_on(database_url) as store:
        now = datetime.now(UTC)
        assert (await store.load_or_seed(TokenPair("A", "R"), now)).access_token == "A"
        assert (await store.load_or_seed(TokenPair("B", "S"), now)).access_token == "A"
        engine = make_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(update(ZaloOATokenRow).values(access_token="C"))
        finally:
            await engine.dispose()
        assert (await store.load_or_seed(TokenPair("B", "S"), now)).access_token == "C"
