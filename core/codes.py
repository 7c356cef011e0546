"""Short codes people type from paper or a screen: no 0/O, 1/I/L, 5/S or 8/B to confuse."""

from __future__ import annotations

import hashlib
import re
import secrets

from core.errors import RuleError

ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
_STRIP = re.compile(r"[\s\-_.]")
# A household code as communes write them (ND-015, CM.01/2): unaccented letters, digits and
# . / - inside, no space, beginning with a letter or a digit (so never a spreadsheet formula).
_HOUSEHOLD_CODE = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,39}", re.ASCII)

INVITE_CODE_LENGTH = 8  # links a chat to an official: "K7QF-M2XP"
# Ten characters, so that a handover code is never mistaken for an invite code.
HANDOVER_CODE_LENGTH = 10  # confirms a handover on the new phone: "K7QFM-2XPAC"
HANDOVER_CODE_GROUP = 5
CODE_GROUP = 4  # an invite code's characters between dashes, as printed


def new_code(length: int = INVITE_CODE_LENGTH, group: int = CODE_GROUP) -> str:
    """A random code shown in groups, e.g. 'K7QF-M2XP'."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return "-".join(raw[i : i + group] for i in range(0, length, group))


def clean_code(typed: str) -> str:
    """What the person typed, without spaces or dashes, in capitals."""
    return _STRIP.sub("", typed).upper()


def looks_like_code(typed: str, length: int = INVITE_CODE_LENGTH) -> bool:
    cleaned = clean_code(typed)
    return len(cleaned) == length and all(c in ALPHABET for c in cleaned)


def code_hash(typed: str) -> str:
    """Codes are stored only as hashes: a copy of the database cannot be used to link a chat."""
    return hashlib.sha256(clean_code(typed).encode("ascii", "ignore")).hexdigest()


def household_code(typed: str) -> str:
    """A household code as the register keeps it (capitals), from the chat, a form or an
    import alike; a RuleError when it is not one."""
    code = typed.strip().upper()
    if not _HOUSEHOLD_CODE.fullmatch(code):
        raise RuleError("registration-household-code-format")
    return code


def household_shown(code: str) -> str:
    """A household code as every page and export shows it: the register's form (capitals,
    trimmed); a code kept before that form was checked is shown as it was written."""
    try:
        return household_code(code)
    except RuleError:
        return code.strip()
