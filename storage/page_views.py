"""What the officials' pages read (core.ports.PageViews): lists and counts shaped for a page."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class SqlPageViews:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
