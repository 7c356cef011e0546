"""The Zalo Bot Platform channel against a fake Bot API on 127.0.0.1 (answering as the
platform's documentation says) and the real dispatcher: updates recorded, answered at once,
handled in the background, replies through the outbox."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from bot.appkeys import RUNTIME
from bot.channels.zalo_bot import (
    TEXT_LIMIT,
    WEBHOOK_PATH,
    ZALO,
    Retry,
    ZaloChannel,
    messages,
    to_inbound,
    unwrap,
)
from bot.outbox import OUTBOX
from bot.runtime import open_runtime
from bot.seed import read_unit_file
from bot.server import make_app
from bot.settings import load_settings
from core.i18n import load_catalogue
from core.messages import Kind, Reply
from core.model import Role
from core.services.linking import create_invite
from core.services.units import import_units
from handlers.engine import Outcome
from storage.models import PledgeRow, ProcessedUpdateRow, ResidentRow
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_zalo_oa import settled
from tests.conftest import SYSTEM
from tests.fakes.zalo_bot_api import SECRET_HEADER, FakeZaloBotAPI, post_webhook

CATALOGUE = load_catalogue()
SECRET = "zalo-webhook-secret-for-tests"
PUBLIC_URL = "https://phocap.example"
USER = "6ede9afa66b88fe6d6a9"


def vi(key: str, **params: object) -> str:
    return CATALOGUE.text(key, "vi", **params)


def number_of(text: str, label: str) -> str:
    """The number a reader types for label in a numbered menu."""
    for line in text.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and number.isdigit() and rest == label:
            return number
    raise AssertionError(f"{label!r} is not in the menu:\n{text}")


@dataclass
class Served:
    api: FakeZaloBotAPI
    server: TestServer
    channel: ZaloChannel

    @property
    def base_url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def say(self, text: str, chat_id: str = USER) -> list[str]:
        """Polling: the user writes; what the bot answered to this message."""
        before = len(self.api.sent(chat_id))
        self.api.push_text(chat_id, text)
        await self.settle()
        return self.api.sent(chat_id)[before:]

    async def settle(self) -> None:
        """Every update handed over, recorded and handled; nothing due in the outbox."""
        if not self.channel.webhook:
            await self.api.wait_idle()
        await settled(self.server.app[RUNTIME].engine)


def environ(api: FakeZaloBotAPI, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "PHOCAP_DATABASE_URL": database_url,
        "PHOCAP_ZALO_TOKEN": api.token,
        "PHOCAP_ZALO_API_URL": api.base_url,
        **{f"PHOCAP_{k.upper()}": v for k, v in extra.items()},
    }


@asynccontextmanager
async def serve(api: FakeZaloBotAPI, env: dict[str, str], tmp_path: Path
                ) -> AsyncIterator[Served]:
    """Our app (real dispatcher) on 127.0.0.1, with the Zalo channel started against the fake."""
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime)
        channel = app[ZALO]
        channel.retry = Retry(base=0.01, cap=0.05)  # the same policy, quicker
        channel.poll_timeout = 1
        channel.events.every = 0.1
        app[OUTBOX]._pace = 0  # one message a second per chat is for real users
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            await channel.ready.wait()
            yield Served(api, server, channel)
        finally:
            await server.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeZaloBotAPI]:
    async with FakeZaloBotAPI() as fake:
        yield fake
    assert fake.unknown == [], f"Bot API methods the fake does not know: {fake.unknown}"


@pytest.fixture
async def polling(api: FakeZaloBotAPI, database_url: str, tmp_path: Path
                  ) -> AsyncIterator[Served]:
    async with serve(api, environ(api, database_url), tmp_path) as served:
        yield served


@pytest.fixture
async def webhook(api: FakeZaloBotAPI, database_url: str, tmp_path: Path
                  ) -> AsyncIterator[Served]:
    env = environ(api, database_url, public_url=PUBLIC_URL, zalo_webhook_secret=SECRET)
    async with serve(api, env, tmp_path) as served:
        yield served


async def processed(database_url: str) -> int:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url})
    async with open_runtime(settings) as runtime, runtime.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(ProcessedUpdateRow)) or 0)


# ---- polling ---------------------------------------------------------------------------------


async def test_start_gets_the_menu_as_numbered_text_and_a_typed_number_answers_it(
    polling: Served,
) -> None:
    [welcome, menu] = await polling.say("/start")
    assert welcome == vi("chat-start-public")
    assert menu.splitlines()[0] == vi("menu-public")
    assert f"{number_of(menu, vi('menu-lang'))}. {vi('menu-lang')}" in menu
    assert menu.endswith(vi("menu-answer-many", first="1, 2", last="3"))

    [choose] = await polling.say(number_of(menu, vi("menu-lang")))
    assert choose.startswith(vi("chat-lang-choose"))
    [done, english_menu] = await polling.say(number_of(choose, vi("lang-en")))
    assert done == CATALOGUE.text("chat-lang-set", "en")
    assert english_menu.splitlines()[0] == CATALOGUE.text("menu-public", "en")
    assert all(len(text) <= TEXT_LIMIT for text in polling.api.sent())


async def test_polling_deletes_a_leftover_webhook_and_survives_getupdates_errors(
    polling: Served,
) -> None:
    assert polling.api.count("deleteWebhook") == 1
    polling.api.fail("getUpdates", 500, times=2)
    assert await polling.say("/help") != []  # the loop backed off, then carried on


async def test_a_run_of_403s_on_getupdates_is_an_alert_and_polling_goes_on(
    polling: Served, caplog: pytest.LogCaptureFixture
) -> None:
    polling.api.server_error("getUpdates", times=5)  # the platform's "Internal server error"
    assert await polling.say("/help") != []
    alerts = [r.getMessage() for r in caplog.records
              if r.levelno == logging.ERROR and r.name == "bot.channels.zalo_bot"]
    assert len(alerts) == 1 and "5 time(s) in a row" in alerts[0]
    assert "Internal server error" in alerts[0]


async def test_a_sticker_gets_the_hint_to_type(polling: Served) -> None:
    polling.api.push("message.sticker.received", polling.api.message(USER))
    await polling.settle()
    assert polling.api.sent(USER)[0] == vi("chat-unsupported")


async def test_a_group_message_gets_the_one_to_one_notice(polling: Served) -> None:
    polling.api.push_text("group-9", "/start", chat_type="GROUP")
    await polling.settle()
    assert polling.api.sent("group-9") == [vi("chat-group-only")]


# ---- sending: retries ------------------------------------------------------------------------


async def test_429_is_waited_out_and_sent_once(polling: Served) -> None:
    polling.api.fail("sendMessage", 429, retry_after=0)
    replies = await polling.say("/help")
    assert len(replies) == 2
    assert polling.api.count("sendMessage") == 3  # the refused one, then two delivered


async def test_a_500_is_retried_with_backoff(polling: Served) -> None:
    polling.api.fail("sendMessage", 500, times=2)
    assert len(await polling.say("/help")) == 2
    assert polling.api.count("sendMessage") == 4


async def test_a_400_is_not_retried_and_the_next_message_still_works(polling: Served) -> None:
    polling.api.fail("sendMessage", 400)
    [menu] = await polling.say("/help")  # the help failed for good; the menu after it went
    assert menu.splitlines()[0] == vi("menu-public")
    assert polling.api.count("sendMessage") == 2
    assert len(await polling.say("/help")) == 2


async def test_a_500_that_lasts_is_given_up_after_a_few_attempts(polling: Served) -> None:
    polling.api.fail("sendMessage", 503, times=10)
    assert await polling.say("/help") == []
    assert polling.api.count("sendMessage") == Retry().attempts


async def test_a_403_is_the_platforms_trouble_retried_with_backoff(polling: Served) -> None:
    polling.api.server_error("sendMessage", times=2)  # documented: "Internal server error"
    assert len(await polling.say("/help")) == 2
    assert polling.api.count("sendMessage") == 4


async def test_a_403_at_start_is_retried_not_taken_for_a_revoked_token(
    api: FakeZaloBotAPI, database_url: str, tmp_path: Path
) -> None:
    api.server_error("setWebhook")
    env = environ(api, database_url, public_url=PUBLIC_URL, zalo_webhook_secret=SECRET)
    async with serve(api, env, tmp_path) as served:  # serve waits for the channel's ready
        assert served.channel.ready.is_set()
    assert api.count("setWebhook") >= 2


# ---- webhook ---------------------------------------------------------------------------------


async def test_the_webhook_answers_at_once_while_zalo_is_slow_to_take_the_reply(
        webhook: Served) -> None:
    first = {"event_name": "message.text.received",
             "message": webhook.api.message(USER, "/start")}
    await post_webhook(webhook.base_url, first, SECRET)  # warm: the first connection
    await webhook.settle()
    webhook.api.stall("sendMessage", 10.0)
    update = {"event_name": "message.text.received",
              "message": webhook.api.message(USER, "/help")}
    body = json.dumps(update).encode()
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        began = time.monotonic()
        async with session.post(webhook.base_url + WEBHOOK_PATH, data=body,
                                headers=headers) as response:
            status = response.status
        took = time.monotonic() - began
    assert status == 200
    assert took < 0.2, f"the webhook took {took:.3f} s"


async def test_webhook_mode_sets_the_webhook_with_the_secret(webhook: Served) -> None:
    assert webhook.api.webhook == {"url": PUBLIC_URL + WEBHOOK_PATH, "secret_token": SECRET}
    assert webhook.api.count("getUpdates") == 0


async def test_webhook_update_flat_or_wrapped_is_answered(webhook: Served) -> None:
    flat = {"event_name": "message.text.received",
            "message": webhook.api.message(USER, "/start")}
    assert await post_webhook(webhook.base_url, flat, SECRET) == 200
    await webhook.settle()
    assert webhook.api.sent(USER)[0] == vi("chat-start-public")
    wrapped = {"ok": True, "result": {"event_name": "message.text.received",
                                      "message": webhook.api.message(USER, "/help")}}
    assert await post_webhook(webhook.base_url, wrapped, SECRET) == 200
    await webhook.settle()
    assert webhook.api.sent(USER)[2] == vi("chat-help-public")


async def test_a_replayed_update_is_answered_once(webhook: Served) -> None:
    update = {"event_name": "message.text.received",
              "message": webhook.api.message(USER, "/start")}
    assert await post_webhook(webhook.base_url, update, SECRET) == 200
    assert await post_webhook(webhook.base_url, update, SECRET) == 200
    await webhook.settle()
    assert len(webhook.api.sent(USER)) == 2


async def test_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    webhook: Served, database_url: str
) -> None:
    update = {"event_name": "message.text.received",
              "message": webhook.api.message(USER, "/start")}
    assert await post_webhook(webhook.base_url, update, "not-the-secret") == 403
    assert await post_webhook(webhook.base_url, update, None) == 403
    assert await post_webhook(webhook.base_url, update, SECRET[:-1]) == 403
    await webhook.settle()
    assert webhook.api.sent() == []
    assert await processed(database_url) == 0


async def test_malformed_unknown_and_oversized_bodies(webhook: Served) -> None:
    assert await post_webhook(webhook.base_url, b"{not json", SECRET) == 400
    assert await post_webhook(webhook.base_url, b"[1, 2]", SECRET) == 400
    unknown = {"event_name": "message.reaction.received",
               "message": webhook.api.message(USER, "/start")}
    assert await post_webhook(webhook.base_url, unknown, SECRET) == 200
    no_message = {"event_name": "message.unsupported.received"}
    assert await post_webhook(webhook.base_url, no_message, SECRET) == 200
    huge = b'{"event_name": "message.text.received", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert await post_webhook(webhook.base_url, huge, SECRET) == 413
    await webhook.settle()
    assert webhook.api.sent() == []


async def test_without_a_proper_secret_webhook_mode_stays_off(
    api: FakeZaloBotAPI, database_url: str, tmp_path: Path
) -> None:
    env = environ(api, database_url, public_url=PUBLIC_URL, zalo_webhook_secret="short")
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime)
        assert ZALO not in app
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            url = str(server.make_url("")).rstrip("/")
            assert await post_webhook(url, {"event_name": "x"}, "short") == 403
        finally:
            await server.close()
    assert api.calls == []


# ---- the funnel and the rendering, without a server -----------------------------------------


def test_to_inbound_maps_events_kinds_and_ids() -> None:
    message = {"message_id": "m1", "text": "xin chao",
               "from": {"id": "u1", "display_name": "An"},
               "chat": {"id": "u1", "chat_type": "PRIVATE"}, "date": 1750316131602}
    text = to_inbound({"event_name": "message.text.received", "message": message})
    assert text is not None
    assert (text.chat_id, text.user_id, text.display_name, text.update_id, text.kind,
            text.text) == ("u1", "u1", "An", "m1", Kind.TEXT, "xin chao")
    image = to_inbound({"event_name": "message.image.received", "message": message})
    assert image is not None and image.kind is Kind.UNSUPPORTED and image.text is None
    group = {**message, "chat": {"id": "g1", "chat_type": "GROUP"}}
    grouped = to_inbound({"event_name": "message.text.received", "message": group})
    assert grouped is not None and grouped.kind is Kind.GROUP and grouped.chat_id == "g1"
    assert to_inbound({"event_name": "message.unsupported.received"}) is None
    assert to_inbound({"event_name": "something.else", "message": message}) is None
    assert unwrap({"ok": True, "result": {"event_name": "e"}}) == {"event_name": "e"}


def test_long_replies_are_cut_under_2000_between_words() -> None:
    long_text = " ".join(f"word{n}" for n in range(900))
    outcome = Outcome(locale="vi", replies=[Reply("units-not-found", {"text": long_text})])
    pieces = messages(CATALOGUE, outcome)
    assert len(pieces) > 1
    assert all(len(p) <= TEXT_LIMIT for p in pieces)
    words = re.findall(r"word\d+", " ".join(pieces))  # each word whole, none lost
    assert words == [f"word{n}" for n in range(900)]


# ---- the scenario of the issue, typed only ----------------------------------------------------


async def test_a_village_head_links_registers_and_pledges_by_typing(
    polling: Served, database_url: str
) -> None:
    code = await invite_village_head(database_url)
    [linked, menu] = await polling.say(code)
    assert linked.startswith(vi("link-done", name="Ma Van Long", unit="", role="")[:8])
    assert menu.splitlines()[0] == vi("menu-village_head")

    [ask_household] = await polling.say(number_of(menu, vi("menu-register")))
    assert ask_household.startswith(vi("registration-ask-household"))
    await polling.say(number_of(ask_household, vi("registration-household-new")))
    await polling.say("-")  # no household code
    [ask_poverty] = await polling.say("Hoang Van Thao")
    [ask_policy] = await polling.say(number_of(ask_poverty, vi("registration-poverty-poor")))
    [ask_phone] = await polling.say(number_of(ask_policy, vi("registration-policy-merit")))
    await polling.say(number_of(ask_phone, vi("registration-no")))
    await polling.say("Hoang Van Thao")
    [ask_id] = await polling.say("14/02/1975")
    assert ask_id.startswith(vi("registration-ask-citizen-id"))

    wrong = await polling.say("006075000")  # nine digits: refused, asked again
    assert len(wrong) == 2 and wrong[-1].startswith(vi("registration-ask-citizen-id"))
    [ask_has] = await polling.say("006075000123")
    await polling.say(number_of(ask_has, vi("registration-no")))
    await polling.say("0912 345 678")
    [summary] = await polling.say(vi("registration-yes"))  # consent, typed as its label
    assert "006075000123" in summary
    done = await polling.say(number_of(summary, vi("dialog-confirm")))
    assert "02173-01-001" in done[-1]  # another member of this household?
    menu = (await polling.say(number_of(done[-1], vi("registration-more-no"))))[-1]

    [ask_kind] = await polling.say(number_of(menu, vi("menu-pledge")))
    await polling.say(number_of(ask_kind, vi("pledge-kind-money")))
    [where] = await polling.say("2000000")
    assert len(re.findall(r"^\d+\. ", where, flags=re.M)) == 9  # anywhere and 8 communes
    [donor] = await polling.say("1")
    [contact] = await polling.say(number_of(donor, vi("pledge-anonymous")))
    [pledge_summary] = await polling.say(number_of(contact, vi("pledge-skip")))
    pledged = await polling.say(number_of(pledge_summary, vi("dialog-confirm")))
    assert pledged[-1].splitlines()[0] == vi("menu-village_head")
    assert all(len(text) <= TEXT_LIMIT for text in polling.api.sent())

    async with counting(database_url) as count:
        assert await count(ResidentRow) == 1
        assert await count(PledgeRow) == 1


async def invite_village_head(database_url: str) -> str:
    """Units imported and a village head invited, as an officer would with `phocap invite`."""
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url})
    async with open_runtime(settings) as runtime:
        uow: SqlUnitOfWorkFactory = runtime.uow
        dataset, records = read_unit_file()
        async with uow() as u:
            now = datetime.now(UTC)
            await import_units(u, SYSTEM, dataset, records, now)
            village = await u.units.by_code("2023", "02173-01")
            assert village is not None
            _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, village.id,
                                          "Ma Van Long", now)
            await u.commit()
    return code


@asynccontextmanager
async def counting(database_url: str) -> AsyncIterator[object]:
    settings = load_settings(environ={"PHOCAP_DATABASE_URL": database_url})
    async with open_runtime(settings) as runtime, runtime.engine.connect() as conn:
        async def count(table: type) -> int:
            return int(await conn.scalar(select(func.count()).select_from(table)) or 0)
        yield count
