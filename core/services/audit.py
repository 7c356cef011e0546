"""Writing the audit trail: who, when, what, before and after."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import date, datetime

from core.model import Actor, AuditEntry
from core.ports import UnitOfWork

Record = object

# Every action and entity the trail holds: each has its words in the catalogues
# ('admin-action-<action>', 'admin-entity-<entity>'; tests/test_audit_keys.py reads the code
# for the ones written) and a filter on the audit page.
ACTIONS = (
    "register", "create", "update", "approve", "reject", "invite", "revoke-invite", "link",
    "unlink", "password", "add-token", "revoke-token", "receive", "transfer", "assign",
    "serve", "handover", "confirm", "open", "close", "export", "erase", "read", "read-list",
    "id-conflict", "add", "answer", "done", "object", "send", "classify", "survey-done", "import",
)
ENTITIES = ("resident", "household", "official", "chat", "unit", "pledge", "receipt",
            "transfer", "support", "handover", "case", "audit", "posting", "objection",
            "follow_up", "guidance_session", "task", "report", "report-notes")
# Never written to the trail: a hash of a password, an invite code or a token is a secret
# too (it can be tried offline); the trail says only that it changed.
SECRET_FIELDS = frozenset({"password_hash", "code_hash", "token_hash", "token", "secret",
                           "secret_key", "session_key"})
SECRET_MARK = "***"  # noqa: S105 - what the trail keeps in place of a secret


def snapshot(record: Record | None) -> dict[str, object] | None:
    """A JSON-ready copy of a record's fields (dates as ISO text, enums as values)."""
    if record is None:
        return None
    if not dataclasses.is_dataclass(record) or isinstance(record, type):
        raise TypeError(f"not a record: {record!r}")
    return {f.name: _plain(getattr(record, f.name)) for f in dataclasses.fields(record)}


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _masked(values: dict[str, object] | None) -> dict[str, object] | None:
    if values is None:
        return None
    return {k: (SECRET_MARK if k in SECRET_FIELDS and v is not None else v)
            for k, v in values.items()}


def changed(before: dict[str, object] | None, after: dict[str, object] | None) -> tuple[
    dict[str, object] | None, dict[str, object] | None
]:
    """Keep only the fields that differ, so the trail reads as 'what changed'."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def entry(
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    unit_id: int | None,
    before: Record | None = None,
    after: Record | None = None,
) -> AuditEntry:
    """One line of the trail, holding only what changed (a secret as SECRET_MARK)."""
    old, new = (_masked(v) for v in changed(snapshot(before), snapshot(after)))
    return AuditEntry(at=now, actor=actor, action=action, entity=entity, entity_id=entity_id,
                      unit_id=unit_id, before=old, after=new)


async def record(
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    unit_id: int | None,
    before: Record | None = None,
    after: Record | None = None,
) -> None:
    await uow.audit.append(entry(actor, now, action, entity, entity_id, unit_id, before, after))


# Reads of personal data (Decree 13/2023): kept even when the reading transaction rolls back.
READ_ONE = "read"  # one person's record opened
READ_LIST = "read-list"  # many people's records read at once: an export, a list, a preview
READS = (READ_ONE, READ_LIST)


@dataclasses.dataclass(frozen=True, slots=True)
class ListRead:
    """What the trail keeps of a read in bulk: where it came from, its filter, its size."""

    source: str  # "admin-export", "api-list", "cli-export", "import-preview", ...
    filter: str  # "status=approved, unit=12", or "" for everything
    rows: int


def filter_text(filters: Mapping[str, object]) -> str:
    """The filter as one line, in a stable order; empty values left out."""
    return ", ".join(f"{k}={v}" for k, v in sorted(filters.items()) if v not in (None, ""))


async def record_list_read(
    uow: UnitOfWork, actor: Actor, now: datetime, unit_id: int | None, source: str,
    filters: Mapping[str, object], rows: int, entity: str = "resident",
) -> None:
    """A read of many records at once (people's data, a list taken away), under the unit
    it covered (whose officers see it)."""
    await uow.audit.keep(entry(actor, now, READ_LIST, entity, None, unit_id, after=ListRead(
        source=source, filter=filter_text(filters), rows=rows)))


async def record_read(
    uow: UnitOfWork, actor: Actor, now: datetime, resident_id: int, commune_id: int,
    source: str,
) -> None:
    """One person's record opened."""
    await uow.audit.keep(entry(actor, now, READ_ONE, "resident", resident_id, commune_id,
                               after=ListRead(source=source, filter="", rows=1)))
