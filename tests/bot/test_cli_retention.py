"""'phocap retention': the scheduler's retention step, from the command line, at its clock."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from core.i18n import load_catalogue
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2023, 9, 13, 3, 0, tzinfo=UTC)


async def record_updates(url: str) -> None:
    """Two replay records: 30 h old (past the default day) and 2 h old."""
    engine = make_engine(url)
    try:
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        async with uow() as u:
            await u.chats.get_or_create("zalo", "c1", NOW)
            for update_id, hours in (("old", 30), ("new", 2)):
                await u.chats.record_update("zalo", update_id, NOW - timedelta(hours=hours), [])
            await u.commit()
    finally:
        await engine.dispose()


def test_retention_deletes_old_replay_records_and_uploads(
        database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(record_updates(database_url))
    folder = tmp_path / "imports"
    folder.mkdir()
    for name, hours in (("old.xlsx", 5), ("new.xlsx", 0.5)):
        (folder / name).write_bytes(b"x")
        written = (NOW - timedelta(hours=hours)).timestamp()
        os.utime(folder / name, (written, written))
    environ = {"PHOCAP_DATABASE_URL": database_url,
               "PHOCAP_CONFIG": str(tmp_path / "none.toml")}
    assert main(["retention", "--uploads", str(folder)], environ, lambda: NOW) == 0
    said = load_catalogue().text("retention-done", "vi", replays=1, uploads=1)
    assert said in capsys.readouterr().out
    assert [p.name for p in folder.iterdir()] == ["new.xlsx"]
