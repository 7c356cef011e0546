"""A `phocap run` process killed (SIGKILL) while the Bot API holds its sendMessage unanswered:
the message stays leased ("sending") by the dead process; after a restart it is sent again
once the lease (PHOCAP_OUTBOX_LEASE) runs out, taken once, and the chat's later messages
follow it in order. Both databases."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import select

from core.messages import Reply
from core.model import ChatState
from core.services.outbox import enqueue
from storage.db import make_engine, make_sessionmaker
from storage.models import OutboxRow
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.faults.test_killed import Server, en

CHAT = 4242
LABELS = ("first", "second", "third")


class Row(NamedTuple):
    sent: bool
    leased: bool
    dead: bool


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: the outbox needs no units."""
    if request.param == "postgresql":
        found: str = request.getfixturevalue("pg_url")
        return found
    shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "p.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"


async def queue(database: str, *labels: str) -> None:
    """As a service queues notifications: committed rows that the running sender picks up."""
    chat = ChatState(id=0, channel="telegram", chat_id=str(CHAT), locale="en")
    engine = make_engine(database)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            for label in labels:
                await enqueue(u, chat, Reply("units-not-found", {"text": label}),
                              f"killed-outbox:{label}", datetime.now(UTC))
            await u.commit()
    finally:
        await engine.dispose()


async def outbox(database: str) -> dict[str, Row]:
    engine = make_engine(database)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            found = await u.session.scalars(select(OutboxRow).order_by(OutboxRow.id))
            return {str(r.reply["params"]["text"]): Row(
                r.sent_at is not None, r.claimed_until is not None, r.dead) for r in found}
    finally:
        await engine.dispose()


async def test_a_send_cut_by_a_kill_goes_out_once_after_the_lease_and_in_order(
        url: str, tmp_path: Path) -> None:
    async with FakeTelegramAPI() as api:
        s = Server(url, tmp_path)
        s.env.update({"PHOCAP_TELEGRAM_TOKEN": api.token,
                      "PHOCAP_TELEGRAM_API_URL": api.base_url, "PHOCAP_OUTBOX_LEASE": "2"})
        api.hold("sendMessage")
        await s.up()
        try:
            await queue(url, *LABELS)
            await api.wait_until(lambda: bool(api.held), 10, "a sendMessage on its way")
            s.kill()  # the Bot API has not answered: nobody knows yet whether it was taken
            stuck = await outbox(url)
            assert stuck["first"] == Row(sent=False, leased=True, dead=False)  # "sending"
            assert [stuck[k] for k in LABELS[1:]] == [Row(False, False, False)] * 2  # behind it

            api.release()  # the dead process's call is dropped, never taken
            await api.wait_until(lambda: bool(api.dropped), 5, "the held call dropped")
            await s.up()
            await api.wait_for_messages(CHAT, len(LABELS), timeout=15)
            await asyncio.sleep(0.5)  # time for a double to show, if there were one
        finally:
            s.kill()
    assert api.sent_texts(CHAT) == [en("units-not-found", text=t) for t in LABELS]
    assert [c.params["text"] for c in api.dropped] == [en("units-not-found", text="first")]
    done = await outbox(url)
    assert [done[k] for k in LABELS] == [Row(sent=True, leased=False, dead=False)] * 3
