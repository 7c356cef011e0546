"""The monthly report's figures: roll-up, transfers across borders, coverage and its change.

The data set below is the one tests/storage/test_report_views.py writes into a database:
two communes of one district, September and October 2023, with every kind of event. The tallies and
standings here are what storage must produce for it, worked out by hand from the story:

Coverage (DESIGN "Coverage"): A and B are pilot communes, C is not. A1 (10 adults, 6
households) was surveyed on 20/08, B1 (20 adults, 10 households) on 15/10 (local). C1 (50, 20;
NOT_PILOT, added where a test says so) was surveyed on 01/08, with 5 adults and 2 households
uncovered, but counts nowhere, its commune not being a pilot one. The units' own estimates
(the province's 100 adults, a commune's) are not what coverage divides by.

Commune A (village A1; 10 adults, 6 households):
  HA1 poor, merit family: a1 registered 20/08, approved 25/08, whole phone 05/09 (from A's
      stock), handed 10/09, confirmed 11/09; a2 registered 02/09, approved 03/09, part of the
      price 500.000 d 03/10 (from the province's funds), handed 05/10, not confirmed yet.
  HA2 near-poor: a3 registered 04/09, approved 01/10 00:30 local (30/09 17:30 UTC: October);
      a4 has a smartphone (so HA2 is covered, and a4 is no registration "without a phone").
  HA3 not poor: a5 registered 06/09, approved 07/09, a shop's offer 20/09.
  HA4 poor, social-policy family: a6 registered 08/09, approved 09/09, still waiting;
      a7 registered 10/10, rejected (left out everywhere).
Commune B (village B1; 20 adults, 10 households):
  HB1 poor: b1, b2 registered 12/09, approved 13/09; b2 whole phone 02/10 (B's stock),
      handed 04/10, confirmed on paper 05/10; b1 a direct gift 20/10.
  HB2 near-poor, merit family: b3 registered 01/10, approved 02/10, another programme 25/10.
  HB3 poor: b4 registered 01/08, never approved.
  HB4 near-poor, the household has a smartphone: b5 registered 15/09, approved 16/09; a
      whole phone assigned 18/09 and cancelled (left out everywhere), still waiting.
Pledges: 2 phones, anywhere, 31/08 23:59 local (August); 10.000.000 d anywhere, 01/09 00:00
  local (September); 5 phones for B, 01/09; an offer for A, 03/10; 7 phones cancelled.
Receipts: 1 phone at A 15/08; 2 phones at the province 02/09; 10.000.000 d at the province
  05/09; 5 phones at B 01/10 09:00 local.
Transfers: province -> A 1 phone 03/09; province -> district 1.000.000 d 20/09;
  province -> A 2.000.000 d 01/10 08:00 local.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.errors import RuleError
from core.figures import (
    Month,
    Movement,
    ReportInput,
    Standing,
    Tally,
    Window,
    compute,
    coverage,
    parse_month,
    roll_up,
)
from core.model import Level, Unit

P, D, A, B, A1, B1 = "90", "901", "90101", "90102", "90101-01", "90102-01"
C, C1 = "90103", "90103-01"
SEPTEMBER, OCTOBER = Month(2023, 9), Month(2023, 10)
M = 1_000_000

LOCAL = timezone(timedelta(hours=7))
UNITS = (
    Unit(1, "test", P, "T\u1ec9nh Th\u1eed", Level.PROVINCE, None, 100, 40),
    Unit(2, "test", D, "Huy\u1ec7n Th\u1eed", Level.DISTRICT, 1),
    Unit(3, "test", A, "X\u00e3 A", Level.COMMUNE, 2, 10, 6, pilot=True),
    Unit(4, "test", B, "X\u00e3 B", Level.COMMUNE, 2, 20, 10, pilot=True),
    Unit(5, "test", A1, "Th\u00f4n A1", Level.VILLAGE, 3, 10, 6,
         survey_done_at=datetime(2023, 8, 20, 10, tzinfo=LOCAL)),
    Unit(6, "test", B1, "Th\u00f4n B1", Level.VILLAGE, 4, 20, 10,
         survey_done_at=datetime(2023, 10, 15, 10, tzinfo=LOCAL)),
)
NOT_PILOT = (
    Unit(7, "test", C, "X\u00e3 C", Level.COMMUNE, 2),
    Unit(8, "test", C1, "Th\u00f4n C1", Level.VILLAGE, 7, 50, 20,
         survey_done_at=datetime(2023, 8, 1, 10, tzinfo=LOCAL)),
)

# Own tallies by unit code: what storage must return for each window.
TALLIES: dict[str, dict[str, Tally]] = {
    "2023-09": {
        P: Tally(pledged_money=10 * M, received_phones=2, received_money=10 * M),
        A: Tally(drawn_phones=1),
        B: Tally(pledged_phones=5),
        A1: Tally(registered=4, approved=3, assigned_whole=1, shop_offers=1, handed_over=1,
                  confirmed=1),
        B1: Tally(registered=3, approved=3),
    },
    "2023-10": {
        P: Tally(drawn_money=500_000),
        A: Tally(pledged_offers=1),
        B: Tally(received_phones=5, drawn_phones=1),
        A1: Tally(approved=1, assigned_partial=1, assigned_partial_money=500_000,
                  handed_over=1),
        B1: Tally(registered=1, approved=1, assigned_whole=1, direct_gifts=1,
                  other_programmes=1, handed_over=1, confirmed=1),
    },
    "to 2023-09": {
        P: Tally(pledged_phones=2, pledged_money=10 * M, received_phones=2,
                 received_money=10 * M),
        A: Tally(received_phones=1, drawn_phones=1),
        B: Tally(pledged_phones=5),
        A1: Tally(registered=5, approved=4, assigned_whole=1, shop_offers=1, handed_over=1,
                  confirmed=1),
        B1: Tally(registered=4, approved=3),
    },
    "to 2023-10": {
        P: Tally(pledged_phones=2, pledged_money=10 * M, received_phones=2,
                 received_money=10 * M, drawn_money=500_000),
        A: Tally(received_phones=1, drawn_phones=1, pledged_offers=1),
        B: Tally(pledged_phones=5, received_phones=5, drawn_phones=1),
        A1: Tally(registered=5, approved=5, assigned_whole=1, assigned_partial=1,
                  assigned_partial_money=500_000, shop_offers=1, handed_over=2, confirmed=1),
        B1: Tally(registered=5, approved=4, assigned_whole=1, direct_gifts=1,
                  other_programmes=1, handed_over=1, confirmed=1),
    },
}
MOVEMENTS: dict[str, list[tuple[str, str, int, int]]] = {
    "2023-09": [(P, D, 0, 1 * M), (P, A, 1, 0)],
    "2023-10": [(P, A, 0, 2 * M)],
    "to 2023-09": [(P, D, 0, 1 * M), (P, A, 1, 0)],
    "to 2023-10": [(P, D, 0, 1 * M), (P, A, 1, 2 * M)],
}
# Own standings (villages) at each month's start; 2023-11 is October's end.
STANDINGS: dict[str, dict[str, Standing]] = {
    "2023-09": {
        A1: Standing(1, 1, (1, 0, 0, 0), (1, 0, 0, 0)),
        B1: Standing(1, 1),
    },
    "2023-10": {
        A1: Standing(3, 1, (1, 1, 0, 0), (1, 1, 0, 0)),
        B1: Standing(4, 2, (0, 0, 2, 1), (2, 0, 1, 0)),
    },
    "2023-11": {
        A1: Standing(2, 1, (0, 1, 0, 1), (1, 0, 1, 0)),
        B1: Standing(2, 1, (0, 0, 0, 1), (0, 0, 1, 0)),
    },
}


def by_id(units: tuple[Unit, ...] | list[Unit], by_code: Mapping[str, object]) -> dict[int, object]:
    ids = {u.code: u.id for u in units}
    return {ids[code]: value for code, value in by_code.items()}


def expected_input(month: Month, units: tuple[Unit, ...] | list[Unit]) -> ReportInput:
    """The hand-made input for September or October, with the units' own ids."""
    ids = {u.code: u.id for u in units}
    label, after = month.label, Month(2023, month.month + 1).label

    def window(key: str) -> Window:
        moves = [Movement(ids[a], ids[b], n, money) for a, b, n, money in MOVEMENTS[key]]
        return Window(by_id(units, TALLIES[key]), moves)  # type: ignore[arg-type]

    return ReportInput(
        month=month, units=list(units), in_month=window(label), to_date=window(f"to {label}"),
        at_start=by_id(units, STANDINGS[label]),  # type: ignore[arg-type]
        at_end=by_id(units, STANDINGS[after]),  # type: ignore[arg-type]
    )


