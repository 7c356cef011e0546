"""Who may get a whole phone or part of the price, and in which order (plan III.3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from itertools import count, groupby, pairwise
from typing import NamedTuple

from core.ages import latest_adult_birth
from core.dates import format_date
from core.model import Policy, Poverty, Status, SupportKind
from core.names import TOWN, WARD, in_running_text

TIERS = 4
# "Given a whole phone" by any route (DESIGN, the money tiers 2 and 4): this programme's
# phone, another programme's device, a direct gift of a phone. A shop's offer (a gift, a
# discount or instalments) is not sure to be a gift, so it counts only as a smartphone
# known in the household (tie rule 1); money towards the price counts as neither.
WHOLE_PHONE_ROUTES = (SupportKind.WHOLE, SupportKind.OTHER_PROGRAMME, SupportKind.DIRECT_GIFT)
# Viet Nam has kept UTC+7 without daylight saving since 1975: no tz database needed.
VIETNAM = timezone(timedelta(hours=7), "ICT")
_NEVER = datetime.max  # sort key stand-in for a missing approval time, compared only to itself


class Support(StrEnum):
    WHOLE = "whole"  # ho tro nguyen chiec: a donated phone
    PARTIAL = "partial"  # ho tro mot phan kinh phi: donated money towards the price


@dataclass(frozen=True, slots=True)
class Candidate:
    """One registered resident, with the household facts the priority depends on."""

    resident_id: int
    commune_id: int
    date_of_birth: date
    status: Status
    poverty: Poverty
    policy: Policy
    has_smartphone: bool
    # anyone in the household has one as far as the programme knows: the register says so
    # (the household's answer or a member's), or a member bought one through a shop's offer
    household_has_smartphone: bool
    served: bool = False  # already got a phone or money by any route
    # another member was given a whole phone by any route (DESIGN): this programme's committed
    # plans, another programme's list, a direct gift of a phone
    household_got_whole_phone: bool = False
    approved_at: datetime | None = None  # UTC; aware or naive, but the same for all ranked
    household_id: int | None = None  # None: a household of their own


class Household(StrEnum):
    """Where a candidate's household stands for tie rule 1, in the queue they are ranked in."""

    NONE = "none"  # no smartphone known: one of the first of each household
    AHEAD = "ahead"  # none known, but another member stands ahead in this phone queue
    KNOWN = "known"  # a smartphone known (the register, or given by any route)


class Decided(StrEnum):
    """The deepest rule that sets the candidate apart from the people next to them."""

    TIER = "tier"  # the plan's tier (or nobody beside them)
    HOUSEHOLD = "household"  # tie rule 1: households without a smartphone first
    APPROVED = "approved"  # tie rule 2: the earlier approval, to the minute
    RECORD = "record"  # tie rule 3: the lower record id


class Ranked(NamedTuple):
    """A candidate's place in its commune's queue for one kind of support."""

    # a named tuple, not a frozen dataclass: as immutable, and made five times faster,
    # which counts when a national allocation ranks a million people several times

    candidate: Candidate
    support: Support
    tier: int
    position: int  # 1-based, within the commune
    of_total: int  # eligible candidates in the commune for this support
    household: Household = Household.NONE
    decided: Decided = Decided.TIER


def ineligibility(c: Candidate, on: date, support: Support) -> str | None:
    """Why a candidate cannot get this support on `on` (a catalogue key), or None.

    Both supports exclude the same people today; `support` is asked so that callers need
    not change if the plan ever makes them differ. The first reason that applies is given:
    those that put someone outside the programme, then outside these two supports, then the
    commune's approval still missing.
    """
    if c.has_smartphone:
        return "rules-ineligible-has-smartphone"
    if c.served:
        return "rules-ineligible-served"
    if c.date_of_birth > latest_adult_birth(on):
        return "rules-ineligible-minor"
    if c.poverty == Poverty.NONE:
        return "rules-ineligible-not-poor"
    if c.status != Status.APPROVED:
        return "rules-ineligible-not-approved"
    return None


