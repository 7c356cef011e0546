"""Sharing phones and money: the province's plan and each commune's list (plan III.3-III.4)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.allocation import (
    Assignment,
    Entry,
    explain_entry,
    largest_remainder,
    pay,
    plan_transfers,
    uncovered_demand,
)
from core.allocation import assign as assign_with
from core.model import Policy, Poverty, Status
from core.priority import Candidate, Ranked, Support, rank

ON = date(2023, 10, 1)
ADULT = date(1980, 5, 5)
APPROVED = datetime(2023, 9, 12, 3, 0, tzinfo=UTC)
PER_PERSON = 500_000


def person(resident_id: int, **changes: Any) -> Candidate:
    """An eligible adult of a poor household with no other claim; change what a test needs."""
    base = Candidate(
        resident_id=resident_id,
        commune_id=10,
        date_of_birth=ADULT,
        status=Status.APPROVED,
        poverty=Poverty.POOR,
        policy=Policy.NONE,
        has_smartphone=False,
        household_has_smartphone=False,
        approved_at=APPROVED,
    )
    return replace(base, **changes)


def assign(
    people: list[Candidate],
    phones: int = 0,
    money: int = 0,
    homes: dict[int, int] | None = None,
) -> Assignment:
    """assign() with everyone in a household of their own unless `homes` says otherwise."""
    households = {c.resident_id: c.resident_id for c in people} | (homes or {})
    return assign_with(people, phones, money, PER_PERSON, ON, households=households)


def got(a: Assignment, support: Support | None) -> list[int]:
    """Who gets `support`, in queue order; None: who is served by neither queue."""
    if support is None:
        return sorted(a.waiting())
    return [e.resident_id for e in a.entries if e.support == support]


def line(a: Assignment, support: Support) -> list[Entry]:
    """One of the commune's queues, in order."""
    return [e for e in a.entries if e.ranked.support is support]


def entry(a: Assignment, resident_id: int, support: Support = Support.PARTIAL) -> Entry:
    """A person's line in one queue: by default the part-of-the-price queue."""
    (found,) = [e for e in line(a, support) if e.resident_id == resident_id]
    return found


# --- largest remainder: worked by hand --------------------------------------------------------


def test_units_that_cover_the_weights_give_each_key_its_weight() -> None:
    # 10 over 5, 3, 2: quotas 5, 3, 2 exactly
    assert largest_remainder(10, {"a": 5, "b": 3, "c": 2}) == {"a": 5, "b": 3, "c": 2}


def test_more_units_than_weights_still_give_only_the_weights() -> None:
    # the surplus of 10 stays with the caller
    assert largest_remainder(20, {"a": 5, "b": 3, "c": 2}) == {"a": 5, "b": 3, "c": 2}


def test_leftover_unit_goes_to_the_largest_remainder() -> None:
    # 7 over 5, 3, 2: quotas 3.5, 2.1, 1.4 -> floors 3, 2, 1 = 6; the 1 left goes to .5
    assert largest_remainder(7, {"a": 5, "b": 3, "c": 2}) == {"a": 4, "b": 2, "c": 1}


def test_two_leftover_units_go_to_the_two_largest_remainders() -> None:
    # 6 over 5, 3, 2: quotas 3.0, 1.8, 1.2 -> floors 3, 1, 1 = 5; 1 left to .8
    assert largest_remainder(6, {"a": 5, "b": 3, "c": 2}) == {"a": 3, "b": 2, "c": 1}
    # 4 over 3, 3, 3, 1 (sum 10): quotas 1.2, 1.2, 1.2, 0.4 -> floors 1, 1, 1, 0 = 3;
    # the 1 left goes to .4 although the three others have more weight
    assert largest_remainder(4, {"a": 3, "b": 3, "c": 3, "d": 1}) == {
        "a": 1,
        "b": 1,
        "c": 1,
        "d": 1,
    }


