"""What the officials' pages ask the read side (core.ports.PageViews) and what it answers:
queries and lines shaped for a page, plain values only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.model import AuditEntry, Household, Receipt, Resident, Role


@dataclass(frozen=True, slots=True)
class Place:
    """Where to look: one village, some communes (a commune, a district), or every commune
    under a wide unit (a province: thousands of communes are not sent as a list)."""

    village_id: int | None = None
    commune_ids: tuple[int, ...] = ()
    under: int | None = None


@dataclass(frozen=True, slots=True)
class OfficialQuery:
    """The officials page's filter: the officials of these units (a commune, a district), or
    of every unit under a wide one (a province: its fifty thousand units are not sent as a
    list); of a role; whose name or login holds the typed text."""

    unit_ids: tuple[int, ...] = ()
    under: int | None = None
    role: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ResidentQuery:
    place: Place
    status: str | None = None
    poverty: str | None = None
    policy: str | None = None
    name: str | None = None
    after_id: int = 0
    offset: int = 0  # a numbered page: rows skipped after after_id


@dataclass(frozen=True, slots=True)
class ResidentLine:
    resident: Resident
    household: Household
    village: str
    commune: str


@dataclass(frozen=True, slots=True)
class HouseholdLine:
    household: Household
    members: int  # its people in the register
    village: str
    commune: str


@dataclass(frozen=True, slots=True)
class AuditQuery:
    unit_ids: tuple[int, ...]
    entity: str | None = None
    entity_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    actions: tuple[str, ...] = ()  # only these, when given
    hide_actions: tuple[str, ...] = ()  # never these
    under: int | None = None  # instead of unit_ids: this unit and every unit under it


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    entry: AuditEntry
    actor_name: str | None


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An official's live API token as its page lists it (the token itself is never kept)."""

    id: int
    label: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """A receipt with the name of the unit that received it and its pledge's code."""

    receipt: Receipt
    unit: str
    pledge_code: str | None


@dataclass(frozen=True, slots=True)
class InvitationLine:
    """An invitation code not yet used: for whom, by whom, until when (never the code)."""

    id: int
    official_id: int
    official_name: str
    role: Role
    unit_id: int
    created_at: datetime
    expires_at: datetime
    created_by: str | None  # the inviting official's name; None for the command line
