"""Dates typed day first in their usual variants, and ISO dates from spreadsheets."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.dates import format_date, parse_date
from core.errors import RuleError

TODAY = date(2023, 9, 12)


def refusal(raw: str, today: date = TODAY) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse_date(raw, today)
    return caught.value


@pytest.mark.parametrize(
    "raw",
    [
        "14/02/1958",
        "14/2/1958",
        "14-02-1958",
        "14.02.1958",
        "14021958",
        "  14/02/1958 ",
        "14 / 02 / 1958",
        "1958-02-14",
        "1958-2-14",
        "1958-02-14 00:00:00",
        "1958-02-14T00:00",
    ],
)
def test_accepted_forms(raw: str) -> None:
    assert parse_date(raw, TODAY) == date(1958, 2, 14)


def test_single_digit_day_and_month() -> None:
    assert parse_date("3/9/1961", TODAY) == date(1961, 9, 3)
    assert parse_date("3.9.1961", TODAY) == date(1961, 9, 3)


def test_day_comes_first_not_month() -> None:
    assert parse_date("03/09/1961", TODAY) == date(1961, 9, 3)


@pytest.mark.parametrize("raw", ["14/02/58", "14-2-58", "140258", "1.1.00"])
def test_two_digit_year_is_refused_with_its_own_reason(raw: str) -> None:
    assert refusal(raw).key == "rules-date-two-digit-year"


@pytest.mark.parametrize(
    ("raw", "day", "month", "year"),
    [
        ("31/02/1990", 31, 2, 1990),
        ("29/02/1999", 29, 2, 1999),
        ("31/04/1990", 31, 4, 1990),
        ("00/01/1990", 0, 1, 1990),
        ("12/13/1990", 12, 13, 1990),
        ("1990-02-30", 30, 2, 1990),
        ("32011990", 32, 1, 1990),
    ],
)
def test_impossible_dates_are_named(raw: str, day: int, month: int, year: int) -> None:
    error = refusal(raw)
    assert error.key == "rules-date-impossible"
    assert error.params == {"day": day, "month": month, "year": year}


def test_29_february_of_a_leap_year_is_fine() -> None:
    assert parse_date("29/02/2000", TODAY) == date(2000, 2, 29)


def test_future_dates_are_refused() -> None:
    assert refusal("13/09/2023").key == "rules-date-future"
    assert refusal("01/01/2100").key == "rules-date-future"


def test_today_itself_is_accepted() -> None:
    assert parse_date("12/09/2023", TODAY) == TODAY


@pytest.mark.parametrize(("raw", "year"), [("31/12/1899", 1899), ("01/01/0000", 0)])
def test_years_before_1900_are_refused(raw: str, year: int) -> None:
    error = refusal(raw)
    assert error.key == "rules-date-too-old"
    assert error.params == {"year": year}


def test_1_january_1900_is_the_oldest_accepted() -> None:
    assert parse_date("01/01/1900", TODAY) == date(1900, 1, 1)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hom qua",
        "14/02-1958",
        "14/02/19580",
        "14/02/195",
        "1402195",
        "14/02",
        "1958/02/14",
        "1958-02-14 10:30",
        "\u0661\u0664/02/1958",
        "14 02 1958",
    ],
)
def test_anything_else_is_a_format_refusal(raw: str) -> None:
    assert refusal(raw).key == "rules-date-format"


def test_format_date_is_day_first_with_zeros() -> None:
    assert format_date(date(1961, 9, 3)) == "03/09/1961"
    assert format_date(date(2023, 12, 14)) == "14/12/2023"


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_format_then_parse_gives_the_date_back(d: date) -> None:
    assert parse_date(format_date(d), TODAY) == d


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_iso_and_compact_forms_agree(d: date) -> None:
    assert parse_date(d.isoformat(), TODAY) == d
    assert parse_date(format_date(d).replace("/", ""), TODAY) == d


@given(st.text(max_size=20))
def test_arbitrary_text_is_a_past_date_or_a_reasoned_refusal(raw: str) -> None:
    try:
        result = parse_date(raw, TODAY)
    except RuleError as error:
        assert error.key.startswith("rules-date-")
    else:
        assert date(1900, 1, 1) <= result <= TODAY
