"""Reminders: commune officers before the monthly report, donors of pledges not yet received.

Both are decided from the clock and the database alone and queued with a dedupe key, so a
tick repeated, a restart or a second process never sends one twice: an officer once per
month, a donor at most DONOR_TIMES times per pledge, never after asking to stop.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from core.dates import format_date
from core.messages import Option, Reply
from core.model import ChatState, Level, PledgeStatus
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.report_runs import DONOR_TIMES, daytime, donor_reminder_number, reminder_due, run_time
from core.services.outbox import enqueue, notify_official

STOP = "cmd:stop"  # the reminder's button: the chat command that stops them


async def remind_communes(uows: UnitOfWorkFactory, now: datetime, *, dataset: str, day: int,
                          tz: tzinfo) -> int:
    """In the days before the report, each commune officer once: finish this month's updates.
    How many messages were queued."""
    month = reminder_due(now, day, tz)
    if month is None:
        return 0
    params = {"month": f"{month.month:02d}/{month.year}",
              "day": format_date(run_time(month, day).astimezone(tz))}
    queued = 0
    async with uows() as uow:
        start = await uow.reports.programme_start()
        if start is None or start >= month.end:  # nothing to finish before the programme
            return 0
        for commune in await uow.units.all(dataset):
            if commune.level is not Level.COMMUNE:
                continue
            for official in await uow.officials.in_unit(commune.id):
                reply = Reply("reports-reminder", {**params, "unit": commune.name})
                key = f"report-reminder:{month.label}:{official.id}"
                queued += await notify_official(uow, official.id, reply, key, now)
        await uow.commit()
    return queued


async def remind_donors(uows: UnitOfWorkFactory, now: datetime, *, tz: tzinfo) -> int:
    """Weekly, in the daytime, each pledge still waiting for its gift: at most DONOR_TIMES
    times, the latest reminder due only (a week missed is not made up)."""
    if not daytime(now, tz):
        return 0
    queued = 0
    async with uows() as uow:
        waiting = [p for p in await uow.pledges.all()
                   if p.status is PledgeStatus.PLEDGED and p.chat_ref is not None]
        stopped = await uow.reminders.stopped([p.chat_ref for p in waiting if p.chat_ref])
        for pledge in waiting:
            number = donor_reminder_number(pledge.created_at, now)
            if number == 0 or pledge.chat_ref is None or pledge.chat_ref in stopped:
                continue
            chat = await uow.chats.get(pledge.chat_ref)
            if chat is None:
                continue
            reply = Reply("pledge-reminder",
                          {"code": pledge.code, "number": number, "times": DONOR_TIMES},
                          options=(Option(STOP, key="pledge-reminder-stop"),))
            queued += await enqueue(uow, chat, reply, f"pledge-reminder:{pledge.id}:{number}",
                                    now)
        await uow.commit()
    return queued


async def stop_reminders(uow: UnitOfWork, chat: ChatState, now: datetime) -> bool:
    """No more pledge reminders to this chat; False if it had asked already."""
    return await uow.reminders.stop(chat.id, now)
