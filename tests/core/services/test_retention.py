"""How long personal data is kept (issue 15, item 7): one function, given the time.

Hand-worked with the defaults (replays a day, uploads two hours), at 10:00 on 13 September:
- replay records made at 09:00 on the 12th (25 h old) go; one made at 11:00 on the 12th
  (23 h old) stays, and a replay of it still does nothing;
- an upload last written 3 h ago goes; one written 1 h ago stays (its preview is open);
- settings of 48 h and 1 h keep the 25 h old record and delete the 1 h 30 old upload.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.services.retention import Pruned, Retention, enforce_retention
from storage.uow import SqlUnitOfWorkFactory
from tests.fakes.uow import FakeUnitOfWorkFactory

NOW = datetime(2023, 9, 13, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam


async def record(uow: SqlUnitOfWorkFactory | FakeUnitOfWorkFactory, update_id: str,
                 at: datetime) -> None:
    async with uow() as u:
        await u.chats.get_or_create("telegram", "c1", at)
        assert await u.chats.record_update("telegram", update_id, at, [])
        await u.commit()


async def still_kept(uow: SqlUnitOfWorkFactory | FakeUnitOfWorkFactory,
                     update_id: str) -> bool:
    async with uow() as u:
        _, earlier = await u.chats.open("telegram", "c1", NOW, update_id)
    return earlier is not None


def upload(folder: Path, name: str, age: timedelta) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(b"x")
    written = (NOW - age).timestamp()
    os.utime(path, (written, written))
    return path


async def test_replay_records_past_the_window_go_and_newer_ones_stay(
        uow: SqlUnitOfWorkFactory) -> None:
    await record(uow, "old", NOW - timedelta(hours=25))
    await record(uow, "new", NOW - timedelta(hours=23))
    assert await enforce_retention(uow, NOW, Retention()) == Pruned(1, 0)
    assert (await still_kept(uow, "old"), await still_kept(uow, "new")) == (False, True)


async def test_uploads_past_their_time_go(uow: SqlUnitOfWorkFactory, tmp_path: Path) -> None:
    folder = tmp_path / "imports"
    old = upload(folder, "a.xlsx", timedelta(hours=3))
    fresh = upload(folder, "b.xlsx", timedelta(hours=1))
    assert await enforce_retention(uow, NOW, Retention(), folder) == Pruned(0, 1)
    assert (old.exists(), fresh.exists()) == (False, True)


async def test_the_windows_are_settings(fake_uow: FakeUnitOfWorkFactory, tmp_path: Path) -> None:
    await record(fake_uow, "old", NOW - timedelta(hours=25))
    folder = tmp_path / "imports"
    upload(folder, "a.csv", timedelta(hours=1, minutes=30))
    policy = Retention(replays=timedelta(hours=48), uploads=timedelta(hours=1))
    assert await enforce_retention(fake_uow, NOW, policy, folder) == Pruned(0, 1)
    assert await still_kept(fake_uow, "old")
