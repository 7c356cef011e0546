"""PHOCAP_POSTING_DAYS: how long a commune's list is posted for objections (issue 18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_the_posting_period_is_seven_days_unless_set(tmp_path: Path) -> None:
    assert load_settings({}, tmp_path / "none.toml").posting_days == 7
    assert load_settings({"PHOCAP_POSTING_DAYS": "10"}, tmp_path / "none.toml").posting_days == 10


@pytest.mark.parametrize("raw", ["0", "91", "seven"])
def test_a_posting_period_outside_one_to_ninety_days_is_refused(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError):
        load_settings({"PHOCAP_POSTING_DAYS": raw}, tmp_path / "none.toml")