def whole_phone_tier(c: Candidate, on: date) -> int | None:
    """1 merit family, 2 social-policy family, 3 other poor, 4 other near-poor, else None."""
    return _whole_tier(c, latest_adult_birth(on))


def partial_tier(c: Candidate, on: date) -> int | None:
    """1-2 poor, 3-4 near-poor; the second of each pair when the household got a whole phone."""
    return _partial_tier(c, latest_adult_birth(on))


def rank(candidates: Iterable[Candidate], support: Support, on: date) -> list[Ranked]:
    """Every eligible candidate's position in their commune, communes in id order."""
    tier_of = _whole_tier if support == Support.WHOLE else _partial_tier
    cutoff = latest_adult_birth(on)
    # The order: commune, tier, then the programme's own ties (DESIGN: households without a
    # known phone first, earlier approval, lower record id); a missing approval time goes last.
    # Each line is its own sort key, then the household state and the candidate (resident ids
    # are unique, so neither is ever compared): no key function called a million times.
    queue = [(c.commune_id, t, known, c.approved_at is None, c.approved_at or _NEVER,
              c.resident_id, _STATE[known], c)
             for c in candidates if (t := tier_of(c, cutoff)) is not None
             for known in (c.household_has_smartphone or c.household_got_whole_phone,)]
    queue.sort()
    if support == Support.WHOLE and _one_phone_per_household_first(queue):
        queue.sort()
    ranked: list[Ranked] = []
    start = 0
    for _, run in groupby(line[0] for line in queue):  # a commune's run, in order
        total = sum(1 for _ in run)
        lines = queue[start:start + total]
        # how far apart each line is from the next, as an index of _DECIDED: the first sort
        # key in which they differ (tier, household, approval, else the record id); a line's
        # deciding rule is the deeper of the two beside it. Written out, with no function
        # called per line: this runs for every candidate of a national allocation.
        apart = [0 if a[1] != b[1] else 1 if a[2] != b[2]
                 else 2 if a[3] != b[3] or a[4] != b[4] else 3
                 for a, b in pairwise(lines)]
        ranked += [Ranked(line[-1], support, line[1], position, total, line[-2],
                          _DECIDED[b if b > a else a])
                   for position, line, b, a in zip(count(1), lines, [0, *apart], [*apart, 0])]
        start += total
    return ranked


_STATE = {False: Household.NONE, True: Household.KNOWN}
_DECIDED = (Decided.TIER, Decided.HOUSEHOLD, Decided.APPROVED, Decided.RECORD)
_Line = tuple[int, int, bool, bool, datetime, int, Household, Candidate]


def _one_phone_per_household_first(queue: list[_Line]) -> bool:
    """Tie rule 1 inside the phone queue: a household's first phone is "given earlier in this
    same plan" to its first member in the queue, so its other members rank as a household
    that has one. Only the first member of each household without a known phone keeps that
    place; the others move among those whose household has one (the queue is sorted again).
    Whether any moved."""
    seen: set[tuple[int, int]] = set()
    moved = False
    for i, line in enumerate(queue):
        if line[2]:
            continue
        home = line[-1].household_id
        if home is None:
            continue
        if (line[0], home) in seen:
            queue[i] = (line[0], line[1], True, line[3], line[4], line[5], Household.AHEAD,
                        line[-1])
            moved = True
        else:
            seen.add((line[0], home))
    return moved


