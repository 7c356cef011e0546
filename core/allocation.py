"""Sharing out donated phones and money (plan III.3-III.4, DESIGN 'Where support is received').

Two steps, both pure. The province plans how many of the units it holds go to each commune
(plan_transfers); each commune then gives what it has on hand, its own stock plus what the
province sent, to its own queues in order (assign). uncovered_demand joins the two: what a
commune's queue still lacks once its own stock is used.

Phones are planned and assigned before money, because a whole phone moves the other members
of the household down the part-of-the-price queue (tiers 2 and 4): the money demand of a
commune is read from assign(..., money=0) once its phones, own and transferred, are known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, tzinfo
from typing import Any, Protocol, TypeVar

from core.priority import TIERS, VIETNAM, Candidate, Ranked, Support, explain, rank


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


K = TypeVar("K", bound=_Ordered)


# --- largest remainder -----------------------------------------------------------------------


def largest_remainder(total: int, weights: Mapping[K, int]) -> dict[K, int]:
    """Split `total` units among the keys in proportion to their weights (Hamilton method).

    Every key gets the floor of its exact quota, then the units left over go one each to the
    largest remainders; equal remainders go to the larger weight, then to the smaller key.
    No key gets more than its weight: when `total` covers the sum of the weights every key
    gets exactly its weight and the caller keeps the surplus. A zero weight gets zero, and
    the shares add up to min(total, sum of weights). Every key of `weights` is in the result.
    """
    if total < 0:
        raise ValueError(f"total must not be negative: {total}")
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("weights must not be negative")
    whole = sum(weights.values())
    if total >= whole:
        return dict(weights)
    shares: dict[K, int] = {}
    remainders: list[tuple[int, int, K]] = []
    for key, weight in weights.items():
        # integer arithmetic: remainders over the common denominator `whole` compare exactly,
        # where floats would turn a tie into a coin toss at national sizes
        share, remainder = divmod(total * weight, whole)
        shares[key] = share
        if remainder:
            remainders.append((-remainder, -weight, key))
    remainders.sort()
    for _, _, key in remainders[: total - sum(shares.values())]:
        shares[key] += 1
    return shares


# --- the province's plan ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """How many of the province's units each commune gets, and for which tiers.

    A unit is a phone, or one person's worth of money (money // per_person).
    """

    available: int  # units the province held
    transferred: dict[int, int]  # commune -> units sent; every commune of the demand
    by_tier: dict[int, tuple[int, ...]]  # commune -> units sent for tier 1..4
    demand: tuple[int, ...]  # people waiting in tier 1..4, all communes together
    served: tuple[int, ...]  # units planned for tier 1..4, all communes together
    left: int  # units that stay at the province
    rationed_tier: int | None  # first tier shared in proportion (not met in full), if any


def plan_transfers(available: int, demand: Mapping[int, Sequence[int]]) -> Plan:
    """The province's units shared among communes, higher tiers first across the province.

    `demand[commune]` holds the people still waiting in tiers 1..4 once the commune's own
    holdings have gone to its own queue (see uncovered_demand). Each tier is met in full
    while the units last; the first tier they cannot meet is shared in proportion to the
    communes' demand in it (largest_remainder) and planning stops there.

    Pledges earmarked for a commune are not part of `available`: they stay at their commune
    and count among its own holdings, which the caller has already taken off its demand.
    """
    _check_demand(available, demand)
    columns = [{commune: need[t] for commune, need in demand.items()} for t in range(TIERS)]
    totals = tuple(sum(column.values()) for column in columns)
    shares: list[dict[int, int]] = []
    left, rationed = available, None
    for tier, column in enumerate(columns, start=1):
        shares.append(largest_remainder(left, column))
        if left < totals[tier - 1]:
            rationed, left = tier, 0
            break
        left -= totals[tier - 1]
    return _plan(available, demand, shares, totals, left, rationed)


def _check_demand(available: int, demand: Mapping[int, Sequence[int]]) -> None:
    """Refuse what a caller can only pass by mistake: fewer than zero, or not four tiers."""
    if available < 0:
        raise ValueError(f"available must not be negative: {available}")
    for commune, need in demand.items():
        if len(need) != TIERS or any(n < 0 for n in need):
            raise ValueError(f"commune {commune}: demand must be {TIERS} counts >= 0")


def _plan(
    available: int,
    demand: Mapping[int, Sequence[int]],
    shares: list[dict[int, int]],
    totals: tuple[int, ...],
    left: int,
    rationed: int | None,
) -> Plan:
    """Turn the per-tier shares into per-commune rows; tiers never reached get zero."""
    padded = shares + [{}] * (TIERS - len(shares))
    by_tier = {commune: tuple(share.get(commune, 0) for share in padded) for commune in demand}
    return Plan(
        available=available,
        transferred={commune: sum(units) for commune, units in by_tier.items()},
        by_tier=by_tier,
        demand=totals,
        served=tuple(sum(share.values()) for share in padded),
        left=left,
        rationed_tier=rationed,
    )


def uncovered_demand(queue: Sequence[Ranked], on_hand: int) -> list[int]:
    """People per tier [t1, t2, t3, t4] still waiting once `on_hand` units are given in order.

    `queue` is one commune's queue for one support, in rank() order: the commune's own units
    go to the head of its own queue before the province's plan is made.
    """
    if on_hand < 0:
        raise ValueError(f"on_hand must not be negative: {on_hand}")
    counts = [0] * TIERS
    for r in queue[on_hand:]:
        counts[r.tier - 1] += 1
    return counts


# --- assignment inside one commune -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """One eligible candidate's line in one of the commune's queues: what they get from that
    queue, or their wait in it."""

    resident_id: int
    support: Support | None  # None: waiting in this queue
    tier: int
    position: int  # in the queue `ranked` belongs to
    of_total: int
    waiting: bool
    ranked: Ranked  # for core.priority.explain


@dataclass(frozen=True, slots=True)
class Assignment:
    """The commune's two queues and what is left of its stock.

    `entries` holds the whole phone queue in order, then the part-of-the-price queue in
    order (those not given a phone): a person waiting for both stands in both, each line
    with that queue's position and total.
    """

    entries: tuple[Entry, ...]
    phones_used: int
    money_used: int
    phones_left: int
    money_left: int
    shares: int = 0  # people the commune's money pays for this round (money // per_person)

    def stock(self, queue: Support) -> int:
        """What this round holds for a queue: phones, or people's shares of money."""
        return self.phones_used + self.phones_left if queue is Support.WHOLE else self.shares

    def waiting(self) -> set[int]:
        """The people served by neither queue."""
        served = {e.resident_id for e in self.entries if not e.waiting}
        return {e.resident_id for e in self.entries} - served


