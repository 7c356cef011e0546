"""The Zalo OA channel: signed webhooks in (recorded, answered at once, handled in the
background), v3 messages out through the outbox, error codes as documented, and the
one-time refresh token, against fake OA and OAuth servers on 127.0.0.1 (answering as Zalo's
documentation says) and the real dispatcher."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.appkeys import RUNTIME as RUNTIME_KEY
from bot.channels.http import Retry
from bot.channels.zalo_oa import (
    CHOICE_PREFIX,
    MAX_BUTTONS,
    MESSAGE_PATH,
    OAUTH_PATH,
    ZALO_OA,
    OATokens,
    OAuthClient,
    ZaloOAChannel,
    oa_messages,
    to_inbound,
)
from bot.outbox import OUTBOX
from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import SettingsError, load_settings
from core.i18n import load_catalogue
from core.messages import Kind, Option, Reply
from core.model import ChatState
from core.services.outbox import enqueue
from storage.db import make_engine
from storage.models import OutboxRow, ProcessedUpdateRow, ZaloEventRow, ZaloOATokenRow
from storage.zalo_events import ZaloEventStore, month_of
from storage.zalo_tokens import TokenPair, ZaloTokenStore
from tests.fakes.zalo_oa_api import (
    APP_ID,
    APP_SECRET,
    OA_SECRET,
    FakeZaloOA,
    event,
    post_check,
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

    async def texts(self, count: int, within: float = 10.0) -> list[str]:
        """The texts sent to USER once there are at least count of them."""
        deadline = time.monotonic() + within
        while len(self.oa.texts(USER)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.oa.texts(USER)}: fewer than {count}")
            await asyncio.sleep(0.02)
        return self.oa.texts(USER)

    async def settled(self, within: float = 10.0) -> list[Any]:
        return await settled(self.server.app[RUNTIME_KEY].engine, within)


async def settled(engine: AsyncEngine, within: float = 10.0) -> list[Any]:
    """Once every recorded Zalo event is handled and nothing in the outbox is due (a chat's
    next message waits behind its first unsent one): the outbox rows."""
    deadline = time.monotonic() + within
    while True:
        async with engine.connect() as conn:
            pending = await conn.scalar(select(func.count()).select_from(ZaloEventRow)
                                        .where(ZaloEventRow.handled_at.is_(None)))
            rows = list((await conn.execute(select(OutboxRow.__table__)
                                            .order_by(OutboxRow.id))).all())
        now, heads, due = datetime.now(UTC), set(), []
        for r in rows:
            if r.sent_at is not None or r.dead or (r.channel, r.chat_id) in heads:
                continue
            heads.add((r.channel, r.chat_id))
            if r.not_before.replace(tzinfo=UTC) <= now:
                due.append(r)
        if not pending and not due:
            return rows
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled: {pending} events, {len(due)} due")
        await asyncio.sleep(0.05)


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


async def seed_pair(database_url: str, expires_in: timedelta = timedelta(hours=25)) -> None:
    """The settings' pair, stored as if renewed a moment ago: its expiry known."""
    async with store_on(database_url) as store:
        now = datetime.now(UTC)
        await store.load_or_seed(TokenPair("AT-1", "RT-1", now + expires_in), now)


