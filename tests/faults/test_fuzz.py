"""Bad input thrown at random: the real dialogs on a real database always answer, render,
and leave each chat in a state they can carry on from; malformed webhooks are refused with
4xx, never a 500, and store nothing."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import open_runtime
from bot.server import make_app
from bot.settings import load_settings
from core.i18n import load_catalogue
from core.messages import Channel, Inbound, Kind
from core.services.receiving import ReceiptForm, record_receipt
from handlers.rendering import render
from handlers.setup import build_dispatcher, dialogs
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.journeys.common import seed

CATALOGUE = load_catalogue()
STEPS = {d.name: {s.name for s in d.steps} for d in dialogs(CATALOGUE)}
WORDS = ["/start", "/pledge", "/register", "/help", "/cancel", "/back", "/lang en", "/list",
         "/handover", "1", "2", "3", "9", "0", "yes", "no", "confirm", "skip", "2tr",
         "2.000.000", "31/02/1990", "01/01/1980", "006075000123", "0912345678", "con minh",
         "\u0000", "\u202e", "\U0001f600" * 50, "x" * 5000, "", "   ", "ABCD-1234",
         "ACDEF-GHJKM", "N\u00f4ng V\u0103n An"]
message = st.one_of(st.sampled_from(WORDS), st.text(max_size=300))


@pytest.fixture(scope="module")
def database(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(seed(url))
    return url


async def conversation(url: str, chat: str, texts: list[str], kinds: list[Kind]) -> None:
    engine = make_engine(url)
    try:
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        dispatcher = build_dispatcher(uow, CATALOGUE, "2023", ZoneInfo("Asia/Ho_Chi_Minh"))
        for n, (text, kind) in enumerate(zip(texts, kinds, strict=True)):
            msg = Inbound(channel=Channel.WEB, chat_id=chat, text=text, kind=kind,
                          update_id=f"{chat}-{n}")
            outcome = await dispatcher.handle(msg)
            assert outcome.replies, f"no answer to {text!r}"
            for reply in outcome.replies:
                render(CATALOGUE, reply, outcome.locale)  # every field filled, every key known
            async with uow() as u:
                state = await u.chats.get_or_create("web", chat, datetime.now(UTC))
            if state.dialog is not None:
                assert state.dialog in STEPS, state.dialog
    finally:
        await engine.dispose()


_chats = iter(range(10**9))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(message, min_size=1, max_size=12),
       kinds=st.lists(st.sampled_from([Kind.TEXT, Kind.TEXT, Kind.TEXT, Kind.UNSUPPORTED]),
                      min_size=12, max_size=12))
def test_any_messages_get_an_answer_and_leave_a_valid_state(
        database: str, texts: list[str], kinds: list[Kind]) -> None:
    asyncio.run(conversation(database, f"fuzz-{next(_chats)}", texts, kinds[:len(texts)]))


def webhook_env(database: str, api: FakeTelegramAPI) -> dict[str, str]:
    """Both webhooks on, with their secrets, against the fake (Zalo's calls go there too)."""
    return {"PHOCAP_DATABASE_URL": database, "PHOCAP_TELEGRAM_TOKEN": api.token,
            "PHOCAP_TELEGRAM_API_URL": api.base_url,
            "PHOCAP_PUBLIC_URL": "https://phocap.example",
            "PHOCAP_TELEGRAM_WEBHOOK_SECRET": "fuzz-Secret_123",
            "PHOCAP_ZALO_TOKEN": "123:abc", "PHOCAP_ZALO_API_URL": api.base_url,
            "PHOCAP_ZALO_WEBHOOK_SECRET": "fuzz-zalo-secret"}


BAD_BODIES: list[bytes] = [
    b"", b"not json", b"[]", b"null", b"42", b'"text"', b"{", b'{"update_id": "x"}',
    b'{"update_id": 1, "message": "hello"}', b'{"update_id": 1, "message": {"chat": 5}}',
    b'{"update_id": 1, "callback_query": {"data": 1}}', "\u00ff".encode("latin-1"),
]


async def test_malformed_webhooks_are_refused_and_never_crash(database: str,
                                                              tmp_path: Path) -> None:
    async with FakeTelegramAPI() as api:
        env = webhook_env(database, api)
        settings_ = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
        async with open_runtime(settings_) as rt:
            async with TestClient(TestServer(make_app(rt), host="127.0.0.1")) as client:
                statuses = []
                for body in BAD_BODIES:
                    for path, header, secret in (
                            ("/webhook/telegram", "X-Telegram-Bot-Api-Secret-Token",
                             "fuzz-Secret_123"),
                            ("/webhook/zalo", "X-Bot-Api-Secret-Token", "fuzz-zalo-secret")):
                        answer = await client.post(path, data=body, headers={
                            header: secret, "Content-Type": "application/json"})
                        statuses.append((path, body[:20], answer.status))
    assert all(s < 500 for _, _, s in statuses), [x for x in statuses if x[2] >= 500]


async def test_oversized_webhooks_are_refused_before_they_are_read(database: str,
                                                                   tmp_path: Path) -> None:
    async with FakeTelegramAPI() as api:
        env = webhook_env(database, api)
        settings_ = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
        async with open_runtime(settings_) as rt, \
                TestClient(TestServer(make_app(rt), host="127.0.0.1")) as client:
            big = b'{"update_id": 1, "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
            telegram = await client.post("/webhook/telegram", data=big, headers={
                "X-Telegram-Bot-Api-Secret-Token": "fuzz-Secret_123",
                "Content-Type": "application/json"})
            zalo = await client.post("/webhook/zalo", data=big[: 1536 * 1024], headers={
                "X-Bot-Api-Secret-Token": "fuzz-zalo-secret",
                "Content-Type": "application/json"})
    assert (telegram.status, zalo.status) == (413, 413)


async def test_html_in_a_donors_name_is_shown_as_text(database: str, tmp_path: Path) -> None:
    engine = make_engine(database)
    try:
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        async with uow() as u:
            province = await u.units.by_code("2023", "06")
            assert province is not None
            await record_receipt(u, SYSTEM, ReceiptForm(
                province.id, phones=1, donor_name="<script>alert(1)</script> Shop"),
                datetime.now(UTC))
            await u.commit()
    finally:
        await engine.dispose()
    settings_ = load_settings(environ={"PHOCAP_DATABASE_URL": database},
                              toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings_) as rt, \
            TestClient(TestServer(make_app(rt), host="127.0.0.1")) as client:
        html = await (await client.get("/public")).text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Shop" in html
