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


def _own_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own (test_gw0, test_gw1, ...,
    made on first use), since every test empties the tables it runs on."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"

    async def create() -> None:
        engine = make_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                found = await conn.scalar(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
                if not found:
                    await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()

    asyncio.run(create())
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _own_database(os.environ.get("PHOCAP_TEST_DATABASE_URL", ""))
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
            if engine.dialect.name == "postgresql":
                async with engine.begin() as conn:
                    await conn.execute(text("DROP SCHEMA public CASCADE"))
                    await conn.execute(text("CREATE SCHEMA public"))
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


def _truncate(url: str) -> None:
    async def go() -> None:
        engine = make_engine(url)
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        try:
            async with engine.begin() as conn:
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
