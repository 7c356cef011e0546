"""Amounts as donors type them, in whole dong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import RuleError
from core.money import MAX_AMOUNT, format_amount, parse_amount

TRIEU = "tri\u1ec7u"
NGHIN = "ngh\u00ecn"
DONG_SIGN = "\u0111"


def refusal(raw: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        parse_amount(raw)
    return caught.value


@pytest.mark.parametrize(
    "raw",
    [
        "2.000.000",
        "2,000,000",
        "2000000",
        "2 000 000",
        "2tr",
        "2 tr",
        "2TR",
        "2 trieu",
        "2 " + TRIEU,
        "2 " + TRIEU.upper(),
        "2 " + TRIEU + " " + DONG_SIGN + "\u1ed3ng",
        "2.000.000 VN\u0110",
        "2.000.000 vnd",
        "2.000.000d",
        "2.000.000" + DONG_SIGN,
        "2.000.000\u20ab",
        "2.000.000 dong",
        "2000k",
        "2.000 " + NGHIN,
        "  2tr  ",
    ],
)
def test_two_million(raw: str) -> None:
    assert parse_amount(raw) == 2_000_000


@pytest.mark.parametrize(
    "raw", ["1,5tr", "1.5 trieu", "1,5 " + TRIEU, "1tr5", "1tr500", "1.500k", "1500 nghin"]
)
def test_one_and_a_half_million(raw: str) -> None:
    assert parse_amount(raw) == 1_500_000


@pytest.mark.parametrize(
    "raw",
    ["500k", "500K", "500 nghin", "500 " + NGHIN, "500 ng\u00e0n", "500.000d", "500.000 vnd"],
)
def test_five_hundred_thousand(raw: str) -> None:
    assert parse_amount(raw) == 500_000


def test_small_fractions_of_a_unit() -> None:
    assert parse_amount("1,25tr") == 1_250_000
    assert parse_amount("1k5") == 1_500
    assert parse_amount("2 t\u1ef7") == 2_000_000_000
    assert parse_amount("1,5 t\u1ec9") == 1_500_000_000


def test_digits_after_the_unit_are_its_fraction_as_people_say_them() -> None:
    # "hai trieu ba" is 2,3 million, "hai trieu ruoi" is written 2tr5
    assert parse_amount("2 trieu 3") == 2_300_000
    assert parse_amount("2tr25") == 2_250_000


def test_a_lone_small_figure_is_dong() -> None:
    assert parse_amount("500") == 500
    assert parse_amount("1.000") == 1_000


@pytest.mark.parametrize("raw", ["0", "0d", "0k", "0,0tr", "-500k", "- 2.000.000"])
def test_zero_and_negative_amounts_are_refused(raw: str) -> None:
    assert refusal(raw).key == "rules-money-positive"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "hai trieu",
        "2.5",
        "2,5",
        "2.000,000",
        "2.00.000",
        "20.00",
        "1,2345k",
        "1,5tr5",
        "2 xyz",
        "d",
        "k",
        "1..5tr",
        "2m",
        "$20",
    ],
)
def test_unreadable_amounts_are_a_format_refusal(raw: str) -> None:
    assert refusal(raw).key == "rules-money-format"


def test_over_ten_billion_is_refused_with_the_limit() -> None:
    error = refusal("10.000.000.001")
    assert error.key == "rules-money-too-large"
    assert error.params == {"limit": "10.000.000.000"}
    assert refusal("11 ty").key == "rules-money-too-large"


def test_exactly_the_limit_is_accepted() -> None:
    assert parse_amount("10 t\u1ef7") == MAX_AMOUNT == 10_000_000_000


def test_format_amount_groups_thousands_with_dots() -> None:
    assert format_amount(2_000_000) == "2.000.000"
    assert format_amount(500) == "500"
    assert format_amount(1_234_567_890) == "1.234.567.890"


@given(st.integers(1, MAX_AMOUNT))
def test_format_then_parse_gives_the_amount_back(amount: int) -> None:
    text = format_amount(amount)
    assert parse_amount(text) == amount
    assert parse_amount(text.replace(".", ",")) == amount
    assert parse_amount(str(amount) + " " + DONG_SIGN) == amount


@given(st.integers(1, 9_999), st.integers(0, 99))
def test_thousands_and_millions_words_agree_with_figures(whole: int, hundredths: int) -> None:
    assert parse_amount(f"{whole}k") == whole * 1_000
    assert parse_amount(f"{whole},{hundredths:02d}tr") == whole * 1_000_000 + hundredths * 10_000
    assert parse_amount(f"{whole}tr{hundredths:02d}") == whole * 1_000_000 + hundredths * 10_000


def test_a_share_is_written_the_way_each_language_writes_it() -> None:
    from core.money import format_percent
    assert format_percent(0.4534, "vi") == "45,3 %"
    assert format_percent(0.4534, "en") == "45.3 %"
    assert format_percent(None, "vi") == ""


def test_numbers_are_grouped_as_each_language_writes_them() -> None:
    from core.money import format_number

    assert format_number(226500, "vi") == "226.500"
    assert format_number(226500, "en") == "226,500"
    assert format_number(1234567, "vi") == "1.234.567"
    assert format_number(999, "vi") == "999"
    assert format_number(0, "en") == "0"
    assert format_number(None, "vi") == ""
