"""The outbox table: queued notifications, claimed and marked by the sender."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.model import OutboxMessage
from storage.chat_repositories import _insert
from storage.models import OutboxRow


class SqlOutbox:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, message: OutboxMessage) -> bool:
        result = await self._s.execute(
            _insert(self._s)(OutboxRow)
            .values(
                channel=message.channel, chat_id=message.chat_id, locale=message.locale,
                reply=message.reply, dedupe_key=message.dedupe_key,
                created_at=message.created_at, not_before=message.not_before,
                attempts=0, dead=False,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
        return bool(result.rowcount)
