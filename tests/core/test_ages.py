"""Age and adulthood: 18 on the day of the check, the birthday itself counting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.ages import adult_from, age_on, is_adult, latest_adult_birth

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
days = st.dates(min_value=date(1919, 1, 1), max_value=date(2150, 12, 31))


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1958, 2, 14), date(2023, 2, 13), 64),
        (date(1958, 2, 14), date(2023, 2, 14), 65),
        (date(1958, 2, 14), date(2023, 12, 31), 65),
        (date(2005, 9, 12), date(2023, 9, 12), 18),
        (date(2005, 9, 13), date(2023, 9, 12), 17),
        (date(2023, 9, 12), date(2023, 9, 12), 0),
    ],
)
def test_age_on(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_the_18th_birthday_itself_counts() -> None:
    assert is_adult(date(2005, 9, 12), date(2023, 9, 12))
    assert not is_adult(date(2005, 9, 12), date(2023, 9, 11))


def test_adult_from_is_the_18th_birthday() -> None:
    assert adult_from(date(2005, 9, 12)) == date(2023, 9, 12)
    assert adult_from(date(2004, 2, 29)) == date(2022, 3, 1)  # 2022 has no 29 February


def test_born_29_february_is_adult_on_1_march_of_a_common_year() -> None:
    born = date(2004, 2, 29)
    assert not is_adult(born, date(2022, 2, 28))
    assert is_adult(born, date(2022, 3, 1))
    assert age_on(born, date(2022, 2, 28)) == 17
    assert age_on(born, date(2022, 3, 1)) == 18


@given(st.integers(1900, 2096).filter(lambda y: y % 4 == 0 and (y % 100 or y % 400 == 0)))
def test_every_29_february_birth_becomes_adult_on_1_march(year: int) -> None:
    # 18 is not a multiple of 4: an 18th birthday on 29 February never exists
    assert adult_from(date(year, 2, 29)) == date(year + 18, 3, 1)


def test_latest_adult_birth_on_an_ordinary_day() -> None:
    assert latest_adult_birth(date(2023, 9, 12)) == date(2005, 9, 12)


def test_latest_adult_birth_on_29_february() -> None:
    # 18 years before 29/02/2024 is 2006, a common year: born up to 28/02/2006
    assert latest_adult_birth(date(2024, 2, 29)) == date(2006, 2, 28)


@given(births, days)
def test_is_adult_agrees_with_age_and_with_the_ranking_cutoff(born: date, on: date) -> None:
    adult = is_adult(born, on)
    assert adult == (age_on(born, on) >= 18)
    assert adult == (born <= latest_adult_birth(on))


@given(births)
def test_adult_from_is_the_first_adult_day(born: date) -> None:
    first = adult_from(born)
    assert is_adult(born, first)
    assert not is_adult(born, first - timedelta(days=1))
    assert age_on(born, first) == 18


@given(births, days)
def test_age_grows_by_one_each_year(born: date, on: date) -> None:
    assume(on.year < 9999 and (on.month, on.day) != (2, 29))
    assert age_on(born, on.replace(year=on.year + 1)) == age_on(born, on) + 1
