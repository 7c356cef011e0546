"""The final review: the monthly computation put together over a period, on the hand-made
months of tests/core/test_figures.py (September and October 2023)."""

from __future__ import annotations

import pytest

from core.errors import RuleError
from core.figures import Month, compute
from core.review import cumulative, months_between
from tests.core.test_figures import OCTOBER, SEPTEMBER, UNITS, M, expected_input


def test_a_period_adds_its_months_and_runs_from_the_first_start_to_the_last_end() -> None:
    september = compute(expected_input(SEPTEMBER, UNITS), 1)
    october = compute(expected_input(OCTOBER, UNITS), 1)
    review = cumulative([september, october]).total
    t = review.month
    # September: 7 registered, 6 approved; October: B1 registered 1, A1 and B1 approved 1 each
    assert (t.registered, t.approved) == (8, 8)
    # phones received: 2 at the province in September, 5 at commune B in October
    assert (t.received_phones, t.received_money) == (7, 10 * M)
    # handovers: a1 in September; a2 and b2 in October; confirmed: a1, b2
    assert (t.handed_over, t.confirmed) == (3, 2)
    # served: a1 (phone) and a5 (shop) in September; a2, b2, b1, b3 in October
    assert t.served == 6
    # to date is October's: the phone received at commune A in August counts there
    assert review.to_date.received_phones == 8
    # coverage over the surveyed villages of the pilot communes (tests/core/test_figures.py):
    # from September's start (1 of A1's 10 adults uncovered: 90 %) to October's end (4 of the
    # 30 adults of A1 and B1 uncovered: 86.7 %)
    assert review.adult_coverage.start == pytest.approx(0.9)
    assert review.adult_coverage.end == pytest.approx(1 - 4 / 30)
    assert review.adult_coverage.change == pytest.approx(1 - 4 / 30 - 0.9)
    assert review.start == september.total.start and review.end == october.total.end
    assert review.end.waiting == 3
    commune_b = cumulative([september, october]).figures[4]
    assert (commune_b.month.received_phones, commune_b.month.pledged_phones) == (5, 5)


def test_one_month_is_its_own_review() -> None:
    october = compute(expected_input(OCTOBER, UNITS), 1)
    assert cumulative([october]).total == october.total


def test_the_months_of_a_period_are_walked_across_the_year_and_checked() -> None:
    months = months_between(Month(2023, 8), Month(2024, 1))
    assert [m.label for m in months] == ["2023-08", "2023-09", "2023-10", "2023-11",
                                         "2023-12", "2024-01"]
    with pytest.raises(RuleError) as reversed_period:
        months_between(OCTOBER, SEPTEMBER)
    assert reversed_period.value.key == "documents-review-order"
    with pytest.raises(RuleError) as too_long:
        months_between(Month(2020, 1), Month(2025, 1))  # 61 months
    assert too_long.value.key == "documents-review-too-long"
    assert too_long.value.params["count"] == 61
