"""The shipped catalogues read as an official writes: unit names in running text, forms of
address, plain words, no raw keys (issue 17, item 6)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.i18n import UNIT_PARAMS, Catalogue, load_catalogue
from core.model import Gender
from core.names import addressed

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


# -- forms of address ---------------------------------------------------------------------

FULL_NAME = "N\u00f4ng Th\u1ecb Th\u00e0o"
# Messages to a resident (the confirmation on the new phone) and about one (to officers and
# village heads): the resident is named by the params of core.names.addressed.
RESIDENT_KEYS = ("handover-confirm-ask-whole", "handover-confirm-ask-partial",
                 "handover-case-opened-not_received", "handover-case-opened-problem",
                 "registry-duplicate-citizen-id", "registry-duplicate-person",
                 "handover-serial-unknown", "handover-serial-other-lot",
                 "handover-ask-serial", "handover-ask-serial-any", "handover-ask-serial-partial",
                 "handover-summary", "handover-done", "handover-cli-done")
RESIDENT_PREFIXES = ("handover-confirm-", "resident-")
OFFICIAL_PREFIXES = ("admin-", "chat-start-official", "chat-help-official", "menu-official",
                     "chat-menu-official", "chat-start-village_head", "chat-help-village_head",
                     "menu-village_head", "chat-menu-village_head", "handover-case-opened-",
                     "reports-reminder", "scope-outside-unit", "registration-")
DONOR_PREFIXES = ("pledge-", "receiving-donor-", "handover-donor-", "chat-start-public",
                  "chat-help-public", "menu-public", "chat-menu-public")
YOU_INFORMAL, COMRADE, HONOURED = "b\u1ea1n", "\u0111\u1ed3ng ch\u00ed", "qu\u00fd v\u1ecb"


def words(text: str) -> str:
    return " " + " ".join(text.lower().replace("!", " ").replace(".", " ").split()) + " "


def test_no_vietnamese_text_says_ban() -> None:
    # residents are "ong/ba", officials and village heads "dong chi", donors "quy vi"
    for key in CATALOGUE.keys("vi"):
        assert f" {YOU_INFORMAL} " not in words(filled(CATALOGUE, key, "vi", COMMUNE)), key


@pytest.mark.parametrize(("gender", "title"), [
    (Gender.MALE, "\u00f4ng "), (Gender.FEMALE, "b\u00e0 "), (None, "\u00f4ng/b\u00e0 ")])
def test_a_resident_is_named_with_title_and_full_name(gender: Gender | None, title: str) -> None:
    for key in RESIDENT_KEYS:
        params: dict[str, object] = {f: "7" for f in CATALOGUE.fields(key, "vi")}
        params |= addressed(FULL_NAME, gender)
        text = CATALOGUE.text(key, "vi", **params)
        assert title + FULL_NAME in text, (key, text)
        assert "\u00f4ng/b\u00e0 \u00f4ng" not in text and "b\u00e0 b\u00e0 " not in text, text


def test_messages_to_a_resident_address_them_and_never_a_comrade_or_donor() -> None:
    for key in CATALOGUE.keys("vi"):
        if key.startswith(RESIDENT_PREFIXES) and "{you}" in "".join(
                "{" + f + "}" for f in CATALOGUE.fields(key, "vi")):
            params: dict[str, object] = {f: "7" for f in CATALOGUE.fields(key, "vi")}
            text = CATALOGUE.text(key, "vi", **(params | addressed(FULL_NAME, Gender.FEMALE)))
            assert " b\u00e0" in words(text), (key, text)
        if key.startswith(RESIDENT_PREFIXES):
            text = words(filled(CATALOGUE, key, "vi", COMMUNE))
            assert COMRADE not in text and HONOURED not in text, key


def test_officials_are_comrades_and_donors_honoured_guests() -> None:
    for key in CATALOGUE.keys("vi"):
        text = words(filled(CATALOGUE, key, "vi", COMMUNE))
        if key.startswith(OFFICIAL_PREFIXES):
            assert HONOURED not in text, (key, text)
        if key.startswith(DONOR_PREFIXES):
            assert COMRADE not in text, (key, text)
    for key in ("chat-start-official", "chat-start-village_head", "menu-official",
                "menu-village_head", "scope-outside-unit"):
        assert COMRADE in CATALOGUE.text(key, "vi").lower(), key
    for key in ("chat-start-public", "menu-public", "pledge-ask-kind"):
        assert HONOURED in CATALOGUE.text(key, "vi").lower(), key


# -- plain words --------------------------------------------------------------------------

@pytest.mark.parametrize(("jargon", "locale"), [
    ("s\u1ed5 c\u00e1i", "vi"), ("m\u00e3 b\u0103m", "vi"), ("t\u1ec9 l\u1ec7", "vi"),
    ("xo\u00e1", "vi"), ("ledger", "en"), ("hash", "en")])
def test_no_jargon_and_one_spelling(jargon: str, locale: str) -> None:
    for key in CATALOGUE.keys(locale):
        assert jargon not in CATALOGUE.text(key, locale).lower(), key


def test_a_count_of_phones_is_never_a_phone_number() -> None:
    # "so dien thoai" is a phone number: a count is "so luong dien thoai"
    for key in ("receiving-count-invalid", "admin-receipt-phones",
                "admin-allocation-phones-served"):
        assert "s\u1ed1 l\u01b0\u1ee3ng \u0111i\u1ec7n tho\u1ea1i" in \
            CATALOGUE.text(key, "vi").lower(), key


def test_the_id_field_carries_its_2024_name() -> None:
    label = ("S\u1ed1 \u0111\u1ecbnh danh c\u00e1 nh\u00e2n "
             "(s\u1ed1 th\u1ebb c\u0103n c\u01b0\u1edbc/CCCD)")
    assert CATALOGUE.text("column-citizen_id", "vi") == label
    assert CATALOGUE.text("registration-field-citizen-id", "vi") == label


# -- no raw keys --------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [*ROOT.glob("admin/templates/**/*.html"), *ROOT.glob("documents/templates/*.html")]
CODE = [p for folder in ("core", "handlers", "admin", "documents", "bot")
        for p in (ROOT / folder).rglob("*.py")]
# t("key"), say("key", ...), Reply("key"), RuleError("key"), key="key", "key:key"
LITERAL = re.compile(r'(?:(?:\bt|\bsay|\btext|Reply|RuleError)\(|\bkey\s*=)\s*"'
                     r'([a-z][a-z0-9_]*(?:-[a-z0-9_]+)+)"')
KEY_REFERENCE = re.compile(r'"key:([a-z][a-z0-9_]*(?:-[a-z0-9_]+)+)"')
PREFIX = re.compile(r'\bt\(\s*"([a-z][a-z0-9_-]*-)"\s*~')


def named_keys() -> dict[str, str]:
    """Every catalogue key the templates and the code name literally, with where."""
    found: dict[str, str] = {}
    for path in TEMPLATES + CODE:
        source = path.read_text(encoding="utf-8")
        for pattern in (LITERAL, KEY_REFERENCE):
            for key in pattern.findall(source):
                found.setdefault(key, str(path.relative_to(ROOT)))
    return found


def test_every_key_the_pages_and_the_code_name_is_in_both_catalogues() -> None:
    found = named_keys()
    assert len(found) > 300 and "handover-confirm-ask-whole" in found
    for locale in ("vi", "en"):
        missing = {k: where for k, where in found.items() if k not in CATALOGUE.keys(locale)}
        assert missing == {}, locale


def test_every_key_a_page_builds_has_its_family_in_the_catalogue() -> None:
    for path in TEMPLATES:
        for prefix in PREFIX.findall(path.read_text(encoding="utf-8")):
            assert any(k.startswith(prefix) for k in CATALOGUE.keys("vi")), (path, prefix)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_no_text_renders_a_key_or_a_placeholder(locale: str) -> None:
    keys = CATALOGUE.keys(locale)
    for key in keys:
        text = filled(CATALOGUE, key, locale, COMMUNE)
        assert "{" not in text and "key:" not in text, key
        assert not set(re.findall(r"[a-z][a-z0-9_]*(?:-[a-z0-9_]+){2,}", text)) & keys, key
