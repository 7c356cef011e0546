"""The SQL unit of work: one AsyncSession, one transaction, the repositories over it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, AsyncSessionTransaction, async_sessionmaker

from core.clock import Clock, system_clock
from core.names import name_key
from core.ports import (
    AccountRepository,
    AftercareRepository,
    AuditRepository,
    ChatRepository,
    CommuneFiguresRepository,
    HandoverRepository,
    HouseholdRepository,
    InviteRepository,
    LedgerRepository,
    LockRepository,
    OfficialRepository,
    OutboxRepository,
    PlanRepository,
    PledgeRepository,
    PostingRepository,
    ReceiptRepository,
    ReminderRepository,
    ReportRunRepository,
    ResidentRepository,
    SupportRepository,
    UnitRepository,
    Views,
)
from storage.accounts import SqlAccounts
from storage.aftercare import SqlAftercare
from storage.audit import SqlAudit
from storage.chats import SqlChats
from storage.commune_figures import SqlCommuneFigures
from storage.handovers import SqlHandovers
from storage.households import SqlHouseholds
from storage.invites import SqlInvites
from storage.ledger import SqlLedger
from storage.locks import SqlLocks
from storage.officials import SqlOfficials
from storage.outbox import SqlOutbox
from storage.plans import SqlPlans
from storage.pledges import SqlPledges
from storage.postings import SqlPostings
from storage.receipts import SqlReceipts
from storage.reminders import SqlReminderStops
from storage.report_runs import SqlReportRuns
from storage.residents import SqlResidents
from storage.sql import refresh_statistics
from storage.supports import SqlSupports
from storage.units import SqlUnits
from storage.views import SqlViews


class SqlUnitOfWork:
    """core.ports.UnitOfWork over one AsyncSession. The repositories are declared as core's
    Protocols, so that mypy holds each Sql* class to the port it implements."""

    units: UnitRepository
    households: HouseholdRepository
    residents: ResidentRepository
    officials: OfficialRepository
    audit: AuditRepository
    chats: ChatRepository
    invites: InviteRepository
    pledges: PledgeRepository
    receipts: ReceiptRepository
    supports: SupportRepository
    handovers: HandoverRepository
    outbox: OutboxRepository
    ledger: LedgerRepository
    locks: LockRepository
    plans: PlanRepository
    postings: PostingRepository
    reports: ReportRunRepository
    reminders: ReminderRepository
    accounts: AccountRepository
    aftercare: AftercareRepository
    figures: CommuneFiguresRepository
    views: Views

    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock  # the time a row is created at, where the caller gives none
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
        self.households = SqlHouseholds(s, self._clock)
        self.residents = SqlResidents(s, name_key, self._clock)
        self.officials = SqlOfficials(s, self._clock)
        self.audit = self._audit = SqlAudit(s)
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
        self.postings = SqlPostings(s)
        self.reports = SqlReportRuns(s)
        self.reminders = SqlReminderStops(s)
        self.accounts = SqlAccounts(s)
        self.aftercare = SqlAftercare(s)
        self.figures = SqlCommuneFigures(s)
        self.views = SqlViews(s)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()  # a no-op after commit(); undoes a forgotten one
        finally:
            await self.session.close()
            self._session = None

    async def commit(self) -> None:
        await self._audit.write_kept()
        await self.session.commit()
        await refresh_statistics(self.session)  # after a bulk insert: the planner's figures

    async def rollback(self) -> None:
        """Undo the transaction; the audit entries it was asked to keep are then written
        in a transaction of their own."""
        await self.session.rollback()
        if await self._audit.write_kept():
            await self.session.commit()

    def savepoint(self) -> AsyncSessionTransaction:
        return self.session.begin_nested()


class SqlUnitOfWorkFactory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession],
                 clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock

    def __call__(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._sessions, self._clock)
