"""Times are UTC in the database, whatever the caller passes (issue 14, item 7).

Worked by hand: 23:30 on 31/10/2023 in Asia/Ho_Chi_Minh (UTC+7) is 16:30 UTC the same day.
October, as officials count it, ends at 01/11/2023 00:00 local = 31/10/2023 17:00 UTC, so a
commit at that moment belongs to October's report; stored as if 23:30 were UTC, it would fall
after 17:00 UTC and into November's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import StatementError

from core.figures import Month
from core.model import Receipt
from core.priority import VIETNAM
from core.services import allocation
from core.services.receiving import ReceiptForm, record_receipt
from core.services.reports import monthly_report
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_allocation_service import adult
from tests.handover_setup import NA_DAM, units

LATE_ON_THE_LAST_DAY = datetime(2023, 10, 31, 23, 30, tzinfo=VIETNAM)


async def test_a_commit_at_half_past_eleven_local_is_in_that_months_report(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found = await units(uow, now)
    async with uow() as u:
        resident, _ = await adult(u, found[NA_DAM], None, "Ma Van A", now)
        await record_receipt(u, SYSTEM, ReceiptForm(found["06"].id, phones=1), now)
        await u.commit()
    async with uow() as u:
        await allocation.commit(u, SYSTEM, "2023", date(2023, 10, 31), LATE_ON_THE_LAST_DAY)
        await u.commit()
    async with uow() as u:
        support = await u.supports.active_for(resident)
        october = await monthly_report(u, "2023", Month(2023, 10), found["06"].id)
        november = await monthly_report(u, "2023", Month(2023, 11), found["06"].id)
        entries = await u.audit.for_entity("support", support.id if support else 0)
    assert support is not None
    assert support.created_at == datetime(2023, 10, 31, 16, 30, tzinfo=UTC)
    assert support.created_at.utcoffset() == UTC.utcoffset(None)
    assert [e.at for e in entries] == [datetime(2023, 10, 31, 16, 30, tzinfo=UTC)]
    assert october.total.month.assigned_whole == 1
    assert november.total.month.assigned_whole == 0


async def test_a_naive_time_is_refused_before_anything_is_written(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found = await units(uow, now)
    naive = datetime(2023, 10, 31, 23, 30)
    async with uow() as u:
        with pytest.raises(StatementError, match="naive datetime"):
            await u.receipts.add(Receipt(
                id=0, number="BN-NAIVE-1", unit_id=found["06"].id, received_at=naive,
                phones=1, money=0, model=None, condition="new", serials=(), pledge_id=None,
                donor_name=None, recorded_by=None, note=None))
    async with uow() as u:
        assert await u.receipts.by_number("BN-NAIVE-1") is None
