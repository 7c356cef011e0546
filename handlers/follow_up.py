"""The follow-up questions 7, 30 and 90 days after a handover, asked by the bot itself.

Three short questions, each a dialog of one step so that each answer is recorded when it is
given (a person who stops after the first still told us the phone is broken): what became of
the phone; what they use it for (one option, or several numbers typed: "1 3"); whether they
want help. A village head answers the same questions about a recipient who has no chat.
'/followup' asks again the question waiting for this chat.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from core.dates import format_date
from core.errors import RuleError
from core.messages import Option, Reply
from core.model import ChatState, FollowUp, Gender, PhoneState, PhoneUse, Resident
from core.names import addressed
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.services import aftercare
from core.services.handover import local_date
from core.services.outbox import enqueue
from handlers.dialog import ASKED_BY_BOT, Answer, Finish, SimpleDialog, Step, Stop, Turn

FOLLOW_UP, USES, HELP = "followup", "followup-uses", "followup-help"
NONE = "none"
USE_OPTIONS = (*(u.value for u in PhoneUse), NONE)
SEVERAL = re.compile(r"[\s,;.]+")


def opening(follow_up: FollowUp, resident: Resident, handed: datetime) -> dict[str, object]:
    """What the three questions need, kept with the chat: no lookups to ask them again."""
    return {"follow_up": follow_up.id, "full_name": resident.full_name,
            "gender": resident.gender.value if resident.gender else None, "day": follow_up.day,
            "date": format_date(local_date(handed)), "head": follow_up.for_village_head,
            ASKED_BY_BOT: True}


def _named(data: dict[str, object]) -> dict[str, object]:
    """'ong'/'ba' with the full name, as every message to or about a resident says it."""
    gender = data.get("gender")
    return addressed(str(data.get("full_name", "")),
                     Gender(gender) if isinstance(gender, str) else None)


def _key(data: dict[str, object], name: str) -> str:
    """The question or answer as put to the recipient, or to the village head about them."""
    return f"follow-up-{name}{'-head' if data.get('head') else ''}"


def phone_question(data: dict[str, object]) -> Reply:
    options = tuple(Option(s.value, key=f"follow-up-phone-{s.value}") for s in PhoneState)
    return Reply(_key(data, "ask-phone"), {**_named(data), "date": data["date"]}, options)


async def ask_phone(turn: Turn) -> Reply:
    if "follow_up" not in turn.data:  # typed '/followup': the question waiting, if any
        waiting = await aftercare.pending(turn.uow, turn.chat)
        if waiting is None:
            raise Stop(Reply("follow-up-nothing-waiting"))
        handover, _support, resident = await aftercare.recipient(turn.uow, waiting)
        turn.data.update(opening(waiting, resident, handover.handed_at))
    return phone_question(turn.data)


async def parse_phone(_turn: Turn, answer: Answer) -> str:
    if answer.choice not in {s.value for s in PhoneState}:
        raise RuleError("dialog-choose-option")
    return str(answer.choice)


async def finish_phone(turn: Turn) -> Finish:
    state = PhoneState(str(turn.data["phone"]))
    try:
        await aftercare.answer_phone(turn.uow, turn.chat, _id(turn), state, turn.now)
    except RuleError as err:
        if err.key != "follow-up-already-answered":
            raise
        return Finish([Reply(err.key, err.params)])
    carried = _carried(turn)
    if state is PhoneState.WORKS:
        return Finish([], then=(USES, carried))
    replies = [Reply(_key(turn.data, "case-opened"), _named(turn.data))]
    if state in aftercare.KEEPS_PHONE:
        return Finish(replies, then=(HELP, carried))
    return Finish([*replies, Reply(_key(turn.data, "thanks"), _named(turn.data))])


async def ask_uses(turn: Turn) -> Reply:
    options = tuple(Option(u, key=f"follow-up-use-{u}") for u in USE_OPTIONS)
    return Reply(_key(turn.data, "ask-uses"), _named(turn.data), options)


async def parse_uses(_turn: Turn, answer: Answer) -> list[object]:
    """One option pressed or typed, or several numbers typed: '1 3', '1,3'."""
    if answer.choice is not None:
        chosen = [answer.choice]
    else:
        words = [w for w in SEVERAL.split(answer.text) if w]
        if not words or not all(w.isdecimal() and 1 <= int(w) <= len(USE_OPTIONS)
                                for w in words):
            raise RuleError("follow-up-uses-invalid")
        chosen = [USE_OPTIONS[int(w) - 1] for w in words]
    if NONE in chosen and len(chosen) > 1:
        raise RuleError("follow-up-uses-invalid")
    return [c for c in dict.fromkeys(chosen) if c != NONE]


async def finish_uses(turn: Turn) -> Finish:
    raw = turn.data.get("uses")
    uses = [PhoneUse(str(u)) for u in raw] if isinstance(raw, list) else []
    await aftercare.answer_uses(turn.uow, turn.chat, _id(turn), uses, turn.now)
    return Finish([], then=(HELP, _carried(turn)))


async def ask_help(turn: Turn) -> Reply:
    options = (Option("yes", key="follow-up-help-yes"), Option("no", key="follow-up-help-no"))
    return Reply(_key(turn.data, "ask-help"), _named(turn.data), options)


async def parse_help(_turn: Turn, answer: Answer) -> str:
    if answer.choice not in ("yes", "no"):
        raise RuleError("dialog-choose-option")
    return str(answer.choice)


async def finish_help(turn: Turn) -> Finish:
    wants = turn.data["help"] == "yes"
    await aftercare.answer_help(turn.uow, turn.chat, _id(turn), wants, turn.now)
    replies = [Reply(_key(turn.data, "help-noted"), _named(turn.data))] if wants \
        else []
    return Finish([*replies, Reply(_key(turn.data, "thanks"), _named(turn.data))])


def _id(turn: Turn) -> int:
    value = turn.data.get("follow_up")
    if not isinstance(value, int):
        raise RuleError("follow-up-unknown")
    return value


def _carried(turn: Turn) -> dict[str, object]:
    return {k: turn.data[k] for k in ("follow_up", "full_name", "gender", "day", "date", "head",
                                      ASKED_BY_BOT)
            if k in turn.data}


FOLLOW_UP_DIALOGS = (
    SimpleDialog(FOLLOW_UP, (Step("phone", ask_phone, parse_phone, finishes=True),),
                 ask_phone, finish_phone),
    SimpleDialog(USES, (Step("uses", ask_uses, parse_uses, finishes=True),),
                 ask_uses, finish_uses),
    SimpleDialog(HELP, (Step("help", ask_help, parse_help, finishes=True),),
                 ask_help, finish_help),
)


# ---- asked by the scheduler ------------------------------------------------------------------


async def ask_due(uows: UnitOfWorkFactory, now: datetime, tz: tzinfo) -> int:
    """Ask the follow-ups due now: each chat's dialog opens on the first question, which is
    queued in the same transaction. How many were asked."""
    async with uows() as uow:
        asked = await aftercare.ask_due(uow, now, tz)
        for asking in asked:
            await _open(uow, asking, now)
        await uow.commit()
    return len(asked)


async def _open(uow: UnitOfWork, asking: aftercare.Asking, now: datetime) -> None:
    handover, _support, resident = await aftercare.recipient(uow, asking.follow_up)
    chat: ChatState = asking.chat
    data = opening(asking.follow_up, resident, handover.handed_at)
    chat.dialog, chat.step, chat.data = FOLLOW_UP, "phone", data
    chat.dialog_updated_at = now
    await uow.chats.save(chat)
    await enqueue(uow, chat, phone_question(data), f"follow-up:{asking.follow_up.id}", now)
