"""'phocap backup FILE': a consistent copy of the whole database, taken while it serves.

SQLite is copied with its online backup API (a snapshot even while the service writes);
PostgreSQL with pg_dump's custom format, restored with pg_restore. An existing file is never
overwritten: an officer who types yesterday's name by mistake keeps yesterday's copy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.cli.common import Parsers
from bot.runtime import Runtime
from core.clock import Clock
from core.errors import RuleError
from storage.db import create_private


def add_parsers(parsers: Parsers) -> None:
    backup = parsers.top.add_parser("backup")
    backup.add_argument("file", type=Path)
    backup.set_defaults(run=cmd_backup)


async def cmd_backup(rt: Runtime, args: argparse.Namespace, _clock: Clock) -> int:
    target: Path = args.file
    await asyncio.to_thread(refuse_existing, target)
    await asyncio.to_thread(create_private, target)  # a copy of personal data: owner only
    url = make_url(rt.settings.database_url)
    if url.get_backend_name() == "sqlite":
        await asyncio.to_thread(copy_sqlite, Path(url.database or ""), target)
    else:
        await dump_postgres(url, target)
    kib = await asyncio.to_thread(size_kib, target)
    print(rt.text("backup-done", file=str(target), kib=kib))
    return 0


def refuse_existing(target: Path) -> None:
    """Never overwrite a file; the target is then created empty, readable by its owner only."""
    if target.exists():
        raise RuleError("backup-exists", file=str(target))


def size_kib(target: Path) -> int:
    return max(1, target.stat().st_size // 1024)


def copy_sqlite(source: Path, target: Path) -> None:
    """A page-by-page snapshot that includes what is still in the write-ahead log."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


async def dump_postgres(url: URL, target: Path) -> None:
    """pg_dump of the database; the password goes through the environment, not argv."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise RuleError("backup-no-pg-dump")
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else None
    plain = url.set(drivername="postgresql", password=None).render_as_string()
    proc = await asyncio.create_subprocess_exec(
        pg_dump, "--format=custom", "--no-password", f"--file={target}", plain,
        env=env, stderr=asyncio.subprocess.PIPE)
    _, err = await proc.communicate()
    if proc.returncode != 0:
        await asyncio.to_thread(target.unlink, missing_ok=True)
        raise RuleError("backup-failed", reason=err.decode(errors="replace").strip()[:300])
