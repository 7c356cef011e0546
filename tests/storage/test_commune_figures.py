"""The dashboards' kept figures (core.services.reports.kept_report): a district's and a
province's figures from their communes' kept sums are the hand-worked story's
(tests/core/test_figures.py) at the first look and at every look after, whatever changed
in between, on SQLite and PostgreSQL; every table the report sums marks the commune a write
touched; and of two dashboards summing at once, the later never overwrites the newer."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select, text

from core.figures import Month, Report, compute
from core.model import Level, Policy, Poverty, SupportKind, Unit
from core.page_views import Place
from core.services.reports import keep_figures, kept_report, monthly_report
from storage.models import FigureChangeRow
from tests.core.test_figures import OCTOBER, SEPTEMBER, expected_input
from tests.storage.test_report_scope import below
from tests.storage.test_report_views import A1, Story, at, story
from tests.storage.test_report_views import A as COMMUNE_A
from tests.storage.test_report_views import B as COMMUNE_B
from tests.storage.test_report_views import D as DISTRICT
from tests.storage.test_report_views import P as PROVINCE

__all__ = ["story"]  # the story's fixture, written once for the storage tests
MONTHS = pytest.mark.parametrize("month", [SEPTEMBER, OCTOBER], ids=["september", "october"])


def shown(report: Report) -> dict[str, object]:
    """What a dashboard shows: the unit's figures and each child's."""
    ids = [report.root.id, *report.children.get(report.root.id, ())]
    return {report.figures[i].unit.code: report.figures[i] for i in ids}


async def look(s: Story, month: Month, code: str) -> tuple[Report, dict[str, int]]:
    """The dashboard's figures as the admin asks for them, in a unit of work of their own."""
    units = list(s.unit.values())
    return await _kept(s, month, s.unit[code], [u for u in units
                                                if u.id in below(units, s.unit[code])])


async def _kept(s: Story, month: Month, unit: Unit, under: list[Unit]
                ) -> tuple[Report, dict[str, int]]:
    async with s.u() as uow:
        return await kept_report(uow, month, unit, under,
                                 [u for u in under if u.level is Level.COMMUNE],
                                 [u for u in under if u.level is not Level.VILLAGE])


async def live(s: Story, month: Month, code: str) -> tuple[Report, dict[str, int]]:
    """The same month summed from every row, as the monthly report does."""
    units = list(s.unit.values())
    unit = s.unit[code]
    communes = tuple(u.id for u in units if u.level is Level.COMMUNE
                     and u.id in below(units, unit))
    async with s.u() as uow:
        report = await monthly_report(uow, "test", month, unit.id)
        return report, await uow.views.status_counts(Place(commune_ids=communes))


@MONTHS
@pytest.mark.parametrize("code", [PROVINCE, DISTRICT])
async def test_the_first_look_and_the_next_give_the_hand_worked_figures(
        story: Story, month: Month, code: str) -> None:
    hand = compute(expected_input(month, list(story.unit.values())), story.unit[code].id)
    for _ in range(2):  # summed and kept, then read back from what was kept
        report, statuses = await look(story, month, code)
        assert shown(report) == shown(hand)
        assert statuses == (await live(story, month, code))[1]
        assert sum(statuses.values()) == 12  # the story's twelve people
    async with story.u() as uow:
        kept = await uow.figures.kept(month.label, [story.unit[COMMUNE_A].id,
                                                    story.unit[COMMUNE_B].id])
    assert len(kept) == 2


async def test_each_change_is_seen_at_the_next_look(story: Story) -> None:
    """After the figures are kept, a write to any table the report sums (a person
    registered, a support, a handover confirmed, a receipt, a pledge earmarked for a
    commune, a transfer, a village's survey) shows at the next look, as summed live."""
    month = OCTOBER
    await look(story, month, PROVINCE)
    a1 = story.unit[A1]
    household = await story.household(A1, Poverty.POOR, Policy.NONE)
    await story.person("a1", household, 1990, at("20/10"), at("21/10"))
    await story.receipt("BN-9", COMMUNE_B, at("21/10"), phones=3)
    await story.transfer(PROVINCE, COMMUNE_B, at("22/10"), phones=2)
    await story.transfer(COMMUNE_B, COMMUNE_A, at("23/10"), phones=1)
    support = await story.support("a1", SupportKind.WHOLE, COMMUNE_A, at("24/10"), holder=COMMUNE_B)
    await story.handover(support, "HA9", at("25/10"), at("26/10"))
    async with story.u() as uow:
        await uow.units.save(replace(a1, adult_population=(a1.adult_population or 0) + 5))
        await uow.commit()
    for code in (PROVINCE, DISTRICT):
        report, statuses = await look(story, month, code)
        expected, counts = await live(story, month, code)
        assert shown(report) == shown(expected), code
        assert statuses == counts, code
    before = shown(compute(expected_input(month, list(story.unit.values())),
                           story.unit[PROVINCE].id))
    assert shown(report) != before  # the changes did change what the dashboard shows


