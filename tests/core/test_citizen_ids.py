"""CCCD and CMND numbers: normalising, decoding digits 1-6, checking them against the person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.citizen_ids import (
    PROVINCE_CODES,
    CitizenIdFacts,
    check_citizen_id,
    decode_citizen_id,
    gender_from_citizen_id,
    normalise_citizen_id,
    normalise_legacy_id,
)
from core.errors import RuleError
from core.model import Gender

# From the commune's real list: each must pass with its date of birth.
REAL_LIST = [
    ("006058011223", date(1958, 2, 14), Gender.MALE),
    ("006161011224", date(1961, 9, 3), Gender.FEMALE),
    ("006 175 022 332", date(1975, 8, 19), Gender.FEMALE),
]

OFFICIAL_CODES = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096"
).split()


def raised(call: Callable[..., object], *args: object) -> RuleError:
    with pytest.raises(RuleError) as caught:
        call(*args)
    return caught.value


# --- the province table -----------------------------------------------------------------


def test_province_codes_are_the_63_pre_2025_provinces() -> None:
    assert sorted(PROVINCE_CODES) == OFFICIAL_CODES
    assert len(PROVINCE_CODES) == 63


def test_province_names_are_ascii_and_known_ones_are_right() -> None:
    assert PROVINCE_CODES["001"] == "Ha Noi"
    assert PROVINCE_CODES["006"] == "Bac Kan"
    assert PROVINCE_CODES["019"] == "Thai Nguyen"
    assert PROVINCE_CODES["079"] == "Ho Chi Minh"
    assert PROVINCE_CODES["096"] == "Ca Mau"
    assert all(name.isascii() and name for name in PROVINCE_CODES.values())


def test_province_table_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        PROVINCE_CODES["099"] = "Nowhere"  # type: ignore[index]


# --- normalise_citizen_id -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["006175022332", "006 175 022 332", "006.175.022.332", "006-175-022-332", " 006175022332\t"],
)
def test_separators_and_spaces_are_dropped(raw: str) -> None:
    assert normalise_citizen_id(raw) == "006175022332"


def test_non_breaking_spaces_from_spreadsheets_are_dropped() -> None:
    assert normalise_citizen_id("006\u00a0175\u00a0022\u00a0332") == "006175022332"


@pytest.mark.parametrize("raw", ["00617502233X", "006/175/022/332", "O06175022332", "abc"])
def test_letters_and_other_symbols_are_refused(raw: str) -> None:
    assert raised(normalise_citizen_id, raw).key == "rules-cccd-not-digits"


def test_digits_of_other_scripts_are_refused() -> None:
    # Arabic-Indic digits pass str.isdigit() but are not what a card shows
    assert raised(normalise_citizen_id, "\u0660" * 12).key == "rules-cccd-not-digits"
    assert raised(normalise_citizen_id, "00617502233\u00b2").key == "rules-cccd-not-digits"


@pytest.mark.parametrize(
    ("raw", "digits"), [("", 0), ("   ", 0), ("00617502233", 11), ("0061750223321", 13)]
)
def test_wrong_length_says_how_many_digits_were_typed(raw: str, digits: int) -> None:
    error = raised(normalise_citizen_id, raw)
    assert error.key == "rules-cccd-length"
    assert error.params == {"digits": digits}


@pytest.mark.parametrize("code", ["000", "003", "005", "097", "099", "100", "999"])
def test_unknown_province_code_is_named(code: str) -> None:
    error = raised(normalise_citizen_id, code + "175022332")
    assert error.key == "rules-cccd-province"
    assert error.params == {"code": code}


@pytest.mark.parametrize("code", OFFICIAL_CODES)
def test_every_official_province_code_is_accepted(code: str) -> None:
    assert normalise_citizen_id(code + "175022332") == code + "175022332"


def test_the_province_is_of_birth_registration_not_residence() -> None:
    # someone born in Ha Noi who lives in Bac Kan registers with a 001 number
    assert normalise_citizen_id("001090123456") == "001090123456"


# --- normalise_legacy_id --------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["095123456", "095 123 456", "095.123.456", "095-123-456"])
def test_legacy_cmnd_keeps_its_nine_digits(raw: str) -> None:
    assert normalise_legacy_id(raw) == "095123456"


@pytest.mark.parametrize(("raw", "digits"), [("", 0), ("09512345", 8), ("006175022332", 12)])
def test_legacy_cmnd_must_have_nine_digits(raw: str, digits: int) -> None:
    error = raised(normalise_legacy_id, raw)
    assert error.key == "rules-cmnd-length"
    assert error.params == {"digits": digits}


def test_legacy_cmnd_refuses_letters() -> None:
    assert raised(normalise_legacy_id, "09512345A").key == "rules-cmnd-not-digits"


def test_legacy_cmnd_needs_no_known_province() -> None:
    # 9-digit numbers had their own (older) area codes: no birth facts are read from them
    assert normalise_legacy_id("999999999") == "999999999"


# --- decode_citizen_id ----------------------------------------------------------------------


def test_decode_reads_province_gender_century_and_year() -> None:
    assert decode_citizen_id("006 058 011223") == CitizenIdFacts("006", Gender.MALE, 1900, 58)
    assert decode_citizen_id("006161011224") == CitizenIdFacts("006", Gender.FEMALE, 1900, 61)


@pytest.mark.parametrize(
    ("digit", "gender", "century"),
    [
        ("0", Gender.MALE, 1900),
        ("1", Gender.FEMALE, 1900),
        ("2", Gender.MALE, 2000),
        ("3", Gender.FEMALE, 2000),
        ("4", Gender.MALE, 2100),
        ("5", Gender.FEMALE, 2100),
        ("6", Gender.MALE, 2200),
        ("7", Gender.FEMALE, 2200),
        ("8", Gender.MALE, 2300),
        ("9", Gender.FEMALE, 2300),
    ],
)
def test_fourth_digit_gives_gender_and_century(digit: str, gender: Gender, century: int) -> None:
    facts = decode_citizen_id("019" + digit + "05123456")
    assert (facts.gender, facts.century, facts.birth_year_suffix) == (gender, century, 5)
    assert facts.birth_year == century + 5


def test_decode_refuses_what_normalise_refuses() -> None:
    assert raised(decode_citizen_id, "12345").key == "rules-cccd-length"


def test_gender_from_citizen_id() -> None:
    assert gender_from_citizen_id("006058011223") is Gender.MALE
    assert gender_from_citizen_id("006161011224") is Gender.FEMALE
    assert gender_from_citizen_id("006305011224") is Gender.FEMALE


@given(
    province=st.sampled_from(OFFICIAL_CODES),
    gender=st.sampled_from(list(Gender)),
    birth_year=st.integers(1900, 2399),
    serial=st.integers(0, 999_999),
)
def test_any_constructed_number_decodes_back_to_its_parts(
    province: str, gender: Gender, birth_year: int, serial: int
) -> None:
    digit = 2 * (birth_year // 100 - 19) + (gender is Gender.FEMALE)
    number = f"{province}{digit}{birth_year % 100:02d}{serial:06d}"
    facts = decode_citizen_id(number)
    assert facts.province_code == province
    assert facts.gender is gender
    assert facts.century == birth_year // 100 * 100
    assert facts.birth_year == birth_year
    check_citizen_id(number, date(birth_year, 6, 1), gender)  # and agrees with its owner


@given(st.text(alphabet="0123456789 .-", max_size=30))
def test_normalise_is_idempotent_or_refuses(raw: str) -> None:
    try:
        number = normalise_citizen_id(raw)
    except RuleError as error:
        assert error.key in {"rules-cccd-length", "rules-cccd-province"}
    else:
        assert normalise_citizen_id(number) == number
        assert len(number) == 12 and number.isdigit()


# --- check_citizen_id -----------------------------------------------------------------------


@pytest.mark.parametrize(("number", "born", "gender"), REAL_LIST)
def test_the_communes_real_numbers_pass(number: str, born: date, gender: Gender) -> None:
    check_citizen_id(number, born, gender)
    check_citizen_id(number, born)


def test_century_disagreement_is_named() -> None:
    error = raised(check_citizen_id, "006058011223", date(2058, 2, 14), Gender.MALE)
    assert error.key == "rules-cccd-century"
    assert error.params == {"id_century": 1900, "id_century_last": 1999, "birth_year": 2058}


def test_a_2000s_number_with_a_1900s_birth_is_a_century_error() -> None:
    error = raised(check_citizen_id, "006205011223", date(1905, 1, 1))
    assert error.key == "rules-cccd-century"
    assert error.params["id_century"] == 2000


def test_year_disagreement_is_named_with_two_digits() -> None:
    error = raised(check_citizen_id, "006105011224", date(1961, 9, 3), Gender.FEMALE)
    assert error.key == "rules-cccd-year"
    assert error.params == {"id_year": "05", "birth_year": 1961}


def test_gender_disagreement_is_named() -> None:
    error = raised(check_citizen_id, "006161011224", date(1961, 9, 3), Gender.MALE)
    assert error.key == "rules-cccd-gender"
    assert error.params["id_gender"] == "female"
    assert error.params["gender"] == "male"
    assert error.params["id_gender_label"] == "key:rules-gender-female"
    assert error.params["gender_label"] == "key:rules-gender-male"


def test_gender_given_as_its_plain_value_is_understood() -> None:
    check_citizen_id("006161011224", date(1961, 9, 3), "female")  # type: ignore[arg-type]


def test_century_is_checked_before_year_and_gender() -> None:
    # everything disagrees: the first part named is the century
    error = raised(check_citizen_id, "006161011224", date(2010, 1, 1), Gender.MALE)
    assert error.key == "rules-cccd-century"


def test_year_is_checked_before_gender() -> None:
    error = raised(check_citizen_id, "006161011224", date(1962, 1, 1), Gender.MALE)
    assert error.key == "rules-cccd-year"


def test_check_refuses_a_malformed_number() -> None:
    assert raised(check_citizen_id, "0061610112", date(1961, 9, 3)).key == "rules-cccd-length"
