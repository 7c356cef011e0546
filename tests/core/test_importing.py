"""Reading a commune's list, row by row: headers, values, refusals (pure, no database)."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime

import pytest

from core.errors import RuleError
from core.i18n import load_catalogue
from core.importing import (
    ImportRow,
    RowError,
    citizen_id_text,
    header_field,
    header_fields,
    is_data_row,
    match_village,
    parse_birth_date,
    parse_policy,
    parse_poverty,
    parse_row,
    parse_rows,
    parse_yes_no,
    split_id,
)
from core.model import Gender, Level, Policy, Poverty, Unit

TODAY = date(2023, 9, 12)
# The sample file's header row, as typed in Vietnamese (escaped: no Vietnamese letters in .py)
VI_HEADERS = [
    "STT",
    "M\u00e3 h\u1ed9",
    "Ch\u1ee7 h\u1ed9",
    "Th\u00f4n",
    "Ph\u00e2n lo\u1ea1i h\u1ed9",
    "Di\u1ec7n ch\u00ednh s\u00e1ch",
    "H\u1ecd v\u00e0 t\u00ean",
    "Ng\u00e0y sinh",
    "S\u1ed1 CCCD",
    "C\u00f3 \u0110TTM",
    "S\u1ed1 \u0111i\u1ec7n tho\u1ea1i",
]
NA_DAM = "N\u00e0 D\u0103m"
POOR_VI = "H\u1ed9 ngh\u00e8o"
NO_VI = "Kh\u00f4ng"
YES_VI = "C\u00f3"


def good_values(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "stt": 1,
        "household_code": "cm-01",
        "household_head": "Ho\u00e0ng V\u0103n Th\u00e0o",
        "village": NA_DAM,
        "poverty": POOR_VI,
        "policy": "Ng\u01b0\u1eddi c\u00f3 c\u00f4ng",
        "full_name": "ho\u00e0ng  v\u0103n th\u00e0o",
        "date_of_birth": "14/02/1958",
        "citizen_id": "006058011223",
        "has_smartphone": NO_VI,
        "phone": None,
    }
    values.update(changes)
    return values


def village(code: str, name: str) -> Unit:
    return Unit(
        id=int(code[-2:]), dataset="2023", code=code, name=name, level=Level.VILLAGE, parent_id=100
    )


VILLAGES = [
    village("02173-01", NA_DAM),
    village("02173-02", "Khu\u1ed5i Lu\u00f4ng"),
    village("02173-03", "B\u1ea3n Chang"),
]


def test_vietnamese_headers_are_found_with_their_fields() -> None:
    found = header_fields(VI_HEADERS)
    assert found is not None
    assert [found[i] for i in sorted(found)] == [
        "stt",
        "household_code",
        "household_head",
        "village",
        "poverty",
        "policy",
        "full_name",
        "date_of_birth",
        "citizen_id",
        "has_smartphone",
        "phone",
    ]


def test_english_and_upper_case_headers_name_the_same_fields() -> None:
    found = header_fields(["full_name", "DATE_OF_BIRTH", "Village", "Gender", "Notes"])
    assert found == {0: "full_name", 1: "date_of_birth", 2: "village", 3: "gender"}
    caps = header_fields(["H\u1ecc V\u00c0 T\u00caN", "NG\u00c0Y SINH:", "TH\u00d4N"])
    assert caps == {0: "full_name", 1: "date_of_birth", 2: "village"}


def test_a_title_row_is_not_a_header_row() -> None:
    assert header_fields(["UBND X\u00c3 C\u00d4N MINH", None, "Th\u00f4n"]) is None
    assert header_fields(["Th\u00f4n", "Ch\u1ee7 h\u1ed9", "M\u00e3 h\u1ed9"]) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (POOR_VI, Poverty.POOR),
        ("HO NGHEO", Poverty.POOR),
        ("poor", Poverty.POOR),
        ("H\u1ed9 c\u1eadn ngh\u00e8o", Poverty.NEAR_POOR),
        ("ho can ngheo", Poverty.NEAR_POOR),
        ("near_poor", Poverty.NEAR_POOR),
        (NO_VI, Poverty.NONE),
        ("none", Poverty.NONE),
        (None, Poverty.NONE),
    ],
)
def test_poverty_class_accepts_its_spellings(raw: object, expected: Poverty) -> None:
    assert parse_poverty(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ng\u01b0\u1eddi c\u00f3 c\u00f4ng", Policy.MERIT),
        ("nguoi co cong", Policy.MERIT),
        ("merit", Policy.MERIT),
        ("Ch\u00ednh s\u00e1ch x\u00e3 h\u1ed9i", Policy.SOCIAL),
        ("social", Policy.SOCIAL),
        (NO_VI, Policy.NONE),
        ("", Policy.NONE),
        (None, Policy.NONE),
    ],
)
def test_policy_group_accepts_its_spellings(raw: object, expected: Policy) -> None:
    assert parse_policy(raw) is expected


def test_unknown_class_names_the_value() -> None:
    with pytest.raises(RuleError) as err:
        parse_poverty("rich")
    assert err.value.key == "import-bad-poverty"
    assert err.value.params == {"value": "rich"}
    with pytest.raises(RuleError, match="import-bad-policy"):
        parse_policy("veteran")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (YES_VI, True),
        ("x", True),
        ("X", True),
        ("yes", True),
        (NO_VI, False),
        ("", False),
        (None, False),
        ("no", False),
    ],
)
def test_yes_no(raw: object, expected: bool) -> None:
    assert parse_yes_no(raw) is expected


def test_yes_no_refuses_anything_else() -> None:
    with pytest.raises(RuleError, match="import-bad-yes-no"):
        parse_yes_no("maybe")


def test_numeric_id_cell_gets_its_leading_zeros_back() -> None:
    assert citizen_id_text(6058011223) == "006058011223"
    assert citizen_id_text(6058011223.0) == "006058011223"
    assert citizen_id_text(95123456) == "095123456"  # an old CMND stored as a number
    assert citizen_id_text("6058011223") == "6058011223"  # text is taken as typed


def test_id_with_spaces_and_legacy_ids() -> None:
    assert split_id("006 175 022 332") == ("006175022332", None)
    assert split_id("095123456") == (None, "095123456")
    assert split_id(None) == (None, None)
    assert split_id(NO_VI) == (None, None)


def test_birth_dates_typed_in_several_ways() -> None:
    assert parse_birth_date(datetime(1958, 2, 14), TODAY) == date(1958, 2, 14)
    assert parse_birth_date("7/5/1972", TODAY) == date(1972, 5, 7)
    assert parse_birth_date("01.01.1969", TODAY) == date(1969, 1, 1)
    assert parse_birth_date("1975-06-01", TODAY) == date(1975, 6, 1)
    assert parse_birth_date(1021958, TODAY) == date(1958, 2, 1)  # ddmmyyyy lost its 0


def test_impossible_and_future_dates_are_refused() -> None:
    with pytest.raises(RuleError, match="rules-date-impossible"):
        parse_birth_date("31/02/1990", TODAY)
    with pytest.raises(RuleError, match="rules-date-future"):
        parse_birth_date(datetime(2024, 1, 1), TODAY)


def test_good_row_is_normalised() -> None:
    row = parse_row(8, good_values(phone="0912 345 678", has_smartphone="x"), TODAY)
    assert isinstance(row, ImportRow)
    assert row.line == 8
    assert row.full_name == "Ho\u00e0ng V\u0103n Th\u00e0o"
    assert row.household_code == "CM-01"
    assert row.date_of_birth == date(1958, 2, 14)
    assert row.citizen_id == "006058011223"
    assert (row.poverty, row.policy, row.has_smartphone) == (Poverty.POOR, Policy.MERIT, True)
    assert row.phone == "+84912345678"


def test_decomposed_name_is_stored_composed() -> None:
    nfd = unicodedata.normalize("NFD", "L\u01b0u Th\u1ecb H\u1eb1ng")
    row = parse_row(3, good_values(full_name=nfd, citizen_id=None, date_of_birth="3/9/1961"), TODAY)
    assert isinstance(row, ImportRow)
    assert row.full_name == "L\u01b0u Th\u1ecb H\u1eb1ng"
    assert unicodedata.is_normalized("NFC", row.full_name)


@pytest.mark.parametrize(
    ("changes", "field", "key"),
    [
        ({"citizen_id": "999058011223"}, "citizen_id", "rules-cccd-province"),
        ({"citizen_id": "00605801122"}, "citizen_id", "rules-cccd-length"),
        ({"citizen_id": "006258011223"}, "citizen_id", "rules-cccd-century"),
        ({"citizen_id": "006059011223"}, "citizen_id", "rules-cccd-year"),
        ({"citizen_id": "006058011223", "gender": "N\u1eef"}, "citizen_id", "rules-cccd-gender"),
        ({"date_of_birth": "01/01/2006", "citizen_id": None}, "date_of_birth", "registry-minor"),
        (
            {"date_of_birth": "31/02/1990", "citizen_id": None},
            "date_of_birth",
            "rules-date-impossible",
        ),
        ({"date_of_birth": None}, "date_of_birth", "import-required"),
        ({"village": None}, "village", "import-required"),
        ({"poverty": "rich"}, "poverty", "import-bad-poverty"),
        ({"phone": "12345"}, "phone", "rules-phone-format"),
        # the chat's rule for household codes (issue 15, item 4): one rule for both
        ({"household_code": "=1+1"}, "household_code", "registration-household-code-format"),
        ({"household_code": "@SUM(A1)"}, "household_code", "registration-household-code-format"),
        ({"household_code": "ND 015"}, "household_code", "registration-household-code-format"),
        ({"household_code": "-015"}, "household_code", "registration-household-code-format"),
        ({"household_code": "x" * 41}, "household_code", "registration-household-code-format"),
    ],
)
def test_bad_row_names_its_field_and_reason(
    changes: dict[str, object], field: str, key: str
) -> None:
    result = parse_row(12, good_values(**changes), TODAY)
    assert isinstance(result, RowError)
    assert (result.line, result.field, result.key) == (12, field, key)


def test_gender_column_agrees_with_the_id() -> None:
    row = parse_row(2, good_values(gender="Nam"), TODAY)
    assert isinstance(row, ImportRow)
    assert row.gender is Gender.MALE


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"stt": 9},
        {"stt": "T\u1ed5ng c\u1ed9ng: 8 ng\u01b0\u1eddi"},
        {"date_of_birth": "TM. \u1ee6Y BAN NH\u00c2N D\u00c2N \u2014 CH\u1ee6 T\u1ecaCH"},
        {"full_name": "Ng\u01b0\u1eddi l\u1eadp bi\u1ec3u"},
        {"citizen_id": "006058011223"},
    ],
)
def test_lines_that_are_not_people_are_skipped(values: dict[str, object]) -> None:
    assert not is_data_row(values)


def test_a_person_without_a_date_is_data() -> None:
    assert is_data_row({"full_name": "H\u00e0 V\u0103n D\u00ecnh"})
    assert is_data_row({"date_of_birth": "11/12/1980", "village": NA_DAM})


def test_later_duplicates_in_the_file_are_refused() -> None:
    first = good_values()
    same_id = good_values(full_name="N\u00f4ng V\u0103n An")
    same_person = good_values(citizen_id=None, full_name="HOANG VAN THAO")
    other = good_values(
        citizen_id="006161011224", full_name="N\u00f4ng Th\u1ecb Slao", date_of_birth="03/09/1961"
    )
    rows = parse_rows([(8, first), (9, same_id), (10, {}), (11, same_person), (12, other)], TODAY)
    assert [type(r).__name__ for r in rows] == ["ImportRow", "RowError", "RowError", "ImportRow"]
    assert rows[1] == RowError(9, "citizen_id", "import-duplicate-in-file", {"line": 8})
    assert rows[2] == RowError(11, "full_name", "import-duplicate-in-file", {"line": 8})


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (NA_DAM, "02173-01"),
        ("na dam", "02173-01"),
        ("Th\u00f4n N\u00e0 D\u0103m", "02173-01"),
        ("THON KHUOI LUONG", "02173-02"),
        ("B\u1ea3n Chang", "02173-03"),
        ("Th\u00f4n B\u1ea3n Chang", "02173-03"),
        ("Chang", "02173-03"),
        ("02173-02", "02173-02"),
    ],
)
def test_villages_are_found_with_or_without_prefix_and_diacritics(text: str, code: str) -> None:
    assert [v.code for v in match_village(text, VILLAGES)] == [code]


def test_unknown_village_matches_nothing() -> None:
    assert match_village("N\u00e0 M\u00f2n", VILLAGES) == []


@pytest.mark.parametrize(("typed", "code"), [("nd-015", "ND-015"), (" CM.01/2 ", "CM.01/2"),
                                             (15, "15")])
def test_household_codes_the_chat_accepts_are_imported_in_capitals(typed: object,
                                                                   code: str) -> None:
    result = parse_row(12, good_values(household_code=typed), TODAY)
    assert isinstance(result, ImportRow)
    assert result.household_code == code


@pytest.mark.parametrize("header", [
    "CCCD", "S\u1ed1 CCCD", "C\u0103n c\u01b0\u1edbc c\u00f4ng d\u00e2n",
    "S\u1ed1 \u0111\u1ecbnh danh", "S\u1ed1 \u0111\u1ecbnh danh c\u00e1 nh\u00e2n",
    "S\u1ed1 th\u1ebb c\u0103n c\u01b0\u1edbc", "CMND/CCCD", "S\u1ed1 CMND/CCCD", "S\u1ed1 CMND",
    "s\u1ed1 \u0111\u1ecbnh danh c\u00e1 nh\u00e2n:",
    # the label the exports and the forms carry since 1 July 2024 (Luat Can cuoc 2023)
    "S\u1ed1 \u0111\u1ecbnh danh c\u00e1 nh\u00e2n (s\u1ed1 th\u1ebb c\u0103n c\u01b0\u1edbc/CCCD)",
])
def test_every_name_of_the_personal_id_column_is_read_as_it(header: str) -> None:
    assert header_field(header) == "citizen_id"


def test_the_catalogues_own_label_for_the_id_column_reads_back() -> None:
    catalogue = load_catalogue()
    for locale in ("vi", "en"):
        assert header_field(catalogue.text("column-citizen_id", locale)) == "citizen_id"


def test_a_bracketed_note_does_not_make_an_unknown_column_known() -> None:
    assert header_field("Ghi ch\u00fa (CCCD)") is None
