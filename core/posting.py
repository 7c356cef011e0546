"""Public posting of a commune's list and the objections to it (niem yet cong khai): records
and the pure rules (which lines a posting shows, when its list may be committed)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from core.allocation import Assignment
from core.dates import format_date
from core.errors import RuleError
from core.names import short_name

MAX_REASON = 1000  # characters an objection or an answer's reason may have


class Verdict(enum.StrEnum):
    """The commune's answer to an objection."""

    KEPT = "kept"  # the person stays on the list
    REMOVED = "removed"  # the person is taken off the list to be committed


@dataclass(frozen=True, slots=True)
class PostedLine:
    """One person as the posting shows them: what the public reads, and who it is."""

    number: int  # their number on the posted list, from 1
    resident_id: int
    short_name: str
    born_year: int
    village: str
    support: str | None  # "whole", "partial", or None: waiting this round


@dataclass(frozen=True, slots=True)
class Posting:
    id: int
    commune_id: int
    opened_at: datetime
    closes_at: datetime
    opened_by: int | None
    lines: tuple[PostedLine, ...]
    closed_at: datetime | None = None  # the list was committed then
    plan_id: int | None = None

    def is_open(self, now: datetime) -> bool:
        """Objections are taken: the period runs and the list is not committed."""
        return self.closed_at is None and now < self.closes_at

    def line(self, number: int) -> PostedLine | None:
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else None


@dataclass(frozen=True, slots=True)
class Objection:
    id: int
    posting_id: int
    line_number: int
    reason: str
    at: datetime
    chat_ref: int | None = None  # the chat it came from; None: in person at the office
    recorded_by: int | None = None  # the officer who recorded one made in person
    verdict: Verdict | None = None
    answer: str = ""
    answered_at: datetime | None = None
    answered_by: int | None = None


@dataclass(frozen=True, slots=True)
class Person:
    """What a posted line is made from: one person's name, year of birth and village."""

    full_name: str
    born_year: int
    village: str


def posted_lines(assignment: Assignment, people: Mapping[int, Person]) -> tuple[PostedLine, ...]:
    """The commune's ranked list as posted: one line per person, those served this round in
    the order of their queue (phones, then money), then those waiting, in their queue order."""
    order: dict[int, str | None] = {}
    for e in assignment.entries:
        if not e.waiting:
            order[e.resident_id] = e.support.value if e.support else None
    for e in assignment.entries:
        order.setdefault(e.resident_id, None)
    return tuple(
        PostedLine(number=n, resident_id=rid, short_name=short_name(people[rid].full_name),
                   born_year=people[rid].born_year, village=people[rid].village,
                   support=support)
        for n, (rid, support) in enumerate(order.items(), start=1))


def removed(objections: Sequence[Objection]) -> set[int]:
    """The line numbers an answer took off the list."""
    return {o.line_number for o in objections if o.verdict is Verdict.REMOVED}


def check_committable(posting: Posting | None, objections: Sequence[Objection],
                      now: datetime, tz: tzinfo) -> Posting:
    """The posting whose list may now be committed, or the reason it may not."""
    if posting is None:
        raise RuleError("posting-required")
    if now < posting.closes_at:
        raise RuleError("posting-still-open", closes=local_time(posting.closes_at, tz))
    waiting = sum(1 for o in objections if o.verdict is None)
    if waiting:
        raise RuleError("posting-unanswered", count=waiting)
    return posting


def check_reason(raw: str, key: str) -> str:
    """An objection's or an answer's reason: one to MAX_REASON characters, spaces tidied."""
    reason = " ".join(raw.split())
    if not reason:
        raise RuleError(key)
    if len(reason) > MAX_REASON:
        raise RuleError("posting-reason-too-long", limit=MAX_REASON)
    return reason


def local_time(at: datetime, tz: tzinfo) -> str:
    """A moment as officials write it: 17:00 ngay 09/10/2023 reads "17:00 09/10/2023"."""
    local = at.astimezone(tz)
    return f"{local:%H:%M} {format_date(local.date())}"
