"""People served outside the programme's stock: shop offers, direct gifts, other programmes.

The plan lets a giver choose the recipient; the gift is still recorded against the resident,
so that nobody is served twice (one active support per person, enforced by the database).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from core.errors import RuleError
from core.importing import (
    RowError,
    cell_text,
    is_blank,
    is_data_row,
    match_village,
    parse_birth_date,
    split_id,
)
from core.model import (
    Actor,
    Level,
    Pledge,
    PledgeKind,
    PledgeStatus,
    Resident,
    Support,
    SupportKind,
    SupportStatus,
    Unit,
)
from core.names import name_key, normalise_name
from core.ports import UnitOfWork
from core.priority import VIETNAM
from core.services.audit import record
from core.services.ledger import append
from core.services.pledges import find_pledge, normalise_donor
from core.services.receiving import clean_note
from core.services.scope import require_within

GIFT_KINDS = (SupportKind.SHOP_OFFER, SupportKind.DIRECT_GIFT)


@dataclass(frozen=True, slots=True)
class ListedPerson:
    """One row of another programme's list of people already given a device."""

    line: int
    full_name: str
    date_of_birth: date
    citizen_id: str | None = None
    village: str = ""


@dataclass(frozen=True, slots=True)
class ServedImport:
    """What an import of another programme's list did."""

    programme: str
    recorded: int  # people newly recorded as served by it
    already: int  # recorded by an earlier import of this programme
    problems: tuple[RowError, ...]  # rows not recorded, with their line and why


async def record_gift(
    uow: UnitOfWork,
    actor: Actor,
    resident_id: int,
    kind: SupportKind,
    giver: str,
    note: str | None,
    now: datetime,
    pledge: str | None = None,
) -> Support:
    """A shop's offer or a direct gift given to a resident: they count as served from now.
    `note` says what (a phone given, a discount, instalments); `pledge` is the code of the
    shop's offer pledge it used, so that the pledge shows how many people it served."""
    if kind not in GIFT_KINDS:
        raise RuleError("receiving-gift-kind-invalid")
    resident = await uow.residents.get(resident_id)
    if resident is None:
        raise RuleError("registry-unknown-resident", resident_id=resident_id)
    await require_within(uow, actor, resident.commune_id)
    offer = await _offer_pledge(uow, pledge, kind, resident) if pledge else None
    named = giver.strip() or (offer.donor_name if offer and offer.donor_name else "")
    if len(named) < 2:
        raise RuleError("gifts-giver-missing")
    return await _serve(uow, actor, resident, kind, normalise_donor(named), clean_note(note),
                        now, offer.id if offer else None)


async def record_own_purchase(
    uow: UnitOfWork, actor: Actor, resident_id: int, note: str | None, now: datetime
) -> Support:
    """A resident bought their own phone (plan VI.2): they leave the queue, covered. Their
    village head may say so too, hence the village's scope, not the commune's."""
    resident = await uow.residents.get(resident_id)
    if resident is None:
        raise RuleError("registry-unknown-resident", resident_id=resident_id)
    await require_within(uow, actor, resident.village_id)
    return await _serve(uow, actor, resident, SupportKind.OWN_PURCHASE, "", clean_note(note),
                        now)


async def _offer_pledge(
    uow: UnitOfWork, typed: str, kind: SupportKind, resident: Resident
) -> Pledge:
    """The shop's offer pledge a gift used; a RuleError when it cannot be that one."""
    found = await find_pledge(uow, typed)
    if found is None:
        raise RuleError("gifts-pledge-unknown", code=typed.strip())
    if found.kind is not PledgeKind.OFFER or kind is not SupportKind.SHOP_OFFER:
        raise RuleError("gifts-pledge-not-offer", code=found.code)
    if found.status is PledgeStatus.CANCELLED:
        raise RuleError("gifts-pledge-cancelled", code=found.code)
    if found.commune_id is not None and found.commune_id != resident.commune_id:
        raise RuleError("gifts-pledge-elsewhere", code=found.code)
    return found


