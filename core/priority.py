"""Who may get a whole phone or part of the price, and in which order (plan III.3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from itertools import groupby
from typing import NamedTuple

from core.ages import latest_adult_birth
from core.dates import format_date
from core.model import Policy, Poverty, Status
from core.names import in_running_text

TIERS = 4
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
    household_has_smartphone: bool  # anyone in the household has one
    served: bool = False  # already got a phone or money by any route
    household_got_whole_phone: bool = False  # another member was given a whole phone
    approved_at: datetime | None = None  # UTC; aware or naive, but the same for all ranked


class Ranked(NamedTuple):
    """A candidate's place in its commune's queue for one kind of support."""

    # a named tuple, not a frozen dataclass: as immutable, and made five times faster,
    # which counts when a national allocation ranks a million people several times

    candidate: Candidate
    support: Support
    tier: int
    position: int  # 1-based, within the commune
    of_total: int  # eligible candidates in the commune for this support


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
    # phone first, earlier approval, lower record id); a missing approval time goes last.
    # Each line is its own sort key, the candidate last (resident ids are unique, so it is
    # never compared): no key function called a million times.
    queue = [(c.commune_id, t, c.household_has_smartphone, c.approved_at is None,
              c.approved_at or _NEVER, c.resident_id, c)
             for c in candidates if (t := tier_of(c, cutoff)) is not None]
    queue.sort()  # the one sort; what follows is linear
    ranked: list[Ranked] = []
    start = 0
    for _, run in groupby(line[0] for line in queue):  # a commune's run, in order
        total = sum(1 for _ in run)
        ranked += [Ranked(line[-1], support, line[1], position, total)
                   for position, line in enumerate(queue[start:start + total], 1)]
        start += total
    return ranked


def explain(r: Ranked, commune_name: str, tz: tzinfo = VIETNAM) -> tuple[str, dict[str, object]]:
    """A catalogue key and params that say in words why the candidate stands where they do.

    Params ending in _label hold "key:<catalogue key>" so that the catalogue, not the code,
    words the class and the household; the raw values are there too for the JSON API.
    """
    c = r.candidate
    class_key = _class_key(c, r.support)
    household_key = (
        "rules-household-has-smartphone"
        if c.household_has_smartphone
        else "rules-household-no-smartphone"
    )
    approved = "" if c.approved_at is None else format_date(_local_day(c.approved_at, tz))
    params: dict[str, object] = {
        "tier": r.tier,
        "tiers": TIERS,
        "support": r.support.value,
        "support_label": f"key:rules-support-{r.support.value}",
        "poverty": c.poverty.value,
        "policy": c.policy.value,
        "class_key": class_key,
        "class_label": f"key:{class_key}",
        "household_smartphone": c.household_has_smartphone,
        "household_label": f"key:{household_key}",
        "approved": approved,
        "position": r.position,
        "total": r.of_total,
        "commune": in_running_text(commune_name),
    }
    return ("rules-explain" if approved else "rules-explain-undated"), params


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


def _class_key(c: Candidate, support: Support) -> str:
    """The catalogue key naming the candidate's class, as the plan words each tier."""
    poverty = c.poverty.value.replace("_", "-")
    if support == Support.PARTIAL:
        given = "whole-given" if c.household_got_whole_phone else "none-given"
        return f"rules-class-partial-{poverty}-{given}"
    if c.policy == Policy.NONE:
        return f"rules-class-{poverty}"
    return f"rules-class-{c.policy.value}-{poverty}"


def _local_day(moment: datetime, tz: tzinfo) -> date:
    """The day an official saw; a naive time is UTC, as storage keeps them."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(tz).date()
