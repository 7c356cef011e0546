"""The outbox over both Zalo channels: queued notifications go out once; final refusals die."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.appkeys import RUNTIME
from bot.outbox import OUTBOX
from core.i18n import load_catalogue
from core.messages import Channel, Reply
from core.model import ChatState, OutboxMessage
from core.services.outbox import enqueue
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_outbox import rows
from tests.bot.test_zalo_bot import environ as bot_environ
from tests.bot.test_zalo_bot import serve as serve_bot
from tests.bot.test_zalo_oa import serve as serve_oa
from tests.fakes.zalo_bot_api import FakeZaloBotAPI
from tests.fakes.zalo_oa_api import FakeZaloOA

CATALOGUE = load_catalogue()


async def queue(uow: SqlUnitOfWorkFactory, channel: Channel, chat_id: str, *labels: str) -> None:
    chat = ChatState(id=0, channel=channel.value, chat_id=chat_id, locale="en")
    async with uow() as u:
        for label in labels:
            await enqueue(u, chat, Reply("units-not-found", {"text": label}),
                          f"{channel.value}:{label}", datetime.now(UTC))
        await u.commit()


async def settled(uow: SqlUnitOfWorkFactory, labels: set[str],
                  within: float = 5.0) -> dict[str, OutboxMessage]:
    """The rows once every one of labels is sent or dead."""
    deadline = time.monotonic() + within
    while True:
        found = await rows(uow)
        if all(found[k].sent_at is not None or found[k].dead for k in labels):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not settled: {found}")
        await asyncio.sleep(0.05)


def expected(label: str) -> str:
    return CATALOGUE.text("units-not-found", "en", text=label)


async def test_zalo_bot_notifications_are_sent_once_and_a_refusal_is_final(
        database_url: str, tmp_path: Path) -> None:
    async with FakeZaloBotAPI() as api, serve_bot(api, bot_environ(api, database_url),
                                                  tmp_path) as served:
        uow = served.server.app[RUNTIME].uow
        assert Channel.ZALO.value in served.server.app[OUTBOX].senders
        # A 400 is final for that message (the platform's 403 is its own trouble: retried).
        api.fail("sendMessage", 400, description="Bad Request: chat not found")
        await queue(uow, Channel.ZALO, "z-1", "blocked", "hello")
        found = await settled(uow, {"blocked", "hello"})
        await asyncio.sleep(0.2)
        assert api.sent("z-1") == [expected("hello")]  # once, and the refused one never
        assert found["blocked"].dead and "400" in (found["blocked"].last_error or "")
        assert found["hello"].sent_at is not None


async def test_zalo_bot_server_trouble_is_retried_not_dropped(
        database_url: str, tmp_path: Path) -> None:
    async with FakeZaloBotAPI() as api, serve_bot(api, bot_environ(api, database_url),
                                                  tmp_path) as served:
        uow = served.server.app[RUNTIME].uow
        api.fail("sendMessage", 502, times=20)  # more than the channel's own quick retries
        await queue(uow, Channel.ZALO, "z-2", "later")
        deadline = time.monotonic() + 10
        while (row := (await rows(uow))["later"]).attempts == 0:
            assert time.monotonic() < deadline, "no attempt recorded"
            await asyncio.sleep(0.05)
        assert not row.dead and row.sent_at is None and "ZaloApiError" in (row.last_error or "")


async def test_zalo_oa_outside_the_window_is_dead_and_kept_for_the_admin(
        database_url: str, tmp_path: Path) -> None:
    async with FakeZaloOA() as oa, serve_oa(oa, database_url, tmp_path) as served:
        uow = served.server.app[RUNTIME].uow
        assert Channel.ZALO_OA.value in served.server.app[OUTBOX].senders
        oa.outside_window.add("u-away")
        await queue(uow, Channel.ZALO_OA, "u-away", "away")
        await queue(uow, Channel.ZALO_OA, "u-here", "here")
        found = await settled(uow, {"away", "here"})
        assert found["away"].dead and "-230" in (found["away"].last_error or "")
        assert oa.texts("u-here") == [expected("here")]
        assert oa.texts("u-away") == []
        [refused] = await served.channel.store.refused()  # type: ignore[union-attr]
        assert (refused.chat_id, refused.error_code) == ("u-away", -230)
