"""The public ledger's hash chain: SHA-256 over the previous hash and the entry's canonical JSON."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from core.model import LedgerEntry

GENESIS = "0" * 64


def canonical_json(payload: Mapping[str, object]) -> str:
    """One text for one payload: sorted keys, no spaces, UTF-8 kept as is."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, kind: str, at_iso: str, payload: Mapping[str, object]) -> str:
    body = canonical_json({"at": at_iso, "kind": kind, "payload": dict(payload)})
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def first_bad(entries: Iterable[LedgerEntry]) -> LedgerEntry | None:
    """The first entry whose link or hash does not hold, or None when the chain is whole."""
    prev = GENESIS
    for entry in entries:
        at = entry.at.isoformat()
        if entry.prev_hash != prev or entry.hash != chain_hash(prev, entry.kind, at, entry.payload):
            return entry
        prev = entry.hash
    return None