def test_month_runs_from_local_midnight_to_local_midnight_in_utc() -> None:
    assert SEPTEMBER.start == datetime(2023, 8, 31, 17, tzinfo=UTC)
    assert SEPTEMBER.end == datetime(2023, 9, 30, 17, tzinfo=UTC)
    assert Month(2023, 12).end == datetime(2023, 12, 31, 17, tzinfo=UTC)
    assert Month(2024, 2).last_day.day == 29


def test_month_is_read_from_yyyy_mm_and_refused_otherwise() -> None:
    assert parse_month(" 2023-09 ") == SEPTEMBER
    for bad in ("2023-13", "2023/09", "09-2023", "2023-00", ""):
        with pytest.raises(RuleError) as err:
            parse_month(bad)
        assert err.value.key == "reports-month-invalid"


def test_september_rolls_communes_up_to_the_district_and_the_province() -> None:
    report = compute(expected_input(SEPTEMBER, UNITS), 1)
    a, b = report.figures[3].month, report.figures[4].month
    assert (a.registered, a.approved, a.assigned_whole, a.shop_offers) == (4, 3, 1, 1)
    assert (a.handed_over, a.confirmed, a.transferred_in_phones) == (1, 1, 1)
    assert (b.registered, b.approved, b.pledged_phones, b.served) == (3, 3, 5, 0)
    district = report.figures[2].month
    # Both transfers came from outside the district: in, not out.
    assert (district.transferred_in_phones, district.transferred_in_money) == (1, M)
    assert district.transferred_out_money == 0
    assert (district.registered, district.approved, district.pledged_phones) == (7, 6, 5)
    province = report.total.month
    assert (province.registered, province.approved) == (7, 6)
    assert (province.pledged_phones, province.pledged_money) == (5, 10 * M)
    assert (province.received_phones, province.received_money) == (2, 10 * M)
    # Inside the province a transfer is neither in nor out.
    assert province.transferred_in_phones == province.transferred_out_money == 0
    assert (province.served, province.handed_over, province.confirmed) == (2, 1, 1)


