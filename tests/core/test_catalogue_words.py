"""The shipped catalogues read as an official writes: unit names in running text, forms of
address, plain words, no raw keys (issue 17, item 6)."""

from __future__ import annotations

import pytest

from core.i18n import UNIT_PARAMS, Catalogue, load_catalogue

CATALOGUE = load_catalogue()
COMMUNE, PROVINCE = "X\u00e3 C\u00f4n Minh", "T\u1ec9nh B\u1eafc K\u1ea1n"
# The administrative words that are lower case inside a sentence.
UNIT_WORDS = ("X\u00e3 ", "T\u1ec9nh ", "Huy\u1ec7n ", "Ph\u01b0\u1eddng ", "Th\u1ecb tr\u1ea5n ",
              "Th\u00e0nh ph\u1ed1 ")


def unit_keys(locale: str) -> list[str]:
    """Every entry that takes a unit's name, found by its placeholders."""
    return sorted(k for k in CATALOGUE.keys(locale) if CATALOGUE.fields(k, locale) & UNIT_PARAMS)


def filled(catalogue: Catalogue, key: str, locale: str, unit: str) -> str:
    params: dict[str, object] = {f: unit if f in UNIT_PARAMS else "7"
                                 for f in catalogue.fields(key, locale)}
    return catalogue.text(key, locale, **params)


def capitalised_mid_sentence(text: str) -> list[str]:
    """The unit words written with a capital where no sentence or line starts."""
    found = []
    for word in UNIT_WORDS:
        start = text.find(word)
        while start != -1:
            before = text[:start].rstrip(" ")
            if before and before[-1] not in ".!?\n":
                found.append(text[max(0, start - 20):start + len(word) + 10])
            start = text.find(word, start + 1)
    return found


def test_the_unit_entries_are_found() -> None:
    # the handover record's body, the donor's receipt message and the import summary at least
    keys = unit_keys("vi")
    assert {"handover-record-intro", "receiving-donor-money-for", "import-summary"} <= set(keys)


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("unit", [COMMUNE, PROVINCE])
def test_a_unit_name_is_lower_case_inside_every_sentence(locale: str, unit: str) -> None:
    for key in unit_keys(locale):
        text = filled(CATALOGUE, key, locale, unit)
        assert capitalised_mid_sentence(text) == [], (key, text)
        assert unit[1:] in text, (key, text)  # the name itself is there, only its case changed


def test_a_unit_name_opening_a_sentence_keeps_its_capital() -> None:
    text = CATALOGUE.text("allocation-cli-commune", "vi", commune="x\u00e3 C\u00f4n Minh",
                          phones=1, money="0", whole=1, partial=0, waiting=0)
    assert text.startswith(COMMUNE + ":")


def test_a_unit_name_inside_a_sentence_is_lowered_once_and_only_its_word() -> None:
    text = CATALOGUE.text("cli-user-added", "vi", login="a", role="b", unit=PROVINCE)
    assert text.endswith("t\u1ec9nh B\u1eafc K\u1ea1n.")


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_no_literal_text_capitalises_a_unit_word_mid_sentence(locale: str) -> None:
    for key in CATALOGUE.keys(locale):
        text = filled(CATALOGUE, key, locale, "x\u00e3 C\u00f4n Minh")
        assert capitalised_mid_sentence(text) == [], (key, text)