async def import_other_programme(
    uow: UnitOfWork,
    actor: Actor,
    commune: Unit,
    rows: Iterable[tuple[int, Mapping[str, object]]],
    programme_name: str,
    now: datetime,
) -> ServedImport:
    """Record the people another programme already gave a device to, matched to residents of
    the commune by citizen ID, else by name and date of birth. Importing again adds nothing."""
    if commune.level is not Level.COMMUNE:
        raise RuleError("receiving-served-not-commune", unit=commune.name)
    await require_within(uow, actor, commune.id)
    programme = normalise_donor(programme_name)
    today = now.astimezone(VIETNAM).date()
    villages = await uow.units.children(commune.id)
    recorded = already = 0
    problems: list[RowError] = []
    for line, values in rows:
        if not is_data_row(values):
            continue
        person = parse_listed(line, values, today)
        if isinstance(person, RowError):
            problems.append(person)
            continue
        match = await match_resident(uow, commune, villages, person)
        if isinstance(match, RowError):
            problems.append(match)
            continue
        outcome = await _serve_listed(uow, actor, match, person, programme, now)
        if isinstance(outcome, RowError):
            problems.append(outcome)
        elif outcome:
            recorded += 1
        else:
            already += 1
    return ServedImport(programme, recorded, already, tuple(problems))


def parse_listed(line: int, values: Mapping[str, object], today: date) -> ListedPerson | RowError:
    """A row's name, date of birth, citizen ID and village, or what is wrong with it."""
    for name in ("full_name", "date_of_birth"):
        if is_blank(values.get(name)):
            return RowError(line, name, "import-required")
    try:
        full_name = normalise_name(cell_text(values.get("full_name")))
    except RuleError as err:
        return RowError(line, "full_name", err.key, err.params)
    try:
        born = parse_birth_date(values.get("date_of_birth"), today)
    except RuleError as err:
        return RowError(line, "date_of_birth", err.key, err.params)
    try:
        citizen_id, _legacy = split_id(values.get("citizen_id"))
    except RuleError as err:
        return RowError(line, "citizen_id", err.key, err.params)
    return ListedPerson(line, full_name, born, citizen_id, cell_text(values.get("village")))


async def match_resident(
    uow: UnitOfWork, commune: Unit, villages: Sequence[Unit], person: ListedPerson
) -> Resident | RowError:
    """The commune's resident the row names, or why none (or more than one) is."""
    if person.citizen_id:
        found = await uow.residents.by_citizen_id(person.citizen_id)
        if found is not None:
            if found.commune_id != commune.id:
                return RowError(person.line, "citizen_id", "receiving-served-other-commune",
                                {"name": person.full_name})
            return found
    same = await uow.residents.same_person(
        commune.id, name_key(person.full_name), person.date_of_birth
    )
    if len(same) > 1 and person.village:
        places = {v.id for v in match_village(person.village, villages)}
        same = [r for r in same if r.village_id in places] or same
    if not same:
        return RowError(person.line, None, "receiving-served-no-match",
                        {"name": person.full_name})
    if len(same) > 1:
        return RowError(person.line, None, "receiving-served-ambiguous",
                        {"name": person.full_name, "count": len(same)})
    found = same[0]
    if person.citizen_id and found.citizen_id and found.citizen_id != person.citizen_id:
        # Same name and birthday, another ID: two people, not one.
        return RowError(person.line, "citizen_id", "receiving-served-id-differs",
                        {"name": person.full_name})
    return found


async def _serve_listed(
    uow: UnitOfWork, actor: Actor, resident: Resident, person: ListedPerson, programme: str,
    now: datetime,
) -> bool | RowError:
    """True: recorded now; False: this programme's earlier import had it; else why not."""
    existing = await uow.supports.active_for(resident.id)
    if existing is None:
        await _serve(uow, actor, resident, SupportKind.OTHER_PROGRAMME, programme, None, now)
        return True
    if existing.kind is SupportKind.OTHER_PROGRAMME and existing.giver == programme:
        return False
    # Served by another route too: the officer must look, so say how.
    return RowError(person.line, None, "receiving-served-already", {
        "name": person.full_name, "kind_label": f"key:receiving-kind-{existing.kind.value}",
    })


async def _serve(
    uow: UnitOfWork, actor: Actor, resident: Resident, kind: SupportKind, giver: str,
    note: str | None, now: datetime, pledge_id: int | None = None,
) -> Support:
    [support] = await uow.supports.add(
        Support(
            id=0,
            resident_id=resident.id,
            kind=kind,
            commune_id=resident.commune_id,
            status=SupportStatus.HANDED_OVER,
            created_at=now,
            giver=giver or None,
            note=note,
            recorded_by=actor.official_id,
            pledge_id=pledge_id,
        )
    )
    await record(uow, actor, now, "serve", "support", support.id, resident.commune_id,
                 after=support)
    commune = await uow.units.get(resident.commune_id)
    # No name, no giver: the person is their support's number, the place its code.
    await append(uow, "gift", {
        "support": f"S-{support.id}", "commune": commune.code if commune else None,
        "kind": kind.value,
    }, now)
    return support
