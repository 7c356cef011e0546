"""The web chat through HTTP: a tiny app with setup_webchat and a recording fake dispatcher."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.appkeys import DISPATCHER, RUNTIME
from bot.channels.webchat import MAX_TEXT, setup_webchat
from bot.runtime import Runtime
from bot.server import make_app
from bot.settings import Settings
from core.i18n import Catalogue, load_catalogue
from core.messages import Channel, Inbound, Kind, Option, Reply
from handlers.engine import Dispatcher, Outcome
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory

TOKEN = "0123456789abcdef0123456789abcdef"
QR_PAYLOAD = "PHOCAP-HANDOVER-7F3A"
START_PARAMS = {"text": "line one\nline two <b>not bold</b>"}


class FakeDispatcher(Dispatcher):
    """Answers like the real one would, in catalogue keys; records every Inbound it got."""

    def __init__(self) -> None:
        self.received: list[Inbound] = []
        self._seen: set[tuple[str, str | None]] = set()
        self._failed_once: set[str] = set()

    async def handle(self, msg: Inbound) -> Outcome:
        self.received.append(msg)
        locale = msg.locale or "vi"
        if (msg.chat_id, msg.update_id) in self._seen:
            return Outcome(locale)  # a replay: nothing to say, as the real dispatcher does
        if msg.text == "flaky" and msg.chat_id not in self._failed_once:
            self._failed_once.add(msg.chat_id)  # fails the first time only: a lost connection
            raise RuntimeError("database went away")
        self._seen.add((msg.chat_id, msg.update_id))
        return Outcome(locale, [self.answer(msg)])

    @staticmethod
    def answer(msg: Inbound) -> Reply:
        if msg.text == "/start":
            return Reply("units-not-found", START_PARAMS, options=START_OPTIONS)
        if msg.choice == "qr":
            return Reply("units-parent-missing", {"code": "qr"}, qr=QR_PAYLOAD)
        if msg.choice is not None:
            return Reply("units-parent-missing", {"code": msg.choice})
        return Reply("units-not-found", {"text": msg.text}, options=START_OPTIONS)


START_OPTIONS = (
    Option("lang-vi", key="webchat-lang-vi"),
    Option("lang-en", key="webchat-lang-en"),
    Option("village-1", label="Na Dam"),
)


@asynccontextmanager
async def tiny_app(settings: Settings | None = None
                   ) -> AsyncIterator[tuple[web.Application, FakeDispatcher]]:
    """setup_webchat on an app that holds only what it needs; the engine is never connected."""
    engine = make_engine("sqlite+aiosqlite://")
    runtime = Runtime(
        settings=settings or Settings(),
        engine=engine,
        uow=SqlUnitOfWorkFactory(make_sessionmaker(engine)),
        catalogue=load_catalogue(),
    )
    app = web.Application()
    app[RUNTIME] = runtime
    dispatcher = FakeDispatcher()
    app[DISPATCHER] = dispatcher
    setup_webchat(app)
    try:
        yield app, dispatcher
    finally:
        await engine.dispose()


@pytest.fixture
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
async def chat() -> AsyncIterator[tuple[TestClient[web.Request, web.Application], FakeDispatcher]]:
    async with tiny_app() as (app, dispatcher):
        async with TestClient(TestServer(app)) as client:
            yield client, dispatcher


Chat = tuple[TestClient[web.Request, web.Application], FakeDispatcher]


def message(**fields: object) -> dict[str, object]:
    return {"chat": TOKEN, "id": "m1", **fields}


# --- the page and its files ---------------------------------------------------------------


async def test_page_is_served_in_vietnamese_by_default(chat: Chat, catalogue: Catalogue) -> None:
    client, _ = chat
    response = await client.get("/chat")
    page = await response.text()
    assert response.status == 200
    assert response.content_type == "text/html"
    assert '<html lang="vi">' in page
    assert catalogue.text("webchat-title", "vi") in page
    assert catalogue.text("webchat-send", "vi") in page
    assert "{{" not in page
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


async def test_page_in_english_with_lang_en(chat: Chat, catalogue: Catalogue) -> None:
    client, _ = chat
    page = await (await client.get("/chat?lang=en")).text()
    assert '<html lang="en">' in page
    assert catalogue.text("webchat-title", "en") in page
    assert catalogue.text("webchat-title", "vi") not in page


async def test_unknown_language_falls_back_to_the_default(chat: Chat, catalogue: Catalogue) -> None:
    client, _ = chat
    page = await (await client.get("/chat?lang=fr")).text()
    assert '<html lang="vi">' in page


async def test_page_links_only_local_versioned_files(chat: Chat) -> None:
    client, _ = chat
    page = await (await client.get("/chat")).text()
    links = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert set(links) >= {"?lang=vi", "?lang=en"}
    assets = [link for link in links if link.startswith("/chat/static/")]
    assert len(assets) == 2
    assert all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in assets)
    assert "http" not in " ".join(links)


@pytest.mark.parametrize(
    ("name", "content_type"), [("chat.js", "text/javascript"), ("chat.css", "text/css")]
)
async def test_static_files_are_served_with_long_caching(
    chat: Chat, name: str, content_type: str
) -> None:
    client, _ = chat
    response = await client.get(f"/chat/static/{name}?v=whatever")
    assert response.status == 200
    assert response.content_type == content_type
    assert "max-age=31536000" in response.headers["Cache-Control"]
    static = resources.files("bot.channels") / "static"
    assert await response.read() == (static / name).read_bytes()


@pytest.mark.parametrize("name", ["chat.html", "missing.js", "..%2Fwebchat.py"])
async def test_other_static_names_are_not_found(chat: Chat, name: str) -> None:
    client, _ = chat
    assert (await client.get(f"/chat/static/{name}")).status == 404


def test_every_page_placeholder_has_a_text_in_both_catalogues(catalogue: Catalogue) -> None:
    static = resources.files("bot.channels") / "static"
    template = (static / "chat.html").read_text(encoding="utf-8")
    keys = {k for k in re.findall(r"\{\{([a-z0-9-]+)\}\}", template) if k.startswith("webchat-")}
    used_by_code = {"webchat-error-bad-request", "webchat-error-text-too-long"}
    for locale in ("vi", "en"):
        assert keys | used_by_code <= catalogue.keys(locale)
    webchat_vi = {k for k in catalogue.keys("vi") if k.startswith("webchat-")}
    assert webchat_vi == {k for k in catalogue.keys("en") if k.startswith("webchat-")}


async def test_make_app_serves_the_chat(catalogue: Catalogue) -> None:
    async with tiny_app() as (app, dispatcher):
        wired = make_app(app[RUNTIME], dispatcher)
        async with TestClient(TestServer(wired)) as client:
            assert (await client.get("/chat")).status == 200
            answer = await client.post("/chat/api/messages", json=message(text="/start"))
            assert answer.status == 200
        assert [m.text for m in dispatcher.received] == ["/start"]


# --- messages -------------------------------------------------------------------------------


async def test_text_round_trip_renders_text_and_buttons(chat: Chat, catalogue: Catalogue) -> None:
    client, dispatcher = chat
    response = await client.post("/chat/api/messages", json=message(text="/start", lang="vi"))
    assert response.status == 200
    data = await response.json()
    assert data["locale"] == "vi"
    [shown] = data["messages"]
    assert shown["text"] == catalogue.text("units-not-found", "vi", **START_PARAMS)
    assert shown["buttons"] == [
        {"label": catalogue.text("webchat-lang-vi", "vi"), "value": "lang-vi"},
        {"label": catalogue.text("webchat-lang-en", "vi"), "value": "lang-en"},
        {"label": "Na Dam", "value": "village-1"},
    ]
    assert shown["qr"] is None
    assert dispatcher.received == [
        Inbound(
            Channel.WEB, TOKEN, text="/start", update_id=f"{TOKEN}:m1", locale="vi", kind=Kind.TEXT,
            address="127.0.0.1",  # the client's address: wrong invite codes count per address
        )
    ]


async def test_replies_are_rendered_in_the_outcome_language(
    chat: Chat, catalogue: Catalogue
) -> None:
    client, _ = chat
    data = await (await client.post("/chat/api/messages", json=message(text="x", lang="en"))).json()
    assert data["locale"] == "en"
    assert data["messages"][0]["text"] == catalogue.text("units-not-found", "en", text="x")


async def test_choice_is_passed_as_kind_choice(chat: Chat, catalogue: Catalogue) -> None:
    client, dispatcher = chat
    response = await client.post("/chat/api/messages", json=message(choice="village-1"))
    assert response.status == 200
    [inbound] = dispatcher.received
    assert (inbound.kind, inbound.choice, inbound.text) == (Kind.CHOICE, "village-1", None)
    assert inbound.locale is None
    data = await response.json()
    assert data["messages"][0]["text"] == catalogue.text(
        "units-parent-missing", "vi", code="village-1"
    )


async def test_qr_payload_is_passed_through(chat: Chat) -> None:
    client, _ = chat
    data = await (await client.post("/chat/api/messages", json=message(choice="qr"))).json()
    assert data["messages"][0]["qr"] == QR_PAYLOAD


async def test_same_message_id_twice_reaches_the_dispatcher_with_that_id(chat: Chat) -> None:
    client, dispatcher = chat
    first = await client.post("/chat/api/messages", json=message(text="hello", id="retry-1"))
    again = await client.post("/chat/api/messages", json=message(text="hello", id="retry-1"))
    assert [m.update_id for m in dispatcher.received] == [f"{TOKEN}:retry-1"] * 2
    assert len((await first.json())["messages"]) == 1
    assert (await again.json())["messages"] == []  # the dispatcher saw a replay


async def test_same_message_id_in_two_chats_is_two_updates(chat: Chat) -> None:
    """Replay markers are per channel: the chat token keeps clients' ids apart."""
    client, dispatcher = chat
    other = "f" * 64
    await client.post("/chat/api/messages", json=message(text="hi", id="1"))
    await client.post("/chat/api/messages", json=message(chat=other, text="hi", id="1"))
    assert [m.update_id for m in dispatcher.received] == [f"{TOKEN}:1", f"{other}:1"]
    assert max(len(m.update_id or "") for m in dispatcher.received) <= 100


