"""The one way to ask the time: a Clock is passed in, so that tests never depend on today."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC: the clock that the wiring passes in production."""
    return datetime.now(UTC)
