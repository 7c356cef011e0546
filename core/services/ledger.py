"""Appending to the public ledger; every receipt, transfer, assignment, handover, confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from core.ledger import GENESIS, chain_hash
from core.model import LedgerEntry
from core.ports import UnitOfWork


async def append(
    uow: UnitOfWork, kind: str, payload: dict[str, object], now: datetime
) -> LedgerEntry:
    """Add an entry after the newest one (locked meanwhile). Payloads carry no personal data:
    people appear as their support's number, places as unit codes."""
    [entry] = await append_all(uow, [(kind, payload)], now)
    return entry


# Entries about one person, kept and shown by month only: with the village, a day would point
# at a household (issue 15). Their time is the first moment of the month (month_start).
BY_MONTH = frozenset({"handover", "confirmation", "case", "case_closed"})


def shown_time(entry: LedgerEntry, tz: tzinfo) -> str:
    """'15/09/2023', or '09/2023' for an entry kept by month: how pages and the CLI show it."""
    local = entry.at.astimezone(tz)
    return local.strftime("%m/%Y") if entry.kind in BY_MONTH else local.strftime("%d/%m/%Y")


def month_start(moment: datetime, tz: tzinfo) -> datetime:
    """The first moment of moment's month where the programme is: the time an entry about
    one person carries, so that with its village it does not point at a day."""
    local = moment.astimezone(tz)
    return datetime(local.year, local.month, 1, tzinfo=tz).astimezone(UTC)


def month_text(moment: datetime, tz: tzinfo) -> str:
    """'2023-09': the month an entry about one person names instead of its day."""
    return moment.astimezone(tz).strftime("%Y-%m")


async def append_all(
    uow: UnitOfWork, items: Sequence[tuple[str, dict[str, object]]], now: datetime
) -> list[LedgerEntry]:
    """Several entries in order, chained in memory after one look at the newest: a plan's
    thousands of assignments do not ask the database for the chain's head each time."""
    at = now.astimezone(UTC).replace(microsecond=0)
    last = await uow.ledger.last()
    prev = last.hash if last else GENESIS
    entries = []
    for kind, payload in items:
        digest = chain_hash(prev, kind, at.isoformat(), payload)
        entries.append(
            LedgerEntry(id=0, at=at, kind=kind, payload=payload, prev_hash=prev, hash=digest))
        prev = digest
    return await uow.ledger.add(*entries)
