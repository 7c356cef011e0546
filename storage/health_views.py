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
from storage.models import (
    ChatRow,
    OutboxRow,
    RefusedDeliveryRow,
    ZaloChannelStatusRow,
    ZaloErrorRow,
    ZaloOATokenRow,
    ZaloProactiveRow,
)
from storage.sql import utc
from storage.zalo_events import month_of


class SqlHealthViews:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def channel_records(self, since: datetime, now: datetime) -> dict[str, ChannelRecord]:
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
        # What the Zalo channels record themselves: updates and sends, the plain-text choice,
        # the codes Zalo answered, and this month's proactive messages.
        zalo = {r.channel: r for r in (await s.execute(
            select(ZaloChannelStatusRow.__table__))).all()}
        answered = (await s.execute(
            select(ZaloErrorRow.channel, ZaloErrorRow.code, func.count())
            .where(ZaloErrorRow.at >= since)
            .group_by(ZaloErrorRow.channel, ZaloErrorRow.code)
        )).tuples().all()
        proactive = dict((await s.execute(
            select(ZaloProactiveRow.channel, ZaloProactiveRow.sent)
            .where(ZaloProactiveRow.month == month_of(now))
        )).tuples().all())

        errors: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for channel, reason, count in failed:
            errors[channel][error_code(reason or "")] += count
        for channel, code, count in answered:
            key = str(code)  # the platform's own count: the larger of it and the outbox's
            errors[channel][key] = max(errors[channel][key], count)
        for channel, code, count in refused:
            # A refusal that went through the outbox is also among its failed rows: the
            # larger of the two counts, never their sum.
            key = str(code)
            errors[channel][key] = max(errors[channel][key], count)

        names = {*seen, *outbox, *errors, *zalo, *proactive}
        if expires is not None:
            names.add(Channel.ZALO_OA.value)
        records = {}
        for name in names:
            last_send, waiting, dead = outbox.get(name, (None, 0, 0))
            own = zalo.get(name)
            records[name] = ChannelRecord(
                channel=name,
                last_update=_latest(seen.get(name), own.last_update_at if own else None),
                last_send=_latest(last_send, own.last_send_at if own else None),
                errors=dict(errors.get(name, {})), waiting=int(waiting), dead=int(dead),
                token_expires=utc(expires) if name == Channel.ZALO_OA.value else None,
                proactive_month=(int(proactive.get(name, 0))
                                 if name == Channel.ZALO_OA.value else None),
                plain_text=bool(own.plain_text) if own else None)
        return records


def _latest(*moments: datetime | None) -> datetime | None:
    known = [utc(m) for m in moments if m is not None]
    return max((m for m in known if m is not None), default=None)
