"""Vietnamese mobile numbers: stored in E.164 (+84 and 9 digits), shown as 0912 345 678."""

from __future__ import annotations

from core.errors import RuleError

COUNTRY_CODE = "84"
NATIONAL_LENGTH = 9  # digits after the trunk 0 (or after +84)
MOBILE_PREFIXES = frozenset("35789")  # 03x, 05x, 07x, 08x, 09x since the 2018 renumbering
_SEPARATORS = str.maketrans("", "", ".-()/")


def normalise_phone(raw: str) -> str:
    """'+84' and the 9 national digits of a mobile number, or a RuleError saying why not."""
    national = _national_digits(raw)
    if len(national) == NATIONAL_LENGTH + 1 and national.startswith("2"):
        raise RuleError("rules-phone-not-mobile")  # a landline: 02x area code, 10 digits
    if len(national) != NATIONAL_LENGTH:
        raise RuleError("rules-phone-format")
    if national[0] not in MOBILE_PREFIXES:
        raise RuleError("rules-phone-not-mobile")
    return f"+{COUNTRY_CODE}{national}"


def display_phone(e164: str) -> str:
    """The number as people write it at home: 0912 345 678."""
    national = normalise_phone(e164)[1 + len(COUNTRY_CODE) :]
    return f"0{national[:3]} {national[3:6]} {national[6:]}"


def _national_digits(raw: str) -> str:
    """The digits after the country code or the trunk 0, as typed (length not yet checked)."""
    text = "".join(raw.split()).translate(_SEPARATORS)
    international = text.startswith("+")
    digits = text[1:] if international else text
    if not digits or not (digits.isascii() and digits.isdigit()):
        raise RuleError("rules-phone-format")
    if international or (digits.startswith(COUNTRY_CODE) and len(digits) > NATIONAL_LENGTH + 1):
        if not digits.startswith(COUNTRY_CODE):
            raise RuleError("rules-phone-format")  # a foreign number
        digits = digits[len(COUNTRY_CODE) :]
        # "+84 (0) 912..." and "+84 0912...": the trunk 0 written after the country code
        return digits[1:] if digits.startswith("0") else digits
    # A spreadsheet that stored the number as a figure dropped its leading 0: 912345678.
    return digits[1:] if digits.startswith("0") else digits
