"""Each commune's month kept summed (core.ports.CommuneFiguresRepository), so that a
district's or a province's dashboard adds up a row per commune instead of summing a
million residents on every request.

Which communes are stale is known from figure_changes, written by the database's triggers
on every table the report sums (migration 0018): no path of the code can change a figure
without marking its unit. A dashboard reads the marks, sums the communes they name (and those
kept for another month, or never), and deletes exactly the marks it read with the rows it
writes: a mark committed after it read them stays for the next. Two dashboards summing at
once both read the figure_generation number first; the second to write finds it moved and
keeps nothing, so an older sum never overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast
from weakref import WeakKeyDictionary

from sqlalchemy import Table, case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.figures import Kept, Stale
from core.model import Level
from storage.models import (
    CommuneFiguresRow,
    FigureChangeRow,
    FigureGenerationRow,
    ResidentRow,
    UnitRow,
)
from storage.sql import BOUND_IDS, among, changed, conflict_insert

ROW = 1  # figure_generation's only row, made by the migration
KEPT = cast(Table, CommuneFiguresRow.__table__)
# Each database's kept figures as this process last decoded them: commune id -> (the
# generation that wrote them, the figures). A generation writes a commune once at most, so
# the same number means the same figures.
_HELD: WeakKeyDictionary[object, dict[int, tuple[int, Kept]]] = WeakKeyDictionary()


class SqlCommuneFigures:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def stale(self, dataset: str, communes: Sequence[int]) -> Stale:
        generation = await self._s.scalar(select(FigureGenerationRow.generation)
                                          .where(FigureGenerationRow.id == ROW))
        # each mark's commune: a village's, a commune itself; None above the communes
        commune = case((UnitRow.level == Level.VILLAGE.value, UnitRow.parent_id),
                       (UnitRow.level == Level.COMMUNE.value, UnitRow.id), else_=None)
        marks = (await self._s.execute(
            select(FigureChangeRow.id, commune)
            .join(UnitRow, UnitRow.id == FigureChangeRow.unit_id)
            .where(UnitRow.dataset == dataset))).all()
        wanted = set(communes)
        # the marks of these communes, and of units above any commune (summed live): those
        # of other communes and other datasets are left for their own dashboards
        ours = [(i, c) for i, c in marks if c is None or c in wanted]
        return Stale(int(generation or 0), tuple(i for i, _c in ours),
                     tuple(sorted({c for _i, c in ours if c is not None})))

    async def keep(self, stale: Stale, month: str, kept: Mapping[int, Kept]) -> bool:
        moved = await self._s.execute(
            update(FigureGenerationRow)
            .where(FigureGenerationRow.id == ROW,
                   FigureGenerationRow.generation == stale.generation)
            .values(generation=stale.generation + 1))
        if not changed(moved) and not (stale.generation == 0 and changed(
                await self._s.execute(conflict_insert(self._s)(FigureGenerationRow)
                                      .values(id=ROW, generation=1)
                                      .on_conflict_do_nothing()))):
            return False  # another dashboard wrote since these were read: its are as new
        if stale.marks:
            await self._s.execute(delete(FigureChangeRow).where(
                among(FigureChangeRow.id, stale.marks)))
        if kept:
            insert = conflict_insert(self._s)(KEPT)
            await self._s.execute(
                insert.on_conflict_do_update(index_elements=[KEPT.c.commune_id], set_={
                    c: insert.excluded[c] for c in ("month", "generation", "sums",
                                                    "statuses")}),
                [{"commune_id": c, "month": month, "generation": stale.generation + 1,
                  "sums": [list(v) for v in k.sums], "statuses": dict(k.statuses)}
                 for c, k in kept.items()])
        return True

    async def kept(self, month: str, communes: Sequence[int]) -> dict[int, Kept]:
        # Which generation wrote each commune's figures first (two numbers a row), then the
        # figures themselves only for those this process does not hold: a province's ten
        # thousand decoded on each look cost more than all the rest of its dashboard.
        wanted = set(communes)
        numbers = select(KEPT.c.commune_id, KEPT.c.generation).where(KEPT.c.month == month)
        if len(communes) <= BOUND_IDS:  # a province's: every row of the month, sifted here
            numbers = numbers.where(among(KEPT.c.commune_id, communes))
        written = {c: g for c, g in await self._s.execute(numbers) if c in wanted}
        held = _HELD.setdefault(self._s.get_bind(), {})
        missing = [c for c, g in written.items() if held.get(c, (0, None))[0] != g]
        if missing:
            rows = await self._s.execute(
                select(KEPT.c.commune_id, KEPT.c.generation, KEPT.c.sums, KEPT.c.statuses)
                .where(among(KEPT.c.commune_id, missing)))
            for commune_id, generation, sums, statuses in rows:
                held[commune_id] = (generation, Kept(tuple(sums), statuses))
        return {c: held[c][1] for c, g in written.items() if held.get(c, (0, None))[0] == g}

    async def statuses(self, communes: Sequence[int]) -> dict[int, dict[str, int]]:
        """Each commune's residents by status."""
        out: dict[int, dict[str, int]] = {c: {} for c in communes}
        rows = await self._s.execute(
            select(ResidentRow.commune_id, ResidentRow.status, func.count())
            .where(among(ResidentRow.commune_id, sorted(communes)))
            .group_by(ResidentRow.commune_id, ResidentRow.status))
        for commune_id, status, n in rows:
            out[commune_id][status] = int(n)
        return out

