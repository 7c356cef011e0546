"""The recipient's side, on the phone just handed over: the code (scanned as a Telegram deep
link '/start <code>', or typed on Zalo and the web chat) opens this dialog.

The bot greets the person as "ong"/"ba" with the full name, says what they received, from
which unit and when, and asks: received / not received / a problem (a problem asks for a
short description). Anything but a confirmation opens a case the commune officer must close.
"""

from __future__ import annotations

from core.codes import clean_code
from core.dates import format_date
from core.errors import RuleError
from core.messages import Option, Reply
from core.model import Confirmation, SupportKind
from core.money import format_amount
from core.names import addressed
from core.services import handover as service
from core.services.handover import HandoverRecord
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Stop, Turn

CONFIRM, CONFIRM_PROBLEM = "confirm", "confirm-problem"
TYPED_CODE = "_code"
ANSWERS = (Confirmation.CONFIRMED, Confirmation.NOT_RECEIVED, Confirmation.PROBLEM)


async def _address(turn: Turn, code: str) -> dict[str, object]:
    """How the bot addresses the person on the phone: 'ong'/'ba' and the full name."""
    rec = await service.record_for_code(turn.uow, code)
    return addressed(rec.resident.full_name, rec.resident.gender) if rec else \
        addressed("", None)


async def opening(turn: Turn, typed: str) -> dict[str, object]:
    """The dialog's data for a typed or scanned code; Stop with a clear word when the code is
    unknown or was answered already (then no dialog opens)."""
    rec = await service.record_for_code(turn.uow, typed)
    if rec is None:
        raise Stop(Reply("handover-code-unknown", {"code": typed.strip()}))
    if rec.handover.confirmation is not None:
        raise Stop(_already(rec))
    return {"code": clean_code(typed)}


def _already(rec: HandoverRecord) -> Reply:
    h = rec.handover
    when = format_date(service.local_date(h.confirmed_at)) if h.confirmed_at else ""
    answer = h.confirmation.value if h.confirmation else ""
    return Reply("handover-already-answered",
                 {"date": when, "answer_label": f"key:handover-answer-{answer}"})


async def _record(turn: Turn) -> HandoverRecord:
    rec = await service.record_for_code(turn.uow, str(turn.data["code"]))
    if rec is None:  # the handover went away meanwhile
        raise Stop(Reply("handover-code-unknown", {"code": str(turn.data["code"])}))
    return rec


async def ask_answer(turn: Turn) -> Reply:
    """Hello <name>: you received <what> from <unit> on <date>. Is that right?
    Opened as '/confirm' without a code, it asks for the code first."""
    if "code" not in turn.data:
        return Reply("handover-confirm-ask-code")
    rec = await _record(turn)
    params: dict[str, object] = {
        **addressed(rec.resident.full_name, rec.resident.gender),
        "unit": rec.unit.name,
        "date": format_date(service.local_date(rec.handover.handed_at)),
    }
    if rec.support.kind is SupportKind.PARTIAL:
        key = "handover-confirm-ask-partial"
        params["amount"] = format_amount(rec.support.amount)
    else:
        key = "handover-confirm-ask-whole"
        params["model"] = rec.model or "key:handover-model-unknown"
        params["serial_tail"] = (rec.handover.serial or "")[-4:]
    options = tuple(Option(a.value, key=f"handover-confirm-{a.value}") for a in ANSWERS)
    return Reply(key, params, options)


async def parse_answer(turn: Turn, answer: Answer) -> str:
    if "code" not in turn.data:
        if await service.find_handover(turn.uow, answer.text) is None:
            # typed after '/confirm': the question stays, so the person can try again
            raise RuleError("handover-code-unknown", code=answer.text)
        turn.data["opened"] = await opening(turn, answer.text)
        return TYPED_CODE
    if answer.choice not in {a.value for a in ANSWERS}:
        raise RuleError("dialog-choose-option")
    return str(answer.choice)


async def finish_answer(turn: Turn) -> Finish:
    """Received or not received: recorded now; a problem first asks what it is."""
    if turn.data["answer"] == TYPED_CODE:  # the code came typed: now the real question
        opened = turn.data["opened"]
        assert isinstance(opened, dict)
        return Finish([], then=(CONFIRM, opened))
    code, answer = str(turn.data["code"]), Confirmation(str(turn.data["answer"]))
    if answer is Confirmation.PROBLEM:
        return Finish([], then=(CONFIRM_PROBLEM, {"code": code}))
    return await _answer(turn, code, answer, None)


async def _answer(turn: Turn, code: str, answer: Confirmation, note: str | None) -> Finish:
    try:
        await service.confirm(turn.uow, code, turn.chat, answer, note, turn.now)
    except RuleError as err:
        if err.key != "handover-already-answered":
            raise
        return Finish([Reply(err.key, err.params)])  # nothing changed: say so, end here
    return Finish([Reply(f"handover-confirm-done-{answer.value}", await _address(turn, code))])


async def ask_problem(turn: Turn) -> Reply:
    return Reply("handover-confirm-ask-problem", await _address(turn, str(turn.data["code"])))


async def parse_problem(_turn: Turn, answer: Answer) -> str:
    note = service.clean_text(answer.text, service.MAX_NOTE, "handover-note-too-long")
    if note is None:
        raise RuleError("handover-note-required")
    return note


async def finish_problem(turn: Turn) -> Finish:
    return await _answer(turn, str(turn.data["code"]), Confirmation.PROBLEM,
                         str(turn.data["note"]))


CONFIRMATION = SimpleDialog(
    name=CONFIRM,
    steps=(Step("answer", ask_answer, parse_answer, finishes=True),),
    summarise=ask_answer,
    complete=finish_answer,
)

CONFIRMATION_PROBLEM = SimpleDialog(
    name=CONFIRM_PROBLEM,
    steps=(Step("note", ask_problem, parse_problem, finishes=True),),
    summarise=ask_problem,
    complete=finish_problem,
)
