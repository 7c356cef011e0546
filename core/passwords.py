"""The one rule for an official's password, whoever sets it: the web form, `phocap user add`
or PHOCAP_ADMIN_PASSWORD."""

from __future__ import annotations

from core.errors import RuleError

MIN_PASSWORD = 10


def check_password(password: str) -> None:
    """Refuse a password shorter than MIN_PASSWORD characters (spaces at the ends not counted)."""
    if len(password.strip()) < MIN_PASSWORD:
        raise RuleError("password-too-short", min=MIN_PASSWORD)
