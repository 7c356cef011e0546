"""The programme's records as plain values: what storage returns and services work on."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime


class Level(enum.StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    VILLAGE = "village"


class Poverty(enum.StrEnum):
    POOR = "poor"
    NEAR_POOR = "near_poor"
    NONE = "none"


class Policy(enum.StrEnum):
    MERIT = "merit"  # gia dinh nguoi co cong voi cach mang
    SOCIAL = "social"  # gia dinh chinh sach xa hoi
    NONE = "none"


class ClassSource(enum.StrEnum):
    DECLARED = "declared"  # told by the village head
    CONFIRMED = "confirmed"  # found on the commune's official list


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


class Status(enum.StrEnum):
    REGISTERED = "registered"
    APPROVED = "approved"
    REJECTED = "rejected"


class Role(enum.StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"
    VILLAGE_HEAD = "village_head"


@dataclass(frozen=True, slots=True)
class Unit:
    id: int
    dataset: str
    code: str
    name: str
    level: Level
    parent_id: int | None = None
    adult_population: int | None = None
    household_population: int | None = None
    address: str | None = None
    sample: bool = False
    pilot: bool = False  # one of the plan's pilot communes: the programme's totals count these
    survey_done_at: datetime | None = None  # a village's survey (ra soat) done: coverage known
    no_signal: bool = False  # a village without mobile signal (vung lom song)


@dataclass(frozen=True, slots=True)
class Household:
    id: int
    commune_id: int
    village_id: int
    code: str
    head_name: str
    poverty: Poverty
    policy: Policy
    has_smartphone: bool
    class_source: ClassSource = ClassSource.DECLARED
    review_year: int | None = None


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    household_id: int
    commune_id: int
    village_id: int
    full_name: str
    date_of_birth: date
    gender: Gender | None
    citizen_id: str | None
    legacy_id: str | None
    has_smartphone: bool
    phone: str | None
    status: Status
    reject_reason: str | None = None
    registered_by: int | None = None
    registered_at: datetime | None = None
    approved_by: int | None = None
    approved_at: datetime | None = None
    consent: bool = True
    ethnicity: str | None = None  # as the poverty review lists it (Tay, Dao, Kinh ...)


@dataclass(frozen=True, slots=True)
class Official:
    id: int
    name: str
    role: Role
    unit_id: int
    login: str | None = None
    password_hash: str | None = field(default=None, repr=False)
    active: bool = True


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: an official, or a named system part (the CLI, an import, the scheduler)."""

    label: str
    official_id: int | None = None
    role: Role | None = None
    unit_id: int | None = None
    system: bool = False  # the CLI, an import, the scheduler: not bound to one unit


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: Actor
    action: str
    entity: str
    entity_id: int | None
    unit_id: int | None = None
    before: dict[str, object] | None = None
    after: dict[str, object] | None = None


@dataclass(slots=True)
class ChatState:
    """A chat's link and dialog position; handlers change it, the dispatcher saves it."""

    id: int
    channel: str
    chat_id: str
    official_id: int | None = None
    locale: str | None = None
    dialog: str | None = None
    step: str | None = None
    data: dict[str, object] = field(default_factory=dict)
    dialog_updated_at: datetime | None = None
    link_failures: int = 0
    link_blocked_until: datetime | None = None
    last_seen_at: datetime | None = None


class PledgeKind(enum.StrEnum):
    PHONES = "phones"
    MONEY = "money"
    OFFER = "offer"  # a shop's discount, instalments or other offer


class PledgeStatus(enum.StrEnum):
    PLEDGED = "pledged"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Pledge:
    id: int
    code: str
    kind: PledgeKind
    status: PledgeStatus
    created_at: datetime
    quantity: int | None = None
    condition: str | None = None  # new | used
    model: str | None = None
    amount: int | None = None
    offer: str | None = None
    commune_id: int | None = None  # None: anywhere in the programme
    donor_name: str | None = None  # None: anonymous
    contact: str | None = None
    channel: str | None = None
    chat_ref: int | None = None


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    official_id: int
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class FailureCount:
    """Refused attempts in a window: how many, and when the oldest of them was."""

    count: int = 0
    oldest: datetime | None = None


class SupportKind(enum.StrEnum):
    WHOLE = "whole"  # a donated phone (ho tro nguyen chiec)
    PARTIAL = "partial"  # donated money towards the price (ho tro mot phan kinh phi)
    SHOP_OFFER = "shop_offer"  # a shop's or company's gift, discount or instalments
    DIRECT_GIFT = "direct_gift"  # an agency or person gave the phone directly
    OTHER_PROGRAMME = "other_programme"  # already given a device by another programme
    OWN_PURCHASE = "own_purchase"  # bought their own phone (plan VI.2 encourages it)


class SupportStatus(enum.StrEnum):
    ASSIGNED = "assigned"
    HANDED_OVER = "handed_over"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Confirmation(enum.StrEnum):
    CONFIRMED = "confirmed"  # on the new phone
    PAPER = "paper"  # confirmed in person, signed on paper
    NOT_RECEIVED = "not_received"
    PROBLEM = "problem"


class ReceiptSource(enum.StrEnum):
    """Where a receipt came from, as plan IV counts the programme's resources."""

    STATE_BUDGET = "state_budget"
    BUSINESS = "business"
    ORGANISATION = "organisation"
    INDIVIDUAL = "individual"


