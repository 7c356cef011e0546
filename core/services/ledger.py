"""Appending to the public ledger; every receipt, transfer, assignment, handover, confirmation."""

from __future__ import annotations

from datetime import UTC, datetime

from core.ledger import GENESIS, chain_hash
from core.model import LedgerEntry
from core.ports import UnitOfWork


async def append(
    uow: UnitOfWork, kind: str, payload: dict[str, object], now: datetime
) -> LedgerEntry:
    """Add an entry after the newest one (locked meanwhile). Payloads carry no personal data:
    people appear as their support's number, places as unit codes."""
    at = now.astimezone(UTC).replace(microsecond=0)
    last = await uow.ledger.last()
    prev = last.hash if last else GENESIS
    digest = chain_hash(prev, kind, at.isoformat(), payload)
    return await uow.ledger.add(
        LedgerEntry(id=0, at=at, kind=kind, payload=payload, prev_hash=prev, hash=digest)
    )
