"""After the handover (plan III.5, VI.2): follow-ups at 7, 30 and 90 days, guidance sessions,
and the set-up items left undone at the handover, which the village head finishes.

A follow-up is asked of the chat the recipient confirmed on; a recipient who confirmed on
paper (or whose chat is gone) is asked about through their village head. The unique
(handover, day) row is what makes each question asked once, whichever process's tick comes
first; a service that was away past the next day asks only the latest one due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo

from core.errors import RuleError
from core.model import (
    Actor,
    CaseKind,
    ChatState,
    FollowUp,
    GuidanceSession,
    Handover,
    PhoneState,
    PhoneUse,
    Resident,
    Role,
    Support,
    Task,
)
from core.ports import UnitOfWork
from core.services.audit import record
from core.services.handover import CHECKLIST, clean_text, open_case
from core.services.scope import require_within

FOLLOW_UP_DAYS = (90, 30, 7)  # latest first: a late tick asks the latest one due
ADOPTION_DAYS = (30, 90)  # the days whose answers give the adoption rate
DAYTIME = range(8, 20)  # local hours in which a villager may be asked
BUSY_FOR = timedelta(days=3)  # an unanswered question holds its chat this long
LOCK = "aftercare"
MAX_LED_BY = 200
CASES = {
    PhoneState.BROKEN: CaseKind.BROKEN,
    PhoneState.LOST: CaseKind.LOST,
    PhoneState.SOLD: CaseKind.SOLD,
    PhoneState.GIVEN_AWAY: CaseKind.GIVEN_AWAY,
}
# Asked for help only while the person still has the phone (broken: they may get it fixed).
KEEPS_PHONE = frozenset({PhoneState.WORKS, PhoneState.BROKEN})


@dataclass(frozen=True, slots=True)
class DayFigures:
    """The answers to one day's question: asked, answered, phone works, used for something."""

    day: int
    asked: int
    answered: int
    works: int
    using: int

    @property
    def adoption(self) -> float | None:
        """Share of the answers in which the phone is used for at least one thing."""
        return self.using / self.answered if self.answered else None


def day_figures(follow_ups: Sequence[FollowUp]) -> list[DayFigures]:
    """The 7-, 30- and 90-day questions' figures, in that order."""
    return [_figures(day, [f for f in follow_ups if f.day == day])
            for day in sorted(FOLLOW_UP_DAYS)]


def _figures(day: int, asked: Sequence[FollowUp]) -> DayFigures:
    return DayFigures(
        day=day,
        asked=sum(f.asked_at is not None for f in asked),
        answered=sum(f.phone_state is not None for f in asked),
        works=sum(f.phone_state is PhoneState.WORKS for f in asked),
        using=sum(bool(f.uses) for f in asked),
    )


@dataclass(frozen=True, slots=True)
class Asking:
    """A follow-up just recorded as asked, and the chat to ask it on."""

    follow_up: FollowUp
    chat: ChatState
    resident: Resident


async def ask_due(uow: UnitOfWork, now: datetime, tz: tzinfo, limit: int = 500
                  ) -> list[Asking]:
    """Record as asked the follow-ups due now, one per chat at a time, in the daytime; the
    caller opens each question on its chat in this same transaction."""
    if now.astimezone(tz).hour not in DAYTIME:
        return []
    await uow.locks.take(LOCK)
    asked: list[Asking] = []
    taken: set[int] = set()
    for day in FOLLOW_UP_DAYS:
        for handover in await uow.aftercare.due(now, day, limit):
            asking = await _ask_one(uow, handover, day, now, taken)
            if asking is not None:
                asked.append(asking)
                taken.add(asking.chat.id)
    return asked


async def _ask_one(uow: UnitOfWork, handover: Handover, day: int, now: datetime,
                   taken: set[int]) -> Asking | None:
    support = await uow.supports.get(handover.support_id)
    resident = await uow.residents.get(support.resident_id) if support else None
    if resident is None:
        return None
    chat, for_head = await _whom(uow, handover, resident)
    if chat is None:  # nobody to ask: recorded as such, the next day due tries again
        await uow.aftercare.add(FollowUp(0, handover.id, day, asked_at=None))
        return None
    # locked for this transaction: a message handled meanwhile waits for our dialog, or we
    # see its dialog and wait for the next tick
    chat = await uow.chats.get_or_create(chat.channel, chat.chat_id, now)
    if chat.id in taken or await _busy(uow, chat, now):
        return None  # the next tick asks
    follow_up = await uow.aftercare.add(FollowUp(
        0, handover.id, day, asked_at=now, channel=chat.channel, chat_id=chat.chat_id,
        for_village_head=for_head))
    if follow_up is None:  # another process asked it first
        return None
    return Asking(follow_up, chat, resident)


async def _whom(uow: UnitOfWork, handover: Handover, resident: Resident
                ) -> tuple[ChatState | None, bool]:
    """The chat the recipient confirmed on; else a linked chat of their village head."""
    if handover.confirmed_chat is not None:
        chat = await uow.chats.get(handover.confirmed_chat)
        if chat is not None:
            return chat, False
    for official in await uow.officials.in_unit(resident.village_id):
        if official.role is Role.VILLAGE_HEAD:
            chats = await uow.chats.linked_to(official.id)
            if chats:
                return chats[0], True
    return None, False