def test_equal_remainders_go_to_the_larger_weight() -> None:
    # 2 over 1, 3: quotas 0.5, 1.5 -> floors 0, 1 = 1; both remainders .5, b weighs more
    assert largest_remainder(2, {"a": 1, "b": 3}) == {"a": 0, "b": 2}
    assert largest_remainder(2, {"b": 3, "a": 1}) == {"a": 0, "b": 2}


def test_equal_remainders_and_weights_go_to_the_smaller_key() -> None:
    # 2 over 1, 1, 1: quotas 2/3 each, floors 0; the two units go to keys 1 and 2
    assert largest_remainder(2, {3: 1, 1: 1, 2: 1}) == {1: 1, 2: 1, 3: 0}
    assert largest_remainder(1, {"b": 4, "a": 4}) == {"a": 1, "b": 0}


def test_zero_weights_get_zero() -> None:
    assert largest_remainder(1, {"a": 0, "b": 2}) == {"a": 0, "b": 1}
    assert largest_remainder(5, {"a": 0, "b": 0}) == {"a": 0, "b": 0}


def test_nothing_to_share() -> None:
    assert largest_remainder(0, {"a": 5, "b": 3}) == {"a": 0, "b": 0}
    assert largest_remainder(3, {}) == {}


def test_exact_at_sizes_beyond_float_precision() -> None:
    # 3 * 10**17 + 1 over two equal weights: quotas end in exactly .5 each, so the floors
    # leave 1 unit, which the tie gives to the smaller key; floats could not see the .5
    big = 10**17
    shares = largest_remainder(3 * big + 1, {"b": 2 * big + 1, "a": 2 * big + 1})
    assert shares == {"a": 3 * big // 2 + 1, "b": 3 * big // 2}


@pytest.mark.parametrize(("total", "weights"), [(-1, {"a": 1}), (1, {"a": -1})])
def test_negative_numbers_are_refused(total: int, weights: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="negative"):
        largest_remainder(total, weights)


# --- largest remainder: properties ------------------------------------------------------------

weight_maps = st.dictionaries(st.integers(0, 50), st.integers(0, 10**12), max_size=30)


@settings(max_examples=300)
@given(st.integers(0, 10**13), weight_maps)
def test_largest_remainder_properties(total: int, weights: dict[int, int]) -> None:
    shares = largest_remainder(total, weights)
    whole = sum(weights.values())
    assert shares.keys() == weights.keys()
    assert sum(shares.values()) == min(total, whole)
    for key, weight in weights.items():
        assert 0 <= shares[key] <= weight
        if total < whole:
            # Hamilton's quota rule: each share is its exact quota rounded down or up
            assert shares[key] * whole >= total * weight - whole
            assert shares[key] * whole <= total * weight + whole - 1


@given(st.integers(0, 500), weight_maps, st.randoms())
def test_largest_remainder_does_not_depend_on_key_order(
    total: int, weights: dict[int, int], rnd: random.Random
) -> None:
    items = list(weights.items())
    rnd.shuffle(items)
    assert largest_remainder(total, dict(items)) == largest_remainder(total, weights)


@given(st.integers(0, 500), weight_maps)
def test_one_more_unit_takes_nothing_from_anyone_when_weights_are_equal(
    total: int, weights: dict[int, int]
) -> None:
    equal = dict.fromkeys(weights, 7)
    before = largest_remainder(total, equal)
    after = largest_remainder(total + 1, equal)
    assert all(after[key] >= before[key] for key in equal)


# --- uncovered demand -------------------------------------------------------------------------


def whole_queue(people: list[Candidate]) -> list[Ranked]:
    return rank(people, Support.WHOLE, ON)


FOUR_TIERS = [
    person(1, poverty=Poverty.NEAR_POOR),  # tier 4
    person(2),  # tier 3
    person(3, policy=Policy.SOCIAL),  # tier 2
    person(4, policy=Policy.MERIT),  # tier 1
    person(5, policy=Policy.MERIT, poverty=Poverty.NEAR_POOR),  # tier 1
]


@pytest.mark.parametrize(
    ("on_hand", "counts"),
    [
        (0, [2, 1, 1, 1]),
        (1, [1, 1, 1, 1]),
        (2, [0, 1, 1, 1]),
        (3, [0, 0, 1, 1]),
        (4, [0, 0, 0, 1]),
        (5, [0, 0, 0, 0]),
        (99, [0, 0, 0, 0]),
    ],
)
def test_own_stock_covers_the_head_of_the_queue(on_hand: int, counts: list[int]) -> None:
    assert uncovered_demand(whole_queue(FOUR_TIERS), on_hand) == counts


def test_uncovered_demand_of_an_empty_queue() -> None:
    assert uncovered_demand([], 3) == [0, 0, 0, 0]


def test_uncovered_demand_refuses_negative_stock() -> None:
    with pytest.raises(ValueError, match="negative"):
        uncovered_demand(whole_queue(FOUR_TIERS), -1)


# --- the province's plan ----------------------------------------------------------------------


def test_tier_1_served_in_full_and_tier_2_split_in_proportion() -> None:
    demand = {10: [3, 5, 0, 0], 20: [1, 2, 4, 0], 30: [0, 3, 0, 0]}
    plan = plan_transfers(9, demand)
    # tier 1 needs 4 of the 9: all served, 5 left for tier 2's 10 people.
    # 5 over 5, 2, 3: quotas 2.5, 1.0, 1.5 -> floors 2, 1, 1 = 4; 1 left, remainders .5
    # (commune 10, weight 5) and .5 (commune 30, weight 3): the larger weight, commune 10.
    assert plan.by_tier == {10: (3, 3, 0, 0), 20: (1, 1, 0, 0), 30: (0, 1, 0, 0)}
    assert plan.transferred == {10: 6, 20: 2, 30: 1}
    assert plan.demand == (4, 10, 4, 0)
    assert plan.served == (4, 5, 0, 0)
    assert plan.left == 0
    assert plan.rationed_tier == 2
    assert plan.available == 9


def test_enough_for_everyone_leaves_the_rest_at_the_province() -> None:
    demand = {10: [3, 5, 0, 1], 20: [1, 2, 4, 0]}
    plan = plan_transfers(20, demand)
    assert plan.transferred == {10: 9, 20: 7}
    assert plan.by_tier == {10: (3, 5, 0, 1), 20: (1, 2, 4, 0)}
    assert plan.left == 4
    assert plan.rationed_tier is None


def test_a_lower_tier_gets_nothing_while_a_higher_one_is_short() -> None:
    # tier 1 needs 12 but 6 are there: 6 over 8, 4 -> 4, 2 exactly; tier 4 of commune 20
    # gets nothing although it is that commune's only other need
    plan = plan_transfers(6, {10: [8, 0, 0, 0], 20: [4, 0, 0, 9]})
    assert plan.by_tier == {10: (4, 0, 0, 0), 20: (2, 0, 0, 0)}
    assert plan.served == (6, 0, 0, 0)
    assert plan.rationed_tier == 1


def test_units_that_run_out_exactly_at_a_tier_boundary() -> None:
    plan = plan_transfers(5, {10: [2, 1, 3, 0], 20: [1, 1, 0, 0]})
    assert plan.by_tier == {10: (2, 1, 0, 0), 20: (1, 1, 0, 0)}
    assert plan.left == 0
    assert plan.rationed_tier == 3  # the first tier not met in full


def test_empty_tiers_are_skipped_on_the_way_down() -> None:
    # tiers 1 and 2 are empty; tier 3 takes 4 of the 5, tier 4 gets the last one
    plan = plan_transfers(5, {10: [0, 0, 2, 4], 20: [0, 0, 2, 0]})
    assert plan.by_tier == {10: (0, 0, 2, 1), 20: (0, 0, 2, 0)}
    assert plan.served == (0, 0, 4, 1)
    assert plan.rationed_tier == 4


def test_equal_claims_in_a_short_tier_go_to_the_lower_commune_id() -> None:
    # 3 over tier-3 demands 2, 2: quotas 1.5, 1.5 -> floors 1, 1; the tie goes to commune 10
    plan = plan_transfers(3, {20: [0, 0, 2, 0], 10: [0, 0, 2, 4]})
    assert plan.transferred == {10: 2, 20: 1}
    assert plan.rationed_tier == 3


def test_nothing_at_the_province_sends_nothing() -> None:
    plan = plan_transfers(0, {10: [1, 0, 0, 0], 20: [0, 0, 0, 0]})
    assert plan.transferred == {10: 0, 20: 0}
    assert plan.rationed_tier == 1
    assert plan.left == 0


def test_a_commune_whose_own_stock_covers_its_queue_gets_nothing() -> None:
    # like an earmarked pledge: commune 10 holds 5 phones of its own for its 5 people, so the
    # province's 2 phones go to commune 20, whose tier-3 person outranks none of commune 10's
    queue_10 = whole_queue(FOUR_TIERS)
    queue_20 = whole_queue([person(6, commune_id=20), person(7, commune_id=20)])
    demand = {10: uncovered_demand(queue_10, 5), 20: uncovered_demand(queue_20, 0)}
    assert demand == {10: [0, 0, 0, 0], 20: [0, 0, 2, 0]}
    plan = plan_transfers(2, demand)
    assert plan.transferred == {10: 0, 20: 2}


def test_own_stock_moves_the_province_down_to_the_next_tier() -> None:
    # commune 10's own 2 phones serve its two tier-1 people; the province's 1 phone then goes
    # to commune 10's tier 2 before commune 20's tier 3
    queue_10 = whole_queue(FOUR_TIERS)
    queue_20 = whole_queue([person(6, commune_id=20)])
    demand = {10: uncovered_demand(queue_10, 2), 20: uncovered_demand(queue_20, 0)}
    plan = plan_transfers(1, demand)
    assert plan.by_tier == {10: (0, 1, 0, 0), 20: (0, 0, 0, 0)}


@pytest.mark.parametrize(
    ("available", "demand"),
    [(-1, {10: [0, 0, 0, 0]}), (1, {10: [0, 0, 0]}), (1, {10: [0, -1, 0, 0]})],
)
def test_the_plan_refuses_impossible_input(available: int, demand: dict[int, list[int]]) -> None:
    with pytest.raises(ValueError, match=r"negative|demand"):
        plan_transfers(available, demand)


demands = st.dictionaries(
    st.integers(1, 10_000), st.lists(st.integers(0, 40), min_size=4, max_size=4), max_size=25
)


@settings(max_examples=300)
@given(st.integers(0, 2_000), demands)
def test_plan_properties(available: int, demand: dict[int, list[int]]) -> None:
    plan = plan_transfers(available, demand)
    assert sum(plan.transferred.values()) + plan.left == available
    assert plan.transferred.keys() == plan.by_tier.keys() == demand.keys()
    for commune, units in plan.by_tier.items():
        assert plan.transferred[commune] == sum(units)
        assert all(0 <= u <= need for u, need in zip(units, demand[commune], strict=True))
    assert sum(plan.served) == available - plan.left
    for tier in range(1, 5):
        if plan.served[tier - 1]:  # a unit for this tier: every higher tier was met in full
            assert plan.served[: tier - 1] == plan.demand[: tier - 1]
    if plan.left:
        assert plan.served == plan.demand and plan.rationed_tier is None


# --- assignment in one commune: whole phones --------------------------------------------------


def test_phones_go_down_the_whole_phone_tiers() -> None:
    a = assign(FOUR_TIERS, phones=3)
    assert got(a, Support.WHOLE) == [4, 5, 3]
    assert [entry(a, i, Support.WHOLE).tier for i in (4, 5, 3)] == [1, 1, 2]
    assert [entry(a, i, Support.WHOLE).position for i in (4, 5, 3)] == [1, 2, 3]
    assert (a.phones_used, a.phones_left) == (3, 0)


def test_more_phones_than_people_are_kept() -> None:
    a = assign(FOUR_TIERS, phones=8)
    assert sorted(got(a, Support.WHOLE)) == [1, 2, 3, 4, 5]
    assert (a.phones_used, a.phones_left) == (5, 3)
    assert got(a, None) == []


def test_a_phone_goes_first_to_a_household_without_one() -> None:
    people = [person(1, household_has_smartphone=True), person(2)]
    assert got(assign(people, phones=1), Support.WHOLE) == [2]


def test_a_phone_goes_to_the_earlier_approval_then_the_lower_id() -> None:
    people = [person(3), person(2), person(1, approved_at=APPROVED + timedelta(hours=1))]
    a = assign(people, phones=2)
    assert got(a, Support.WHOLE) == [2, 3]


def test_the_merit_family_outranks_every_tie_breaker() -> None:
    late = person(1, policy=Policy.MERIT, household_has_smartphone=True, approved_at=None)
    assert got(assign([person(2), late], phones=1), Support.WHOLE) == [1]


# --- assignment in one commune: money ---------------------------------------------------------


def test_money_goes_down_the_part_of_the_price_tiers() -> None:
    people = [
        person(1, poverty=Poverty.NEAR_POOR, household_got_whole_phone=True),  # tier 4
        person(2, poverty=Poverty.NEAR_POOR),  # tier 3
        person(3, household_got_whole_phone=True),  # tier 2
        person(4, policy=Policy.MERIT),  # tier 1: the policy family does not count here
    ]
    a = assign(people, money=3 * PER_PERSON)
    assert got(a, Support.PARTIAL) == [4, 3, 2]
    assert got(a, None) == [1]
    money = line(a, Support.PARTIAL)
    assert [e.tier for e in money] == [1, 2, 3, 4]
    assert [e.position for e in money] == [1, 2, 3, 4]
    assert {e.of_total for e in money} == {4}


def test_money_short_of_a_whole_share_is_kept() -> None:
    a = assign([person(1), person(2), person(3)], money=2 * PER_PERSON + 499_999)
    assert got(a, Support.PARTIAL) == [1, 2]
    assert (a.money_used, a.money_left) == (2 * PER_PERSON, 499_999)


def test_more_money_than_people_is_kept() -> None:
    a = assign([person(1)], money=5 * PER_PERSON)
    assert (a.money_used, a.money_left) == (PER_PERSON, 4 * PER_PERSON)


def test_a_whole_phone_moves_the_household_down_the_money_queue() -> None:
    # household 100 is a poor merit family: person 1 (approved first) gets the phone, so
    # person 2 falls to part-of-the-price tier 2 and the one share of money goes to person 3
    # of another poor household (tier 1), although person 3 was approved last
    people = [
        person(1, policy=Policy.MERIT, approved_at=APPROVED - timedelta(days=10)),
        person(2, policy=Policy.MERIT, approved_at=APPROVED - timedelta(days=9)),
        person(3, approved_at=APPROVED + timedelta(days=9)),
    ]
    a = assign(people, phones=1, money=PER_PERSON, homes={1: 100, 2: 100})
    assert got(a, Support.WHOLE) == [1]
    assert got(a, Support.PARTIAL) == [3]
    assert got(a, None) == [2]
    waiting = entry(a, 2)
    assert (waiting.tier, waiting.position, waiting.of_total) == (2, 2, 2)
    assert waiting.ranked.candidate.household_got_whole_phone is True
    assert waiting.ranked.support == Support.PARTIAL


def test_a_near_poor_household_given_a_phone_falls_to_tier_4() -> None:
    people = [
        person(1, poverty=Poverty.NEAR_POOR, policy=Policy.SOCIAL),
        person(2, poverty=Poverty.NEAR_POOR),
        person(3, poverty=Poverty.NEAR_POOR, approved_at=APPROVED + timedelta(days=1)),
    ]
    a = assign(people, phones=1, money=PER_PERSON, homes={1: 7, 2: 7})
    assert got(a, Support.WHOLE) == [1]
    assert (entry(a, 2).tier, entry(a, 3).tier) == (4, 3)
    assert got(a, Support.PARTIAL) == [3]


def test_without_a_phone_given_the_household_keeps_its_tier() -> None:
    people = [person(1, policy=Policy.MERIT), person(2)]
    a = assign(people, phones=0, money=2 * PER_PERSON, homes={1: 7, 2: 7})
    assert [(e.resident_id, e.tier) for e in line(a, Support.PARTIAL)] == [(1, 1), (2, 1)]


def test_nobody_gets_both_a_phone_and_money() -> None:
    a = assign(FOUR_TIERS, phones=2, money=10 * PER_PERSON)
    assert got(a, Support.WHOLE) == [4, 5]
    assert sorted(got(a, Support.PARTIAL)) == [1, 2, 3]
    served = [e.resident_id for e in a.entries if not e.waiting]
    assert len(set(served)) == len(served) == 5
    assert a.money_used == 3 * PER_PERSON


def test_someone_already_served_gets_nothing_and_is_not_listed() -> None:
    people = [person(1, policy=Policy.MERIT, served=True), person(2)]
    a = assign(people, phones=1, money=PER_PERSON)
    assert got(a, Support.WHOLE) == [2]
    assert [e.resident_id for e in a.entries] == [2]
    assert a.money_left == PER_PERSON


def test_the_ineligible_are_not_listed() -> None:
    people = [
        person(1, has_smartphone=True),
        person(2, poverty=Poverty.NONE),
        person(3, status=Status.REGISTERED),
        person(4, date_of_birth=date(2010, 1, 1)),
    ]
    a = assign(people, phones=4, money=4 * PER_PERSON)
    assert a.entries == ()
    assert (a.phones_left, a.money_left) == (4, 4 * PER_PERSON)


def test_waiting_entries_keep_their_place_in_each_queue_for_explanation() -> None:
    a = assign(FOUR_TIERS, phones=1)
    phones, money = line(a, Support.WHOLE), line(a, Support.PARTIAL)
    first = phones[0]
    assert (first.resident_id, first.support, first.waiting) == (4, Support.WHOLE, False)
    assert all(e.waiting and e.support is None for e in phones[1:])
    assert [e.position for e in phones] == [1, 2, 3, 4, 5]  # in the phone queue
    assert all(e.waiting and e.support is None for e in money)
    assert [e.position for e in money] == [1, 2, 3, 4]  # in the part-of-the-price queue
    assert all(e.of_total == 4 for e in money)
    key, params = explain_entry(a, phones[1], "x")
    assert key == "rules-explain"
    assert (params["position"], params["total"], params["support"]) == (2, 5, "whole")
    assert (params["stock"], params["served"]) == (1, False)
    key, params = explain_entry(a, money[0], "x")
    assert (params["position"], params["total"], params["support"]) == (1, 4, "partial")
    assert (params["stock"], params["reach_label"]) == (0, "key:rules-reach-partial-none")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phones": -1}, "negative"),
        ({"money": -1}, "negative"),
        ({"per_person": 0}, "positive"),
    ],
)
def test_assign_refuses_impossible_stock(changes: dict[str, int], message: str) -> None:
    args = {"phones": 1, "money": 1, "per_person": 1} | changes
    with pytest.raises(ValueError, match=message):
        assign_with([person(1)], on=ON, households={1: 1}, **args)


