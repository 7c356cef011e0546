"""The monthly report's sums for one unit only (report_input's `within`, what the dashboard
asks for): every figure of that unit and the units below it equals the whole dataset's
report and the hand-worked story (tests/core/test_figures.py), and no row outside it is
read into the sums."""

from __future__ import annotations

import pytest

from core.figures import Month, compute
from core.model import Level, Unit
from core.services.reports import monthly_report
from storage.report_queries import _within
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


def test_a_whole_commune_is_found_by_its_commune_alone() -> None:
    """A commune or what holds it: every village of its communes is in scope, so residents
    are found by commune alone (the planner misjudged commune and village together at a
    district's size); a village that shares its commune still names its village."""
    p = Unit(1, "t", "P", "P", Level.PROVINCE)
    d = Unit(2, "t", "D", "D", Level.DISTRICT, 1)
    c, c2 = Unit(3, "t", "C", "C", Level.COMMUNE, 2), Unit(4, "t", "C2", "C2", Level.COMMUNE, 2)
    v1, v2 = Unit(5, "t", "V1", "V1", Level.VILLAGE, 3), Unit(6, "t", "V2", "V2", Level.VILLAGE, 3)
    w = Unit(7, "t", "W", "W", Level.VILLAGE, 4)  # the only village of C2
    units = [p, d, c, c2, v1, v2, w]
    expected = {p: True, d: True, c: True, c2: True, v1: False, v2: False, w: True}
    for unit, whole in expected.items():
        scope = _within(units, set(below(units, unit)))
        assert scope.whole is whole, unit.code
        assert ("village_id" in str(scope.residents())) is not whole, unit.code
    assert _within(units, {2, 3, 4, 5, 6, 7}).communes == [3, 4]


@pytest.mark.parametrize("month", [SEPTEMBER, OCTOBER], ids=["september", "october"])
async def test_a_units_report_from_its_own_rows_is_the_hand_worked_one(story: Story,
                                                                       month: Month) -> None:
    """monthly_report with `within` (what a commune's or a village's dashboard asks for):
    the figures of the unit and of every unit below it are the hand-worked story's."""
    units = list(story.unit.values())
    hand = expected_input(month, units)
    async with story.u() as uow:
        for unit in units:
            report = await monthly_report(uow, "test", month, unit.id, below(units, unit))
            expected = compute(hand, unit.id)
            for u in below(units, unit):
                assert report.figures[u] == expected.figures[u], (unit.code, u)
