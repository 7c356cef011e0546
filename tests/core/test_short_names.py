"""A name as a public list shows it (issue 18, item 3): family name and given name whole,
each middle name as its initial and a full stop."""

from __future__ import annotations

import unicodedata

from core.names import short_name

NONG_VAN_AN = "N\u00f4ng V\u0103n An"


def test_three_words_keep_the_family_and_given_name_and_shorten_the_middle() -> None:
    assert short_name(NONG_VAN_AN) == "N\u00f4ng V. An"


def test_each_middle_name_becomes_its_initial() -> None:
    # Nguyen Thi Minh Khai: two middle names
    assert short_name("Nguy\u1ec5n Th\u1ecb Minh Khai") == "Nguy\u1ec5n T. M. Khai"


def test_one_and_two_words_stay_as_they_are() -> None:
    assert short_name("An") == "An"
    assert short_name("N\u00f4ng An") == "N\u00f4ng An"


def test_a_middle_initial_keeps_its_diacritic_whatever_the_input_form() -> None:
    # Ma Anh Tuan with the A of Anh accented: U+00C1 as one character (NFC) or A + U+0301 (NFD)
    nfc = "Ma \u00c1nh Tu\u1ea5n"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert short_name(nfd) == short_name(nfc) == "Ma \u00c1. Tu\u1ea5n"
    assert unicodedata.is_normalized("NFC", short_name(nfd))


def test_extra_spaces_are_not_words() -> None:
    assert short_name("  N\u00f4ng   V\u0103n  An ") == "N\u00f4ng V. An"
