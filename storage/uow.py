"""The SQL unit of work: one AsyncSession, one transaction, the repositories over it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker

from core.names import name_key
from storage.accounts import SqlAccounts
from storage.chat_repositories import SqlChats, SqlInvites, SqlPledges
from storage.ledger import SqlLedger, SqlLocks, SqlPlans
from storage.outbox import SqlOutbox
from storage.receipts import SqlReceipts
from storage.report_runs import SqlReminderStops, SqlReportRuns
from storage.repositories import SqlAudit, SqlHouseholds, SqlOfficials, SqlResidents, SqlUnits
from storage.supports import SqlHandovers, SqlSupports
from storage.views import SqlViews


class SqlUnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The open session, for storage code that needs more than the repositories."""
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        s = self._session
        self.units = SqlUnits(s, name_key)
        self.households = SqlHouseholds(s)
        self.residents = SqlResidents(s, name_key)
        self.officials = SqlOfficials(s)
        self.audit = SqlAudit(s)
        self.chats = SqlChats(s)
        self.invites = SqlInvites(s)
        self.pledges = SqlPledges(s)
        self.receipts = SqlReceipts(s)
        self.supports = SqlSupports(s)
        self.handovers = SqlHandovers(s)
        self.outbox = SqlOutbox(s)
        self.ledger = SqlLedger(s)
        self.locks = SqlLocks(s)
        self.plans = SqlPlans(s)
        self.reports = SqlReportRuns(s)
        self.reminders = SqlReminderStops(s)
        self.accounts = SqlAccounts(s)
        self.views = SqlViews(s)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()  # a no-op after commit(); undoes a forgotten one
        finally:
            await self.session.close()
            self._session = None

    async def commit(self) -> None:
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()

    def savepoint(self) -> AsyncSessionTransaction:
        return self.session.begin_nested()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions)
