"""The monthly report's reads (core.ports.ReportViews): sums shaped for core.figures."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlReportViews:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
