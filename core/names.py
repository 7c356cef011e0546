"""People's names: one stored form (NFC, capitalised) and one matching key (no diacritics)."""

from __future__ import annotations

import functools
import unicodedata
from datetime import date

from core.errors import RuleError
from core.model import Gender

MAX_NAME_LENGTH = 100

# Phones' keyboards turn ' into a typographic apostrophe; both mean the same name.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})
# d with stroke has no decomposition, so NFD alone leaves it; U+00D0 (eth) is what old
# Vietnamese encodings often turned the capital into.
_FOLD_LETTERS = str.maketrans({"\u0111": "d", "\u0110": "d", "\u00d0": "d"})
_JOINERS = "'-."  # allowed inside a word; each part after one is capitalised too


@functools.lru_cache(maxsize=1 << 16)  # an import checks each row's name several times
def normalise_name(raw: str) -> str:
    """The name as it is stored: NFC, single spaces, each word capitalised, or a RuleError."""
    words = unicodedata.normalize("NFC", raw).translate(_APOSTROPHES).split()
    if not words:
        raise RuleError("rules-name-empty")
    name = unicodedata.normalize("NFC", " ".join(_capitalise(word) for word in words))
    if len(name) > MAX_NAME_LENGTH:
        raise RuleError("rules-name-too-long", length=len(name), limit=MAX_NAME_LENGTH)
    if not all(_is_word(word) for word in words):
        raise RuleError("rules-name-characters")
    if len(words) < 2:
        raise RuleError("rules-name-one-word")
    return name


def name_key(name: str) -> str:
    """The key that finds duplicates: the same for a name with or without its diacritics."""
    return fold(name)


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Search text folded like name_key: no diacritics, d for d-with-stroke, lower case."""
    decomposed = unicodedata.normalize("NFD", text.translate(_APOSTROPHES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.translate(_FOLD_LETTERS).lower().split())


# The administrative words a unit's name starts with: tinh, huyen, thanh pho, thi xa (province
# and district), xa, phuong, thi tran (commune), thon, ban, to (village).
WARD, TOWN = "Ph\u01b0\u1eddng ", "Th\u1ecb tr\u1ea5n "  # a commune-level unit's other kinds
UNIT_WORDS = ("T\u1ec9nh ", "Huy\u1ec7n ", "Th\u00e0nh ph\u1ed1 ", "Th\u1ecb x\u00e3 ",
              "X\u00e3 ", "Ph\u01b0\u1eddng ", "Th\u1ecb tr\u1ea5n ", "Th\u00f4n ", "B\u1ea3n ",
              "T\u1ed5 ")


def in_running_text(unit_name: str) -> str:
    """A unit's name as it stands inside a sentence, its administrative word in lower case
    (as officials write "tai xa Con Minh"); a name without one is left as it is."""
    for word in UNIT_WORDS:
        if unit_name.startswith(word):
            return word.lower() + unit_name[len(word):]
    return unit_name


def at_sentence_start(text: str) -> str:
    """A unit's name (or any phrase) opening a sentence: its first letter in upper case."""
    return text[:1].upper() + text[1:]


def addressed(full_name: str, gender: Gender | None) -> dict[str, object]:
    """The params that name and address a resident: "ong" or "ba" by sex and the full name,
    "ong/ba" where the sex is not recorded (the neutral written form), never a first name."""
    form = gender.value if gender else "unknown"
    return {"full_name": full_name, "name": f"key:resident-name-{form}",
            "you": f"key:resident-you-{form}"}


def probable_duplicate(a_name: str, a_dob: date, b_name: str, b_dob: date) -> bool:
    """Same name (ignoring diacritics and case) and same date of birth: ask before saving."""
    return a_dob == b_dob and name_key(a_name) == name_key(b_name)


def _is_word(word: str) -> bool:
    """Letters (with their marks) and joiners, with at least one letter."""
    has_letter = any(unicodedata.category(ch).startswith("L") for ch in word)
    return has_letter and all(_is_name_char(ch) for ch in word)


def _is_name_char(ch: str) -> bool:
    return ch in _JOINERS or unicodedata.category(ch)[0] in "LM"


def _capitalise(word: str) -> str:
    """First letter of the word and of each part after a joiner upper, the rest lower."""
    out: list[str] = []
    start = True
    for ch in word:
        out.append(_one_char(ch.upper() if start else ch.lower(), ch))
        if ch in _JOINERS:
            start = True
        elif unicodedata.category(ch).startswith("L"):
            start = False
    return "".join(out)


def _one_char(mapped: str, original: str) -> str:
    """Keep a character whose case mapping is not one character (German sharp s, dotted I)."""
    return mapped if len(mapped) == 1 else original


def short_name(full_name: str) -> str:
    """The name as a public list shows it (Nong Van An -> Nong V. An): the family name and
    the given name whole, each middle name as its initial; one or two words stay as they are."""
    words = unicodedata.normalize("NFC", full_name).split()
    if len(words) <= 2:
        return " ".join(words)
    middle = [f"{word[0]}." for word in words[1:-1]]
    return " ".join([words[0], *middle, words[-1]])
