"""Amounts of money in whole dong, as donors type them: 2.000.000, 2tr, 1,5 trieu, 500k."""

from __future__ import annotations

import re

from core.errors import RuleError
from core.names import fold

MAX_AMOUNT = 10_000_000_000

# Words after the number, already folded (no diacritics, lower case), longest first.
_CURRENCY = ("vnd", "dong", "d", "\u20ab")
_UNITS = {
    "trieu": 1_000_000,
    "tr": 1_000_000,
    "nghin": 1_000,
    "ngan": 1_000,  # the southern word
    "k": 1_000,
    "ty": 1_000_000_000,
    "ti": 1_000_000_000,
}
# Thousands grouped with one separator (2.000.000, 2,000,000), or plain digits.
_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*|\d+", re.ASCII)
# A number, a unit, and perhaps digits after the unit: 2tr5 is said for 2,5 trieu.
_WITH_UNIT = re.compile(r"([\d.,]+)([a-z]+)(\d*)", re.ASCII)
# Before a unit, a separator not followed by three digits is a decimal one: 1,5tr, 1.5tr.
_DECIMAL = re.compile(r"(\d+)[.,](\d+)", re.ASCII)


def parse_amount(raw: str) -> int:
    """Whole dong from a typed amount, or a RuleError saying why it cannot be used."""
    text = _strip_currency("".join(fold(raw).split()))
    if text.startswith("-"):
        raise RuleError("rules-money-positive")
    amount = _plain(text) if _GROUPED.fullmatch(text) else _with_unit(text)
    if amount <= 0:
        raise RuleError("rules-money-positive")
    if amount > MAX_AMOUNT:
        raise RuleError("rules-money-too-large", limit=format_amount(MAX_AMOUNT))
    return amount


def format_amount(amount: int) -> str:
    """Thousands separated by dots, as Vietnamese write them: 2.000.000."""
    return format_number(amount, "vi")


def format_number(value: int | None, locale: str) -> str:
    """A whole number as the language writes it: 226.500 in Vietnamese, 226,500 in English;
    nothing for an unknown one."""
    if value is None:
        return ""
    grouped = f"{value:,}"
    return grouped.replace(",", ".") if locale == "vi" else grouped


def _strip_currency(text: str) -> str:
    for suffix in _CURRENCY:
        if text.endswith(suffix) and text[: -len(suffix)][-1:].isalnum():
            return text[: -len(suffix)]
    return text


def _plain(text: str) -> int:
    return int(text.replace(".", "").replace(",", ""))


def _with_unit(text: str) -> int:
    match = _WITH_UNIT.fullmatch(text)
    if not match or match[2] not in _UNITS:
        raise RuleError("rules-money-format")
    number, unit, after = match.groups()
    whole, fraction = _decimal(number)
    if fraction and after:
        raise RuleError("rules-money-format")  # 1,5tr5
    fraction = fraction or after
    scale: int = 10 ** len(fraction)  # int ** int is typed Any (negative powers give floats)
    amount, rest = divmod((whole * scale + int(fraction or "0")) * _UNITS[unit], scale)
    if rest:
        raise RuleError("rules-money-format")  # a fraction of a dong: 1,2345k
    return amount


def _decimal(number: str) -> tuple[int, str]:
    """Whole part and fraction digits; 1.500 before a unit is grouped thousands, as alone."""
    if _GROUPED.fullmatch(number):
        return _plain(number), ""
    if match := _DECIMAL.fullmatch(number):
        return int(match[1]), match[2]
    raise RuleError("rules-money-format")


def format_percent(share: float | None, locale: str) -> str:
    """A share (0..1) as the language writes it: "45,3 %" in Vietnamese, "45.3 %" in English;
    nothing for an unknown share."""
    if share is None:
        return ""
    value = f"{share * 100:.1f}"
    return f"{value.replace('.', ',') if locale == 'vi' else value} %"

