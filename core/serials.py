"""Phone serial numbers and IMEIs, as officials copy them from a box or a phone's *#06#."""

from __future__ import annotations

import unicodedata

MAX_SERIAL = 40  # the width of the columns that keep one
IMEI_LENGTH = 15


def normalise_serial(raw: str) -> str:
    """One form per serial: NFC, without spaces, in capitals (people copy them from boxes)."""
    return "".join(unicodedata.normalize("NFC", raw).split()).upper()


def luhn_ok(digits: str) -> bool:
    """The Luhn check an IMEI's 15th digit carries."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def is_bad_imei(serial: str) -> bool:
    """Fifteen digits (an IMEI, then) whose check digit is wrong: a digit copied wrong."""
    return len(serial) == IMEI_LENGTH and serial.isdecimal() and not luhn_ok(serial)


def mask_serial(serial: str) -> str:
    """A serial as public pages and the ledger show it: its last four characters (half of a
    short one), the rest starred, so that a donor recognises the phone and nobody can copy it."""
    keep = min(4, len(serial) // 2)
    return "*" * (len(serial) - keep) + serial[len(serial) - keep:]