async def test_every_table_the_report_sums_marks_the_commune_it_touched(story: Story) -> None:
    """An UPDATE that changes nothing still marks: the database, not the code, says which
    commune a row belongs to, through each table's own way to it."""
    a, b = story.unit[COMMUNE_A].id, story.unit[COMMUNE_B].id
    # table -> the commune of the row chosen (its first), found by hand in the story
    expected = {"residents": a, "households": a, "supports": a, "handovers": a,
                "pledges": b, "receipts": a, "units": None}
    async with story.u() as uow:
        session = uow.session  # type: ignore[attr-defined]
        await session.execute(text("DELETE FROM figure_changes"))
        for table, commune in expected.items():
            first = await session.scalar(text(
                f"SELECT min(id) FROM {table}" + (" WHERE commune_id IS NOT NULL"
                                                  if table == "pledges" else "")))
            await session.execute(text(f"UPDATE {table} SET id = id WHERE id = :id"),
                                  {"id": first})
            marks = set(await session.scalars(select(FigureChangeRow.unit_id)))
            await session.execute(text("DELETE FROM figure_changes"))
            if commune is not None:
                assert commune in marks, table
            else:
                assert marks, table  # the province: its own id, nothing above it
        await uow.rollback()


async def test_a_look_leaves_the_marks_of_communes_it_does_not_show(story: Story) -> None:
    """A commune's dashboard elsewhere keeps its own marks: only the province's look, which
    shows commune B, takes B's mark away."""
    units = list(story.unit.values())
    await look(story, OCTOBER, PROVINCE)
    await story.receipt("BN-8", COMMUNE_B, at("21/10"), phones=4)
    b = story.unit[COMMUNE_B]
    a_only = [u for u in units if u.id in below(units, story.unit[COMMUNE_A])]
    # a look at a unit that holds commune A but not B
    await _kept(story, OCTOBER, story.unit[DISTRICT], [story.unit[DISTRICT], *a_only])
    assert b.id in await _marked(story)
    await look(story, OCTOBER, PROVINCE)
    assert b.id not in await _marked(story)


async def test_an_older_sum_never_overwrites_a_newer_one(story: Story) -> None:
    """Two dashboards read the marks; the second keeps its sums first; the first then
    keeps nothing (its sums may be from before a write the second saw)."""
    communes = [story.unit[COMMUNE_A].id, story.unit[COMMUNE_B].id]
    await look(story, OCTOBER, PROVINCE)
    await story.receipt("BN-7", COMMUNE_A, at("21/10"), phones=1)
    async with story.u() as first:  # (SQLite lets no two interleave: one after the other)
        stale = await first.figures.stale("test", communes)
        older = await first.figures.kept(OCTOBER.label, communes)
    assert story.unit[COMMUNE_A].id in stale.communes
    await look(story, OCTOBER, PROVINCE)  # another dashboard keeps the newer sums
    async with story.u() as first:
        assert not await first.figures.keep(stale, OCTOBER.label, older)
        await first.commit()
    report, _ = await look(story, OCTOBER, PROVINCE)
    expected, _ = await live(story, OCTOBER, PROVINCE)
    assert shown(report) == shown(expected)
    assert not await _marked(story)


async def _marked(story: Story) -> set[int]:
    async with story.u() as uow:
        session = uow.session  # type: ignore[attr-defined]
        rows = await session.execute(select(FigureChangeRow.unit_id, func.count())
                                     .group_by(FigureChangeRow.unit_id))
        return {unit_id for unit_id, _n in rows}



async def test_the_hourly_keep_sums_what_changed_and_nothing_else(story: Story) -> None:
    """The scheduler's tick keeps every commune's month (the first of a month: all of
    them), then only those written to since; a look after it sums nothing again."""
    assert await keep_figures(story.u, "test", OCTOBER) == 2  # communes A and B
    assert await keep_figures(story.u, "test", OCTOBER) == 0
    await story.receipt("BN-6", COMMUNE_B, at("21/10"), phones=2)
    assert await keep_figures(story.u, "test", OCTOBER) == 1
    assert not await _marked(story)
    report, _ = await look(story, OCTOBER, PROVINCE)
    expected, _ = await live(story, OCTOBER, PROVINCE)
    assert shown(report) == shown(expected)
    # the next month: nothing kept for it yet
    assert await keep_figures(story.u, "test", Month(2023, 11)) == 2
