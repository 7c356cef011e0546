"""The monthly report's sums for one unit only (report_input's `within`, what the dashboard
asks for): every figure of that unit and the units below it equals the whole dataset's
report and the hand-worked story (tests/core/test_figures.py), and no row outside it is
read into the sums."""

from __future__ import annotations

import pytest

from core.figures import Month, compute
from core.model import Unit
from tests.core.test_figures import OCTOBER, SEPTEMBER, expected_input
from tests.storage.test_report_views import Story, story, without_zeros

__all__ = ["story"]  # the story's fixture, written once for both files


def below(units: list[Unit], top: Unit) -> list[int]:
    """The unit and every unit under it."""
    out, edge = [top.id], [top.id]
    while edge:
        edge = [u.id for u in units if u.parent_id in edge]
        out += edge
    return out


@pytest.mark.parametrize("month", [SEPTEMBER, OCTOBER], ids=["september", "october"])
async def test_each_units_own_sums_give_its_whole_report(story: Story, month: Month) -> None:
    units = list(story.unit.values())
    hand = expected_input(month, units)
    async with story.u() as uow:
        whole = await uow.views.report_input("test", month)
        for unit in units:
            within = below(units, unit)
            own = await uow.views.report_input("test", month, within)
            assert compute(own, unit.id).figures == compute(whole, unit.id).figures, unit.code
            assert compute(own, unit.id).figures == compute(hand, unit.id).figures, unit.code
            scoped = without_zeros(own)
            read = (scoped.to_date.tallies.keys() | scoped.at_end.keys()
                    | scoped.at_start.keys())
            assert read <= set(within), unit.code  # nothing of another unit was summed
    lowest = [u for u in units if not any(x.parent_id == u.id for x in units)]
    assert lowest and len(lowest) < len(units)  # villages, and units above them, were asked
