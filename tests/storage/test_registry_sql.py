"""Registry services where the check is on the database's own rows: nothing saved twice,
an audit line for every change (the rest is in tests/core/services/test_registry.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import func, select

from core.errors import RuleError
from core.services import registry
from storage.models import AuditRow, ResidentRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_registry import PERSON, TODAY, add_household


@pytest.fixture
async def household(uow: SqlUnitOfWorkFactory, now: datetime) -> int:
    return await add_household(uow, now)


async def test_same_citizen_id_is_named_and_not_saved_twice(
    uow: SqlUnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        await u.commit()
    other = replace(PERSON, full_name="N\u00f4ng V\u0103n A")
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await registry.register_resident(u, SYSTEM, household, other, now, TODAY)
    assert err.value.key == "registry-duplicate-citizen-id"
    assert err.value.params["household"] == "CM-01"
    assert err.value.params["full_name"] == PERSON.full_name  # named as "ong/ba <name>"
    async with uow() as u:
        count = await u.session.scalar(select(func.count()).select_from(ResidentRow))
    assert count == 1


async def test_audit_trail_is_append_only_in_practice(
    uow: SqlUnitOfWorkFactory, household: int, now: datetime
) -> None:
    async with uow() as u:
        await registry.register_resident(u, SYSTEM, household, PERSON, now, TODAY)
        await u.commit()
        count = await u.session.scalar(select(func.count()).select_from(AuditRow))
    # units (67) + household + resident: every change left a line
    assert count is not None and count >= 69
