"""Two `phocap run` processes on one PostgreSQL, each webhook delivered to either at random:
every dialog ends as if there were one process, each chat's replies come in order, and
nothing is stored or sent twice; notifications queued meanwhile go out once each, in order."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.channels.telegram import WEBHOOK_PATH
from core.messages import Reply
from core.model import ChatState
from core.services.outbox import enqueue
from storage.db import make_engine, make_sessionmaker
from storage.models import PledgeRow
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli import free_port
from tests.fakes.telegram_api import FakeTelegramAPI, Params, post_update
from tests.journeys.common import CATALOGUE, ROOT, seed
from tests.journeys.test_gift import pledge_one_phone
from tests.journeys.test_telegram import PUBLIC_URL, SECRET, TelegramUser

DONORS = 8


class Balancer:
    """What a load balancer does for TelegramUser: each update to one process at random."""

    webhook = True

    def __init__(self, urls: list[str], seed_: int = 7) -> None:
        self.urls = urls
        self.rng = random.Random(seed_)
        self.hits = dict.fromkeys(urls, 0)

    async def deliver(self, update: Params) -> None:
        url = self.rng.choice(self.urls)
        self.hits[url] += 1
        status = await post_update(url + WEBHOOK_PATH, update, SECRET)
        assert status == 200, f"{url} answered {status}"


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
def processes(pg_url: str, api: FakeTelegramAPI, tmp_path: Path) -> Iterator[list[str]]:
    asyncio.run(seed(pg_url))
    ports = [free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    running = []
    for port in ports:
        running.append(subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / f"run-{port}.log", "w"),
            env={**env, "PHOCAP_DATABASE_URL": pg_url, "PHOCAP_PORT": str(port),
                 "PHOCAP_TELEGRAM_TOKEN": api.token, "PHOCAP_TELEGRAM_API_URL": api.base_url,
                 "PHOCAP_PUBLIC_URL": PUBLIC_URL, "PHOCAP_TELEGRAM_WEBHOOK_SECRET": SECRET,
                 "PHOCAP_SECRET_KEY": "two-processes-share-this-key",
                 "PHOCAP_CONFIG": str(tmp_path / "none.toml"), "PYTHONPATH": str(ROOT)}))
    try:
        yield [f"http://127.0.0.1:{p}" for p in ports]
    finally:
        for proc in running:
            proc.terminate()
            proc.wait(timeout=20)


async def ready(urls: list[str], api: FakeTelegramAPI) -> None:
    """Each process answers /healthz and has set its webhook (so it accepts updates)."""
    async with aiohttp.ClientSession() as http:
        for url in urls:
            for _ in range(150):
                try:
                    async with http.get(url + "/healthz") as answer:
                        if answer.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise AssertionError(f"{url} did not come up")
    for _ in range(100):
        if len(api.calls_to("setWebhook")) >= len(urls):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the processes did not set their webhooks")


async def test_dialogs_spread_over_two_processes_end_as_with_one(
        api: FakeTelegramAPI, processes: list[str], pg_url: str) -> None:
    await ready(processes, api)
    balancer = Balancer(processes)
    donors = [TelegramUser(api, balancer, 9100 + n) for n in range(DONORS)]  # type: ignore[arg-type]
    codes = await asyncio.gather(*(pledge_one_phone(d) for d in donors))
    for donor in donors:
        await donor.settled()  # exactly the replies expected, in the dialog's order
    assert all(hits > 5 for hits in balancer.hits.values()), balancer.hits
    assert len(set(codes)) == DONORS
    engine = make_engine(pg_url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            stored = await u.session.scalar(select(func.count(PledgeRow.id)))
            quantities = list(await u.session.scalars(select(PledgeRow.quantity)))
    finally:
        await engine.dispose()
    assert stored == DONORS and quantities == [1] * DONORS

    # Notifications queued by a service (as a receipt or a report queues them): each goes
    # out once, in order per chat, though both processes' senders watch the table.
    chats = [str(9200 + n) for n in range(4)]
    before = len(api.calls_to("sendMessage"))
    for label in ("one", "two"):
        for chat in chats:
            await queue_notice(pg_url, chat, label)
    await api.wait_until(lambda: len(api.calls_to("sendMessage")) >= before + 8, 15,
                         "eight notifications")
    await asyncio.sleep(0.5)  # time for a double to show, if there were one
    assert len(api.calls_to("sendMessage")) == before + 8
    for chat in chats:
        assert api.sent_texts(chat) == [notice(label) for label in ("one", "two")]


def notice(label: str) -> str:
    return CATALOGUE.text("units-not-found", "vi", text=label)


async def queue_notice(url: str, chat_id: str, label: str) -> None:
    chat = ChatState(id=0, channel="telegram", chat_id=chat_id, locale="vi")
    engine = make_engine(url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            await enqueue(u, chat, Reply("units-not-found", {"text": label}),
                          f"two:{chat_id}:{label}", datetime.now(UTC))
            await u.commit()
    finally:
        await engine.dispose()
