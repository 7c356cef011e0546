"""/list: a village head's residents, household by household, and where each one stands.

One line per person, so that the list reads on a phone; a long list is split by the channel.
The lines are composed here from catalogue texts (a reply cannot nest one text with its own
values inside another), so the command is built with the catalogue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from core.dates import format_date
from core.i18n import Catalogue
from core.messages import Reply
from core.model import Household, Resident, Role, Status, Task, Unit
from core.names import addressed
from core.priority import Candidate, Ranked, Support, explain, ineligibility, rank
from core.services import aftercare
from core.services.handover import local_date
from handlers import menu
from handlers.dialog import Turn
from handlers.engine import CommandHandler


def list_command(catalogue: Catalogue) -> CommandHandler:
    """The /list command, for linked village heads only."""

    async def show(turn: Turn, _arg: str) -> list[Reply]:
        if turn.role is not Role.VILLAGE_HEAD or turn.official is None:
            return [Reply("chat-not-allowed"), menu.for_turn(turn)]
        return [await village_list(turn, catalogue, turn.official.unit_id), menu.for_turn(turn)]

    return show


async def village_list(turn: Turn, catalogue: Catalogue, village_id: int) -> Reply:
    village = await turn.uow.units.get(village_id)
    commune = await turn.uow.units.get(village.parent_id) if village and village.parent_id else None
    if village is None or commune is None:
        return Reply("registry-unknown-village")
    residents = await turn.uow.residents.in_units([village.id])
    if not residents:
        return Reply("village-list-empty", {"village": village.name})
    households = await turn.uow.households.in_village(village.id)
    lines = _Lines(catalogue, turn, commune, await turn.uow.residents.candidates(commune.id))
    tasks = await aftercare.tasks(turn.uow, [village.id])
    text = "\n".join(lines.households(households, residents)
                     + lines.tasks(tasks, {r.id: r for r in residents}))
    return Reply("village-list", {"village": village.name, "count": len(residents),
                                  "households": len({r.household_id for r in residents}),
                                  "lines": text})


class _Lines:
    """The list's lines in the chat's language, with the commune's queue worked out once."""

    def __init__(self, catalogue: Catalogue, turn: Turn, commune: Unit,
                 candidates: list[Candidate]) -> None:
        self._catalogue, self._locale, self._commune = catalogue, turn.locale, commune
        self._today = turn.today
        self._candidates = {c.resident_id: c for c in candidates}
        self._places = _places(candidates, turn)

    def _text(self, key: str, **params: object) -> str:
        return self._catalogue.text(key, self._locale, **params)

    def households(self, households: Iterable[Household], residents: list[Resident]
                   ) -> list[str]:
        members: defaultdict[int, list[Resident]] = defaultdict(list)
        for r in residents:
            members[r.household_id].append(r)
        lines: list[str] = []
        for h in households:
            if members.get(h.id):
                lines.append(self._text(
                    "village-list-household", code=h.code, head=h.head_name,
                    poverty_label=f"key:registration-poverty-{h.poverty.value}",
                    policy_label=f"key:registration-policy-{h.policy.value}"))
                lines += [self.person(r) for r in members[h.id]]
        return lines

    def tasks(self, tasks: Sequence[Task], people: Mapping[int, Resident]) -> list[str]:
        """The set-up items left at handovers, until the village head marks them done."""
        if not tasks:
            return []
        return [self._text("village-list-tasks"), *(
            self._text("village-list-task", **addressed(people[t.resident_id].full_name,
                                                         people[t.resident_id].gender),
                       item_label=f"key:task-item-{t.item}",
                       date=format_date(local_date(t.handed_at)))
            for t in tasks if t.resident_id in people)]

    def person(self, r: Resident) -> str:
        who = {"name": r.full_name, "year": r.date_of_birth.year}
        if r.status is Status.REGISTERED:
            return self._text("village-list-registered", **who)
        if r.status is Status.REJECTED:
            return self._text("village-list-rejected", reason=r.reject_reason or "", **who)
        place = self._places.get(r.id)
        if place is not None:
            key, params = explain(place, self._commune.name)
            return self._text("village-list-approved", explanation=self._text(key, **params),
                              **who)
        return self._text("village-list-approved-not-eligible", reason=self._why_not(r), **who)

    def _why_not(self, r: Resident) -> str:
        candidate = self._candidates.get(r.id)
        reason = ineligibility(candidate, self._today, Support.WHOLE) if candidate else None
        return self._text(reason) if reason else ""


def _places(candidates: list[Candidate], turn: Turn) -> dict[int, Ranked]:
    """Each resident's place for a whole phone, or, when not eligible for one, for part of
    the price."""
    places = {r.candidate.resident_id: r for r in rank(candidates, Support.PARTIAL, turn.today)}
    places |= {r.candidate.resident_id: r for r in rank(candidates, Support.WHOLE, turn.today)}
    return places
