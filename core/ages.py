"""Age and adulthood: the plan serves adults, 18 or older on the day of the check."""

from __future__ import annotations

from datetime import date

ADULT_AGE = 18


def age_on(born: date, on: date) -> int:
    """Completed years on a day; someone born on 29 February ages on 1 March in other years."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def adult_from(born: date) -> date:
    """The first day on which someone born on `born` is an adult (the 18th birthday)."""
    try:
        return born.replace(year=born.year + ADULT_AGE)
    except ValueError:
        # Born on 29 February, and the 18th birthday falls in a common year. Read with the
        # Civil Code's rule for a period ending in a month without the matching day (art. 148),
        # the 18th year ends with 28 February; we count adults from 1 March, the first day on
        # which the full 18 years are beyond doubt. No phone goes to someone who might still
        # be a minor, and the cost is one day's wait.
        return date(born.year + ADULT_AGE, 3, 1)


def is_adult(born: date, on: date) -> bool:
    """True from the 18th birthday itself (see adult_from for 29 February)."""
    return adult_from(born) <= on


def latest_adult_birth(on: date) -> date:
    """The last birth date of someone adult on `on`: one comparison per person when ranking."""
    try:
        return on.replace(year=on.year - ADULT_AGE)
    except ValueError:
        # `on` is 29 February and 18 years earlier was a common year: born up to 28 February
        return date(on.year - ADULT_AGE, 2, 28)