@asynccontextmanager
async def serve(oa: FakeZaloOA, database_url: str, tmp_path: Path, seeded: bool = True,
                **extra: str) -> AsyncIterator[Served]:
    settings = load_settings(environ={**environ(oa, database_url), **extra},
                             toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        if seeded:
            await seed_pair(database_url)
        app = make_app(runtime)
        channel = app[ZALO_OA]
        channel.retry = Retry(base=0.01, cap=0.05)
        channel.events.every = 0.1
        app[OUTBOX]._pace = 0  # one message a second per chat is for real users
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


@asynccontextmanager
async def events_on(database_url: str) -> AsyncIterator[ZaloEventStore]:
    engine = make_engine(database_url)
    try:
        yield ZaloEventStore(engine)
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


async def queue_proactive(served: Served, user: str, label: str) -> None:
    """A notification (a report, a reminder) queued for an OA user, as the services do."""
    chat = ChatState(id=0, channel="zalo_oa", chat_id=user, locale="en")
    async with served.server.app[RUNTIME_KEY].uow() as u:
        await enqueue(u, chat, Reply("units-not-found", {"text": label}), f"t:{label}",
                      datetime.now(UTC))
        await u.commit()


# ---- conversation ----------------------------------------------------------------------------


async def test_a_follower_gets_the_welcome_with_the_menu_as_buttons_and_numbers(
        served: Served) -> None:
    assert await served.send(event("follow", USER)) == 200
    texts = await served.texts(2)
    assert texts[0] == vi("chat-start-public")
    # The numbered list always in the text; the buttons in the documented v3 form.
    assert texts[1].startswith(vi("menu-public"))
    assert f"1. {vi('menu-pledge')}" in texts[1] and f"3. {vi('menu-lang')}" in texts[1]
    [buttons] = served.oa.buttons()
    assert [b["title"] for b in buttons] == [vi("menu-pledge"), vi("menu-help"), vi("menu-lang")]
    assert {b["type"] for b in buttons} == {"oa.query.hide"}
    assert buttons[2]["payload"] == CHOICE_PREFIX + "cmd:lang"


async def test_pressing_a_button_and_typing_its_number_both_work(served: Served) -> None:
    await served.send(event("user_send_text", USER, "/start"))
    await served.texts(2)
    # Pressing "language": Zalo sends the hidden payload back as the user's text.
    await served.send(event("user_send_text", USER, CHOICE_PREFIX + "cmd:lang"))
    assert (await served.texts(3))[-1].startswith(vi("chat-lang-choose"))
    english = next(b for b in served.oa.buttons()[-1] if b["title"] == vi("lang-en"))
    number = str(served.oa.buttons()[-1].index(english) + 1)
    await served.send(event("user_send_text", USER, number))  # typed, not pressed
    assert CATALOGUE.text("chat-lang-set", "en") in await served.texts(4)


async def test_a_sticker_gets_the_hint_and_echoes_are_ignored(served: Served) -> None:
    await served.send(event("user_send_sticker", USER))
    assert (await served.texts(1))[0] == vi("chat-unsupported")
    await served.settled()
    before = len(served.oa.sent)
    await served.send(event("oa_send_text", USER, "what we said"))
    await served.send(event("user_received_message", USER))
    await served.send(event("unfollow", USER))
    await served.settled()
    assert len(served.oa.sent) == before


async def test_a_replayed_event_is_recorded_and_answered_once(
        served: Served, database_url: str) -> None:
    same = event("user_send_text", USER, "/help")
    assert await served.send(same) == 200
    assert await served.send(same) == 200  # Zalo's retry of the same event
    await served.settled()
    texts = served.oa.texts(USER)
    assert len(texts) == 2 and texts[0] == vi("chat-help-public")  # the help and the menu
    assert await count_processed(database_url) == 1


def test_more_buttons_than_zalo_takes_leave_the_numbered_list_alone() -> None:
    many = tuple(Option(f"v{n}", label=f"Choice {n}") for n in range(MAX_BUTTONS + 1))
    [message] = oa_messages(CATALOGUE, Reply("units-not-found", {"text": "x"}, many), "en")
    assert "attachment" not in message
    assert f"{MAX_BUTTONS + 1}. Choice {MAX_BUTTONS}" in message["text"]
    few = many[:MAX_BUTTONS]
    [both] = oa_messages(CATALOGUE, Reply("units-not-found", {"text": "x"}, few), "en")
    assert "1. Choice 0" in both["text"]  # the numbers, whatever the client shows
    assert len(both["attachment"]["payload"]["buttons"]) == MAX_BUTTONS
    long_label = (Option("a", label="L" * 101), Option("b", label="B"))
    [fallback] = oa_messages(CATALOGUE, Reply("units-not-found", {"text": "x"}, long_label), "en")
    assert "attachment" not in fallback
    [plain] = oa_messages(CATALOGUE, Reply("units-not-found", {"text": "x"}, few), "en",
                          plain=True)
    assert "attachment" not in plain and "1. Choice 0" in plain["text"]


def test_to_inbound_tells_a_press_from_typing() -> None:
    typed = to_inbound(event("user_send_text", USER, "cmd:lang"))
    pressed = to_inbound(event("user_send_text", USER, CHOICE_PREFIX + "cmd:lang"))
    assert typed is not None and typed.kind is Kind.TEXT and typed.text == "cmd:lang"
    assert pressed is not None and pressed.kind is Kind.CHOICE and pressed.choice == "cmd:lang"
    assert pressed.chat_id == USER and pressed.update_id
    assert to_inbound(event("user_submit_info", USER)) is None


# ---- answering in time; nothing lost, nothing twice --------------------------------------------


async def test_the_webhook_answers_at_once_while_zalo_is_slow_to_take_the_reply(
        served: Served) -> None:
    await served.send(event("user_send_text", USER, "/start"))  # warm: the first connection
    await served.texts(2)
    served.oa.hold = 10.0  # every send waits ten seconds
    payload = event("user_send_text", USER, "/help")
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json",
               "X-ZEvent-Signature": sign(body, str(payload["timestamp"]))}
    async with aiohttp.ClientSession() as session:
        began = time.monotonic()
        async with session.post(served.base_url + "/webhook/zalo-oa", data=body,
                                headers=headers) as response:
            status = response.status
        took = time.monotonic() - began
    assert status == 200
    assert took < 0.2, f"the webhook took {took:.3f} s"  # Zalo wants it within 2 s
    served.oa.release()
    assert (await served.texts(3))[2] == vi("chat-help-public")


