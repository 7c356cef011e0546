"""Names: one stored form (NFC, capitalised), one matching key without diacritics."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import RuleError
from core.names import (
    MAX_NAME_LENGTH,
    fold,
    in_running_text,
    name_key,
    normalise_name,
    probable_duplicate,
)

# Vietnamese text is built from escapes: no Vietnamese letter may appear in a .py file.
NONG_VAN_THAO = "N\u00f4ng V\u0103n Th\u00e0o"
DINH_THI_HOA = "\u0110inh Th\u1ecb Hoa"
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyen, sac, nga, hoi, nang
VOWEL_MARKS = "\u0302\u0306\u031b"  # circumflex, breve, horn


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def refusal(raw: str) -> RuleError:
    with pytest.raises(RuleError) as caught:
        normalise_name(raw)
    return caught.value


# --- normalise_name: the stored form ---------------------------------------------------------


def test_a_well_written_name_is_kept() -> None:
    assert normalise_name(NONG_VAN_THAO) == NONG_VAN_THAO


def test_decomposed_input_is_stored_composed() -> None:
    raw = nfd(NONG_VAN_THAO)
    assert raw != NONG_VAN_THAO  # the keyboard really sent combining marks
    assert normalise_name(raw) == NONG_VAN_THAO


@pytest.mark.parametrize(
    "raw",
    [
        "  n\u00f4ng   v\u0103n th\u00e0o ",
        "N\u00d4NG V\u0102N TH\u00c0O",
        "n\u00f4ng\tv\u0103n\nth\u00e0o",
        "n\u00f4ng\u00a0v\u0103n\u2003th\u00e0o",
        "n\u00d4NG v\u0102N tH\u00c0O",
    ],
)
def test_spaces_collapse_and_each_word_is_capitalised(raw: str) -> None:
    assert normalise_name(raw) == NONG_VAN_THAO


def test_d_with_stroke_is_capitalised() -> None:
    assert normalise_name("\u0111inh th\u1ecb hoa") == DINH_THI_HOA


def test_apostrophe_names_capitalise_the_part_after_it() -> None:
    # the official spelling: H'Mong, H'Hen Nie (Ede and Gia Rai women's names)
    assert normalise_name("h'hen ni\u00ea") == "H'Hen Ni\u00ea"
    assert normalise_name("GI\u00c0NG H'M\u00d4NG") == "Gi\u00e0ng H'M\u00f4ng"


def test_typographic_apostrophes_become_the_plain_one() -> None:
    assert normalise_name("h\u2019hen ni\u00ea") == "H'Hen Ni\u00ea"
    assert normalise_name("h\u02bchen ni\u00ea") == "H'Hen Ni\u00ea"


def test_hyphens_and_dots_are_allowed() -> None:
    assert normalise_name("nguy\u1ec5n th\u1ecb-mai") == "Nguy\u1ec5n Th\u1ecb-Mai"
    assert normalise_name("nguy\u1ec5n t. mai") == "Nguy\u1ec5n T. Mai"


@pytest.mark.parametrize("raw", ["", "   ", "\u00a0\t\n"])
def test_empty_is_refused(raw: str) -> None:
    assert refusal(raw).key == "rules-name-empty"


@pytest.mark.parametrize(
    "raw",
    [
        "Nguyen Van 2",
        "Nguyen Van A1",
        "Nguyen@Van",
        "Nguyen_Van A",
        "Nguyen (Van) A",
        "Nguyen Van -",
        "Nguyen ' A",
        "Nguyen Van \u0663",
        "Nguyen\u200bVan A",
    ],
)
def test_digits_and_symbols_are_refused(raw: str) -> None:
    assert refusal(raw).key == "rules-name-characters"


@pytest.mark.parametrize("raw", ["Th\u00e0o", "  th\u00e0o  ", "H'Hen"])
def test_one_word_is_refused(raw: str) -> None:
    assert refusal(raw).key == "rules-name-one-word"


def test_characters_are_checked_before_the_number_of_words() -> None:
    assert refusal("Thao1").key == "rules-name-characters"


def test_too_long_is_refused_with_the_length() -> None:
    raw = "A" * 60 + "   " + "B" * 41  # 102 characters once the spaces collapse
    error = refusal(raw)
    assert error.key == "rules-name-too-long"
    assert error.params == {"length": 102, "limit": MAX_NAME_LENGTH}


def test_exactly_the_limit_is_accepted() -> None:
    name = "A" * 49 + " " + "B" * 50
    assert len(name) == MAX_NAME_LENGTH
    assert normalise_name(name) == "A" + "a" * 48 + " B" + "b" * 49


def test_length_counts_composed_characters() -> None:
    # NFD input is longer in code points; the limit is on what is stored
    name = ("\u1ec3" * 49) + " " + ("\u1ec3" * 50)
    assert len(nfd(name)) > MAX_NAME_LENGTH
    assert len(normalise_name(nfd(name))) == MAX_NAME_LENGTH


# --- name_key and fold: matching ---------------------------------------------------------------


def test_with_and_without_diacritics_share_a_key() -> None:
    assert name_key(NONG_VAN_THAO) == name_key("nong van thao") == "nong van thao"


def test_d_with_stroke_folds_to_d() -> None:
    assert name_key(DINH_THI_HOA) == "dinh thi hoa"
    assert fold("\u0111\u1eb7ng \u0110\u1ee8C") == "dang duc"
    assert fold("\u00d0inh") == "dinh"  # eth, as old encodings wrote the capital


def test_fold_collapses_spaces_and_case() -> None:
    assert fold("  X\u00c3   C\u00d4N\tMINH ") == "xa con minh"


def test_fold_unifies_apostrophes() -> None:
    assert fold("H\u2019M\u00f4ng") == fold("h'mong") == "h'mong"


def test_fold_does_not_validate() -> None:
    assert fold("Thon 3, xa 2") == "thon 3, xa 2"
    assert fold("") == ""


# --- probable_duplicate ------------------------------------------------------------------------


def test_same_key_and_birthday_is_a_probable_duplicate() -> None:
    born = date(1961, 9, 3)
    assert probable_duplicate(NONG_VAN_THAO, born, "NONG  VAN THAO", born)


def test_another_birthday_is_not_a_duplicate() -> None:
    assert not probable_duplicate(NONG_VAN_THAO, date(1961, 9, 3), NONG_VAN_THAO, date(1961, 9, 4))


def test_another_name_is_not_a_duplicate() -> None:
    born = date(1961, 9, 3)
    assert not probable_duplicate(NONG_VAN_THAO, born, "N\u00f4ng V\u0103n Th\u1ea3o x", born)


# --- properties ----------------------------------------------------------------------------------

vietnamese_syllables = st.builds(
    lambda base, vowel_mark, tone, tail: unicodedata.normalize(
        "NFC", base + vowel_mark + tone + tail
    ),
    st.sampled_from(list("aeiouyAEIOUY")),
    st.sampled_from(["", *VOWEL_MARKS]),
    st.sampled_from(["", *TONE_MARKS]),
    st.sampled_from(["", "n", "ng", "nh", "c", "ch", "m", "p", "t", "i", "o", "u"]),
)
vietnamese_words = st.builds(
    lambda onset, syllable: onset + syllable,
    st.sampled_from(
        [
            "",
            "b",
            "c",
            "ch",
            "d",
            "\u0111",
            "\u0110",
            "g",
            "gi",
            "h",
            "kh",
            "l",
            "m",
            "n",
            "ng",
            "nh",
            "ph",
            "qu",
            "s",
            "t",
            "th",
            "tr",
            "v",
            "x",
        ]
    ),
    vietnamese_syllables,
)
vietnamese_names = st.lists(vietnamese_words, min_size=2, max_size=5).map(" ".join)
any_letters = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Lt", "Lo", "Mn")), min_size=1, max_size=8
)
separators = st.sampled_from([" ", "  ", "\t", "\u00a0", " \n "])


@given(vietnamese_names, separators)
def test_vietnamese_names_normalise_to_nfc_and_are_stable(name: str, sep: str) -> None:
    raw = sep + nfd(name).replace(" ", sep).upper() + sep
    stored = normalise_name(raw)
    assert unicodedata.is_normalized("NFC", stored)
    assert normalise_name(stored) == stored
    assert name_key(stored) == name_key(name)
    assert "  " not in stored and stored == stored.strip()


@given(st.lists(any_letters, min_size=2, max_size=4).map(" ".join))
def test_normalise_is_idempotent_for_any_letters(raw: str) -> None:
    try:
        stored = normalise_name(raw)
    except RuleError as error:
        assert error.key == "rules-name-characters"  # a word of combining marks only
        return
    assert normalise_name(stored) == stored
    assert unicodedata.is_normalized("NFC", stored)


@given(st.text(max_size=40))
def test_key_of_nfd_equals_key_of_nfc(text: str) -> None:
    assert name_key(unicodedata.normalize("NFD", text)) == name_key(
        unicodedata.normalize("NFC", text)
    )
    assert fold(fold(text)) == fold(text)


@given(vietnamese_names)
def test_keys_are_plain_lower_ascii_for_vietnamese_names(name: str) -> None:
    key = name_key(name)
    assert key.isascii() and key == key.lower()


@pytest.mark.parametrize(("name", "shown"), [
    ("X\u00e3 C\u00f4n Minh", "x\u00e3 C\u00f4n Minh"),
    ("Ph\u01b0\u1eddng S\u00f4ng C\u1ea7u", "ph\u01b0\u1eddng S\u00f4ng C\u1ea7u"),
    ("Th\u00f4n N\u00e0 D\u0103m", "th\u00f4n N\u00e0 D\u0103m"),
    ("T\u1ec9nh B\u1eafc K\u1ea1n", "t\u1ec9nh B\u1eafc K\u1ea1n"),
    ("Huy\u1ec7n Na R\u00ec", "huy\u1ec7n Na R\u00ec"),
    ("Th\u00e0nh ph\u1ed1 B\u1eafc K\u1ea1n", "th\u00e0nh ph\u1ed1 B\u1eafc K\u1ea1n"),
    ("Th\u1ecb tr\u1ea5n Y\u1ebfn L\u1ea1c", "th\u1ecb tr\u1ea5n Y\u1ebfn L\u1ea1c"),
    ("UBND x\u00e3 C\u00f4n Minh", "UBND x\u00e3 C\u00f4n Minh"),  # already in a phrase
    ("B\u1eafc K\u1ea1n", "B\u1eafc K\u1ea1n"),  # no administrative word: unchanged
])
def test_a_units_name_inside_a_sentence_lowers_only_its_administrative_word(
        name: str, shown: str) -> None:
    assert in_running_text(name) == shown