@dataclass(frozen=True, slots=True)
class Receipt:
    """What arrived at a unit: phones, money or both, with or without a pledge."""

    id: int
    number: str
    unit_id: int
    received_at: datetime
    phones: int = 0
    money: int = 0
    model: str | None = None
    condition: str | None = None  # new | used
    serials: tuple[str, ...] = ()
    pledge_id: int | None = None
    donor_name: str | None = None
    recorded_by: int | None = None
    note: str | None = None
    source: ReceiptSource | None = None  # plan IV: who gave it (None: not recorded)


@dataclass(frozen=True, slots=True)
class Transfer:
    """Phones of one receipt, or money, moved from one unit to another."""

    id: int
    from_unit_id: int
    to_unit_id: int
    at: datetime
    phones: int = 0
    money: int = 0
    receipt_id: int | None = None  # the phones' origin, so a donor can follow them
    plan_id: int | None = None
    recorded_by: int | None = None


@dataclass(frozen=True, slots=True)
class Support:
    """A resident served: by a phone or money of the programme, or by a gift or offer."""

    id: int
    resident_id: int
    kind: SupportKind
    commune_id: int
    status: SupportStatus
    created_at: datetime
    amount: int = 0  # dong, for part of the price
    holder_unit_id: int | None = None  # the unit whose stock it came from
    receipt_id: int | None = None  # the phone's origin
    plan_id: int | None = None
    giver: str | None = None  # for gifts and offers: who gave
    note: str | None = None
    recorded_by: int | None = None
    pledge_id: int | None = None  # the shop's offer pledge the gift used


@dataclass(frozen=True, slots=True)
class Handover:
    id: int
    support_id: int
    code: str  # typed or scanned by the recipient to confirm
    handed_at: datetime
    serial: str | None = None
    checklist: dict[str, bool] = field(default_factory=dict)
    handed_by: int | None = None
    confirmed_at: datetime | None = None
    confirmation: Confirmation | None = None
    confirmed_via: str | None = None  # channel, or "paper"
    confirmed_chat: int | None = None  # our id of the chat that confirmed: follow-ups go there


class CaseKind(enum.StrEnum):
    """Why a case was opened: the recipient's answer at the handover, or at a follow-up."""

    NOT_RECEIVED = "not_received"
    PROBLEM = "problem"
    BROKEN = "broken"
    LOST = "lost"
    SOLD = "sold"
    GIVEN_AWAY = "given_away"


@dataclass(frozen=True, slots=True)
class Case:
    """Anything but a confirmation: the commune officer must look and close it."""

    id: int
    handover_id: int
    kind: CaseKind
    opened_at: datetime
    note: str | None = None
    closed_at: datetime | None = None
    closed_by: int | None = None
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    channel: str
    chat_id: str
    locale: str
    reply: dict[str, object]  # core.messages.reply_to_dict
    dedupe_key: str
    created_at: datetime
    not_before: datetime
    attempts: int = 0
    sent_at: datetime | None = None
    last_error: str | None = None
    dead: bool = False


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: int
    at: datetime
    kind: str
    payload: dict[str, object]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Holdings:
    """What a unit has on hand now, summed from receipts, transfers and supports drawn."""

    unit_id: int
    phones: int = 0
    money: int = 0  # dong
    lots: tuple[tuple[int, int], ...] = ()  # (receipt_id, phones left), oldest receipt first
    # (receipt_id, dong that came with it less what left naming it); supports draw money from
    # the unit's pool, so only `money` is what is on hand
    money_lots: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class HandoverExport:
    """One handover as the export lists it: where, to whom, what, and what came back."""

    handover: Handover
    support: Support
    full_name: str
    commune: str
    commune_code: str
    village: str
    open_cases: int



class PhoneState(enum.StrEnum):
    """A follow-up's first answer: what became of the phone."""

    WORKS = "works"
    BROKEN = "broken"
    LOST = "lost"
    SOLD = "sold"
    GIVEN_AWAY = "given_away"


class PhoneUse(enum.StrEnum):
    """What the plan hopes a new smartphone is used for (plan III.5, VI.2)."""

    VNEID = "vneid"
    ZALO = "zalo"
    PUBLIC_SERVICES = "public_services"
    PAYMENTS = "payments"


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One of the questions asked 7, 30 and 90 days after a handover, and its answers."""

    id: int
    handover_id: int
    day: int  # 7, 30 or 90
    asked_at: datetime | None  # None: skipped (the service was away past the next one)
    channel: str | None = None
    chat_id: str | None = None
    for_village_head: bool = False  # asked of the village head, about the recipient
    answered_at: datetime | None = None
    phone_state: PhoneState | None = None
    uses: tuple[PhoneUse, ...] = ()
    wants_help: bool | None = None


@dataclass(frozen=True, slots=True)
class GuidanceSession:
    """A session of 'huong dan su dung' held in a village (plan VI.2), and who came."""

    id: int
    village_id: int
    held_on: date
    led_by: str
    recorded_by: int | None
    recorded_at: datetime
    attendees: tuple[int, ...] = ()  # resident ids


@dataclass(frozen=True, slots=True)
class Task:
    """A set-up item left undone at a handover: the village head's to finish."""

    handover_id: int
    item: str
    resident_id: int
    village_id: int
    handed_at: datetime
    done_at: datetime | None = None