def explain_entry(a: Assignment, e: Entry, commune_name: str,
                  tz: tzinfo = VIETNAM) -> tuple[str, dict[str, object]]:
    """core.priority.explain for a line of the list, saying whether this round reaches it."""
    return explain(e.ranked, commune_name, tz, stock=a.stock(e.ranked.support),
                   served=not e.waiting)


def assign(
    candidates: Sequence[Candidate],
    phones: int,
    money: int,
    per_person: int,
    on: date,
    *,
    households: Mapping[int, int],
) -> Assignment:
    """Give one commune's phones, then its money, to its queues in order.

    `phones` and `money` are what the commune has on hand (its own and what the province
    sent). `households` maps every candidate's resident id to their household id: a whole
    phone moves the other members of the household to part-of-the-price tier 2 or 4.
    One phone per person, then money // per_person persons of the part-of-the-price queue
    as ranked after the phones; nobody gets both, and nobody already served gets anything.
    """
    _check_stock(phones, money, per_person)
    candidates = _check_commune(candidates, households)
    whole = rank(candidates, Support.WHOLE, on)
    given = whole[:phones]
    partial = rank(_after_phones(candidates, given, households), Support.PARTIAL, on)
    entries = _entries(whole, Support.WHOLE, len(given))
    entries += _entries(partial, Support.PARTIAL, 0)
    phones_only = Assignment(entries=tuple(entries), phones_used=len(given), money_used=0,
                             phones_left=phones - len(given), money_left=0)
    return pay(phones_only, money, per_person)


def pay(phones_only: Assignment, money: int, per_person: int) -> Assignment:
    """assign(..., money) of a commune from its assign(..., money=0): money // per_person
    persons at the head of the part-of-the-price queue are served (the planner, which has
    the second already, need not rank the commune again)."""
    _check_stock(phones_only.phones_left, money, per_person)
    if phones_only.money_used:
        raise ValueError("pay() takes an assignment made without money")
    paid = 0
    entries = list(phones_only.entries)
    for i, entry in enumerate(entries):
        if entry.ranked.support is Support.PARTIAL and paid < money // per_person:
            entries[i] = replace(entry, support=Support.PARTIAL, waiting=False)
            paid += 1
    return replace(phones_only, entries=tuple(entries), money_used=paid * per_person,
                   money_left=money - paid * per_person, shares=money // per_person)


def _check_stock(phones: int, money: int, per_person: int) -> None:
    """Stock is never below zero, and a person's share of money is a positive sum."""
    if phones < 0 or money < 0:
        raise ValueError(f"stock must not be negative: phones={phones}, money={money}")
    if per_person <= 0:
        raise ValueError(f"per_person must be positive: {per_person}")


def _check_commune(candidates: Sequence[Candidate], households: Mapping[int, int]
                   ) -> Sequence[Candidate]:
    """One commune, each resident once, each with a household: else the queues would lie.
    The candidates, each with its household id as `households` has it (storage fills it)."""
    if len({c.commune_id for c in candidates}) > 1:
        raise ValueError("assign works on one commune at a time")
    ids = {c.resident_id for c in candidates}
    if len(ids) != len(candidates):
        raise ValueError("a resident is listed twice")
    missing = ids.difference(households)
    if missing:
        raise ValueError(f"no household for residents {sorted(missing)[:10]}")
    if any(c.household_id not in (None, households[c.resident_id]) for c in candidates):
        raise ValueError("a candidate's household differs from the households given")
    if all(c.household_id is not None for c in candidates):
        return candidates
    return [c if c.household_id is not None
            else replace(c, household_id=households[c.resident_id]) for c in candidates]


def _after_phones(
    candidates: Sequence[Candidate], given: list[Ranked], households: Mapping[int, int]
) -> Sequence[Candidate]:
    """The candidates as the part-of-the-price queue sees them once the phones are given.

    Recipients are left out: they are served now, and rank() would drop them anyway. Only
    household_got_whole_phone changes for the others; household_has_smartphone is left as
    the register has it, so that a later run, built from storage, ranks them the same way.
    """
    if not given:
        return candidates
    got = {r.candidate.resident_id for r in given}
    homes = {households[resident] for resident in got}
    return [
        replace(c, household_got_whole_phone=True)
        if not c.household_got_whole_phone and households[c.resident_id] in homes
        else c
        for c in candidates
        if c.resident_id not in got
    ]


def _entries(queue: list[Ranked], support: Support, served: int) -> list[Entry]:
    """The queue's lines: the first `served` get `support`, the others wait."""
    # positional arguments and no helper call per line: this runs once per candidate
    return [
        Entry(
            r.candidate.resident_id,
            support if i < served else None,
            r.tier,
            r.position,
            r.of_total,
            i >= served,
            r,
        )
        for i, r in enumerate(queue)
    ]