def explain(r: Ranked, commune_name: str, tz: tzinfo = VIETNAM, *, stock: int | None = None,
            served: bool = False) -> tuple[str, dict[str, object]]:
    """A catalogue key and params that say in words why the candidate stands where they do.

    The sentence names the queue (phone or money), the tier, the household's state, the
    approval (to the minute when it decided against a neighbour), the place in that queue
    and the rule that decided it; given `stock` (phones, or people's shares of money, the
    commune holds this round) it says too whether the stock reaches them (`served`).
    Params ending in _label hold "key:<catalogue key>" so that the catalogue, not the code,
    words the class and the household; the raw values are there too for the JSON API.
    """
    c = r.candidate
    class_key = _class_key(c, r.support)
    support = r.support.value
    params: dict[str, object] = {
        "tier": r.tier,
        "tiers": TIERS,
        "support": support,
        "support_label": f"key:rules-support-{support}",
        "queue_label": f"key:rules-queue-{support}",
        "poverty": c.poverty.value,
        "policy": c.policy.value,
        "class_key": class_key,
        "class_label": f"key:{class_key}",
        "household": r.household.value,
        "household_smartphone": r.household is Household.KNOWN,
        "household_label": f"key:{_HOUSEHOLD_KEYS[r.household]}",
        "approved": "",
        "approved_time": "",
        "approved_label": "key:rules-approved-none",
        "decided": r.decided.value,
        "decided_label": f"key:rules-decided-{r.decided.value}",
        "position": r.position,
        "total": r.of_total,
        "commune": in_running_text(commune_name),
        # "xa", "phuong" or "thi tran" in the stock's clause, as the unit itself is named
        "unit_label": f"key:rules-unit-{_unit_kind(commune_name)}",
    }
    if c.approved_at is not None:
        local = _local(c.approved_at, tz)
        timed = r.decided in (Decided.APPROVED, Decided.RECORD)
        params |= {"approved": format_date(local.date()), "approved_time": f"{local:%H:%M}",
                   "approved_label": f"key:rules-approved-{'time' if timed else 'day'}"}
    if stock is None:
        return "rules-explain-unplanned", params
    reach = "served" if served else "waiting" if stock else "none"
    params |= {"stock": stock, "served": served,
               "reach_label": f"key:rules-reach-{support}-{reach}"}
    return "rules-explain", params


def _unit_kind(commune_name: str) -> str:
    """What kind of commune-level unit the name says it is: a ward or a town, else a commune."""
    name = commune_name.lower()  # as stored ("Phuong ...") or in running text ("phuong ...")
    if name.startswith(WARD.lower()):
        return "ward"
    if name.startswith(TOWN.lower()):
        return "town"
    return "commune"


_HOUSEHOLD_KEYS = {
    Household.NONE: "rules-household-no-smartphone",
    Household.AHEAD: "rules-household-member-ahead",
    Household.KNOWN: "rules-household-has-smartphone",
}


def _whole_tier(c: Candidate, cutoff: date) -> int | None:
    if not _eligible(c, cutoff):
        return None
    if c.policy == Policy.MERIT:
        return 1
    if c.policy == Policy.SOCIAL:
        return 2
    return 3 if c.poverty == Poverty.POOR else 4


def _partial_tier(c: Candidate, cutoff: date) -> int | None:
    if not _eligible(c, cutoff):
        return None
    return (1 if c.poverty == Poverty.POOR else 3) + c.household_got_whole_phone


def _eligible(c: Candidate, cutoff: date) -> bool:
    """ineligibility() is None, in one expression: this runs once per candidate when ranking."""
    return not (
        c.has_smartphone
        or c.served
        or c.date_of_birth > cutoff
        or c.poverty == Poverty.NONE
        or c.status != Status.APPROVED
    )


def class_key(c: Candidate, support: Support) -> str:
    """The catalogue key naming the candidate's class for a support (the posting list's and
    the handover record's 'doi tuong')."""
    return _class_key(c, support)


def _class_key(c: Candidate, support: Support) -> str:
    """The catalogue key naming the candidate's class, as the plan words each tier."""
    poverty = c.poverty.value.replace("_", "-")
    if support == Support.PARTIAL:
        given = "whole-given" if c.household_got_whole_phone else "none-given"
        return f"rules-class-partial-{poverty}-{given}"
    if c.policy == Policy.NONE:
        return f"rules-class-{poverty}"
    return f"rules-class-{c.policy.value}-{poverty}"


def _local(moment: datetime, tz: tzinfo) -> datetime:
    """The time an official saw; a naive time is UTC, as storage keeps them."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz)
