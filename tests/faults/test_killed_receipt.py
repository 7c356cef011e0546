"""`phocap receive` killed (SIGKILL) in the middle of recording a receipt: nothing of it is
kept; done again, it is recorded once (receipt, audit, ledger entry, pledge status, the donor's
notice). Done once more by an official who does not know it went through, the paper receipt's
number refuses it (tests/bot/test_cli_receiving.py). Both databases.

On PostgreSQL the kill lands after the receipt and its audit row were written, while the
transaction waits for the ledger's lock (the test holds it). On SQLite, where a writer takes
the database's lock at BEGIN, it lands while the receipt waits for that lock."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli_receiving import seed as pledge_three_phones
from tests.journeys.common import ROOT, seed

NUMBER = "BN-KILL-1"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The shipped units and a donor's pledge of three phones for xa Con Minh."""
    if request.param == "postgresql":
        found: str = request.getfixturevalue("pg_url")
    else:
        shutil.copy(request.getfixturevalue("sqlite_template"), tmp_path / "p.db")
        found = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    asyncio.run(seed(found))
    return found


def receive(url: str, tmp_path: Path, code: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    env.update(PHOCAP_DATABASE_URL=url, PHOCAP_CONFIG=str(tmp_path / "none.toml"),
               PHOCAP_LOCALE="en", PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "receive", "--unit", "02173", "--pledge", code,
         "--phones", "2", "--number", NUMBER], cwd=ROOT, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


async def waiting(url: str, proc: subprocess.Popen[str], within: float = 120) -> None:
    """Until the command waits for a lock in the database (PostgreSQL says so; SQLite: it
    has the file open and has had time to ask)."""
    engine = make_engine(url)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            if engine.dialect.name == "postgresql":
                async with engine.connect() as conn:
                    if await conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")):
                        return
            elif any(str(url).endswith(link) for link in _open_files(proc.pid)):
                await asyncio.sleep(0.5)
                return
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()
    raise AssertionError("the command never reached the database's lock")


async def recorded(url: str) -> tuple[int, int, int, int, str]:
    """Receipts, their audit rows, receipt ledger entries, donor notices (the notice and the
    thank-you letter's link: two per receipt); the pledge's status."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return (
                await conn.scalar(text("SELECT count(*) FROM receipts")),
                await conn.scalar(text(
                    "SELECT count(*) FROM audit_log WHERE entity = 'receipt'")),
                await conn.scalar(text("SELECT count(*) FROM ledger WHERE kind = 'receipt'")),
                await conn.scalar(text(
                    "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'receipt:%'")),
                await conn.scalar(text("SELECT status FROM pledges")),
            )
    finally:
        await engine.dispose()


async def test_a_receipt_killed_midway_leaves_nothing_and_is_then_recorded_once(
        url: str, tmp_path: Path) -> None:
    code = await pledge_three_phones(url)
    engine = make_engine(url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as holder:
            await holder.locks.take("ledger")  # held until the block ends, uncommitted
            proc = receive(url, tmp_path, code)
            await waiting(url, proc)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
    finally:
        await engine.dispose()
    assert await recorded(url) == (0, 0, 0, 0, "pledged")

    again = receive(url, tmp_path, code)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert NUMBER in out
    assert await recorded(url) == (1, 1, 1, 2, "partly_received")


def _open_files(pid: int) -> list[str]:
    """What the process has open; a descriptor closed while we look is skipped."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            continue
    return found
