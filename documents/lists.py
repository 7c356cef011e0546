"""The lists officials take away (the admin's exports and `phocap export`): each list's
columns, and one row of plain values per record.

A row's times go through `when`: ISO text for the command line's JSON and CSV (a contract
tools read), the local time for the workbooks people open (Excel keeps no zone)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.codes import household_shown
from core.model import Case, HandoverExport, Household, Official, Receipt, Unit
from core.page_views import InvitationLine, ResidentLine
from core.services.pledges import PledgeExport

When = Callable[[datetime | None], object]

RESIDENT_COLUMNS = (
    "id", "commune", "village", "household", "household_head", "full_name", "date_of_birth",
    "gender", "citizen_id", "legacy_id", "poverty", "policy", "has_smartphone", "phone",
    "status", "registered_at", "approved_at", "ethnicity",
)
PLEDGE_COLUMNS = (
    "code", "kind", "quantity", "condition", "model", "amount", "offer", "commune",
    "commune_code", "donor_name", "status", "created_at",
)
HANDOVER_COLUMNS = (
    "handover_code", "handed_at", "commune", "commune_code", "village", "resident_id",
    "full_name", "support", "amount", "serial", "checklist_missing", "confirmation",
    "confirmed_at", "confirmed_via", "open_cases",
)
RECEIPT_COLUMNS = (
    "receipt_number", "received_at", "receiving_unit", "phones", "model", "condition",
    "serials", "money", "pledge_code", "donor_name", "note",
)
STOCK_COLUMNS = ("code", "name", "level", "parent_name", "phones", "money", "subtree_phones",
                 "subtree_money")
HOUSEHOLD_COLUMNS = ("village", "household_code", "household_head", "poverty", "policy",
                     "class_source", "household_has_smartphone", "registered_members")
OFFICIAL_COLUMNS = ("id", "official_name", "role", "unit", "login", "active", "linked_chats")
CASE_COLUMNS = ("case_id", "kind", "opened_at", "commune", "village", "full_name", "note",
                "closed_at", "resolution")
INVITATION_COLUMNS = ("official_name", "role", "unit", "invited_by", "invited_at",
                      "expires_at")


def iso(value: datetime | None) -> object:
    return value.isoformat() if value else None


def resident_row(line: ResidentLine, when: When = iso) -> dict[str, object]:
    """A resident with their household, as the residents page lists them."""
    r, h = line.resident, line.household
    return {
        "id": r.id, "commune": line.commune, "village": line.village,
        "household": household_shown(h.code),
        "household_head": h.head_name, "full_name": r.full_name,
        "date_of_birth": r.date_of_birth, "gender": r.gender.value if r.gender else None,
        "citizen_id": r.citizen_id, "legacy_id": r.legacy_id, "poverty": h.poverty.value,
        "policy": h.policy.value, "has_smartphone": r.has_smartphone, "phone": r.phone,
        "status": r.status.value, "registered_at": when(r.registered_at),
        "approved_at": when(r.approved_at), "ethnicity": r.ethnicity,
    }


def pledge_row(row: PledgeExport, when: When = iso) -> dict[str, object]:
    """One pledge as export columns; the donor's contact number stays out (personal data)."""
    p = row.pledge
    return {
        "code": p.code, "kind": p.kind.value, "quantity": p.quantity, "condition": p.condition,
        "model": p.model, "amount": p.amount, "offer": p.offer, "commune": row.commune,
        "commune_code": row.commune_code, "donor_name": p.donor_name, "status": p.status.value,
        "created_at": when(p.created_at),
    }


def case_row(case: Case, handover: HandoverExport, when: When = iso) -> dict[str, object]:
    """A case with the person and place of the handover it is about."""
    return {
        "case_id": case.id, "kind": case.kind.value, "opened_at": when(case.opened_at),
        "commune": handover.commune, "village": handover.village,
        "full_name": handover.full_name, "note": case.note, "closed_at": when(case.closed_at),
        "resolution": case.resolution,
    }


def handover_row(row: HandoverExport, when: When = iso) -> dict[str, object]:
    """One handover as export columns; the checklist as the items that were not done."""
    h, s = row.handover, row.support
    return {
        "handover_code": h.code, "handed_at": when(h.handed_at), "commune": row.commune,
        "commune_code": row.commune_code, "village": row.village, "resident_id": s.resident_id,
        "full_name": row.full_name, "support": s.kind.value, "amount": s.amount or None,
        "serial": h.serial,
        "checklist_missing": " ".join(item for item, done in h.checklist.items() if not done),
        "confirmation": h.confirmation.value if h.confirmation else None,
        "confirmed_at": when(h.confirmed_at), "confirmed_via": h.confirmed_via,
        "open_cases": row.open_cases,
    }


def receipt_row(receipt: Receipt, unit: str, pledge_code: str | None, when: When = iso
                ) -> dict[str, object]:
    """One receipt: where and when it arrived, what, and against which pledge."""
    r = receipt
    return {
        "receipt_number": r.number, "received_at": when(r.received_at), "receiving_unit": unit,
        "phones": r.phones, "model": r.model, "condition": r.condition,
        "serials": " ".join(r.serials), "money": r.money, "pledge_code": pledge_code,
        "donor_name": r.donor_name, "note": r.note,
    }


def stock_row(unit: Unit, parent: str | None, phones: int, money: int, subtree_phones: int,
              subtree_money: int) -> dict[str, object]:
    """A unit's own stock and what is held at it and below it."""
    return {"code": unit.code, "name": unit.name, "level": unit.level.value,
            "parent_name": parent, "phones": phones, "money": money,
            "subtree_phones": subtree_phones, "subtree_money": subtree_money}


def household_row(household: Household, village: str, members: int) -> dict[str, object]:
    h = household
    return {"village": village, "household_code": household_shown(h.code),
            "household_head": h.head_name,
            "poverty": h.poverty.value, "policy": h.policy.value,
            "class_source": h.class_source.value, "household_has_smartphone": h.has_smartphone,
            "registered_members": members}


def official_row(official: Official, unit: str, chats: int) -> dict[str, object]:
    """An official as the list shows them; never their password's hash."""
    o = official
    return {"id": o.id, "official_name": o.name, "role": o.role.value, "unit": unit,
            "login": o.login, "active": o.active, "linked_chats": chats}


def invitation_row(line: InvitationLine, unit: str, when: When = iso) -> dict[str, object]:
    """An invitation not yet used; never its code (only its hash is kept)."""
    return {"official_name": line.official_name, "role": line.role.value, "unit": unit,
            "invited_by": line.created_by, "invited_at": when(line.created_at),
            "expires_at": when(line.expires_at)}