async def test_an_event_recorded_before_a_crash_is_handled_at_start(
        oa: FakeZaloOA, database_url: str, tmp_path: Path) -> None:
    payload = event("user_send_text", USER, "/help")
    async with serve(oa, database_url, tmp_path):
        pass  # the database exists; then the process is gone
    async with events_on(database_url) as store:  # recorded and answered, then a crash
        assert await store.record("zalo_oa", "msg:" + payload["message"]["msg_id"], USER,
                                  payload["message"]["msg_id"], payload, datetime.now(UTC))
    async with serve(oa, database_url, tmp_path) as served:
        assert (await served.texts(1))[0] == vi("chat-help-public")


async def test_an_event_handled_again_after_a_crash_is_answered_once(
        oa: FakeZaloOA, database_url: str, tmp_path: Path) -> None:
    async with serve(oa, database_url, tmp_path) as first:
        await first.send(event("user_send_text", USER, "/help"))
        await first.settled()
    # As if the process died after the dispatcher's commit, before the event was marked.
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(ZaloEventRow).values(handled_at=None, claimed_until=None))
    finally:
        await engine.dispose()
    async with serve(oa, database_url, tmp_path) as second:
        await second.settled()
    texts = oa.texts(USER)
    assert len(texts) == 2 and texts[0] == vi("chat-help-public")  # once
    assert await count_processed(database_url) == 1


# ---- the webhook's checks --------------------------------------------------------------------


async def test_a_bad_signature_is_refused_and_nothing_processed(
    served: Served, database_url: str
) -> None:
    payload = event("user_send_text", USER, "/start")
    assert await served.send(payload, signature="mac=" + "0" * 64) == 403
    other_secret = event("user_send_text", USER, "/start")
    body = json.dumps(other_secret).encode()
    forged = sign(body, str(other_secret["timestamp"]), secret="not-our-secret")
    assert await served.send(body, signature=forged) == 403
    await served.settled()
    assert served.oa.sent == []
    assert await count_processed(database_url) == 0


