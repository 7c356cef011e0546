"""Eligibility and the plan's two priority orders (plan III.3, DESIGN 'The plan's rules')."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.ages import is_adult
from core.model import Policy, Poverty, Status
from core.priority import (
    Candidate,
    Decided,
    Household,
    Ranked,
    Support,
    explain,
    ineligibility,
    partial_tier,
    rank,
    whole_phone_tier,
)

ON = date(2023, 10, 1)
ADULT = date(1980, 5, 5)
APPROVED = datetime(2023, 9, 12, 3, 0, tzinfo=UTC)


def person(resident_id: int = 1, **changes: Any) -> Candidate:
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


# --- whole phone tiers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("poverty", "policy", "tier"),
    [
        (Poverty.POOR, Policy.MERIT, 1),
        (Poverty.NEAR_POOR, Policy.MERIT, 1),
        (Poverty.POOR, Policy.SOCIAL, 2),
        (Poverty.NEAR_POOR, Policy.SOCIAL, 2),
        (Poverty.POOR, Policy.NONE, 3),
        (Poverty.NEAR_POOR, Policy.NONE, 4),
    ],
)
def test_whole_phone_tiers(poverty: Poverty, policy: Policy, tier: int) -> None:
    assert whole_phone_tier(person(poverty=poverty, policy=policy), ON) == tier


def test_whole_phone_tier_ignores_a_whole_phone_given_to_another_member() -> None:
    assert whole_phone_tier(person(household_got_whole_phone=True), ON) == 3


@pytest.mark.parametrize("policy", list(Policy))
def test_a_policy_family_that_is_not_poor_gets_no_tier(policy: Policy) -> None:
    assert whole_phone_tier(person(poverty=Poverty.NONE, policy=policy), ON) is None
    assert partial_tier(person(poverty=Poverty.NONE, policy=policy), ON) is None


# --- part of the price tiers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("poverty", "got_whole", "tier"),
    [
        (Poverty.POOR, False, 1),
        (Poverty.POOR, True, 2),
        (Poverty.NEAR_POOR, False, 3),
        (Poverty.NEAR_POOR, True, 4),
    ],
)
def test_partial_tiers(poverty: Poverty, got_whole: bool, tier: int) -> None:
    c = person(poverty=poverty, household_got_whole_phone=got_whole)
    assert partial_tier(c, ON) == tier


def test_partial_tier_ignores_the_policy_family() -> None:
    assert partial_tier(person(policy=Policy.MERIT), ON) == 1
    assert partial_tier(person(poverty=Poverty.NEAR_POOR, policy=Policy.SOCIAL), ON) == 3


# --- ineligibility ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"has_smartphone": True}, "rules-ineligible-has-smartphone"),
        ({"served": True}, "rules-ineligible-served"),
        ({"date_of_birth": date(2005, 10, 2)}, "rules-ineligible-minor"),
        ({"poverty": Poverty.NONE}, "rules-ineligible-not-poor"),
        ({"status": Status.REGISTERED}, "rules-ineligible-not-approved"),
        ({"status": Status.REJECTED}, "rules-ineligible-not-approved"),
    ],
)
@pytest.mark.parametrize("support", list(Support))
def test_each_reason_is_named_and_no_tier_given(
    changes: dict[str, Any], key: str, support: Support
) -> None:
    c = person(**changes)
    assert ineligibility(c, ON, support) == key
    assert whole_phone_tier(c, ON) is None
    assert partial_tier(c, ON) is None
    assert rank([c], support, ON) == []


@pytest.mark.parametrize("support", list(Support))
def test_an_eligible_candidate_has_no_reason(support: Support) -> None:
    assert ineligibility(person(), ON, support) is None


def test_a_household_smartphone_does_not_exclude_the_person() -> None:
    c = person(household_has_smartphone=True)
    assert ineligibility(c, ON, Support.WHOLE) is None
    assert whole_phone_tier(c, ON) == 3


def test_the_18th_birthday_itself_makes_eligible() -> None:
    c = person(date_of_birth=date(2005, 10, 1))
    assert whole_phone_tier(c, ON) == 3
    assert whole_phone_tier(c, ON - timedelta(days=1)) is None
    assert ineligibility(c, ON - timedelta(days=1), Support.WHOLE) == "rules-ineligible-minor"


def test_born_29_february_waits_for_1_march() -> None:
    c = person(date_of_birth=date(2004, 2, 29))
    assert whole_phone_tier(c, date(2022, 2, 28)) is None
    assert whole_phone_tier(c, date(2022, 3, 1)) == 3


def test_reasons_come_in_a_fixed_order() -> None:
    everything = person(
        has_smartphone=True,
        served=True,
        date_of_birth=date(2010, 1, 1),
        poverty=Poverty.NONE,
        status=Status.REJECTED,
    )
    assert ineligibility(everything, ON, Support.WHOLE) == "rules-ineligible-has-smartphone"
    assert ineligibility(replace(everything, has_smartphone=False), ON, Support.WHOLE) == (
        "rules-ineligible-served"
    )
    minor_and_more = replace(everything, has_smartphone=False, served=False)
    assert ineligibility(minor_and_more, ON, Support.WHOLE) == "rules-ineligible-minor"
    not_poor = replace(minor_and_more, date_of_birth=ADULT)
    assert ineligibility(not_poor, ON, Support.WHOLE) == "rules-ineligible-not-poor"


# --- rank ------------------------------------------------------------------------------------


def ids(ranked: list[Ranked]) -> list[int]:
    return [r.candidate.resident_id for r in ranked]


def test_whole_phone_queue_follows_the_tiers() -> None:
    people = [
        person(1, poverty=Poverty.NEAR_POOR),
        person(2),
        person(3, poverty=Poverty.NEAR_POOR, policy=Policy.SOCIAL),
        person(4, poverty=Poverty.NEAR_POOR, policy=Policy.MERIT),
    ]
    ranked = rank(people, Support.WHOLE, ON)
    assert ids(ranked) == [4, 3, 2, 1]
    assert [r.tier for r in ranked] == [1, 2, 3, 4]
    assert [r.position for r in ranked] == [1, 2, 3, 4]
    assert {r.of_total for r in ranked} == {4}
    assert {r.support for r in ranked} == {Support.WHOLE}


def test_partial_queue_follows_its_own_tiers() -> None:
    people = [
        person(1, poverty=Poverty.NEAR_POOR, household_got_whole_phone=True),
        person(2, poverty=Poverty.NEAR_POOR),
        person(3, household_got_whole_phone=True),
        person(4, policy=Policy.MERIT),
    ]
    ranked = rank(people, Support.PARTIAL, ON)
    assert ids(ranked) == [4, 3, 2, 1]
    assert [r.tier for r in ranked] == [1, 2, 3, 4]


def test_inside_a_tier_households_without_a_smartphone_come_first() -> None:
    early = APPROVED - timedelta(days=30)
    people = [person(1, household_has_smartphone=True, approved_at=early), person(2)]
    assert ids(rank(people, Support.WHOLE, ON)) == [2, 1]


def test_then_the_earlier_approval() -> None:
    people = [person(1), person(2, approved_at=APPROVED - timedelta(seconds=1))]
    assert ids(rank(people, Support.WHOLE, ON)) == [2, 1]


def test_a_missing_approval_time_goes_last() -> None:
    people = [person(1, approved_at=None), person(2, approved_at=APPROVED + timedelta(days=99))]
    assert ids(rank(people, Support.WHOLE, ON)) == [2, 1]


def test_then_the_lower_record_id() -> None:
    people = [person(9), person(3), person(5, approved_at=None), person(4, approved_at=None)]
    assert ids(rank(people, Support.WHOLE, ON)) == [3, 9, 4, 5]


def test_the_tier_outweighs_every_tie_breaker() -> None:
    late_with_phone_at_home = person(
        1,
        policy=Policy.MERIT,
        household_has_smartphone=True,
        approved_at=None,
    )
    assert ids(rank([person(2), late_with_phone_at_home], Support.WHOLE, ON)) == [1, 2]


def test_each_commune_has_its_own_positions_and_totals() -> None:
    people = [
        person(1, commune_id=20),
        person(2, commune_id=10, poverty=Poverty.NEAR_POOR),
        person(3, commune_id=20, policy=Policy.SOCIAL),
        person(4, commune_id=10),
        person(5, commune_id=20, has_smartphone=True),  # not counted in the total
    ]
    ranked = rank(people, Support.WHOLE, ON)
    summary = [
        (r.candidate.commune_id, r.candidate.resident_id, r.position, r.of_total) for r in ranked
    ]
    assert summary == [(10, 4, 1, 2), (10, 2, 2, 2), (20, 3, 1, 2), (20, 1, 2, 2)]


def test_rank_takes_any_iterable_once() -> None:
    ranked = rank((person(i) for i in range(3)), Support.PARTIAL, ON)
    assert ids(ranked) == [0, 1, 2]


def test_empty_input_gives_an_empty_queue() -> None:
    assert rank([], Support.WHOLE, ON) == []


# --- rank: properties -------------------------------------------------------------------------

moments = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(2023, 8, 1), max_value=datetime(2023, 12, 31), timezones=st.just(UTC)
    ),
)
candidates = st.builds(
    Candidate,
    resident_id=st.integers(1, 10_000),
    commune_id=st.integers(1, 4),
    date_of_birth=st.dates(min_value=date(1930, 1, 1), max_value=date(2012, 12, 31)),
    status=st.sampled_from(list(Status)),
    poverty=st.sampled_from(list(Poverty)),
    policy=st.sampled_from(list(Policy)),
    has_smartphone=st.booleans(),
    household_has_smartphone=st.booleans(),
    served=st.booleans(),
    household_got_whole_phone=st.booleans(),
    approved_at=moments,
)
populations = st.lists(candidates, max_size=60, unique_by=lambda c: c.resident_id)


def sort_key(r: Ranked) -> tuple[object, ...]:
    c = r.candidate
    return (
        r.tier,
        r.household is not Household.NONE,
        c.approved_at is None,
        c.approved_at or datetime.max.replace(tzinfo=UTC),
        c.resident_id,
    )


@settings(max_examples=200)
@given(populations, st.sampled_from(list(Support)))
def test_rank_properties(people: list[Candidate], support: Support) -> None:
    ranked = rank(people, support, ON)
    eligible = [c for c in people if ineligibility(c, ON, support) is None]
    assert sorted(ids(ranked)) == sorted(c.resident_id for c in eligible)
    tier_of = whole_phone_tier if support == Support.WHOLE else partial_tier
    for commune in {c.commune_id for c in people}:
        queue = [r for r in ranked if r.candidate.commune_id == commune]
        assert [r.position for r in queue] == list(range(1, len(queue) + 1))
        assert all(r.of_total == len(queue) for r in queue)
        assert [r.tier for r in queue] == sorted(r.tier for r in queue)  # higher tier first
        assert [sort_key(r) for r in queue] == sorted(sort_key(r) for r in queue)
    for r in ranked:
        c = r.candidate
        assert r.tier == tier_of(c, ON)
        # no household ids here: tie rule 1 reads the known phone, by the register or given
        known = c.household_has_smartphone or c.household_got_whole_phone
        assert r.household is (Household.KNOWN if known else Household.NONE)
        assert c.status == Status.APPROVED and not c.has_smartphone and not c.served
        assert c.poverty != Poverty.NONE and is_adult(c.date_of_birth, ON)


@given(populations, st.sampled_from(list(Support)), st.randoms())
def test_rank_does_not_depend_on_input_order(
    people: list[Candidate], support: Support, rnd: random.Random
) -> None:
    shuffled = people[:]
    rnd.shuffle(shuffled)
    assert rank(shuffled, support, ON) == rank(people, support, ON)


# --- explain ---------------------------------------------------------------------------------


def ranked_one(support: Support = Support.WHOLE, **changes: Any) -> Ranked:
    c = person(**changes)
    return rank([c], support, ON)[0]


def test_explain_gives_every_part_of_the_sentence() -> None:
    r = Ranked(person(7, policy=Policy.SOCIAL), Support.WHOLE, tier=2, position=14, of_total=31,
               household=Household.NONE, decided=Decided.APPROVED)
    key, params = explain(r, "X\u00e3 C\u00f4n Minh", stock=10)
    assert key == "rules-explain"
    assert params == {
        "tier": 2,
        "tiers": 4,
        "support": "whole",
        "support_label": "key:rules-support-whole",
        "queue_label": "key:rules-queue-whole",
        "poverty": "poor",
        "policy": "social",
        "class_key": "rules-class-social-poor",
        "class_label": "key:rules-class-social-poor",
        "household": "none",
        "household_smartphone": False,
        "household_label": "key:rules-household-no-smartphone",
        "approved": "12/09/2023",
        "approved_time": "10:00",  # 03:00 UTC
        "approved_label": "key:rules-approved-time",
        "decided": "approved",
        "decided_label": "key:rules-decided-approved",
        "position": 14,
        "total": 31,
        "commune": "x\u00e3 C\u00f4n Minh",  # inside a sentence: lower-case "xa"
        "unit_label": "key:rules-unit-commune",  # the stock clause says "xa", as it is one
        "stock": 10,
        "served": False,
        "reach_label": "key:rules-reach-whole-waiting",
    }


def test_explain_without_stock_says_nothing_of_this_round() -> None:
    key, params = explain(ranked_one(), "x")
    assert key == "rules-explain-unplanned"
    assert "stock" not in params and "reach_label" not in params


def test_explain_shows_the_approval_day_in_viet_nam() -> None:
    late_evening_utc = datetime(2023, 9, 11, 20, 0, tzinfo=UTC)  # 03:00 on 12/09 in Viet Nam
    _, params = explain(ranked_one(approved_at=late_evening_utc), "x")
    assert params["approved"] == "12/09/2023"


def test_explain_reads_a_naive_time_as_utc() -> None:
    _, params = explain(ranked_one(approved_at=datetime(2023, 9, 11, 20, 0)), "x")
    assert params["approved"] == "12/09/2023"


def test_explain_can_use_another_zone() -> None:
    moment = datetime(2023, 9, 11, 20, 0, tzinfo=UTC)
    _, params = explain(ranked_one(approved_at=moment), "x", tz=UTC)
    assert params["approved"] == "11/09/2023"


def test_explain_without_an_approval_time_uses_its_own_phrase() -> None:
    _, params = explain(ranked_one(approved_at=None), "x")
    assert params["approved_label"] == "key:rules-approved-none"
    assert params["approved"] == params["approved_time"] == ""


def test_explain_names_the_household_phone() -> None:
    _, params = explain(ranked_one(household_has_smartphone=True), "x")
    assert params["household_smartphone"] is True
    assert params["household_label"] == "key:rules-household-has-smartphone"


@pytest.mark.parametrize(
    ("support", "changes", "class_key"),
    [
        (Support.WHOLE, {"policy": Policy.MERIT}, "rules-class-merit-poor"),
        (
            Support.WHOLE,
            {"policy": Policy.MERIT, "poverty": Poverty.NEAR_POOR},
            "rules-class-merit-near-poor",
        ),
        (Support.WHOLE, {"policy": Policy.SOCIAL}, "rules-class-social-poor"),
        (
            Support.WHOLE,
            {"policy": Policy.SOCIAL, "poverty": Poverty.NEAR_POOR},
            "rules-class-social-near-poor",
        ),
        (Support.WHOLE, {}, "rules-class-poor"),
        (Support.WHOLE, {"poverty": Poverty.NEAR_POOR}, "rules-class-near-poor"),
        (Support.PARTIAL, {"policy": Policy.MERIT}, "rules-class-partial-poor-none-given"),
        (
            Support.PARTIAL,
            {"household_got_whole_phone": True},
            "rules-class-partial-poor-whole-given",
        ),
        (
            Support.PARTIAL,
            {"poverty": Poverty.NEAR_POOR},
            "rules-class-partial-near-poor-none-given",
        ),
        (
            Support.PARTIAL,
            {"poverty": Poverty.NEAR_POOR, "household_got_whole_phone": True},
            "rules-class-partial-near-poor-whole-given",
        ),
    ],
)
def test_explain_names_the_class_as_the_plan_words_the_tier(
    support: Support, changes: dict[str, Any], class_key: str
) -> None:
    r = ranked_one(support, **changes)
    _, params = explain(r, "x")
    assert params["class_key"] == class_key
    assert params["class_label"] == "key:" + class_key
    assert params["support"] == support.value
