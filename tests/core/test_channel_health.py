"""The health page's rules, worked by hand: which code a failure's reason names, and how the
process's state and the database's record make one row per channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.channel_health import ChannelRecord, ChannelState, State, error_code, health_rows

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
DAY_AGO = NOW - timedelta(days=1)


@pytest.mark.parametrize(("reason", "code"), [
    # the outbox keeps DeliveryFailed's reason: the platform's number comes first
    ("zalo-oa HTTP 200, error -230: outside the window", "-230"),
    ("ZaloOAError: HTTP 200, error -32", "-32"),
    ("ZaloApiError: HTTP 403, error 403", "403"),
    ("getUpdates: HTTP 502, error 502", "502"),
    # no number in the body: the HTTP status
    ("zalo HTTP 400, error None", "HTTP 400"),
    ("setWebhook: HTTP 401", "HTTP 401"),
    # Telegram's reasons name the library's error
    ("telegram Forbidden: bot was blocked by the user", "Forbidden"),
    ("telegram RetryAfter", "RetryAfter"),
    ("TimedOut: Timed out", "TimedOut"),
    ("TimeoutError: no answer from the channel", "TimeoutError"),
    ("ConnectionError", "ConnectionError"),
    ("", "?"),
])
def test_the_code_a_reason_names(reason: str, code: str) -> None:
    assert error_code(reason) == code


def test_a_channel_without_a_state_is_unconfigured_and_one_without_a_record_is_empty() -> None:
    running = ChannelState("zalo", State.RUNNING, since=NOW)
    rows = health_rows(["telegram", "zalo", "zalo_oa"], [running], {}, DAY_AGO)
    assert [(r.channel, r.state) for r in rows] == [
        ("telegram", State.UNCONFIGURED), ("zalo", State.RUNNING),
        ("zalo_oa", State.UNCONFIGURED)]
    assert (rows[1].waiting, rows[1].errors, rows[1].last_send) == (0, (), None)
    assert all(r.healthy for r in rows)


def test_errors_of_the_day_add_up_from_both_sides_and_older_ones_drop_out() -> None:
    # The process saw getUpdates fail with 502 twice today and once two days ago; the
    # outbox holds three -230 refusals and one 502 from today.
    state = ChannelState(
        "zalo_oa", State.RETRYING, since=NOW, last_error="getUpdates: HTTP 502", failures=2,
        errors=((NOW - timedelta(days=2), "502"), (NOW - timedelta(hours=3), "502"),
                (NOW - timedelta(minutes=1), "502")))
    record = ChannelRecord("zalo_oa", errors={"-230": 3, "502": 1}, waiting=4, dead=3)
    [row] = health_rows(["zalo_oa"], [state], {"zalo_oa": record}, DAY_AGO)
    assert row.errors == (("-230", 3), ("502", 3))  # most frequent first, then by code
    assert (row.waiting, row.dead, row.failures) == (4, 3, 2)
    assert row.last_error == "getUpdates: HTTP 502"
    assert not row.healthy


def test_the_latest_update_and_send_win_whichever_side_saw_them() -> None:
    earlier, later = NOW - timedelta(hours=2), NOW - timedelta(minutes=5)
    state = ChannelState("telegram", State.RUNNING, last_update=earlier, last_send=later)
    record = ChannelRecord("telegram", last_update=later, last_send=earlier,
                           token_expires=None, proactive_month=12, plain_text=True)
    [row] = health_rows(["telegram"], [state], {"telegram": record}, DAY_AGO)
    assert (row.last_update, row.last_send) == (later, later)
    assert (row.proactive_month, row.plain_text) == (12, True)


def test_a_refused_token_is_off_and_not_healthy() -> None:
    state = ChannelState("telegram", State.OFF, since=NOW, last_error="InvalidToken")
    [row] = health_rows(["telegram"], [state], {}, DAY_AGO)
    assert row.state is State.OFF and not row.healthy
