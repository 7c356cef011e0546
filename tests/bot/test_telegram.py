"""The Telegram channel: real python-telegram-bot against a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.channels.telegram import (
    TELEGRAM,
    WEBHOOK_PATH,
    TelegramChannel,
    deep_link,
    file_url,
    keyboard,
    locale_of,
)
from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import SettingsError, load_settings
from core.i18n import load_catalogue
from core.messages import Channel, Inbound, Kind, Option, Reply
from handlers.engine import Outcome
from handlers.rendering import Button, split_text
from tests.fakes.telegram_api import FakeTelegramAPI, post_update

CATALOGUE = load_catalogue()
SECRET = "s3cret-Token_for-tests"
PUBLIC_URL = "https://phocap.example"
CHAT = 4242
YES_NO = (Option("yes", label="Yes"), Option("no", label="No"))


def echo(msg: Inbound) -> list[Reply]:
    """A reply naming what came in, with two short buttons."""
    said = msg.text or msg.choice or msg.kind.value
    return [Reply("units-not-found", {"text": said}, YES_NO)]


class EchoDispatcher:
    """Stands in for handlers.engine.Dispatcher: records what it got, answers with replies."""

    def __init__(self, replies: Callable[[Inbound], list[Reply]] = echo) -> None:
        self.seen: list[Inbound] = []
        self.replies = replies
        self.down = False  # True: behave like a dispatcher whose database is down

    async def handle(self, msg: Inbound) -> Outcome:
        self.seen.append(msg)
        if self.down:
            raise ConnectionError("database down")
        return Outcome(locale="en", replies=self.replies(msg))


def said(text: str) -> str:
    return CATALOGUE.text("units-not-found", "en", text=text)


@dataclass
class Served:
    server: TestServer
    channel: TelegramChannel

    def url(self, path: str = WEBHOOK_PATH) -> str:
        return str(self.server.make_url(path))


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake
    assert fake.unknown == [], f"Bot API methods the fake does not know: {fake.unknown}"


def environ(api: FakeTelegramAPI, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'phocap.db'}",
        "PHOCAP_TELEGRAM_TOKEN": api.token,
        "PHOCAP_TELEGRAM_API_URL": api.base_url,
        **{f"PHOCAP_{k.upper()}": v for k, v in extra.items()},
    }


@asynccontextmanager
async def serve(
    env: dict[str, str], dispatcher: object, tmp_path: Path, ready: bool = True
) -> AsyncIterator[Served]:
    """Our aiohttp app on 127.0.0.1 with the Telegram channel started against the fake."""
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        server = TestServer(make_app(runtime, dispatcher), host="127.0.0.1")  # type: ignore[arg-type]
        await server.start_server()
        try:
            channel = server.app[TELEGRAM]
            if ready:
                await asyncio.wait_for(channel.ready.wait(), 5)
            yield Served(server, channel)
        finally:
            await server.close()


@pytest.fixture
async def polling(
    api: FakeTelegramAPI, tmp_path: Path
) -> AsyncIterator[tuple[FakeTelegramAPI, EchoDispatcher]]:
    dispatcher = EchoDispatcher()
    async with serve(environ(api, tmp_path), dispatcher, tmp_path):
        yield api, dispatcher


@pytest.fixture
async def webhook(
    api: FakeTelegramAPI, tmp_path: Path
) -> AsyncIterator[tuple[FakeTelegramAPI, EchoDispatcher, Served]]:
    dispatcher = EchoDispatcher()
    env = environ(api, tmp_path, public_url=PUBLIC_URL, telegram_webhook_secret=SECRET)
    async with serve(env, dispatcher, tmp_path) as served:
        yield api, dispatcher, served


# ---- polling ---------------------------------------------------------------------------------


async def test_polling_turns_a_message_into_inbound_and_sends_the_rendered_reply(polling):
    api, dispatcher = polling
    update = api.push_text(CHAT, "/start ABC123")

    [sent] = await api.wait_for_messages(CHAT, 1)

    assert sent["text"] == said("/start ABC123")
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]
        ]
    }
    assert dispatcher.seen == [
        Inbound(
            channel=Channel.TELEGRAM,
            chat_id=str(CHAT),
            text="/start ABC123",
            update_id=str(update["update_id"]),
            user_id=str(CHAT),
            display_name="Lan Hoang",
            locale="vi",
            kind=Kind.TEXT,
        )
    ]
    assert api.calls_to("deleteWebhook"), "polling clears a webhook left from a previous run"
    assert api.calls_to("getMe")


async def test_a_pressed_button_is_a_choice_and_its_query_is_answered(polling):
    api, dispatcher = polling
    update = api.push_callback(CHAT, "yes")

    [sent] = await api.wait_for_messages(CHAT, 1)

    assert sent["text"] == said("yes")
    [msg] = dispatcher.seen
    assert (msg.kind, msg.choice, msg.text) == (Kind.CHOICE, "yes", None)
    answered = api.calls_to("answerCallbackQuery")
    assert [a["callback_query_id"] for a in answered] == [update["callback_query"]["id"]]


async def test_a_sticker_is_unsupported(polling):
    api, dispatcher = polling
    api.push_sticker(CHAT)

    await api.wait_for_messages(CHAT, 1)

    assert [m.kind for m in dispatcher.seen] == [Kind.UNSUPPORTED]
    assert dispatcher.seen[0].text is None


async def test_anything_in_a_group_is_group(polling):
    api, dispatcher = polling
    api.push_text(-100_777, "/start", chat_type="supergroup")
    api.push_text(-555, "hello", chat_type="group")

    await api.wait_for_messages(-555, 1)
    await api.wait_for_messages(-100_777, 1)

    assert sorted((m.chat_id, m.kind) for m in dispatcher.seen) == [
        ("-100777", Kind.GROUP),
        ("-555", Kind.GROUP),
    ]


async def test_replies_to_one_chat_keep_their_order(polling):
    api, _dispatcher = polling
    for n in range(5):
        api.push_text(CHAT, f"message {n}")

    sent = await api.wait_for_messages(CHAT, 5)

    assert [m["text"] for m in sent] == [said(f"message {n}") for n in range(5)]


async def test_a_failed_send_is_logged_without_the_text_and_polling_goes_on(polling, caplog):
    api, dispatcher = polling
    api.fail_next("sendMessage")  # 403: the user blocked the bot
    with caplog.at_level(logging.INFO, logger="bot.channels.telegram"):
        api.push_text(CHAT, "private words 012345678901")
        await api.wait_until(lambda: bool(api.calls_to("sendMessage")), 5, "a send attempt")
        api.push_text(CHAT, "again")
        _failed, sent = await api.wait_for_messages(CHAT, 2)

    assert sent["text"] == said("again")
    assert len(dispatcher.seen) == 2
    assert "Forbidden" in caplog.text
    assert "012345678901" not in caplog.text


# ---- long texts and keyboards ----------------------------------------------------------------


async def test_a_long_text_is_split_under_4096_at_word_boundaries(api, tmp_path):
    words = " ".join(f"word{n}" for n in range(2000))  # about 15,000 characters
    dispatcher = EchoDispatcher(lambda _m: [Reply("units-not-found", {"text": words}, YES_NO)])
    async with serve(environ(api, tmp_path), dispatcher, tmp_path):
        api.push_text(CHAT, "long please")
        await api.wait_for_messages(CHAT, 4)
        await asyncio.sleep(0.2)  # let any further piece arrive

    sent = api.sent_messages(CHAT)
    assert len(sent) == len(split_text(said(words), 4096)) > 3
    assert all(len(m["text"]) <= 4096 for m in sent)
    assert " ".join(m["text"] for m in sent).split() == said(words).split()
    assert [bool(m.get("reply_markup")) for m in sent] == [False] * (len(sent) - 1) + [True]


def test_short_labels_go_two_to_a_row_long_ones_one():
    short = keyboard([Button("Yes", "y"), Button("No", "n"), Button("Back", "b")])
    long = keyboard([Button("Register a resident", "r"), Button("No", "n")])

    assert short is not None and [len(row) for row in short.inline_keyboard] == [2, 1]
    assert long is not None and [len(row) for row in long.inline_keyboard] == [1, 1]
    assert keyboard([]) is None


def test_callback_data_over_64_bytes_or_not_ascii_is_refused():
    with pytest.raises(ValueError):
        keyboard([Button("x", "v" * 65)])
    with pytest.raises(ValueError):
        keyboard([Button("x", "\u00e9")])


# ---- webhook ---------------------------------------------------------------------------------


async def test_webhook_mode_sets_the_webhook_with_its_secret_and_does_not_poll(webhook):
    api, _dispatcher, _served = webhook

    [call] = api.calls_to("setWebhook")

    assert call["url"] == PUBLIC_URL + WEBHOOK_PATH
    assert call["secret_token"] == SECRET
    assert api.calls_to("getUpdates") == []


@pytest.mark.parametrize("secret", [None, "wrong", "", SECRET + "x", "\u00e9"])
async def test_webhook_without_the_right_secret_is_403_and_never_dispatched(webhook, secret):
    api, dispatcher, served = webhook

    status = await post_update(served.url(), api.text_update(CHAT, "hi"), secret)

    assert status == 403
    assert dispatcher.seen == []
    assert api.calls_to("sendMessage") == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b'{"message": 5}'])
async def test_webhook_with_a_malformed_body_is_400(webhook, body):
    _api, dispatcher, served = webhook

    assert await post_update(served.url(), body, SECRET) == 400
    assert dispatcher.seen == []


async def test_webhook_with_the_secret_is_processed_before_the_answer(webhook):
    api, dispatcher, served = webhook
    update = api.text_update(CHAT, "/help", language_code="en-US")

    assert await post_update(served.url(), update, SECRET) == 200

    assert api.sent_texts(CHAT) == [said("/help")]
    [msg] = dispatcher.seen
    assert (msg.text, msg.locale, msg.update_id) == ("/help", "en", str(update["update_id"]))


async def test_webhook_answers_500_when_the_dispatcher_fails_so_telegram_retries(webhook):
    api, dispatcher, served = webhook
    dispatcher.down = True

    assert await post_update(served.url(), api.text_update(CHAT, "hi"), SECRET) == 500
    assert api.calls_to("sendMessage") == []


async def test_the_same_update_twice_reaches_the_dispatcher_twice_with_its_id(webhook):
    api, dispatcher, served = webhook
    update = api.callback_update(CHAT, "no")

    assert await post_update(served.url(), update, SECRET) == 200
    assert await post_update(served.url(), update, SECRET) == 200

    ids = [m.update_id for m in dispatcher.seen]
    assert ids == [str(update["update_id"])] * 2


async def test_the_server_starts_while_telegram_is_down_and_the_channel_follows(api, tmp_path):
    api.fail_next("getMe", 502, "Bad Gateway")
    dispatcher = EchoDispatcher()
    env = environ(api, tmp_path, public_url=PUBLIC_URL, telegram_webhook_secret=SECRET)
    async with serve(env, dispatcher, tmp_path, ready=False) as served:
        await api.wait_for_call("getMe")
        early = await post_update(served.url(), api.text_update(CHAT, "hi"), SECRET)
        await asyncio.wait_for(served.channel.ready.wait(), 5)  # retried after a second
        later = await post_update(served.url(), api.text_update(CHAT, "hi"), SECRET)

    assert (early, later) == (503, 200)  # 503: Telegram delivers it again later
    assert len(api.calls_to("getMe")) == 2
    assert len(dispatcher.seen) == 1


async def test_webhook_route_is_403_when_polling(polling_served):
    status = await post_update(polling_served.url(), {"update_id": 1}, SECRET)
    assert status == 403


@pytest.fixture
async def polling_served(api: FakeTelegramAPI, tmp_path: Path) -> AsyncIterator[Served]:
    env = environ(api, tmp_path, telegram_webhook_secret=SECRET)
    async with serve(env, EchoDispatcher(), tmp_path) as served:
        yield served


async def test_without_a_token_the_route_is_403_and_no_channel_starts(tmp_path):
    env = {"PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'phocap.db'}"}
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime, EchoDispatcher())  # type: ignore[arg-type]
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            status = await post_update(str(server.make_url(WEBHOOK_PATH)), {"update_id": 1}, "x")
        finally:
            await server.close()
    assert status == 403
    assert TELEGRAM not in app


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        ("", "settings-telegram-webhook-secret"),
        ("has spaces", "settings-telegram-webhook-secret-chars"),
    ],
)
async def test_a_webhook_without_a_usable_secret_refuses_to_start(api, tmp_path, secret, key):
    env = environ(api, tmp_path, public_url=PUBLIC_URL, telegram_webhook_secret=secret)
    with pytest.raises(SettingsError) as err:
        load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    assert (err.value.name, err.value.key) == ("PHOCAP_TELEGRAM_WEBHOOK_SECRET", key)


# ---- small helpers ---------------------------------------------------------------------------


def test_deep_link_opens_the_bot_with_a_start_payload():
    assert deep_link("@phocap_bot", "H-12_ab") == "https://t.me/phocap_bot?start=H-12_ab"
    with pytest.raises(ValueError):
        deep_link("phocap_bot", "has space")


def test_only_vietnamese_and_english_are_taken_from_the_client():
    from telegram import User

    def user(code: str | None) -> User:
        return User(1, "A", False, language_code=code)

    assert [locale_of(user(c), CATALOGUE.locales) for c in ("vi", "en-GB", "EN", "fr", None)] == [
        "vi",
        "en",
        "en",
        None,
        None,
    ]
    assert locale_of(None, CATALOGUE.locales) is None


def test_the_file_url_sits_beside_the_api_url():
    assert file_url("https://api.telegram.org/bot") == "https://api.telegram.org/file/bot"
    assert file_url("http://127.0.0.1:8081/bot") == "http://127.0.0.1:8081/file/bot"


# ---- the real dispatcher ---------------------------------------------------------------------


async def test_start_and_help_through_the_real_dispatcher(api, tmp_path, database_url):
    env = {**environ(api, tmp_path), "PHOCAP_DATABASE_URL": database_url}
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        server = TestServer(make_app(runtime), host="127.0.0.1")
        await server.start_server()
        try:
            await asyncio.wait_for(server.app[TELEGRAM].ready.wait(), 5)
            api.push_text(CHAT, "/start")
            start, menu = await api.wait_for_messages(CHAT, 2)
            api.push_callback(CHAT, "cmd:help")
            _, _, helped, _ = await api.wait_for_messages(CHAT, 4)
        finally:
            await server.close()

    assert start["text"] == CATALOGUE.text("chat-start-public", "vi")
    assert menu["text"] == CATALOGUE.text("menu-public", "vi")
    buttons = [b for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert [b["callback_data"] for b in buttons] == ["cmd:pledge", "cmd:help", "cmd:lang"]
    assert helped["text"] == CATALOGUE.text("chat-help-public", "vi")


async def test_a_replayed_webhook_update_is_answered_once_by_the_real_dispatcher(
    api, tmp_path, database_url
):
    env = {
        **environ(api, tmp_path, public_url=PUBLIC_URL, telegram_webhook_secret=SECRET),
        "PHOCAP_DATABASE_URL": database_url,
    }
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    update = api.text_update(CHAT, "/help", language_code="en")
    async with open_runtime(settings) as runtime:
        server = TestServer(make_app(runtime), host="127.0.0.1")
        await server.start_server()
        try:
            await asyncio.wait_for(server.app[TELEGRAM].ready.wait(), 5)
            url = str(server.make_url(WEBHOOK_PATH))
            assert await post_update(url, update, SECRET) == 200
            assert await post_update(url, update, SECRET) == 200
        finally:
            await server.close()

    assert api.sent_texts(CHAT) == [
        CATALOGUE.text("chat-help-public", "en"),
        CATALOGUE.text("menu-public", "en"),
    ]


async def test_a_get_me_it_cannot_read_is_logged_retried_and_shown_not_a_silent_end(
        api, tmp_path, caplog):
    """Issue 19's case: an emulator answered getMe without is_bot; PTB raised something other
    than a TelegramError and the start task ended with no word. Now: logged with its cause,
    retried after a pause, "retrying" in /healthz (still 200: the database answers), and the
    channel starts once getMe is readable."""
    del api.me["is_bot"]
    env = environ(api, tmp_path, public_url=PUBLIC_URL, telegram_webhook_secret=SECRET)
    with caplog.at_level(logging.ERROR, logger="bot.channels.base"):
        async with serve(env, EchoDispatcher(), tmp_path, ready=False) as served:
            await api.wait_for_call("getMe")
            await api.wait_until(lambda: served.channel.status.snapshot().failures > 0, 5,
                                 "a failure")
            async with aiohttp.ClientSession() as http, \
                    http.get(served.url("/healthz")) as health:
                during = (health.status, await health.json())
            api.me["is_bot"] = True
            await asyncio.wait_for(served.channel.ready.wait(), 5)  # retried after a second
            async with aiohttp.ClientSession() as http, \
                    http.get(served.url("/healthz")) as health:
                after = await health.json()

    assert during == (200, {"status": "ok", "database": True,
                            "channels": {"telegram": "retrying"}})
    assert after["channels"] == {"telegram": "running"}
    assert len(api.calls_to("getMe")) >= 2
    [record] = [r for r in caplog.records if "telegram: cannot start" in r.getMessage()]
    assert "TypeError: User.__init__() missing" in record.getMessage()
    assert "(at telegram/_telegramobject.py:" in record.getMessage()  # where it was raised
    assert api.token not in caplog.text
    assert served.channel.status.snapshot().errors[0][1] == "TypeError"
