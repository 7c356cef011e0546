"""The monthly report's reads (core.ports.ReportViews): sums shaped for core.figures.

The SQL lives beside it, one module per kind of read: storage/report_queries.py (the month's
sums) and storage/coverage.py (coverage month by month).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.figures import Month, MonthCoverage, ReportInput
from storage.coverage import coverage_by_month
from storage.report_queries import above_communes_input, report_input


class SqlReportViews:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def report_input(self, dataset: str, month: Month,
                           within: Sequence[int] | None = None) -> ReportInput:
        return await report_input(self._session, dataset, month, within)

    async def above_communes_input(self, dataset: str, month: Month, root: int,
                                   above: Sequence[int], within: Sequence[int] | None = None
                                   ) -> ReportInput:
        return await above_communes_input(self._session, dataset, month, root, above, within)

    async def coverage_by_month(self, dataset: str, unit_id: int, now: datetime,
                                tz: tzinfo) -> list[MonthCoverage]:
        return await coverage_by_month(self._session, dataset, unit_id, now, tz)
