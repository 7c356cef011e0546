"""After the handover: follow-up questions, guidance sessions and the set-up tasks left."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import (
    Confirmation,
    FollowUp,
    GuidanceSession,
    Handover,
    PhoneState,
    PhoneUse,
    Task,
)
from storage.handovers import handover_from_row
from storage.models import (
    FollowUpRow,
    GuidanceAttendeeRow,
    GuidanceSessionRow,
    HandoverRow,
    ResidentRow,
    SupportRow,
    TaskDoneRow,
)
from storage.sql import changed, conflict_insert, utc

CONFIRMED = (Confirmation.CONFIRMED.value, Confirmation.PAPER.value)


def follow_up_from_row(row: FollowUpRow) -> FollowUp:
    return FollowUp(
        id=row.id, handover_id=row.handover_id, day=row.day, asked_at=utc(row.asked_at),
        channel=row.channel, chat_id=row.chat_id, for_village_head=row.for_village_head,
        answered_at=utc(row.answered_at),
        phone_state=PhoneState(row.phone_state) if row.phone_state else None,
        uses=tuple(PhoneUse(u) for u in row.uses or ()), wants_help=row.wants_help,
    )


class SqlAftercare:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def due(self, now: datetime, day: int, limit: int) -> list[Handover]:
        later = exists().where(and_(FollowUpRow.handover_id == HandoverRow.id,
                                    FollowUpRow.day >= day))
        rows = await self._s.scalars(
            select(HandoverRow)
            .where(HandoverRow.handed_at <= now - timedelta(days=day),
                   HandoverRow.confirmation.in_(CONFIRMED), ~later)
            .order_by(HandoverRow.handed_at, HandoverRow.id).limit(limit))
        return [handover_from_row(r) for r in rows]

    async def add(self, follow_up: FollowUp) -> FollowUp | None:
        new_id = await self._s.scalar(
            conflict_insert(self._s)(FollowUpRow.__table__)
            .values(handover_id=follow_up.handover_id, day=follow_up.day,
                    asked_at=follow_up.asked_at, channel=follow_up.channel,
                    chat_id=follow_up.chat_id, for_village_head=follow_up.for_village_head,
                    uses=[])
            .on_conflict_do_nothing(index_elements=["handover_id", "day"])
            .returning(FollowUpRow.id))
        return await self.get(new_id) if new_id is not None else None

    async def get(self, follow_up_id: int) -> FollowUp | None:
        row = await self._s.get(FollowUpRow, follow_up_id, populate_existing=True)
        return follow_up_from_row(row) if row else None

    async def update(self, follow_up: FollowUp) -> None:
        row = await self._s.get(FollowUpRow, follow_up.id)
        if row is None:
            raise LookupError(follow_up.id)
        row.answered_at = follow_up.answered_at
        row.phone_state = follow_up.phone_state.value if follow_up.phone_state else None
        row.uses = [u.value for u in follow_up.uses]
        row.wants_help = follow_up.wants_help
        await self._s.flush()

    async def waiting_answer(self, channel: str, chat_id: str) -> list[FollowUp]:
        rows = await self._s.scalars(
            select(FollowUpRow)
            .where(FollowUpRow.channel == channel, FollowUpRow.chat_id == chat_id,
                   FollowUpRow.answered_at.is_(None), FollowUpRow.asked_at.is_not(None))
            .order_by(FollowUpRow.asked_at, FollowUpRow.id))
        return [follow_up_from_row(r) for r in rows]

    async def of_handovers(self, handover_ids: Sequence[int]) -> list[FollowUp]:
        if not handover_ids:
            return []
        rows = await self._s.scalars(
            select(FollowUpRow).where(FollowUpRow.handover_id.in_(list(handover_ids)))
            .order_by(FollowUpRow.handover_id, FollowUpRow.day))
        return [follow_up_from_row(r) for r in rows]

    async def add_session(self, session: GuidanceSession) -> GuidanceSession:
        row = GuidanceSessionRow(village_id=session.village_id, held_on=session.held_on,
                                 led_by=session.led_by, recorded_by=session.recorded_by,
                                 recorded_at=session.recorded_at)
        self._s.add(row)
        await self._s.flush()
        self._s.add_all(GuidanceAttendeeRow(session_id=row.id, resident_id=r)
                        for r in sorted(set(session.attendees)))
        await self._s.flush()
        return GuidanceSession(row.id, row.village_id, row.held_on, row.led_by,
                               row.recorded_by, session.recorded_at,
                               tuple(sorted(set(session.attendees))))

    async def sessions(self, village_ids: Sequence[int]) -> list[GuidanceSession]:
        if not village_ids:
            return []
        rows = list(await self._s.scalars(
            select(GuidanceSessionRow)
            .where(GuidanceSessionRow.village_id.in_(list(village_ids)))
            .order_by(GuidanceSessionRow.held_on.desc(), GuidanceSessionRow.id.desc())))
        came: defaultdict[int, list[int]] = defaultdict(list)
        if rows:
            for a in await self._s.scalars(select(GuidanceAttendeeRow).where(
                    GuidanceAttendeeRow.session_id.in_([r.id for r in rows]))):
                came[a.session_id].append(a.resident_id)
        return [GuidanceSession(r.id, r.village_id, r.held_on, r.led_by, r.recorded_by,
                                utc(r.recorded_at) or r.recorded_at,
                                tuple(sorted(came[r.id]))) for r in rows]

    async def wanting_help(self, village_ids: Sequence[int]) -> list[tuple[FollowUp, int]]:
        if not village_ids:
            return []
        rows = (await self._s.execute(
            select(FollowUpRow, ResidentRow.id, ResidentRow.village_id)
            .join(HandoverRow, HandoverRow.id == FollowUpRow.handover_id)
            .join(SupportRow, SupportRow.id == HandoverRow.support_id)
            .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
            .where(FollowUpRow.wants_help.is_(True),
                   ResidentRow.village_id.in_(list(village_ids)))
            .order_by(FollowUpRow.answered_at, FollowUpRow.id))).all()
        if not rows:
            return []
        attended: defaultdict[int, list[datetime]] = defaultdict(list)
        for resident_id, held_on in (await self._s.execute(
                select(GuidanceAttendeeRow.resident_id, GuidanceSessionRow.held_on)
                .join(GuidanceSessionRow,
                      GuidanceSessionRow.id == GuidanceAttendeeRow.session_id)
                .where(GuidanceAttendeeRow.resident_id.in_([r[1] for r in rows])))).all():
            attended[resident_id].append(held_on)
        waiting: dict[int, tuple[FollowUp, int]] = {}
        for row, resident_id, _village in rows:
            follow_up = follow_up_from_row(row)
            answered = follow_up.answered_at.date() if follow_up.answered_at else None
            if answered and any(d >= answered for d in attended[resident_id]):
                continue
            waiting[resident_id] = (follow_up, resident_id)  # the latest answer stands
        return list(waiting.values())

    async def tasks(self, village_ids: Sequence[int]) -> list[Task]:
        if not village_ids:
            return []
        rows = (await self._s.execute(
            select(HandoverRow, ResidentRow.id, ResidentRow.village_id)
            .join(SupportRow, SupportRow.id == HandoverRow.support_id)
            .join(ResidentRow, ResidentRow.id == SupportRow.resident_id)
            .where(ResidentRow.village_id.in_(list(village_ids)))
            .order_by(HandoverRow.handed_at, HandoverRow.id))).all()
        undone = [(h, r, v) for h, r, v in rows
                  if any(not ticked for ticked in (h.checklist or {}).values())]
        if not undone:
            return []
        done = {(d.handover_id, d.item): utc(d.done_at) for d in await self._s.scalars(
            select(TaskDoneRow).where(TaskDoneRow.handover_id.in_([h.id for h, _, _ in undone])))}
        return [Task(h.id, item, resident_id, village_id, utc(h.handed_at) or h.handed_at,
                     done.get((h.id, item)))
                for h, resident_id, village_id in undone
                for item, ticked in (h.checklist or {}).items() if not ticked]

    async def task_done(self, handover_id: int, item: str, at: datetime,
                        by: int | None) -> bool:
        result = await self._s.execute(
            conflict_insert(self._s)(TaskDoneRow.__table__)
            .values(handover_id=handover_id, item=item, done_at=at, done_by=by)
            .on_conflict_do_nothing(index_elements=["handover_id", "item"]))
        return changed(result)