async def test_longest_message_id_fits_the_replay_marker(chat: Chat) -> None:
    client, dispatcher = chat
    other = "f" * 64
    response = await client.post(
        "/chat/api/messages", json=message(chat=other, text="hi", id="x" * 35)
    )
    assert response.status == 200
    assert len(dispatcher.received[0].update_id or "") == 100


async def test_dispatcher_failure_is_a_500_the_page_can_retry(
    chat: Chat, catalogue: Catalogue
) -> None:
    client, _ = chat
    failed = await client.post("/chat/api/messages", json=message(text="flaky"))
    assert failed.status == 500
    assert (await failed.json())["message"] == catalogue.text("webchat-error-server", "vi")
    retried = await client.post("/chat/api/messages", json=message(text="flaky"))
    assert retried.status == 200


# --- refused requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", [None, "", "abc", "g" * 32, "a" * 31, "a" * 65, "A" * 32, 12345, TOKEN + " "]
)
async def test_bad_chat_token_is_refused(chat: Chat, catalogue: Catalogue, token: object) -> None:
    client, dispatcher = chat
    response = await client.post("/chat/api/messages", json=message(chat=token, text="hi"))
    assert response.status == 400
    assert (await response.json())["message"] == catalogue.text("webchat-error-bad-request", "vi")
    assert dispatcher.received == []