async def _busy(uow: UnitOfWork, chat: ChatState, now: datetime) -> bool:
    """In another dialog, or with a question of ours not answered for a while yet."""
    if chat.dialog is not None and chat.dialog_updated_at is not None \
            and now - chat.dialog_updated_at < timedelta(days=1):
        return True
    waiting = await uow.aftercare.waiting_answer(chat.channel, chat.chat_id)
    return any(f.asked_at is not None and now - f.asked_at < BUSY_FOR for f in waiting)


async def pending(uow: UnitOfWork, chat: ChatState) -> FollowUp | None:
    """The latest question asked of this chat and not answered yet."""
    waiting = await uow.aftercare.waiting_answer(chat.channel, chat.chat_id)
    return waiting[-1] if waiting else None


async def recipient(uow: UnitOfWork, follow_up: FollowUp) -> tuple[Handover, Support, Resident]:
    handover = await uow.handovers.get(follow_up.handover_id)
    support = await uow.supports.get(handover.support_id) if handover else None
    resident = await uow.residents.get(support.resident_id) if support else None
    if handover is None or support is None or resident is None:
        raise RuleError("follow-up-unknown")
    return handover, support, resident


async def answer_phone(uow: UnitOfWork, chat: ChatState, follow_up_id: int,
                       state: PhoneState, now: datetime) -> FollowUp:
    """The first answer, once: anything but 'works' opens a case for the commune officer."""
    follow_up = await _asked_of(uow, chat, follow_up_id)
    if follow_up.phone_state is not None:
        raise RuleError("follow-up-already-answered")
    handover, support, _resident = await recipient(uow, follow_up)
    answered = replace(follow_up, phone_state=state, answered_at=now)
    await uow.aftercare.update(answered)
    actor = Actor(label=f"chat:{chat.channel}:{chat.id}")
    await record(uow, actor, now, "answer", "follow_up", follow_up.id, support.commune_id,
                 before=follow_up, after=answered)
    if state in CASES:
        await open_case(uow, actor, handover, support, CASES[state],
                        None, now)
    return answered


async def answer_uses(uow: UnitOfWork, chat: ChatState, follow_up_id: int,
                      uses: Sequence[PhoneUse], now: datetime) -> FollowUp:
    follow_up = await _asked_of(uow, chat, follow_up_id)
    answered = replace(follow_up, uses=tuple(dict.fromkeys(uses)))
    await uow.aftercare.update(answered)
    return answered


async def answer_help(uow: UnitOfWork, chat: ChatState, follow_up_id: int,
                      wants_help: bool, now: datetime) -> FollowUp:
    follow_up = await _asked_of(uow, chat, follow_up_id)
    answered = replace(follow_up, wants_help=wants_help)
    await uow.aftercare.update(answered)
    return answered


async def _asked_of(uow: UnitOfWork, chat: ChatState, follow_up_id: int) -> FollowUp:
    """The follow-up, if it was asked of this very chat: nobody answers another's."""
    follow_up = await uow.aftercare.get(follow_up_id)
    if follow_up is None or (follow_up.channel, follow_up.chat_id) != (chat.channel,
                                                                        chat.chat_id):
        raise RuleError("follow-up-unknown")
    return follow_up


# ---- guidance sessions and set-up tasks ------------------------------------------------------


async def record_session(
    uow: UnitOfWork, actor: Actor, village_id: int, held_on: date, led_by: str,
    attendees: Sequence[int], now: datetime, today: date,
) -> GuidanceSession:
    """A guidance session held in a village, by its village head or a commune officer."""
    await require_within(uow, actor, village_id)
    village = await uow.units.get(village_id)
    if village is None:
        raise RuleError("registry-unknown-village")
    leader = clean_text(led_by, MAX_LED_BY, "guidance-led-by-invalid")  # NFC, one space
    if leader is None:
        raise RuleError("guidance-led-by-invalid")
    if held_on > today:
        raise RuleError("guidance-date-future")
    for resident_id in attendees:
        resident = await uow.residents.get(resident_id)
        if resident is None or resident.village_id != village_id:
            raise RuleError("guidance-attendee-not-in-village")
    session = await uow.aftercare.add_session(GuidanceSession(
        0, village_id, held_on, leader, actor.official_id, now, tuple(attendees)))
    await record(uow, actor, now, "add", "guidance_session", session.id, village_id,
                 after=session)
    return session


async def tasks(uow: UnitOfWork, village_ids: Sequence[int], *, open_only: bool = True
                ) -> list[Task]:
    found = await uow.aftercare.tasks(village_ids)
    return [t for t in found if t.done_at is None] if open_only else found


async def task_done(uow: UnitOfWork, actor: Actor, handover_id: int, item: str,
                    now: datetime) -> bool:
    """A set-up item finished after the handover; False when it was marked before."""
    if item not in CHECKLIST:
        raise RuleError("task-unknown")
    handover = await uow.handovers.get(handover_id)
    support = await uow.supports.get(handover.support_id) if handover else None
    resident = await uow.residents.get(support.resident_id) if support else None
    if handover is None or resident is None or handover.checklist.get(item, True):
        raise RuleError("task-unknown")
    await require_within(uow, actor, resident.village_id)
    done = await uow.aftercare.task_done(handover_id, item, now, actor.official_id)
    if done:
        await record(uow, actor, now, "done", "task", handover_id, resident.village_id,
                     after=Task(handover_id, item, resident.id, resident.village_id,
                                handover.handed_at, now))
    return done
