"""A question to a village head fits on a phone screen without scrolling (issue 17, item 6)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from core.i18n import load_catalogue

CATALOGUE = load_catalogue()
SOURCE = Path(__file__).resolve().parents[2] / "handlers" / "registration.py"
# A 360-pixel-wide phone shows about 36 characters a line in a chat bubble and, above the
# keyboard and the buttons, about 8 lines of a question; a summary to check may take the
# whole screen (about 18 lines) since the keyboard is closed while buttons are pressed.
LINE_WIDTH, PROMPT_LINES, SUMMARY_LINES, BUTTON_LENGTH = 36, 6, 18, 40
HEAD = "N\u00f4ng V\u0103n Th\u00e0o"
PARAMS: dict[str, object] = {
    "count": 245, "shown": 8, "household_code": "ND-015", "head": HEAD, "name": HEAD,
    "poverty_label": "key:registration-poverty-near_poor",
    "policy_label": "key:registration-policy-merit",
    "has_smartphone_household": "key:registration-no",
    "born": "14/02/1958", "citizen_id": "006058011223", "has_smartphone": "key:registration-no",
    "phone": "0912345678",
}


def screen_lines(text: str) -> int:
    return sum(len(textwrap.wrap(line, LINE_WIDTH)) or 1 for line in text.split("\n"))


def asked_keys() -> set[str]:
    """Every question the dialog asks, read from its code."""
    code = SOURCE.read_text(encoding="utf-8")
    return set(re.findall(r'"(registration-(?:ask|more-ask)[a-z-]*)"', code))


def test_the_questions_are_found() -> None:
    keys = asked_keys()
    assert {"registration-ask-household", "registration-ask-citizen-id",
            "registration-ask-consent", "registration-more-ask"} <= keys
    assert all(CATALOGUE.has(key) for key in keys)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_question_fits_a_phone_screen(locale: str) -> None:
    for key in sorted(asked_keys()):
        text = CATALOGUE.text(key, locale, **PARAMS)
        assert "{" not in text and screen_lines(text) <= PROMPT_LINES, (key, screen_lines(text))


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_the_summary_to_check_fits_one_screen(locale: str) -> None:
    text = CATALOGUE.text("registration-summary", locale, **PARAMS)
    assert "{" not in text and screen_lines(text) <= SUMMARY_LINES, screen_lines(text)


@pytest.mark.parametrize("locale", ["vi", "en"])
def test_every_button_is_short(locale: str) -> None:
    code = SOURCE.read_text(encoding="utf-8")
    labels = set(re.findall(r'key="(registration-[a-z-]+)"', code))
    labels |= {f"registration-{kind}-{v}" for kind in ("poverty", "policy")
               for v in ("poor", "near_poor", "merit", "social", "none")}
    labels = {k for k in labels if CATALOGUE.has(k)}
    assert len(labels) >= 10
    for key in labels:
        assert len(CATALOGUE.text(key, locale)) <= BUTTON_LENGTH, key


def test_the_old_questions_would_not_have_fitted() -> None:
    # the consent question as it was (253 characters) took 8 lines: the measure can fail
    old = ("Tr\u01b0\u1edfng th\u00f4n \u0111\u00e3 gi\u1ea3i th\u00edch " * 12).strip()
    assert screen_lines(old) > PROMPT_LINES
