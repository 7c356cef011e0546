"""What the channels' health page reads from the database (core.ports.HealthViews).

From what is stored today: the chats' last_seen_at (the last update received), the outbox
(the last message sent, those waiting, those that failed), the refused deliveries (Zalo OA
-230) and the OA token's expiry.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.channel_health import ChannelRecord, error_code
from core.messages import Channel
from storage.models import ChatRow, OutboxRow, RefusedDeliveryRow, ZaloOATokenRow
from storage.sql import utc


class SqlHealthViews:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def channel_records(self, since: datetime) -> dict[str, ChannelRecord]:
        s = self._session
        seen = dict((await s.execute(
            select(ChatRow.channel, func.max(ChatRow.last_seen_at)).group_by(ChatRow.channel)
        )).tuples().all())
        unsent = and_(OutboxRow.sent_at.is_(None), OutboxRow.dead.is_(False))
        given_up = and_(OutboxRow.dead.is_(True), OutboxRow.not_before >= since)
        outbox = {row[0]: row[1:] for row in (await s.execute(
            select(OutboxRow.channel, func.max(OutboxRow.sent_at),
                   func.count(case((unsent, 1))), func.count(case((given_up, 1))))
            .group_by(OutboxRow.channel)
        )).tuples()}
        # A failed attempt moves not_before to its retry (or, when given up, to the moment
        # it failed): a row whose not_before is after `since` failed within the window.
        failed = (await s.execute(
            select(OutboxRow.channel, OutboxRow.last_error, func.count())
            .where(OutboxRow.sent_at.is_(None), OutboxRow.attempts > 0,
                   OutboxRow.last_error.is_not(None), OutboxRow.not_before >= since)
            .group_by(OutboxRow.channel, OutboxRow.last_error)
        )).tuples().all()
        refused = (await s.execute(
            select(RefusedDeliveryRow.channel, RefusedDeliveryRow.error_code, func.count())
            .where(RefusedDeliveryRow.at >= since)
            .group_by(RefusedDeliveryRow.channel, RefusedDeliveryRow.error_code)
        )).tuples().all()
        expires = await s.scalar(select(ZaloOATokenRow.expires_at).limit(1))

        errors: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for channel, reason, count in failed:
            errors[channel][error_code(reason or "")] += count
        for channel, code, count in refused:
            # A refusal that went through the outbox is also among its failed rows: the
            # larger of the two counts, never their sum.
            key = str(code)
            errors[channel][key] = max(errors[channel][key], count)

        names = {*seen, *outbox, *errors}
        if expires is not None:
            names.add(Channel.ZALO_OA.value)
        records = {}
        for name in names:
            last_send, waiting, dead = outbox.get(name, (None, 0, 0))
            records[name] = ChannelRecord(
                channel=name, last_update=utc(seen.get(name)), last_send=utc(last_send),
                errors=dict(errors.get(name, {})), waiting=int(waiting), dead=int(dead),
                token_expires=utc(expires) if name == Channel.ZALO_OA.value else None)
        return records
