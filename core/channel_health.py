"""How each chat channel is doing, for the province's health page and /healthz.

Two halves meet here: what the running process knows of its channels (started, retrying
after an error, refused for good, the last update and send it saw) and what the database
knows (the outbox's waiting and failed messages, the OA token's expiry, the month's
proactive messages). health_rows() joins them, one row per channel, pure.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


class State(enum.StrEnum):
    UNCONFIGURED = "unconfigured"  # no credentials in the settings: the channel is not built
    STARTING = "starting"  # first attempt to reach the platform under way
    RUNNING = "running"  # reached: webhook set, polling, or tokens loaded
    RETRYING = "retrying"  # the last attempt failed; another follows after a pause
    OFF = "off"  # the platform refused the credentials: no retry until they change
    STOPPED = "stopped"  # the server is shutting down


@dataclass(frozen=True, slots=True)
class ChannelState:
    """What this process knows of one channel now."""

    channel: str
    state: State
    since: datetime | None = None  # when it entered this state
    last_error: str | None = None  # the cause of the last failure, never a token or a text
    failures: int = 0  # failed attempts in a row
    errors: tuple[tuple[datetime, str], ...] = ()  # recent failures: (when, code)
    last_update: datetime | None = None
    last_send: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChannelRecord:
    """What the database knows of one channel (core.ports.HealthViews)."""

    channel: str
    last_update: datetime | None = None
    last_send: datetime | None = None
    errors: Mapping[str, int] = field(default_factory=dict)  # code -> failures in the window
    waiting: int = 0  # messages in the outbox not yet sent and not given up
    dead: int = 0  # messages given up within the window
    token_expires: datetime | None = None  # Zalo OA's access token
    proactive_month: int | None = None  # messages sent unprompted this month (Zalo OA)
    plain_text: bool | None = None  # Zalo OA refused buttons once: plain text from then on


@dataclass(frozen=True, slots=True)
class ChannelHealth:
    """One row of the health page."""

    channel: str
    state: State
    since: datetime | None
    last_error: str | None
    failures: int
    last_update: datetime | None
    last_send: datetime | None
    errors: tuple[tuple[str, int], ...]  # (code, count), most frequent first
    waiting: int
    dead: int
    token_expires: datetime | None
    proactive_month: int | None
    plain_text: bool | None

    @property
    def healthy(self) -> bool:
        return self.state in (State.RUNNING, State.UNCONFIGURED)


_ERROR_NUMBER = re.compile(r"\berror (-?\d+)")
_HTTP_STATUS = re.compile(r"\bHTTP ([1-9]\d\d)\b")
_NAME = re.compile(r"^(?:telegram |zalo-oa |zalo )?([A-Za-z_][A-Za-z0-9_]*)")


def error_code(reason: str) -> str:
    """The code a failure's reason names: the platform's error number ("-230"), else its
    HTTP status ("HTTP 502"), else the error's name ("Forbidden", "TimeoutError")."""
    if found := _ERROR_NUMBER.search(reason):
        return found.group(1)
    if found := _HTTP_STATUS.search(reason):
        return f"HTTP {found.group(1)}"
    if found := _NAME.match(reason.strip()):
        return found.group(1)
    return "?"


def _latest(*moments: datetime | None) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None


def health_rows(names: Sequence[str], states: Iterable[ChannelState],
                records: Mapping[str, ChannelRecord], since: datetime) -> list[ChannelHealth]:
    """One row per channel name, in the order given: the process's state joined with the
    database's record; errors counted from `since` on, from both sides."""
    by_name = {s.channel: s for s in states}
    rows = []
    for name in names:
        state = by_name.get(name) or ChannelState(name, State.UNCONFIGURED)
        record = records.get(name) or ChannelRecord(name)
        counts: Counter[str] = Counter(dict(record.errors))
        counts.update(code for at, code in state.errors if at >= since)
        rows.append(ChannelHealth(
            channel=name, state=state.state, since=state.since, last_error=state.last_error,
            failures=state.failures,
            last_update=_latest(state.last_update, record.last_update),
            last_send=_latest(state.last_send, record.last_send),
            errors=tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))),
            waiting=record.waiting, dead=record.dead, token_expires=record.token_expires,
            proactive_month=record.proactive_month, plain_text=record.plain_text))
    return rows