async def test_longest_token_is_accepted(chat: Chat) -> None:
    client, _ = chat
    response = await client.post("/chat/api/messages", json=message(chat="f" * 64, text="hi"))
    assert response.status == 200


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "hi", "choice": "a"},  # both
        {},  # neither
        {"text": "   "},
        {"text": 5},
        {"choice": ""},
        {"choice": "x" * 65},
        {"text": "hi", "id": None},
        {"text": "hi", "id": "has space"},
        {"text": "hi", "id": "x" * 36},
        {"text": "hi", "lang": "fr"},
    ],
)
async def test_malformed_message_is_refused(chat: Chat, fields: dict[str, object]) -> None:
    client, dispatcher = chat
    body = {"chat": TOKEN, "id": "m1", **fields}
    response = await client.post("/chat/api/messages", json=body)
    assert response.status == 400
    assert dispatcher.received == []


async def test_text_over_the_limit_is_refused_with_a_message(
    chat: Chat, catalogue: Catalogue
) -> None:
    client, dispatcher = chat
    fine = await client.post("/chat/api/messages", json=message(text="a" * MAX_TEXT))
    assert fine.status == 200
    response = await client.post(
        "/chat/api/messages", json=message(text="a" * (MAX_TEXT + 1), id="m2", lang="en")
    )
    assert response.status == 400
    expected = catalogue.text("webchat-error-text-too-long", "en", limit=MAX_TEXT)
    assert (await response.json())["message"] == expected
    assert len(dispatcher.received) == 1


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b"", b'"text"'])
async def test_malformed_json_is_refused(chat: Chat, body: bytes) -> None:
    client, _ = chat
    response = await client.post(
        "/chat/api/messages", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400


async def test_body_over_64_kb_is_refused(chat: Chat, catalogue: Catalogue) -> None:
    client, dispatcher = chat
    response = await client.post("/chat/api/messages", json=message(text="a" * 70_000))
    assert response.status == 413
    assert (await response.json())["message"] == catalogue.text("webchat-error-too-large", "vi")
    assert dispatcher.received == []


async def test_chunked_body_over_64_kb_is_refused(chat: Chat) -> None:
    """No Content-Length to trust: the limit holds while reading."""
    client, _ = chat

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 8192

    response = await client.post("/chat/api/messages", data=chunks())
    assert response.status == 413


async def test_the_client_address_is_read_through_trusted_proxies_only() -> None:
    # the left end of X-Forwarded-For is whatever the client wrote: read from the right, and
    # only when the connection comes from a trusted proxy
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9"}
    for proxies, expected in (("", "127.0.0.1"), ("127.0.0.1", "203.0.113.9"),
                              ("127.0.0.1, 203.0.113.0/24", "198.51.100.1")):
        async with tiny_app(Settings(trusted_proxies=proxies)) as (app, dispatcher):
            async with TestClient(TestServer(app, host="127.0.0.1")) as client:
                sent = await client.post("/chat/api/messages", json=message(text="hi"),
                                         headers=forwarded)
                assert sent.status == 200
        assert dispatcher.received[-1].address == expected
