"""The programme's named locks: a versioned row per name, taken FOR UPDATE."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProgrammeLockRow
from storage.sql import conflict_insert


class SqlLocks:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def take(self, name: str) -> int:
        await self._s.execute(
            conflict_insert(self._s)(ProgrammeLockRow)
            .values(name=name, version=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        version = await self._s.scalar(
            select(ProgrammeLockRow.version).where(ProgrammeLockRow.name == name).with_for_update()
        )
        return int(version or 0)

    async def bump(self, name: str) -> None:
        await self._s.execute(
            update(ProgrammeLockRow)
            .where(ProgrammeLockRow.name == name)
            .values(version=ProgrammeLockRow.version + 1)
        )
