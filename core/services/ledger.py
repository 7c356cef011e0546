"""Appending to the public ledger; every receipt, transfer, assignment, handover, confirmation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

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
