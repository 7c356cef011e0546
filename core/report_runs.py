"""When the monthly report and its reminders are due, and the record of a report built.

Pure rules over a clock's reading: the scheduler asks them at every tick, so that a restart,
a missed day or a second process all come to the same answer from the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

from core.figures import Month

REPORT_HOUR = time(8, 0)  # local time of the monthly run and of the reminders
REMIND_BEFORE = timedelta(days=5)  # commune officers are reminded this long before the run
DONOR_EVERY = timedelta(days=7)  # a donor with a pledge not yet received, weekly ...
DONOR_TIMES = 3  # ... at most this many times per pledge
DAYTIME = (8, 20)  # donors are reminded between these local hours, never at night


@dataclass(frozen=True, slots=True)
class ReportRun:
    """A report built for one unit and month: stored once, sent once."""

    id: int
    unit_id: int
    month: str  # YYYY-MM
    built_at: datetime
    trigger: str  # "scheduler", "cli", "web:<login>" ...
    sent_at: datetime | None = None  # when its messages were queued (None: nobody to send to)
    recipients: list[dict[str, object]] = field(default_factory=list)  # official id, name
    figures: dict[str, object] = field(default_factory=dict)  # documents.report_json.report_json


@dataclass(frozen=True, slots=True)
class ReportNotes:
    """Sections II (difficulties) and III (proposals) of a unit's monthly report, as its
    officer wrote them; empty texts when nothing was written."""

    unit_id: int
    month: str  # YYYY-MM
    difficulties: str = ""
    proposals: str = ""
    updated_by: int | None = None  # official id
    updated_at: datetime | None = None

    @property
    def empty(self) -> bool:
        return not (self.difficulties or self.proposals)


def month_of(moment: datetime, tz: tzinfo) -> Month:
    local = moment.astimezone(tz)
    return Month(local.year, local.month, tz)


def previous(month: Month) -> Month:
    if month.month == 1:
        return Month(month.year - 1, 12, month.tz)
    return Month(month.year, month.month - 1, month.tz)


def run_time(month: Month, day: int) -> datetime:
    """When the report of `month` is due: the next month's `day`, 08:00 local, in UTC."""
    after = month.first_day_after
    local = datetime.combine(after.replace(day=day), REPORT_HOUR, month.tz)
    return local.astimezone(UTC)


def due_month(now: datetime, day: int, tz: tzinfo) -> Month:
    """The latest month whose report time has come (last month's, or the one before)."""
    last = previous(month_of(now, tz))
    return last if now >= run_time(last, day) else previous(last)


def reminder_due(now: datetime, day: int, tz: tzinfo) -> Month | None:
    """The month whose report commune officers should now be finishing, between the
    reminder's time and the report's; None outside that window."""
    this = month_of(now, tz)
    for month in (previous(this), this):  # a run early in the month is reminded the month before
        report_at = run_time(month, day)
        if report_at - REMIND_BEFORE <= now < report_at:
            return month
    return None


def donor_reminder_number(pledged_at: datetime, now: datetime) -> int:
    """Which weekly reminder is due for a pledge made at pledged_at: 0 (none yet) to 3."""
    if now < pledged_at:
        return 0
    return min(DONOR_TIMES, (now - pledged_at) // DONOR_EVERY)


def daytime(now: datetime, tz: tzinfo) -> bool:
    return DAYTIME[0] <= now.astimezone(tz).hour < DAYTIME[1]