async def test_the_consoles_unsigned_check_gets_200_and_nothing_is_handled(
    served: Served, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.zalo_oa")
    assert await post_check(served.base_url) == 200
    assert await post_check(served.base_url, b"") == 200
    payload = event("user_send_text", USER, "/start")
    assert await served.send(payload, signature=None) == 200  # an unsigned event: not ours
    await served.settled()
    assert served.oa.sent == []
    assert await count_processed(database_url) == 0
    assert "unsigned request" in caplog.text


async def test_a_signed_event_older_than_the_window_is_refused(
    oa: FakeZaloOA, database_url: str, tmp_path: Path
) -> None:
    async with serve(oa, database_url, tmp_path,
                     PHOCAP_ZALO_OA_EVENT_WINDOW="30") as served:
        now_ms = int(time.time() * 1000)
        old = event("user_send_text", USER, "/help", timestamp=str(now_ms - 31 * 60_000))
        assert await served.send(old) == 403
        late = event("user_send_text", USER, "/help", timestamp=str(now_ms - 29 * 60_000))
        assert await served.send(late) == 200  # Zalo's own retry, within the window
        assert (await served.texts(1))[0] == vi("chat-help-public")
        await served.settled()
    assert await count_processed(database_url) == 1


async def test_malformed_unknown_and_oversized_events(served: Served) -> None:
    assert await served.send(b"{oops", signature="mac=abc") == 400
    assert await served.send(event("user_reacted_message", USER)) == 200
    huge = event("user_send_text", USER, "x" * (1024 * 1024))
    assert await served.send(huge) == 413
    await served.settled()
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


# ---- sending: error codes as documented ---------------------------------------------------------


async def test_429_and_500_are_retried_400_is_not(served: Served) -> None:
    served.oa.fail(MESSAGE_PATH, 429, retry_after=0)
    served.oa.fail(MESSAGE_PATH, 500)
    await served.send(event("user_send_text", USER, "/help"))
    assert (await served.texts(2))[0] == vi("chat-help-public")
    served.oa.fail(MESSAGE_PATH, 400)
    await served.send(event("user_send_text", USER, "/help"))
    rows = await served.settled()
    assert len(served.oa.texts(USER)) == 3  # help and menu, then the 400 on the next help
    assert rows[-2].dead and "HTTP 400" in rows[-2].last_error


@pytest.mark.parametrize("code", [-230, -232])
async def test_outside_the_interaction_window_is_final_and_kept_for_the_admin(
    served: Served, database_url: str, code: int
) -> None:
    served.oa.error(MESSAGE_PATH, code)
    assert await served.send(event("user_send_text", USER, "/help")) == 200
    row = (await served.settled())[0]
    assert served.oa.texts(USER)[0] != vi("chat-help-public") and row.dead
    assert row.attempts == 1
    async with store_on(database_url) as store:
        [refused] = await store.refused()
    assert (refused.channel, refused.chat_id, refused.error_code, refused.reply_key) == (
        "zalo_oa", USER, code, "chat-help-public")


async def test_the_rate_limit_waits_and_tries_again(served: Served) -> None:
    served.oa.error(MESSAGE_PATH, -32)
    await served.send(event("user_send_text", USER, "/help"))
    row = (await served.settled())[0]
    assert row.sent_at is None and not row.dead and row.attempts == 1
    assert "rate limit" in row.last_error
    assert row.not_before.replace(tzinfo=UTC) - datetime.now(UTC) > timedelta(seconds=50)
    async with events_on(database_url_of(served)) as store:
        assert await store.errors_since("zalo_oa", datetime.now(UTC) - timedelta(hours=1)) == {
            -32: 1}


def database_url_of(served: Served) -> str:
    return served.server.app[RUNTIME_KEY].settings.database_url


@pytest.mark.parametrize("code", [-216, -220])
async def test_an_invalid_or_expired_token_is_renewed_and_the_message_sent_again(
        served: Served, code: int) -> None:
    served.oa.error(MESSAGE_PATH, code)
    await served.send(event("user_send_text", USER, "/help"))
    assert (await served.texts(1))[0] == vi("chat-help-public")
    assert served.oa.refresh_calls == ["RT-1"]
    assert served.oa.sent[0].access_token == "AT-2"


async def test_a_zns_code_is_not_taken_for_a_token_problem(served: Served) -> None:
    served.oa.error(MESSAGE_PATH, -124)  # ZNS's "access token invalid": not an OA answer
    await served.send(event("user_send_text", USER, "/help"))
    row = (await served.settled())[0]
    assert served.oa.refresh_calls == [] and row.dead and "error -124" in row.last_error


# ---- buttons Zalo refuses; replies and proactive messages ------------------------------------


async def test_a_refused_template_is_sent_again_as_plain_text_once_and_remembered(
        served: Served, database_url: str) -> None:
    served.oa.refuse_templates = True
    await served.send(event("follow", USER))
    texts = await served.texts(2)
    assert texts[1].startswith(vi("menu-public")) and f"1. {vi('menu-pledge')}" in texts[1]
    assert served.oa.buttons() == []
    assert len(served.oa.refused) == 1  # one refusal, one plain resend
    async with events_on(database_url) as store:
        status = await store.status("zalo_oa")
    assert status.plain_text and status.plain_text_since is not None
    await served.send(event("user_send_text", USER, "/start"))
    await served.texts(4)
    assert len(served.oa.refused) == 1  # remembered: no template tried again


async def test_a_reply_carries_the_users_message_id_and_is_not_counted(
        served: Served, database_url: str) -> None:
    payload = event("user_send_text", USER, "/help")
    await served.send(payload)
    await served.texts(1)
    assert served.oa.sent[0].reply_to == payload["message"]["msg_id"]
    async with events_on(database_url) as store:
        assert await store.proactive("zalo_oa", month_of(datetime.now(UTC))) == 0


async def test_a_refused_message_id_is_sent_again_to_the_user_id_alone(
        served: Served, database_url: str) -> None:
    served.oa.refuse_message_ids = True
    await served.send(event("user_send_text", USER, "/help"))
    texts = await served.texts(2)
    assert texts[0] == vi("chat-help-public")
    assert [s.reply_to for s in served.oa.sent] == [None, None]
    assert len(served.oa.refused) == 2  # each message tried once with the id, then without
    await served.settled()  # the fake has the texts before the sender records what it learnt
    async with events_on(database_url) as store:
        # The menu carried buttons too: which of the two Zalo refused cannot be told, so the
        # OA is taken as plain text (shown to the admin).
        assert (await store.status("zalo_oa")).plain_text


async def test_proactive_messages_are_counted_and_kept_beyond_the_monthly_cap(
        oa: FakeZaloOA, database_url: str, tmp_path: Path) -> None:
    async with serve(oa, database_url, tmp_path, PHOCAP_ZALO_OA_MONTHLY_CAP="2") as served:
        for label in ("one", "two", "three"):
            await queue_proactive(served, "5550001", label)
        rows = await served.settled()
    assert [s.reply_to for s in oa.sent] == [None, None]  # nothing to reply to
    assert len(oa.sent) == 2
    waiting = rows[-1]
    assert waiting.sent_at is None and not waiting.dead and "monthly cap" in waiting.last_error
    first_of_next = (datetime.now(UTC).replace(day=1) + timedelta(days=32)).replace(day=1)
    assert waiting.not_before.replace(tzinfo=UTC) >= first_of_next.replace(
        hour=0, minute=0, second=0, microsecond=0)
    async with events_on(database_url) as store:
        assert await store.proactive("zalo_oa", month_of(datetime.now(UTC))) == 2


# ---- the app secret ---------------------------------------------------------------------------


def test_an_oa_without_the_app_secret_is_refused_naming_the_setting(
        oa: FakeZaloOA, database_url: str, tmp_path: Path) -> None:
    env = environ(oa, database_url)
    del env["PHOCAP_ZALO_OA_APP_SECRET"]
    with pytest.raises(SettingsError) as raised:
        load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    assert raised.value.name == "PHOCAP_ZALO_OA_APP_SECRET"
    for locale in ("vi", "en"):
        assert "PHOCAP_ZALO_OA_APP_SECRET" in CATALOGUE.text(raised.value.key, locale)


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
    await served.texts(1)
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
    async with serve(oa, database_url, tmp_path, seeded=False) as served:
        await served.send(event("user_send_text", USER, "/help"))
        await served.texts(1)
    assert oa.refresh_calls == ["RT-1"]
    assert {s.access_token for s in oa.sent} == {"AT-2"}


async def test_a_token_whose_end_is_not_known_is_renewed_at_start_and_its_expiry_stored(
    oa: FakeZaloOA, database_url: str, tmp_path: Path
) -> None:
    async with serve(oa, database_url, tmp_path, seeded=False) as served, \
            store_on(database_url) as store:
        deadline = time.monotonic() + 10
        while (pair := await store.load()) is None or pair.access_token == "AT-1":
            if time.monotonic() > deadline:
                raise AssertionError("the token was not renewed")
            await asyncio.sleep(0.05)
        assert served.oa.sent == []  # before any message: not only after a refusal
    assert oa.refresh_calls == ["RT-1"]
    assert pair is not None and pair.access_token == "AT-2" and pair.expires_at is not None
    assert timedelta(hours=24) < pair.expires_at - datetime.now(UTC) <= timedelta(hours=25)


async def test_after_a_restart_the_stored_pair_is_used_not_the_spent_one(
    oa: FakeZaloOA, database_url: str, tmp_path: Path
) -> None:
    async with serve(oa, database_url, tmp_path, seeded=False) as first:
        assert first.channel.tokens is not None
        # Refreshed and stored, then the process "dies" before using the new token.
        await first.channel.tokens.refresh(TokenPair("AT-1", "RT-1"))
    assert oa.refresh_calls == ["RT-1"]
    async with serve(oa, database_url, tmp_path, seeded=False) as second:  # AT-1 / RT-1
        await second.send(event("user_send_text", USER, "/help"))
        await second.texts(1)
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
