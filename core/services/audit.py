"""Writing the audit trail: who, when, what, before and after."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date, datetime

from core.model import Actor, AuditEntry
from core.ports import UnitOfWork

Record = object


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
    """One line of the trail, holding only what changed."""
    old, new = changed(snapshot(before), snapshot(after))
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
