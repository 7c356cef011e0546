"""Dates as people type them (day first, as in Vietnam) and as Excel exports them (ISO)."""

from __future__ import annotations

import re
from datetime import date

from core.errors import RuleError

OLDEST_YEAR = 1900

# Day first with one separator used twice: 14/02/1958, 3/9/1961, 14-02-1958, 14.02.1958.
_DAY_FIRST = re.compile(r"(\d{1,2})\s*([/.-])\s*(\d{1,2})\s*\2\s*(\d+)", re.ASCII)
# ISO, as spreadsheets export it; a midnight time part comes with datetime cells.
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?", re.ASCII)
_COMPACT = re.compile(r"(\d{2})(\d{2})(\d{4}|\d{2})", re.ASCII)  # ddmmyyyy, or ddmmyy


def parse_date(raw: str, today: date) -> date:
    """A past date from dd/mm/yyyy and its usual variants, or a RuleError saying why not."""
    day, month, year = _split(raw.strip())
    if len(year) == 2:
        raise RuleError("rules-date-two-digit-year")
    if len(year) != 4:
        raise RuleError("rules-date-format")
    return _checked(int(day), int(month), int(year), today)


def format_date(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _split(text: str) -> tuple[str, str, str]:
    """Day, month and year as typed (year may have the wrong number of digits)."""
    if match := _ISO.fullmatch(text):
        year, month, day = match.groups()
        return day, month, year
    if match := _DAY_FIRST.fullmatch(text):
        day, _, month, year = match.groups()
        return day, month, year
    if match := _COMPACT.fullmatch(text):
        day, month, year = match.groups()
        return day, month, year
    raise RuleError("rules-date-format")


def _checked(day: int, month: int, year: int, today: date) -> date:
    if year < OLDEST_YEAR:
        raise RuleError("rules-date-too-old", year=year)
    try:
        result = date(year, month, day)
    except ValueError:
        raise RuleError("rules-date-impossible", day=day, month=month, year=year) from None
    if result > today:
        raise RuleError("rules-date-future")
    return result
