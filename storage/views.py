"""The read side (core.ports.Views): the page, report and health views over one session."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.health_views import SqlHealthViews
from storage.page_views import SqlPageViews
from storage.report_views import SqlReportViews


class SqlViews(SqlPageViews, SqlReportViews, SqlHealthViews):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
