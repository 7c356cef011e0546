"""The audit trail: who changed what, with the values before and after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import Actor, AuditEntry
from storage.models import AuditRow
from storage.sql import utc


def _blanked(values: dict[str, object] | None, fields: Sequence[str]
             ) -> dict[str, object] | None:
    """A new dict (so the JSON column sees the change) with these fields set to None."""
    if values is None:
        return None
    return {k: (None if k in fields else v) for k, v in values.items()}


class SqlAudit:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        self.kept: list[AuditEntry] = []  # written by the unit of work, commit or rollback

    async def keep(self, *entries: AuditEntry) -> None:
        self.kept.extend(entries)

    async def write_kept(self) -> bool:
        """Insert the kept entries into the open transaction; True when there were any."""
        entries, self.kept = self.kept, []
        await self.append(*entries)
        return bool(entries)

    async def append(self, *entries: AuditEntry) -> None:
        if not entries:
            return
        await self._s.execute(insert(cast(Table, AuditRow.__table__)), [
            {"at": e.at, "actor_id": e.actor.official_id, "actor_label": e.actor.label,
             "action": e.action, "entity": e.entity, "entity_id": e.entity_id,
             "unit_id": e.unit_id, "before": e.before, "after": e.after}
            for e in entries
        ])

    async def redact(self, entity: str, entity_id: int, fields: Sequence[str]) -> None:
        rows = await self._s.scalars(
            select(AuditRow).where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
        )
        for row in rows:
            row.before = _blanked(row.before, fields)
            row.after = _blanked(row.after, fields)
        await self._s.flush()

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        rows = await self._s.scalars(
            select(AuditRow)
            .where(AuditRow.entity == entity, AuditRow.entity_id == entity_id)
            .order_by(AuditRow.id)
        )
        return [
            AuditEntry(
                at=utc(r.at) or r.at,
                actor=Actor(label=r.actor_label, official_id=r.actor_id),
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                unit_id=r.unit_id,
                before=r.before,
                after=r.after,
            )
            for r in rows
        ]