def test_september_coverage_counts_the_surveyed_pilot_villages_only() -> None:
    report = compute(expected_input(SEPTEMBER, UNITS), 1)
    a, b, district, province = (report.figures[i] for i in (3, 4, 2, 1))
    assert a.adult_coverage.start == pytest.approx(0.9)  # 1 of A1's 10 uncovered
    assert a.adult_coverage.end == pytest.approx(0.7)  # a2, a3, a6
    assert a.adult_coverage.change == pytest.approx(-0.2)
    assert a.household_coverage.start == a.household_coverage.end == pytest.approx(5 / 6)
    assert (a.surveyed, a.unsurveyed, a.unsurveyed_uncovered) == (1, 0, 0)
    # B1 is not surveyed before 15/10: no figure, never 100 %; its 4 people counted apart
    assert (b.adult_coverage.start, b.adult_coverage.end) == (None, None)
    assert b.household_coverage.end is None and b.adults is None
    assert (b.surveyed, b.unsurveyed, b.unsurveyed_uncovered) == (0, 1, 4)
    # The totals: A1 alone (10 adults, 6 households), not the province's own 100
    for total in (district, province):
        assert (total.adults, total.households) == (10, 6)
        assert (total.adult_coverage.start, total.adult_coverage.end) == pytest.approx(
            (0.9, 0.7))
        assert (total.surveyed, total.unsurveyed, total.unsurveyed_uncovered) == (1, 1, 4)
        assert total.end.uncovered_adults == 3 + 4  # everyone registered, as before


