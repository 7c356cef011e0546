"""Service tests. Those that need no SQL take `fake_uow`, an in-memory unit of work (see
tests/fakes/uow.py); the others run on SQLite and PostgreSQL through the root `uow`."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.fakes.uow import FakeUnitOfWorkFactory


@pytest.fixture
def fake_uow(now: datetime) -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory(now)
