"""The coverage chart of a commune reads its own residents and supports (issue 21: the
dashboard and reports pages at national size), and the units it needs are kept until a unit
is saved: the same months and figures as when every support of the country was grouped,
worked out on the story of tests/core/test_figures.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from core.priority import VIETNAM
from storage.units import units_of
from storage.uow import SqlUnitOfWorkFactory
from tests.core.test_figures import A1, B1, A, B, P
from tests.storage.test_report_views import Story, build_units, tell

END = datetime(2023, 12, 20, 8, tzinfo=VIETNAM).astimezone(UTC)


async def test_each_communes_chart_is_its_share_of_the_provinces(
    uow: SqlUnitOfWorkFactory,
) -> None:
    story = Story(uow, await build_units(uow))
    await tell(story)
    async with uow() as u:
        charts = {code: await u.views.coverage_by_month("test", story.unit[code].id, END,
                                                        VIETNAM)
                  for code in (P, A, B)}
    months = ["2023-08", "2023-09", "2023-10", "2023-11", "2023-12"]
    for chart in charts.values():
        assert [p.month.label for p in chart] == months
    people = {code: [p.uncovered_adults for p in chart] for code, chart in charts.items()}
    homes = {code: [p.uncovered_households for p in chart] for code, chart in charts.items()}
    assert people == EXPECTED_PEOPLE
    assert homes == EXPECTED_HOMES
    for k in range(len(months)):  # the communes split the province, nothing counted twice
        assert people[P][k] == people[A][k] + people[B][k]
        assert homes[P][k] == homes[A][k] + homes[B][k]


async def test_a_saved_unit_is_read_again_by_its_transaction_and_the_next(
    uow: SqlUnitOfWorkFactory,
) -> None:
    units = {u.code: u for u in await build_units(uow)}
    async with uow() as u:
        before = {x.code: x for x in await units_of(u.session, "test")}
    assert before[B1].survey_done_at == units[B1].survey_done_at
    moved = datetime(2024, 1, 5, tzinfo=UTC)
    async with uow() as u:
        await u.units.save(replace(before[B1], survey_done_at=moved))
        # the saving transaction reads its own change
        assert {x.code: x for x in await units_of(u.session, "test")}[B1].survey_done_at \
            == moved
        await u.commit()
    async with uow() as u:
        after = {x.code: x for x in await units_of(u.session, "test")}
    assert after[B1].survey_done_at == moved
    assert after[A1] == before[A1]
    async with uow() as u:
        assert await units_of(u.session, "elsewhere") == []


# The story's uncovered adults and households at each month's end, August to December (the
# province's agree with its monthly reports, tests/core/test_report_runs.py): A1 surveyed from
# 20/08, B1 from 15/10, so commune B counts nobody before October. The query that grouped every
# support of the country gave the same.
EXPECTED_PEOPLE = {P: [1, 3, 4, 4, 4], A: [1, 3, 2, 2, 2], B: [0, 0, 2, 2, 2]}
EXPECTED_HOMES = {P: [1, 1, 2, 2, 2], A: [1, 1, 1, 1, 1], B: [0, 0, 1, 1, 1]}
