"""`phocap backup FILE` and a restore give back the data as it was at the backup, row for row
in every table (the schema's version too), and the restored ledger still verifies. Both
databases: SQLite's copy is put back in place of the file; PostgreSQL's archive goes through
pg_restore --clean."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.ledger import first_bad
from core.services.receiving import ReceiptForm, record_receipt
from storage.db import make_engine, make_sessionmaker
from storage.models import Base
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli import phocap
from tests.bot.test_cli_receiving import seed as pledge_and_resident
from tests.conftest import SYSTEM
from tests.journeys.common import seed

Snapshot = dict[str, list[tuple[object, ...]]]


async def snapshot(url: str) -> Snapshot:
    """Every row of every table, in a fixed order."""
    engine = make_engine(url)
    tables = [t.name for t in Base.metadata.sorted_tables] + ["alembic_version"]
    try:
        async with engine.connect() as conn:
            return {t: [tuple(r) for r in await conn.execute(text(
                f'SELECT * FROM "{t}" ORDER BY 1'))] for t in tables}
    finally:
        await engine.dispose()


async def receive_phone(url: str, number: str) -> None:
    engine = make_engine(url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            commune = await u.units.by_code("2023", "02173")
            assert commune is not None
            await record_receipt(u, SYSTEM, ReceiptForm(
                commune.id, phones=1, donor_name="<b>Shop</b> \u0110\u1ee9c", number=number),
                datetime.now(UTC))
            await u.commit()
    finally:
        await engine.dispose()


def restore(url: str, backup: Path) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.copy(backup, parsed.database or "")
        for leftover in ("-wal", "-shm"):  # the live file's log must not replay over it
            Path(f"{parsed.database}{leftover}").unlink(missing_ok=True)
        return
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", plain,
                    str(backup)], check=True, capture_output=True, timeout=60)


async def test_a_restored_backup_holds_exactly_what_was_backed_up(
        database_url: str, tmp_path: Path) -> None:
    await seed(database_url)
    await pledge_and_resident(database_url)
    await receive_phone(database_url, "BN-1")
    before = await snapshot(database_url)
    assert all(before[t] for t in ("units", "residents", "pledges", "receipts", "ledger",
                                   "audit_log", "alembic_version"))
    backup = tmp_path / "phocap.bak"
    done = await asyncio.to_thread(phocap, tmp_path, "backup", str(backup),
                                   PHOCAP_DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr

    await receive_phone(database_url, "BN-2")  # after the backup: the restore undoes it
    assert await snapshot(database_url) != before
    await asyncio.to_thread(restore, database_url, backup)

    assert await snapshot(database_url) == before
    engine = make_engine(database_url)
    try:
        async with SqlUnitOfWorkFactory(make_sessionmaker(engine))() as u:
            entries = await u.ledger.all()
    finally:
        await engine.dispose()
    assert entries and first_bad(entries) is None  # what `phocap ledger verify` checks
