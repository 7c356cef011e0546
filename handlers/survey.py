"""/survey-done: a village head says their village's survey (ra soat) is done, so that its
coverage counts (DESIGN "Coverage"). A small dialog: which village (only their own), a
summary with its adult population, confirm. Marking it again changes nothing."""

from __future__ import annotations

from core.dates import format_date
from core.errors import RuleError
from core.messages import Option, Reply
from core.model import Role, Unit
from core.priority import VIETNAM
from core.services import survey
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Stop, Turn

SURVEY_DONE = "survey-done"


async def _village(turn: Turn) -> Unit:
    """The village head's own village; a Stop when they have none any more."""
    official = turn.official
    found = await turn.uow.units.get(official.unit_id) if official else None
    if found is None:
        raise Stop(Reply("registry-unknown-village"))
    return found


async def _commune_name(turn: Turn, village: Unit) -> str:
    commune = await turn.uow.units.get(village.parent_id) if village.parent_id else None
    return commune.name if commune else ""


async def ask_village(turn: Turn) -> Reply:
    village = await _village(turn)
    return Reply("survey-ask-village", {"village": village.name,
                                        "commune": await _commune_name(turn, village)},
                 options=(Option(value=str(village.id), label=village.name),))


async def parse_village(turn: Turn, answer: Answer) -> int:
    village = await _village(turn)
    if answer.choice != str(village.id):
        raise RuleError("survey-own-village-only", village=village.name)
    if village.survey_done_at is not None:
        raise Stop(_already(village))
    if not village.adult_population:
        raise Stop(Reply("survey-population-missing", {"village": village.name}))
    return village.id


def _already(village: Unit) -> Reply:
    done = village.survey_done_at
    when = format_date(done.astimezone(VIETNAM).date()) if done else ""
    return Reply("survey-already-done", {"village": village.name, "date": when})


async def summarise(turn: Turn) -> Reply:
    village = await _village(turn)
    return Reply("survey-summary", {
        "village": village.name, "commune": await _commune_name(turn, village),
        "adults": village.adult_population or 0, "households": village.household_population or 0,
    })


async def finish(turn: Turn) -> Finish:
    village, changed = await survey.mark_survey_done(turn.uow, turn.actor,
                                                     int(str(turn.data["village"])), turn.now)
    if not changed:
        return Finish([_already(village)])
    return Finish([Reply("survey-recorded", {"village": village.name,
                                             "adults": village.adult_population or 0})])


SURVEY = SimpleDialog(
    name=SURVEY_DONE,
    steps=(Step("village", ask_village, parse_village, label_key="survey-label-village"),),
    summarise=summarise,
    complete=finish,
    roles=frozenset({Role.VILLAGE_HEAD}),
)