def test_a_commune_that_is_no_pilot_counts_nowhere() -> None:
    units = UNITS + NOT_PILOT
    base = expected_input(SEPTEMBER, units)
    own = {8: Standing(5, 2)}
    data = replace(base, at_start={**base.at_start, **own}, at_end={**base.at_end, **own})
    report = compute(data, 1)
    c, province = report.figures[7], report.total
    assert (c.adult_coverage.end, c.adults, c.surveyed, c.unsurveyed) == (None, None, 0, 0)
    assert (province.adults, province.households) == (10, 6)  # A1 alone, as without C
    assert province.adult_coverage.end == pytest.approx(0.7)
    assert province.end.uncovered_adults == 3 + 4 + 5  # its people are still registered


def test_october_serves_people_and_coverage_rises() -> None:
    report = compute(expected_input(OCTOBER, UNITS), 1)
    a, b, province = report.figures[3], report.figures[4], report.total
    assert (a.month.assigned_partial, a.month.assigned_partial_money) == (1, 500_000)
    assert (a.month.transferred_in_money, a.month.pledged_offers) == (2 * M, 1)
    assert (b.month.assigned_whole, b.month.direct_gifts, b.month.other_programmes) == (1, 1, 1)
    assert (b.month.received_phones, b.month.handed_over, b.month.confirmed) == (5, 1, 1)
    assert (a.adult_coverage.start, a.adult_coverage.end) == pytest.approx((0.7, 0.8))
    # B1 surveyed on 15/10: no figure at the start, 1 - 2/20 at the end
    assert b.adult_coverage.start is None and b.adult_coverage.change is None
    assert b.adult_coverage.end == pytest.approx(0.9)
    assert b.household_coverage.end == pytest.approx(0.9)  # 1 of 10 households
    # The province: A1 at the start (3 of 10), A1 and B1 at the end (2 + 2 of 30)
    assert province.adult_coverage.start == pytest.approx(0.7)
    assert province.adult_coverage.end == pytest.approx(1 - 4 / 30)
    assert province.household_coverage.end == pytest.approx(1 - 2 / 16)
    assert (province.adults, province.households) == (30, 16)
    assert (province.surveyed, province.unsurveyed) == (2, 0)
    assert province.end.waiting_whole == (0, 1, 0, 2)
    assert province.end.waiting_partial == (1, 0, 2, 0)
    assert province.end.waiting == 3


def test_to_date_totals_and_stock_on_hand() -> None:
    report = compute(expected_input(OCTOBER, UNITS), 1)
    total = report.total.to_date
    assert (total.registered, total.approved) == (10, 9)
    assert (total.pledged_phones, total.pledged_money, total.pledged_offers) == (7, 10 * M, 1)
    assert (total.received_phones, total.received_money) == (8, 10 * M)
    assert (total.assigned_whole, total.assigned_partial, total.served) == (2, 1, 6)
    assert (total.handed_over, total.confirmed) == (3, 2)
    assert (total.on_hand_phones, total.on_hand_money) == (6, 9_500_000)
    own = report.own[1].to_date  # the province alone: what it received and passed on
    assert (own.transferred_out_phones, own.transferred_out_money) == (1, 3 * M)
    assert (own.on_hand_phones, own.on_hand_money) == (1, 6_500_000)
    commune_a = report.figures[3].to_date
    assert (commune_a.on_hand_phones, commune_a.on_hand_money) == (1, 2 * M)