def test_assign_refuses_two_communes() -> None:
    people = [person(1), person(2, commune_id=20)]
    with pytest.raises(ValueError, match="one commune"):
        assign(people, phones=1)


def test_assign_refuses_a_resident_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        assign([person(1), person(1)], phones=1)


def test_assign_needs_every_household() -> None:
    with pytest.raises(ValueError, match="household"):
        assign_with([person(1), person(2)], 1, 0, PER_PERSON, ON, households={1: 1})


def test_nothing_to_assign() -> None:
    a = assign([], phones=2, money=PER_PERSON)
    assert a == Assignment((), 0, 0, 2, PER_PERSON, shares=1)


# --- assignment: properties -------------------------------------------------------------------

moments = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(2023, 8, 1), max_value=datetime(2023, 12, 31), timezones=st.just(UTC)
    ),
)


@st.composite
def communes(draw: st.DrawFn, commune_id: int = 10) -> tuple[list[Candidate], dict[int, int]]:
    """A commune's people in a few households that share their poverty and policy class."""
    homes = draw(
        st.lists(
            st.tuples(
                st.sampled_from(list(Poverty)),
                st.sampled_from(list(Policy)),
                st.booleans(),
            ),
            min_size=1,
            max_size=8,
        )
    )
    people: list[Candidate] = []
    households: dict[int, int] = {}
    for resident in range(draw(st.integers(0, 30))):
        home = draw(st.integers(0, len(homes) - 1))
        poverty, policy, has_phone = homes[home]
        people.append(
            Candidate(
                resident_id=commune_id * 1000 + resident,
                commune_id=commune_id,
                date_of_birth=draw(st.dates(date(1940, 1, 1), date(2010, 12, 31))),
                status=draw(st.sampled_from(list(Status))),
                poverty=poverty,
                policy=policy,
                has_smartphone=draw(st.booleans()),
                household_has_smartphone=has_phone,
                served=draw(st.booleans()),
                household_got_whole_phone=draw(st.booleans()),
                approved_at=draw(moments),
            )
        )
        households[commune_id * 1000 + resident] = commune_id * 100 + home
    return people, households


