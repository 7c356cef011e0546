"""The final review (plan VI.1, bao cao tong ket): the monthly figures over a period.

A period's report is made of its months' reports, computed as every month's is: what happened
in the period is the sum of what happened in each month (the windows do not overlap); where
people stood at its start is where they stood at the first month's start, at its end where
they stood at the last month's end; "to date" is the last month's (from the programme's
beginning to the period's end). Coverage runs from the first month's start to the last's end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

from core.errors import RuleError
from core.figures import Coverage, Figures, Month, Report

MAX_MONTHS = 60  # five years: a review of the whole campaign, and then some


def months_between(first: Month, last: Month) -> list[Month]:
    """Every month from first to last, both included; a RuleError for a reversed or too long
    period."""
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count < 1:
        raise RuleError("documents-review-order", first=first.label, last=last.label)
    if count > MAX_MONTHS:
        raise RuleError("documents-review-too-long", limit=MAX_MONTHS, count=count)
    return list(_walk(first, count))


def _walk(first: Month, count: int) -> Iterator[Month]:
    year, month = first.year, first.month
    for _ in range(count):
        yield Month(year, month, first.tz)
        year, month = year + month // 12, month % 12 + 1


def cumulative(reports: Sequence[Report]) -> Report:
    """One report for consecutive months of the same unit, in order: its `month` is the
    last month's (the period's first is the first report's)."""
    last = reports[-1]
    return replace(last, figures=_combined([r.figures for r in reports]),
                   own=_combined([r.own for r in reports]))


def _combined(maps: Sequence[Mapping[int, Figures]]) -> dict[int, Figures]:
    first, last = maps[0], maps[-1]
    out: dict[int, Figures] = {}
    for unit_id, end in last.items():
        begin = first.get(unit_id, end)
        tally = begin.month
        for month in maps[1:]:
            if unit_id in month:
                tally = tally + month[unit_id].month
        out[unit_id] = replace(
            end, month=tally, start=begin.start,
            adult_coverage=Coverage(begin.adult_coverage.start, end.adult_coverage.end),
            household_coverage=Coverage(begin.household_coverage.start,
                                        end.household_coverage.end))
    return out
