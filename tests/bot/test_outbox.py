"""The outbox sender: once, in order per chat, with retries, dead letters and restarts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.appkeys import RUNTIME
from bot.channels.base import DeliveryFailed
from bot.channels.telegram import TELEGRAM
from bot.channels.webchat import setup_webchat
from bot.outbox import OUTBOX, OutboxSender, RetryPolicy
from bot.runtime import Runtime, open_runtime
from bot.server import make_app
from bot.settings import Settings, load_settings
from core.i18n import load_catalogue
from core.messages import Reply, reply_to_dict
from core.model import ChatState, OutboxMessage
from core.services.outbox import enqueue
from handlers.engine import Outcome
from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.models import OutboxRow
from storage.outbox import message_from_row, outbox_problems
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes.telegram_api import FakeTelegramAPI

CATALOGUE = load_catalogue()
T0 = datetime(2023, 9, 12, 2, 30, tzinfo=UTC)
WEB_TOKEN = "00112233445566778899aabbccddeeff"


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeSender:
    """Records what it delivered; fails the messages named in `fail` (by their text param)."""

    delivered: list[tuple[str, str]] = field(default_factory=list)
    fail: dict[str, list[Exception]] = field(default_factory=dict)
    delay: float = 0.0
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.ready.set()

    async def wait_for(self, n: int) -> None:
        """Until n messages were delivered."""
        while len(self.delivered) < n:
            self.changed.clear()
            await self.changed.wait()

    async def deliver(self, chat_id: str, outcome: Outcome) -> None:
        [reply] = outcome.replies
        label = str(reply.params["text"])
        if self.delay:
            await asyncio.sleep(self.delay)
        errors = self.fail.get(label)
        if errors:
            raise errors.pop(0) if len(errors) > 1 else errors[0]
        self.delivered.append((chat_id, label))
        self.changed.set()


def message(chat_id: str, label: str, channel: str = "fake") -> OutboxMessage:
    return OutboxMessage(
        id=0, channel=channel, chat_id=chat_id, locale="en",
        reply=reply_to_dict(Reply("units-not-found", {"text": label})),
        dedupe_key=f"test:{channel}:{chat_id}:{label}", created_at=T0, not_before=T0,
    )


async def queue(uow: SqlUnitOfWorkFactory, *messages: OutboxMessage) -> None:
    async with uow() as u:
        for m in messages:
            assert await u.outbox.add(m)
        await u.commit()


async def rows(uow: SqlUnitOfWorkFactory) -> dict[str, OutboxMessage]:
    """The outbox rows by their text param."""
    async with uow() as u:
        found = await u.session.scalars(select(OutboxRow).order_by(OutboxRow.id))
        return {str(r.reply["params"]["text"]): message_from_row(r) for r in found}


def sender_for(
    uow: SqlUnitOfWorkFactory, fake: FakeSender, clock: Clock, **kw: object
) -> OutboxSender:
    kw.setdefault("pace", 0)
    return OutboxSender(uow, {"fake": fake}, clock=clock, rng=random.Random(7), **kw)  # type: ignore[arg-type]


# ---- with a fake channel, on both backends -------------------------------------------------


async def test_two_senders_on_one_database_deliver_each_message_once_in_order(database_url):
    messages = [message(f"chat-{c}", f"{c}-{n}") for n in range(4) for c in range(6)]
    engines = [make_engine(database_url), make_engine(database_url)]  # two processes
    try:
        uows = [SqlUnitOfWorkFactory(make_sessionmaker(e)) for e in engines]
        await queue(uows[0], *messages)
        fake = FakeSender(delay=0.01)  # one channel both send through, so doubles would show
        senders = [
            OutboxSender(u, {"fake": fake}, pace=0, poll=0.05, batch=4) for u in uows
        ]
        tasks = [asyncio.create_task(s.run()) for s in senders]
        try:
            await asyncio.wait_for(fake.wait_for(len(messages)), 20)
            await asyncio.sleep(0.3)  # time for a double send to show, if there were one
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        assert sorted(label for _c, label in fake.delivered) == sorted(
            str(m.reply["params"]["text"]) for m in messages  # type: ignore[index]
        )
        for c in range(6):
            to_chat = [label for chat, label in fake.delivered if chat == f"chat-{c}"]
            assert to_chat == [f"{c}-{n}" for n in range(4)]
        assert all(r.sent_at is not None for r in (await rows(uows[0])).values())
    finally:
        for e in engines:
            await e.dispose()


async def test_a_failure_is_retried_after_a_back_off_then_delivered(uow):
    await queue(uow, message("a", "hello"))
    clock = Clock()
    fake = FakeSender(fail={"hello": [ConnectionError("reset")]})  # until cleared
    sender = sender_for(uow, fake, clock)

    assert await sender.run_once() == 1
    row = (await rows(uow))["hello"]
    assert (row.attempts, row.last_error, row.sent_at) == (1, "ConnectionError", None)
    wait = (row.not_before - T0).total_seconds()
    assert 8 <= wait <= 12  # 10 s, give or take the jitter

    assert await sender.run_once() == 0  # not due yet
    clock.advance(wait + 1)
    fake.fail.clear()
    assert await sender.run_once() == 1
    assert fake.delivered == [("a", "hello")]
    row = (await rows(uow))["hello"]
    assert row.sent_at is not None and row.attempts == 1


async def test_a_chats_next_message_waits_while_the_one_before_is_failing(uow):
    await queue(uow, message("a", "first"), message("a", "second"), message("b", "other"))
    clock = Clock()
    fake = FakeSender(fail={"first": [TimeoutError()]})
    sender = sender_for(uow, fake, clock)

    await sender.run_once()
    await sender.run_once()
    assert fake.delivered == [("b", "other")]  # chat b is not held up by chat a

    clock.advance(60)
    fake.fail.clear()
    await sender.run_once()
    await sender.run_once()
    assert [label for chat, label in fake.delivered if chat == "a"] == ["first", "second"]


async def test_after_the_last_attempt_a_message_is_dead_with_its_reason_and_the_chat_goes_on(uow):
    await queue(uow, message("a", "doomed"), message("a", "next"))
    clock = Clock()
    fake = FakeSender(fail={"doomed": [ConnectionRefusedError()]})
    sender = sender_for(uow, fake, clock, policy=RetryPolicy(delays=(1, 2), max_attempts=3))

    for _ in range(3):
        assert await sender.run_once() == 1
        clock.advance(10)
    row = (await rows(uow))["doomed"]
    assert (row.dead, row.attempts, row.last_error) == (True, 3, "ConnectionRefusedError")

    await sender.run_once()
    assert fake.delivered == [("a", "next")]
    async with uow() as u:
        problems = await outbox_problems(u.session, 10)
    assert [(p.dead, p.reply["params"]) for p in problems] == [(True, {"text": "doomed"})]


async def test_a_final_refusal_is_dead_at_once(uow):
    await queue(uow, message("a", "blocked"))
    refused = DeliveryFailed("telegram Forbidden: bot was blocked", permanent=True)
    fake = FakeSender(fail={"blocked": [refused]})
    sender = sender_for(uow, fake, Clock())

    await sender.run_once()

    row = (await rows(uow))["blocked"]
    assert (row.dead, row.attempts) == (True, 1)
    assert row.last_error == "telegram Forbidden: bot was blocked"


async def test_a_new_sender_carries_on_where_a_crashed_one_stopped(uow):
    await queue(uow, message("a", "one"), message("a", "two"), message("b", "three"))
    clock = Clock()
    # A sender claims the heads of both chats and dies before sending: the rows stay leased.
    async with uow() as u:
        leased = await u.outbox.claim(["fake"], T0, T0 + timedelta(minutes=2), 10)
        await u.commit()
    assert len(leased) == 2

    fake = FakeSender()
    restarted = sender_for(uow, fake, clock)
    assert await restarted.run_once() == 0  # the lease still runs: nothing sent twice
    clock.advance(121)
    while await restarted.run_once():
        pass
    assert sorted(fake.delivered) == [("a", "one"), ("a", "two"), ("b", "three")]
    assert [x for x in fake.delivered if x[0] == "a"] == [("a", "one"), ("a", "two")]


async def test_one_message_a_second_per_chat(uow):
    await queue(uow, message("a", "one"), message("a", "two"))
    fake = FakeSender()
    sender = OutboxSender(uow, {"fake": fake}, pace=0.3)
    loop = asyncio.get_running_loop()

    start = loop.time()
    await sender.run_once()
    await sender.run_once()

    assert [label for _c, label in fake.delivered] == ["one", "two"]
    assert loop.time() - start >= 0.3


async def test_channels_without_a_sender_are_left_alone(uow):
    await queue(uow, message("a", "for later", channel="zalo"))
    fake = FakeSender()

    assert await sender_for(uow, fake, Clock()).run_once() == 0
    assert (await rows(uow))["for later"].attempts == 0


# ---- the web chat pulls ------------------------------------------------------------------


@asynccontextmanager
async def web_client(database_url: str) -> AsyncIterator[TestClient]:
    engine = make_engine(database_url)
    runtime = Runtime(Settings(), engine, SqlUnitOfWorkFactory(make_sessionmaker(engine)),
                      CATALOGUE)
    app = web.Application()
    app[RUNTIME] = runtime
    setup_webchat(app)
    try:
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        await engine.dispose()


async def test_the_web_chat_pulls_its_queued_messages_once(database_url):
    async with web_client(database_url) as client:
        runtime = client.app[RUNTIME]
        await queue(runtime.uow, message(WEB_TOKEN, "first", "web"),
                    message(WEB_TOKEN, "second", "web"), message("f" * 32, "not yours", "web"))

        got = await (await client.get(f"/chat/api/updates?chat={WEB_TOKEN}&after=0")).json()
        texts = [m["text"] for m in got["messages"]]
        assert texts == [CATALOGUE.text("units-not-found", "en", text=t)
                         for t in ("first", "second")]
        assert got["last"] == got["messages"][-1]["id"]

        again = await (await client.get(
            f"/chat/api/updates?chat={WEB_TOKEN}&after={got['last']}")).json()
        assert again == {"messages": [], "last": got["last"]}
        marked = await rows(runtime.uow)
        assert marked["first"].sent_at is not None and marked["not yours"].sent_at is None

        bad = await client.get("/chat/api/updates?chat=not-a-token&after=0")
        assert bad.status == 400


# ---- through the real Telegram channel -----------------------------------------------------


@pytest.fixture
def migrated(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'phocap.db'}"

    async def go() -> None:
        engine = make_engine(url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(go())
    yield url


@asynccontextmanager
async def telegram_app(url: str, api: FakeTelegramAPI, tmp_path: Path) -> AsyncIterator[Runtime]:
    """The whole app, its Telegram channel started against the fake."""
    env = {"PHOCAP_DATABASE_URL": url, "PHOCAP_TELEGRAM_TOKEN": api.token,
           "PHOCAP_TELEGRAM_API_URL": api.base_url}
    settings = load_settings(environ=env, toml_path=tmp_path / "absent.toml")
    async with open_runtime(settings) as runtime:
        app = make_app(runtime)
        # Polls rarely, so that a quick delivery proves the commit woke it.
        app[OUTBOX] = OutboxSender(runtime.uow, app[OUTBOX].senders, poll=30)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            await asyncio.wait_for(app[TELEGRAM].ready.wait(), 5)
            yield runtime
        finally:
            await server.close()


async def test_queued_telegram_messages_are_sent_once_and_a_block_is_final(migrated, tmp_path):
    async with FakeTelegramAPI() as api, telegram_app(migrated, api, tmp_path) as runtime:
        api.fail_next("sendMessage")  # the first one: 403, the user blocked the bot
        chat = ChatState(id=0, channel="telegram", chat_id="4242", locale="en")
        async with runtime.uow() as u:
            for label in ("blocked", "hello"):
                await enqueue(u, chat, Reply("units-not-found", {"text": label}),
                              f"t:{label}", datetime.now(UTC))
            await u.commit()

        [_refused, sent] = await api.wait_for_messages(4242, 2, timeout=5)
        assert sent["text"] == CATALOGUE.text("units-not-found", "en", text="hello")
        await asyncio.sleep(0.3)
        assert len(api.sent_messages(4242)) == 2  # nothing sent twice
        found = await rows(runtime.uow)
        assert found["blocked"].dead and "Forbidden" in (found["blocked"].last_error or "")
        assert found["hello"].sent_at is not None
    assert api.unknown == []