def check_served_in_tier_order(entries: list[Entry], support: Support) -> None:
    """No one waits in a higher tier while someone of a lower tier gets this support."""
    queue = [e for e in entries if e.ranked.support == support]
    served = [e.tier for e in queue if e.support == support]
    waiting = [e.tier for e in queue if e.support != support]
    if served and waiting:
        assert min(waiting) >= max(served)


@settings(max_examples=300)
@given(communes(), st.integers(0, 40), st.integers(0, 40 * PER_PERSON))
def test_assign_properties(
    commune: tuple[list[Candidate], dict[int, int]], phones: int, money: int
) -> None:
    people, households = commune
    a = assign_with(people, phones, money, PER_PERSON, ON, households=households)
    ids = [e.resident_id for e in a.entries]
    served = [e.resident_id for e in a.entries if not e.waiting]
    assert len(served) == len(set(served))  # nobody gets two supports
    for queue in Support:  # nobody stands twice in one queue
        assert len(line(a, queue)) == len({e.resident_id for e in line(a, queue)})
    eligible = {r.candidate.resident_id for r in rank(people, Support.WHOLE, ON)}
    eligible |= {r.candidate.resident_id for r in rank(people, Support.PARTIAL, ON)}
    assert set(ids) == eligible
    counts = Counter(e.support for e in a.entries)
    assert a.phones_used == counts[Support.WHOLE] <= phones
    assert a.money_used == counts[Support.PARTIAL] * PER_PERSON <= money
    assert (a.phones_used + a.phones_left, a.money_used + a.money_left) == (phones, money)
    # stock is kept only when nobody waits for it
    if a.phones_left:  # phones are kept only when every candidate for one has one
        assert a.phones_used == len(rank(people, Support.WHOLE, ON))
    assert a.money_left < PER_PERSON or not any(e.waiting for e in line(a, Support.PARTIAL))
    entries = list(a.entries)
    check_served_in_tier_order(entries, Support.WHOLE)
    check_served_in_tier_order(entries, Support.PARTIAL)
    whole_homes = {households[e.resident_id] for e in entries if e.support == Support.WHOLE}
    for e in entries:
        assert e.waiting == (e.support is None)
        r = e.ranked
        assert (e.tier, e.position, e.of_total) == (r.tier, r.position, r.of_total)
        if e.ranked.support == Support.PARTIAL and households[e.resident_id] in whole_homes:
            assert e.tier in (2, 4)


