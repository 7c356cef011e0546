"""'phocap backup FILE': a copy that opens and holds the same data; never over a file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.bot.test_cli import demo_copy, phocap


def test_a_sqlite_backup_holds_every_resident_and_is_never_overwritten(
        demo_template: Path, tmp_path: Path) -> None:
    demo_copy(demo_template, tmp_path)
    target = tmp_path / "copy.db"
    done = phocap(tmp_path, "backup", str(target), PHOCAP_LOCALE="en")
    assert done.returncode == 0, done.stderr
    assert str(target) in done.stdout
    assert target.stat().st_mode & 0o777 == 0o600  # a copy of personal data: owner only
    with sqlite3.connect(tmp_path / "p.db") as live, sqlite3.connect(target) as copy:
        query = "SELECT count(*), group_concat(full_name) FROM residents"
        assert copy.execute(query).fetchone() == live.execute(query).fetchone()
        assert copy.execute("SELECT count(*) FROM residents").fetchone()[0] > 1000
    before = target.read_bytes()
    again = phocap(tmp_path, "backup", str(target), PHOCAP_LOCALE="en")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert target.read_bytes() == before


def test_each_backend_gives_a_backup_that_can_be_restored(tmp_path: Path, database_url: str
                                                         ) -> None:
    target = tmp_path / "copy.bak"
    done = phocap(tmp_path, "backup", str(target), PHOCAP_DATABASE_URL=database_url)
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    if database_url.startswith("postgresql"):
        assert target.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format, for pg_restore
    else:
        with sqlite3.connect(target) as copy:
            [(version,)] = copy.execute("SELECT version_num FROM alembic_version").fetchall()
            assert version
