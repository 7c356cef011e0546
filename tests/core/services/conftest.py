"""Service tests without a database: `uow` here is an in-memory unit of work."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.fakes.uow import FakeUnitOfWorkFactory


@pytest.fixture
def uow(now: datetime) -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory(now)
