"""Postings of communes' lists, what each showed, and the objections to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.posting import Objection, PostedLine, Posting, Verdict
from storage.models import ObjectionRow, PostingLineRow, PostingRow


class SqlPostings:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, posting: Posting) -> Posting:
        row = PostingRow(commune_id=posting.commune_id, opened_at=posting.opened_at,
                         closes_at=posting.closes_at, opened_by=posting.opened_by)
        self._s.add(row)
        await self._s.flush()
        self._s.add_all(PostingLineRow(
            posting_id=row.id, number=line.number, resident_id=line.resident_id,
            short_name=line.short_name, born_year=line.born_year, village=line.village,
            support=line.support) for line in posting.lines)
        await self._s.flush()
        return await self._posting(row)

    async def get(self, posting_id: int) -> Posting | None:
        row = await self._s.get(PostingRow, posting_id)
        return await self._posting(row) if row else None

    async def current(self, commune_id: int) -> Posting | None:
        return await self._last(commune_id, open_only=True)

    async def current_in(self, commune_ids: Sequence[int]) -> list[Posting]:
        # the postings not yet committed are few (one a commune at most): read them all
        wanted = set(commune_ids)
        rows = await self._s.scalars(select(PostingRow).where(PostingRow.closed_at.is_(None))
                                     .order_by(PostingRow.id))
        return [await self._posting(r) for r in rows if r.commune_id in wanted]

    async def latest(self, commune_id: int) -> Posting | None:
        return await self._last(commune_id, open_only=False)

    async def close(self, posting_id: int, at: datetime, plan_id: int) -> None:
        await self._s.execute(update(PostingRow).where(PostingRow.id == posting_id)
                              .values(closed_at=at, plan_id=plan_id))

    async def forget(self, resident_id: int, name: str) -> None:
        await self._s.execute(update(PostingLineRow)
                              .where(PostingLineRow.resident_id == resident_id)
                              .values(short_name=name))

    async def add_objection(self, objection: Objection) -> Objection:
        row = ObjectionRow(posting_id=objection.posting_id, line_number=objection.line_number,
                           reason=objection.reason, at=objection.at, chat_ref=objection.chat_ref,
                           recorded_by=objection.recorded_by, answer="")
        self._s.add(row)
        await self._s.flush()
        return _objection(row)

    async def objection(self, objection_id: int) -> Objection | None:
        row = await self._s.get(ObjectionRow, objection_id)
        return _objection(row) if row else None

    async def objections(self, posting_id: int) -> list[Objection]:
        rows = await self._s.scalars(select(ObjectionRow)
                                     .where(ObjectionRow.posting_id == posting_id)
                                     .order_by(ObjectionRow.id))
        return [_objection(r) for r in rows]

    async def answer(self, objection_id: int, verdict: Verdict, answer: str, at: datetime,
                     by: int | None) -> bool:
        # conditional on no answer yet: of two officers answering at once, one wins
        done = await self._s.execute(
            update(ObjectionRow)
            .where(ObjectionRow.id == objection_id, ObjectionRow.verdict.is_(None))
            .values(verdict=verdict.value, answer=answer, answered_at=at, answered_by=by)
            .execution_options(synchronize_session=False))
        return bool(getattr(done, "rowcount", 0))

    async def _last(self, commune_id: int, open_only: bool) -> Posting | None:
        query = select(PostingRow).where(PostingRow.commune_id == commune_id)
        if open_only:
            query = query.where(PostingRow.closed_at.is_(None))
        row = await self._s.scalar(query.order_by(PostingRow.id.desc()).limit(1))
        return await self._posting(row) if row else None

    async def _posting(self, row: PostingRow) -> Posting:
        lines = await self._s.scalars(select(PostingLineRow)
                                      .where(PostingLineRow.posting_id == row.id)
                                      .order_by(PostingLineRow.number))
        return Posting(
            id=row.id, commune_id=row.commune_id, opened_at=row.opened_at,
            closes_at=row.closes_at, opened_by=row.opened_by, closed_at=row.closed_at,
            plan_id=row.plan_id,
            lines=tuple(PostedLine(number=x.number, resident_id=x.resident_id,
                                   short_name=x.short_name, born_year=x.born_year,
                                   village=x.village, support=x.support) for x in lines))


def _objection(row: ObjectionRow) -> Objection:
    return Objection(
        id=row.id, posting_id=row.posting_id, line_number=row.line_number, reason=row.reason,
        at=row.at, chat_ref=row.chat_ref, recorded_by=row.recorded_by,
        verdict=Verdict(row.verdict) if row.verdict else None, answer=row.answer or "",
        answered_at=row.answered_at, answered_by=row.answered_by)
