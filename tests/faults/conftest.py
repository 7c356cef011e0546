"""Fault tests that need PostgreSQL (several processes, a database that goes away).

They need the server that PHOCAP_TEST_DATABASE_URL names; `.ci/run` always sets it, so in CI
they always run. A local `make test` without it says plainly that they did not.
"""

from __future__ import annotations

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