def test_rows_are_the_levels_own_figures_then_each_commune_and_sum_to_the_total() -> None:
    report = compute(expected_input(SEPTEMBER, UNITS), 1)
    rows = report.rows()
    # The province received things itself, the district got money passed down to it.
    assert [(f.unit.code, f.own) for f in rows] == [(P, True), (D, True), (A, False),
                                                    (B, False)]
    for name in ("registered", "approved", "received_phones", "received_money", "served",
                 "handed_over", "drawn_phones"):
        assert sum(getattr(f.month, name) for f in rows) == getattr(report.total.month, name)
    assert sum(f.end.uncovered_adults for f in rows) == report.total.end.uncovered_adults


def test_a_commune_report_lists_its_villages() -> None:
    report = compute(expected_input(SEPTEMBER, UNITS), 3)
    assert [f.unit.code for f in report.rows()] == [A, A1]
    assert [f.unit.code for f in report.subtree()] == [A, A1]
    assert report.total.month.transferred_in_phones == 1


def _subtree_ids(unit_id: int) -> set[int]:
    found, grew = {unit_id}, True
    while grew:
        below = {u.id for u in UNITS if u.parent_id in found}
        grew = not below <= found
        found |= below
    return found


def _crossing(window: Window, ids: set[int]) -> tuple[int, int, int, int]:
    """The transfers into and out of a set of units, counted the plain way (the oracle)."""
    into = [m for m in window.movements if m.to_unit_id in ids and m.from_unit_id not in ids]
    out = [m for m in window.movements if m.from_unit_id in ids and m.to_unit_id not in ids]
    return (sum(m.phones for m in into), sum(m.money for m in into),
            sum(m.phones for m in out), sum(m.money for m in out))


def test_one_roll_up_gives_every_unit_what_its_own_subtree_sums_to() -> None:
    """Transfers between siblings, down the tree, to a unit of another tree (99), and a
    unit's own figures: each unit's sums as if its subtree were added up alone."""
    base = expected_input(OCTOBER, UNITS)
    moves = [*base.in_month.movements, Movement(3, 4, 2, 5 * M), Movement(6, 99, 1, M),
             Movement(99, 5, 0, 3 * M), Movement(5, 3, 4, 0)]
    data = ReportInput(base.month, base.units, Window(base.in_month.tallies, moves),
                       base.to_date, base.at_start, base.at_end)
    everything = roll_up(data)
    for unit in UNITS:
        ids = _subtree_ids(unit.id)
        for figures, members in ((everything.figures[unit.id], ids),
                                 (everything.own[unit.id], {unit.id})):
            t = figures.month
            assert (t.transferred_in_phones, t.transferred_in_money, t.transferred_out_phones,
                    t.transferred_out_money) == _crossing(data.in_month, members), unit.code
            assert t.registered == sum(data.in_month.tallies.get(i, Tally()).registered
                                       for i in members)
            assert figures.end.waiting_whole == tuple(
                sum(data.at_end.get(i, Standing()).waiting_whole[k] for i in members)
                for k in range(4))
        alone = compute(data, unit.id)  # a report of one unit is the same figures
        assert alone.total == everything.report(unit.id).total
    assert everything.figures[4].month.transferred_in_phones == 2  # from its sibling A
    assert everything.figures[1].month.transferred_out_phones == 1  # B1 to the other tree
    with pytest.raises(RuleError):
        everything.report(99)


def test_coverage_needs_an_estimate_and_never_goes_below_zero() -> None:
    assert coverage(3, None) is None
    assert coverage(3, 0) is None
    assert coverage(30, 20) == 0.0
    assert coverage(5, 20) == pytest.approx(0.75)


def test_an_unknown_root_is_refused() -> None:
    with pytest.raises(RuleError):
        compute(expected_input(SEPTEMBER, UNITS), 99)