@given(communes(), st.integers(0, 10), st.integers(0, 10 * PER_PERSON), st.randoms())
def test_assign_does_not_depend_on_input_order(
    commune: tuple[list[Candidate], dict[int, int]],
    phones: int,
    money: int,
    rnd: random.Random,
) -> None:
    people, households = commune
    shuffled = people[:]
    rnd.shuffle(shuffled)
    first = assign_with(people, phones, money, PER_PERSON, ON, households=households)
    again = assign_with(shuffled, phones, money, PER_PERSON, ON, households=households)
    assert first == again



@given(communes(), st.integers(0, 10), st.integers(0, 10 * PER_PERSON))
def test_paying_a_phones_only_list_is_the_list_with_money(
    commune: tuple[list[Candidate], dict[int, int]], phones: int, money: int,
) -> None:
    people, households = commune
    phones_only = assign_with(people, phones, 0, PER_PERSON, ON, households=households)
    assert pay(phones_only, money, PER_PERSON) == assign_with(
        people, phones, money, PER_PERSON, ON, households=households)


def test_an_assignment_is_paid_only_once() -> None:
    people = [person(1), person(2)]
    paid = assign_with(people, 0, PER_PERSON, PER_PERSON, ON, households={1: 1, 2: 2})
    assert paid.money_used == PER_PERSON
    with pytest.raises(ValueError, match="without money"):
        pay(paid, PER_PERSON, PER_PERSON)

