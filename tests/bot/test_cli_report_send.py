"""'phocap report --send' through the real command: queued once, then 'already sent, when'."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import func, select

from core.i18n import load_catalogue
from core.model import Role
from core.services.officials import add_official
from storage.db import make_engine, make_sessionmaker
from storage.models import OutboxRow, ReportRunRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.documents.test_report_documents import phocap, shipped_database
from tests.storage.test_report_views import at

TEXTS = load_catalogue()
PROVINCE = "T\u1ec9nh B\u1eafc K\u1ea1n"


async def link_province_officer(url: str) -> None:
    engine = make_engine(url)
    try:
        u = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        async with u() as uow:
            province = await uow.units.by_code("2023", "06")
            assert province is not None
            official = await add_official(uow, SYSTEM, "Ma Thi Hoa", Role.PROVINCE,
                                          province.id, at("01/09"))
            chat = await uow.chats.get_or_create("telegram", "777", at("01/09"))
            chat.official_id = official.id
            await uow.chats.save(chat)
            await uow.commit()
    finally:
        await engine.dispose()


async def counts(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            runs = await conn.scalar(select(func.count()).select_from(ReportRunRow))
            sent = await conn.scalar(select(func.count()).select_from(OutboxRow)
                                     .where(OutboxRow.dedupe_key.startswith("report:")))
        return int(runs or 0), int(sent or 0)
    finally:
        await engine.dispose()


def test_send_queues_once_and_the_second_says_when(tmp_path: Path) -> None:
    env, url = shipped_database(tmp_path)
    asyncio.run(link_province_officer(url))

    first = phocap(env, tmp_path, "report", "--month", "2023-09", "--send")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == TEXTS.text(
        "reports-sent", "vi", count=1, names="Ma Thi Hoa", unit=PROVINCE, month="09/2023")
    assert asyncio.run(counts(url)) == (1, 1)

    second = phocap(env, tmp_path, "report", "--month", "2023-09", "--send")
    assert second.returncode == 1
    when = re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", second.stderr)
    assert when, second.stderr
    assert second.stderr.strip() == TEXTS.text(
        "reports-already-sent", "vi", unit=PROVINCE, month="09/2023", when=when.group(0))
    assert asyncio.run(counts(url)) == (1, 1)  # nothing built or queued again

    english = phocap({**env, "PHOCAP_LOCALE": "en"}, tmp_path, "report", "--month",
                     "2023-09", "--send")
    assert english.stderr.strip() == TEXTS.text(
        "reports-already-sent", "en", unit=PROVINCE, month="09/2023", when=when.group(0))
