"""Fault tests that need PostgreSQL (several processes, a database that goes away).

They need the server that PHOCAP_TEST_DATABASE_URL names; `.ci/run` always sets it, so in CI
they always run. A local `make test` without it says plainly that they did not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PG_URL, _truncate


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> str:
    """The migrated PostgreSQL database, emptied."""
    if not PG_URL:
        pytest.skip("PostgreSQL fault tests: set PHOCAP_TEST_DATABASE_URL (.ci/run does)")
    url: str = request.getfixturevalue("postgres_ready")  # migrated once per session
    _truncate(url)
    return url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything here starts processes, cuts databases or waits out leases: marked slow, so
    that `pytest -m "not slow"` makes a quick local loop. `make test` and CI run them all."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.slow)