# --- province and communes together -----------------------------------------------------------

Commune = tuple[list[Candidate], dict[int, int]]


def moved(commune: Commune, commune_id: int) -> Commune:
    """The same people and households under another commune id, with ids of their own."""
    people, households = commune
    shift = commune_id * 100_000
    return (
        [replace(c, commune_id=commune_id, resident_id=c.resident_id + shift) for c in people],
        {resident + shift: home + shift for resident, home in households.items()},
    )


@settings(max_examples=150)
@given(
    st.lists(st.tuples(communes(), st.integers(0, 6)), min_size=1, max_size=5), st.integers(0, 60)
)
def test_the_province_s_phones_all_reach_someone_in_tier_order(
    drawn: list[tuple[Commune, int]], available: int
) -> None:
    lists = {cid: moved(commune, cid) for cid, (commune, _) in enumerate(drawn, start=1)}
    own = {cid: stock for cid, (_, stock) in enumerate(drawn, start=1)}
    queues = {cid: rank(people, Support.WHOLE, ON) for cid, (people, _) in lists.items()}
    plan = plan_transfers(
        available, {cid: uncovered_demand(q, own[cid]) for cid, q in queues.items()}
    )
    assert sum(plan.transferred.values()) + plan.left == available
    served_tiers: list[int] = []
    waiting_tiers: list[int] = []
    for cid, (people, households) in lists.items():
        phones = own[cid] + plan.transferred[cid]
        a = assign_with(people, phones, 0, PER_PERSON, ON, households=households)
        assert a.phones_used == min(len(queues[cid]), phones)
        if plan.transferred[cid]:
            assert a.phones_left == 0  # no phone is sent where nobody waits for it
        beyond_own = queues[cid][own[cid] :]
        served_tiers += [r.tier for r in beyond_own[: plan.transferred[cid]]]
        waiting_tiers += [r.tier for r in beyond_own[plan.transferred[cid] :]]
    if served_tiers and waiting_tiers:
        # across the province, the province's phones never pass over a higher tier
        assert min(waiting_tiers) >= max(served_tiers)
