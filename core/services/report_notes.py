"""Sections II (difficulties) and III (proposals) of a unit's monthly report: written by the
unit's officer before the report is sent, shown in its preview and carried by every format
of it (text, xlsx, and the Decree-30 document)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from core.dates import format_date
from core.errors import RuleError
from core.figures import Month
from core.model import Actor
from core.names import in_running_text
from core.ports import UnitOfWork
from core.report_runs import ReportNotes
from core.services.audit import record
from core.services.reports import REPORTED_LEVELS
from core.services.scope import require_within

NOTE_LIMIT = 4000  # characters of one section: two printed pages, far more than a month needs
ENTITY = "report-notes"


async def report_sections(uow: UnitOfWork, unit_id: int, month: Month) -> ReportNotes:
    """The unit's and month's sections II and III (empty texts when none were written): what
    the preview, the xlsx and the Decree-30 document of the report are given."""
    found = await uow.reports.notes(month.label, [unit_id])
    return found.get(unit_id) or ReportNotes(unit_id=unit_id, month=month.label)


async def save_report_sections(
    uow: UnitOfWork, actor: Actor, unit_id: int, month: Month, *, difficulties: str,
    proposals: str, now: datetime,
) -> ReportNotes:
    """Write sections II and III of a unit's report, in the official's scope, audited; the
    caller commits. Refused once the report was sent: what was sent stays as it was."""
    await require_within(uow, actor, unit_id)
    unit = await uow.units.get(unit_id)
    if unit is None or unit.level not in REPORTED_LEVELS:
        raise RuleError("report-notes-not-reported", unit=unit.name if unit else "")
    sent = await uow.reports.for_unit(unit_id, month.label)
    if sent is not None:
        local = (sent.sent_at or sent.built_at).astimezone(month.tz)
        raise RuleError("report-notes-after-sent", unit=in_running_text(unit.name),
                        month=f"{month.month:02d}/{month.year}",
                        when=f"{format_date(local)} {local:%H:%M}")
    before = await report_sections(uow, unit_id, month)
    after = ReportNotes(unit_id=unit_id, month=month.label,
                        difficulties=_clean(difficulties), proposals=_clean(proposals),
                        updated_by=actor.official_id, updated_at=now)
    if (after.difficulties, after.proposals) == (before.difficulties, before.proposals):
        return before  # the same form sent twice: nothing to write or audit
    await uow.reports.save_notes(after)
    await record(uow, actor, now, "update" if before.updated_at else "create", ENTITY, None,
                 unit_id, before=before if before.updated_at else None, after=after)
    return after


def _clean(text: str) -> str:
    """NFC, one kind of line break, no trailing spaces; refused past NOTE_LIMIT."""
    lines = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    cleaned = "\n".join(line.rstrip() for line in lines.split("\n")).strip()
    if len(cleaned) > NOTE_LIMIT:
        raise RuleError("report-notes-too-long", limit=NOTE_LIMIT)
    return cleaned
