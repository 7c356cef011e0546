"""Databases for tests: SQLite always, PostgreSQL too when PHOCAP_TEST_DATABASE_URL is set.

Migrations run once per session into a template; each test gets a copy (SQLite) or emptied
tables (PostgreSQL), so every test starts from the real schema without paying for it again.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.model import Actor
from storage import migrate
from storage.db import make_engine, make_sessionmaker
from storage.models import Base
from storage.uow import SqlUnitOfWorkFactory


def _worker_database(url: str) -> str:
    """The database this process's tests use: test_gw0, test_gw1, ... under pytest-xdist
    (every test empties the tables it runs on), test_main without it; made anew by
    postgres_ready when the session first needs it."""
    if not url:
        return url
    base = make_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)


def _fresh_database(url: str) -> None:
    """Drop and make the database anew, from the server's own database. Not the schema
    alone: a database kept from run to run keeps its catalogue's dead rows, a few for each
    TRUNCATE, and CI's server runs without autovacuum; after a single run TRUNCATE took
    92 ms instead of 58, and the suite grew slower with every run on the same machine."""
    target = make_url(url)

    async def recreate() -> None:
        engine = make_engine(target.set(database="postgres").render_as_string(
            hide_password=False), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" '
                                        "WITH (FORCE)"))
                await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
        finally:
            await engine.dispose()

    asyncio.run(recreate())


PG_URL = _worker_database(os.environ.get("PHOCAP_TEST_DATABASE_URL", ""))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
SYSTEM = Actor(label="test", system=True)

# No timing decides a test: Hypothesis's per-example deadline failed property tests on a
# loaded CI machine (582 ms against 200 ms) while every property held.
settings.register_profile("phocap", deadline=None)
settings.load_profile("phocap")


def _migrate(url: str) -> None:
    async def go() -> None:
        engine = make_engine(url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(go())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_ready() -> str:
    if not PG_URL:
        pytest.fail("PHOCAP_TEST_DATABASE_URL is not set")
    _fresh_database(PG_URL)
    _migrate(PG_URL)
    return PG_URL


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database URL of each backend under test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "phocap.db"
        shutil.copy(template, target)
        yield f"sqlite+aiosqlite:///{target}"
    else:
        url: str = request.getfixturevalue("postgres_ready")
        _truncate(url)
        yield url


# The tables a test has written to: rows in them, or a sequence moved on (a row added and
# taken away again still moves the next id).
_USED_TABLES = " UNION ".join(
    [f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")"
     for t in Base.metadata.sorted_tables]
    + ["SELECT t.relname FROM pg_sequences q"
       " JOIN pg_class s ON s.relname = q.sequencename AND s.relkind = 'S'"
       " JOIN pg_depend d ON d.objid = s.oid AND d.refclassid = 'pg_class'::regclass"
       " JOIN pg_class t ON t.oid = d.refobjid"
       " WHERE q.schemaname = 'public' AND q.last_value IS NOT NULL"])


def _truncate(url: str) -> None:
    """Empty the tables the last test wrote to, their ids starting again from 1. Not all of
    them each time: a TRUNCATE of every table took 58 ms a test, and each one leaves dead
    rows in the catalogue that slow the next."""
    async def go() -> None:
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                used = sorted({str(n) for n in await conn.scalars(text(_USED_TABLES))})
                if used:
                    names = ", ".join(f'"{n}"' for n in used)
                    await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        finally:
            await engine.dispose()

    asyncio.run(go())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(make_sessionmaker(engine))


@pytest.fixture
def now() -> datetime:
    return datetime(2023, 9, 12, 2, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`phocap init --demo` once for the whole run (it takes half a minute): tests copy it
    (tests.bot.test_cli.demo_copy), never write it."""
    from tests.bot.test_cli import phocap

    path = tmp_path_factory.mktemp("demo-template")
    result = phocap(path, "init", "--demo")
    assert result.returncode == 0, result.stderr
    return path / "p.db"



def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser tests run on SQLite only: what they check (layout, forms, the walk through
    the pages) is the same on either database, every page's handler and query is tested on
    both by the other tests, and the Chromium runs are the slowest part of the CI budget."""
    keep, dropped = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        twice = item.get_closest_marker("browser") and params.get("database_url") == "postgresql"
        (dropped if twice else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
