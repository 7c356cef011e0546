"""/bought: a village head says a resident of their village bought their own phone (plan
VI.2): the resident leaves the queue and counts as covered. Which resident (typed name, with
the year of birth when two share it), a summary, confirm; only their own village's people."""

from __future__ import annotations

from core.errors import RuleError
from core.messages import Reply
from core.model import Resident, Role, Status
from core.names import fold
from core.services.gifts import record_own_purchase
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Turn

BOUGHT = "bought"


async def _people(turn: Turn) -> list[Resident]:
    """The village head's residents still without a phone (not rejected)."""
    official = turn.official
    if official is None:
        return []
    return [r for r in await turn.uow.residents.in_units([official.unit_id])
            if r.status is not Status.REJECTED and not r.has_smartphone]


async def ask_person(_turn: Turn) -> Reply:
    return Reply("bought-ask-person")


async def parse_person(turn: Turn, answer: Answer) -> int:
    words = fold(answer.text).split()
    years = [w for w in words if w.isdecimal() and len(w) == 4]
    name = " ".join(w for w in words if w not in years)
    if not name:
        raise RuleError("bought-no-match", typed=answer.text)
    found = [r for r in await _people(turn) if fold(r.full_name) == name
             and (not years or str(r.date_of_birth.year) in years)]
    if not found:
        raise RuleError("bought-no-match", typed=answer.text)
    if len(found) > 1:
        raise RuleError("bought-many", people=", ".join(
            f"{r.full_name} ({r.date_of_birth.year})" for r in found))
    if await turn.uow.supports.active_for(found[0].id) is not None:
        raise RuleError("support-already-served")
    return found[0].id


async def summarise(turn: Turn) -> Reply:
    resident = await turn.uow.residents.get(int(str(turn.data["person"])))
    return Reply("bought-summary", {"name": resident.full_name if resident else "",
                                    "year": resident.date_of_birth.year if resident else ""})


async def finish(turn: Turn) -> Finish:
    resident_id = int(str(turn.data["person"]))
    resident = await turn.uow.residents.get(resident_id)
    await record_own_purchase(turn.uow, turn.actor, resident_id, None, turn.now)
    return Finish([Reply("bought-recorded", {"name": resident.full_name if resident else ""})])


BOUGHT_OWN = SimpleDialog(
    name=BOUGHT,
    steps=(Step("person", ask_person, parse_person, label_key="bought-label-person"),),
    summarise=summarise,
    complete=finish,
    roles=frozenset({Role.VILLAGE_HEAD}),
)
