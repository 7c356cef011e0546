"""One person's data on request, and its erasure (Decree 13/2023/ND-CP, DESIGN 'Quality bar').

Erasure keeps that the record existed and what the programme gave (so totals, reports and the
public ledger, which holds only pseudonyms, stay true) and removes who the person is: name,
exact birth date (the year stays, for the adult counts), gender, IDs and phone number, in the
record, in the earlier entries of the audit trail that held them, and in the chat answers kept
for replays. The person leaves the
queue. The audit trail records the erasure itself, without the erased values.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from core.errors import RuleError
from core.model import Actor, Resident, Status
from core.ports import UnitOfWork
from core.services.audit import record, snapshot
from core.services.registry import resident_in_scope

PERSONAL = ("full_name", "date_of_birth", "gender", "citizen_id", "legacy_id", "phone")
HOUSEHOLD_PERSONAL = ("head_name",)


def pseudonym(resident_id: int) -> str:
    """What stands in for an erased person's name (not a sentence: a record number)."""
    return f"#{resident_id}"


def is_erased(resident: Resident) -> bool:
    return resident.full_name == pseudonym(resident.id)


async def personal_data(uow: UnitOfWork, actor: Actor, resident_id: int,
                        now: datetime) -> dict[str, object]:
    """Everything the programme holds on one person, JSON-ready; the request is audited."""
    resident = await resident_in_scope(uow, actor, resident_id)
    household = await uow.households.get(resident.household_id)
    support = await uow.supports.active_for(resident.id)
    handover = await uow.handovers.for_support(support.id) if support else None
    history = await uow.audit.for_entity("resident", resident.id)
    await record(uow, actor, now, "export", "resident", resident.id, resident.commune_id)
    return {
        "resident": snapshot(resident),
        "household": snapshot(household),
        "support": snapshot(support),
        "handover": snapshot(handover),
        "history": [{"at": e.at.isoformat(), "action": e.action, "by": e.actor.label,
                     "before": e.before, "after": e.after} for e in history],
    }


async def erase(uow: UnitOfWork, actor: Actor, resident_id: int, now: datetime) -> Resident:
    """Remove who the person is; refused if it was done already."""
    resident = await resident_in_scope(uow, actor, resident_id)
    if is_erased(resident):
        raise RuleError("privacy-already-erased", resident_id=resident_id)
    erased = replace(
        resident, full_name=pseudonym(resident.id), gender=None, citizen_id=None,
        legacy_id=None, phone=None, date_of_birth=date(resident.date_of_birth.year, 1, 1),
        status=Status.REJECTED if resident.status is not Status.REJECTED else resident.status,
        reject_reason=None,
    )
    await uow.residents.update(erased)
    await uow.audit.redact("resident", resident.id, PERSONAL)
    household = await uow.households.get(resident.household_id)
    if household is not None and household.head_name == resident.full_name:
        await uow.households.update(replace(household, head_name=pseudonym(resident.id)))
        await uow.audit.redact("household", household.id, HOUSEHOLD_PERSONAL)
    # the answers kept for the web chat's replays may show the person (a registration's
    # summary): none is kept past an erasure (the update ids stay, so replays still do nothing)
    await uow.chats.forget_replies()
    await uow.postings.forget(resident.id, pseudonym(resident.id))  # a posted list's line
    await record(uow, actor, now, "erase", "resident", resident.id, resident.commune_id)
    return erased
