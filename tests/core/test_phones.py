"""Vietnamese mobile numbers: stored as +84 and 9 digits, shown as 0912 345 678."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import RuleError
from core.phones import display_phone, normalise_phone


def refusal(raw: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        normalise_phone(raw)
    return caught.value


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        " 0912 345 678 ",
        "+84912345678",
        "+84 912 345 678",
        "84912345678",
        "+84 (0) 912 345 678",
        "+840912345678",
        "(091) 234-5678",
        "912345678",  # a spreadsheet stored it as a figure and lost the 0
    ],
)
def test_accepted_ways_of_writing_one_number(raw: str) -> None:
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize("prefix", ["3", "5", "7", "8", "9"])
def test_every_mobile_prefix_is_accepted(prefix: str) -> None:
    assert normalise_phone(f"0{prefix}12345678") == f"+84{prefix}12345678"


def test_a_number_starting_with_84_after_the_zero_is_not_mistaken() -> None:
    assert normalise_phone("0843456789") == "+84843456789"
    assert normalise_phone("843456789") == "+84843456789"


@pytest.mark.parametrize("raw", ["0112345678", "0412345678", "0612345678", "0012345678"])
def test_non_mobile_prefixes_are_refused(raw: str) -> None:
    assert refusal(raw).key == "rules-phone-not-mobile"


@pytest.mark.parametrize("raw", ["0209 3870 123", "+84 209 3870 123", "02093870123"])
def test_landlines_are_named_as_not_mobile(raw: str) -> None:
    assert refusal(raw).key == "rules-phone-not-mobile"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "091234567",
        "09123456789",
        "+8491234567",
        "+849123456789",
        "+1 912 345 678",
        "0912 345 67a",
        "0912_345_678",
        "++84912345678",
        "+",
        "\u0660\u0669\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668",
    ],
)
def test_wrong_length_or_characters_is_a_format_refusal(raw: str) -> None:
    assert refusal(raw).key == "rules-phone-format"


def test_display_is_the_home_form() -> None:
    assert display_phone("+84912345678") == "0912 345 678"
    assert display_phone("+84386000111") == "0386 000 111"


def test_display_refuses_what_is_not_a_number() -> None:
    with pytest.raises(RuleError):
        display_phone("none")


@given(st.sampled_from("35789"), st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_all_forms_agree_and_display_round_trips(prefix: str, rest: str) -> None:
    national = prefix + rest
    stored = normalise_phone("0" + national)
    assert stored == "+84" + national
    assert normalise_phone(stored) == stored
    assert normalise_phone("84" + national) == stored
    assert normalise_phone(display_phone(stored)) == stored
    assert display_phone(stored).replace(" ", "") == "0" + national
