"""Handing a phone (or the money towards one) to the resident, and the resident's answer.

An official records the handover with the phone's serial and the set-up checklist of plan
III.5; the resident confirms on the new phone with a 10-character code (or on paper); anything
but a confirmation opens a case that the commune officer must close. Every function works
inside the caller's unit of work and never commits.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from core.codes import (
    ALPHABET,
    HANDOVER_CODE_GROUP,
    HANDOVER_CODE_LENGTH,
    clean_code,
    looks_like_code,
    new_code,
)
from core.dates import format_date
from core.errors import RuleError
from core.messages import Reply
from core.model import (
    Actor,
    Case,
    CaseKind,
    ChatState,
    Confirmation,
    Handover,
    Household,
    Level,
    Official,
    Receipt,
    Resident,
    Role,
    Status,
    Support,
    SupportKind,
    SupportStatus,
    Unit,
)
from core.names import addressed, in_running_text
from core.ports import UnitOfWork
from core.priority import (
    VIETNAM,
    WHOLE_PHONE_ROUTES,
    Candidate,
    class_key,
    partial_tier,
    whole_phone_tier,
)
from core.priority import Support as Queue
from core.serials import MAX_SERIAL, is_bad_imei, mask_serial, normalise_serial
from core.services.audit import record
from core.services.ledger import append, month_start, month_text
from core.services.outbox import enqueue, notify_official
from core.services.scope import require_within
from core.services.units import descendants

# Plan III.5: the basic apps installed and 3G/4G data working. A setting: callers pass theirs.
CHECKLIST: tuple[str, ...] = ("vneid", "zalo", "banking", "public_services", "data_3g4g")
HANDING_ROLES = frozenset({Role.COMMUNE, Role.DISTRICT, Role.PROVINCE})
HANDED_KINDS = frozenset({SupportKind.WHOLE, SupportKind.PARTIAL})
CHAT_ANSWERS = frozenset({Confirmation.CONFIRMED, Confirmation.NOT_RECEIVED,
                          Confirmation.PROBLEM})
MIN_SERIAL = 4
MAX_NOTE = 500
MAX_RESOLUTION = 1000
_SERIAL = re.compile(r"[A-Z0-9][A-Z0-9./-]*", re.ASCII)
_ITEM = re.compile(r"[a-z0-9_]{1,32}", re.ASCII)
# One lock for handovers and answers: a support is handed over, and a code answered, once,
# even when two officials or two phones try at the same moment.
LOCK = "handovers"


@dataclass(frozen=True, slots=True)
class HandoverRecord:
    """Everything the printed handover record (bien ban ban giao) shows."""

    handover: Handover
    support: Support
    resident: Resident
    household: Household | None
    village: Unit | None
    commune: Unit
    official: Official | None
    unit: Unit  # the unit that handed it over: the official's, else the commune
    model: str | None  # the phone's model, from its receipt
    cases: tuple[Case, ...] = ()
    receipt: Receipt | None = None  # the phone's receipt: its model, condition and donor
    village_head: Official | None = None  # the witness on the printed record
    tier: int | None = None  # the priority group the support was given in (plan III.3)
    class_key: str = ""  # the catalogue key of the household's class, as the plan words it

    @property
    def missing(self) -> list[str]:
        return missing_items(self.handover)


@dataclass(frozen=True, slots=True)
class Lot:
    """The receipt a support's phone is drawn from (the plan drew it), and what is left of it:
    the officer hands over one of these phones and no other."""

    receipt: Receipt
    serials_left: tuple[str, ...]  # its recorded serials not handed over yet
    unrecorded_left: int  # its phones without a recorded serial not handed over yet


# ---- checks, pure ----------------------------------------------------------------------------


def display_code(code: str) -> str:
    """'K7QFM-2XPAC': the stored code in two groups, as printed and shown."""
    raw = clean_code(code)
    step = HANDOVER_CODE_GROUP
    return "-".join(raw[i : i + step] for i in range(0, len(raw), step))


def qr_payload(code: str, bot_username: str | None) -> str:
    """The Telegram deep link that opens the bot with '/start <code>', or the plain code
    (Zalo and the web chat have no deep links: the person types it)."""
    if bot_username:
        return f"https://t.me/{bot_username.lstrip('@')}?start={code}"
    return display_code(code)


def is_confirmation_code(typed: str) -> bool:
    return looks_like_code(typed, HANDOVER_CODE_LENGTH)


def check_serial(raw: str | None, kind: SupportKind) -> str | None:
    """The serial or IMEI, normalised (no spaces, capitals); required for a whole phone."""
    serial = normalise_serial(raw or "")
    if not serial:
        if kind is SupportKind.WHOLE:
            raise RuleError("handover-serial-required")
        return None
    if len(serial) > MAX_SERIAL:
        raise RuleError("handover-serial-too-long", limit=MAX_SERIAL)
    if len(serial) < MIN_SERIAL or not _SERIAL.fullmatch(serial):
        raise RuleError("handover-serial-format")
    if is_bad_imei(serial):
        raise RuleError("handover-imei-invalid", serial=serial)
    return serial


def check_checklist(
    answers: Mapping[str, bool], items: Sequence[str] = CHECKLIST
) -> dict[str, bool]:
    """Every item answered yes or no, nothing else; kept in the setting's order."""
    for item in items:
        if not _ITEM.fullmatch(item):
            raise ValueError(f"checklist item keys are short ASCII words: {item!r}")
    unknown = sorted(set(answers) - set(items))
    if unknown:
        raise RuleError("handover-checklist-unknown", item=unknown[0])
    for item in items:
        if not isinstance(answers.get(item), bool):
            raise RuleError("handover-checklist-unanswered",
                            item_label=f"key:handover-item-{item}")
    return {item: answers[item] for item in items}


def missing_items(handover: Handover) -> list[str]:
    """The checklist items answered 'no': the record shows them, the handover is flagged."""
    return [item for item, done in handover.checklist.items() if not done]


def clean_text(raw: str | None, limit: int, too_long: str) -> str | None:
    text = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if len(text) > limit:
        raise RuleError(too_long, limit=limit)
    return text or None


def local_date(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).date()


def person(support_id: int) -> str:
    """How the public ledger names a person: by their support's number, never by name."""
    return f"S-{support_id}"


# ---- recording the handover ------------------------------------------------------------------


async def record_handover(
    uow: UnitOfWork,
    actor: Actor,
    support_id: int,
    serial: str | None,
    checklist: Mapping[str, bool],
    now: datetime,
    items: Sequence[str] = CHECKLIST,
) -> Handover:
    """Hand an assigned support over: serial, checklist, a confirmation code; the support
    becomes handed_over. An unticked item is recorded all the same, and shown as missing."""
    if not actor.system and actor.role not in HANDING_ROLES:
        raise RuleError("handover-not-allowed")
    await uow.locks.take(LOCK)
    support = await _support(uow, support_id)
    await require_within(uow, actor, support.commune_id)
    await _refuse_not_assigned(uow, support)
    answers = check_checklist(checklist, items)
    checked = await check_phone(uow, support, serial)
    handover = await uow.handovers.add(Handover(
        id=0, support_id=support.id, code=await _fresh_code(uow), handed_at=now,
        serial=checked, checklist=answers, handed_by=actor.official_id,
    ))
    handed = replace(support, status=SupportStatus.HANDED_OVER)
    await uow.supports.update(handed)
    # The code stays out of the trail: it is the recipient's, to answer with.
    await record(uow, actor, now, "handover", "handover", handover.id, support.commune_id,
                 after=replace(handover, code=""))
    await record(uow, actor, now, "update", "support", support.id, support.commune_id,
                 before=support, after=handed)
    await append(uow, "handover", {
        **await _places(uow, support), "support": person(support.id),
        "kind": support.kind.value, "month": month_text(now, VIETNAM),
        "checklist_complete": not missing_items(handover),
        **await _phone(uow, support, handover),
    }, month_start(now, VIETNAM))
    return handover


# ---- the very phone --------------------------------------------------------------------------


async def lot_of(uow: UnitOfWork, support: Support) -> Lot | None:
    """The receipt this whole phone is drawn from, with the phones of it not yet handed over
    (in whichever commune the plan sent them); None for money, or a support with no lot."""
    if support.kind is not SupportKind.WHOLE or support.receipt_id is None:
        return None
    receipt = await uow.receipts.get(support.receipt_id)
    if receipt is None:
        return None
    drawn = await uow.supports.drawn_from([receipt.id])
    handed = [h.serial for h in (await uow.handovers.for_supports([d.id for d in drawn])).values()]
    recorded = set(receipt.serials)
    unrecorded = max(receipt.phones - len(recorded), 0)
    return Lot(
        receipt=receipt,
        serials_left=tuple(x for x in receipt.serials if x not in handed),
        unrecorded_left=max(unrecorded - sum(1 for x in handed if x not in recorded), 0),
    )


async def lots_of(uow: UnitOfWork, supports: Sequence[Support]) -> dict[int, Lot]:
    """support id -> its lot, for a page listing many supports: each receipt read once."""
    by_receipt: dict[int, Lot | None] = {}
    found: dict[int, Lot] = {}
    for support in supports:
        if support.kind is not SupportKind.WHOLE or support.receipt_id is None:
            continue
        if support.receipt_id not in by_receipt:
            by_receipt[support.receipt_id] = await lot_of(uow, support)
        lot = by_receipt[support.receipt_id]
        if lot is not None:
            found[support.id] = lot
    return found


async def check_phone(uow: UnitOfWork, support: Support, typed: str | None) -> str | None:
    """The serial or IMEI typed for this support's phone, normalised, once it is known to be
    that phone: one of its lot's recorded serials, or (where the lot recorded fewer serials
    than phones) a phone of it without one. Refused, saying why: handed over already, a
    phone of another lot of the commune, of another unit's stock, or unknown here."""
    serial = check_serial(typed, support.kind)
    if serial is None:
        return None
    earlier = await uow.handovers.by_serial(serial)
    if earlier is not None:
        raise RuleError("handover-serial-taken", serial=serial,
                        support=person(earlier.support_id),
                        date=format_date(local_date(earlier.handed_at)))
    found = (await uow.receipts.with_serials([serial])).get(serial)
    if support.kind is not SupportKind.WHOLE:
        # bought with the money: never a donated phone, which goes to a whole-phone support
        if found is not None:
            raise RuleError("handover-serial-donated", serial=serial, number=found.number)
        return serial
    lot = await lot_of(uow, support)
    if found is not None and lot is not None and found.id == lot.receipt.id:
        return serial
    if found is not None:
        holders = await _holders(uow, found)
        if support.commune_id not in holders:
            raise RuleError("handover-serial-elsewhere", serial=serial, number=found.number,
                            units=", ".join([await _unit_name(uow, u) for u in holders]),
                            commune=await _unit_name(uow, support.commune_id))
        if lot is None:
            return serial  # a support the plan tied to no lot: any phone of the commune
        raise RuleError("handover-serial-other-lot", serial=serial, number=found.number,
                        model=_model_of(found), donor=_donor_of(found),
                        **await _expected(uow, support, lot))
    if lot is None or lot.unrecorded_left > 0:
        return serial
    raise RuleError("handover-serial-unknown", serial=serial,
                    commune=await _unit_name(uow, support.commune_id),
                    **await _expected(uow, support, lot))


async def _holders(uow: UnitOfWork, receipt: Receipt) -> list[int]:
    """The units whose stock this receipt's phones are in (or were handed out from): the
    commune it was pledged for, wherever it was received (plan III.4); else where it was
    received, less what was sent on, and where it was sent."""
    earmark = (await uow.receipts.earmarks([receipt.id])).get(receipt.id)
    if earmark is not None:
        return [earmark]
    net = {receipt.unit_id: receipt.phones}
    for t in await uow.receipts.transfers_of(receipt.id):
        net[t.from_unit_id] = net.get(t.from_unit_id, 0) - t.phones
        net[t.to_unit_id] = net.get(t.to_unit_id, 0) + t.phones
    return [unit_id for unit_id, phones in net.items() if phones > 0] or [receipt.unit_id]


async def _expected(uow: UnitOfWork, support: Support, lot: Lot) -> dict[str, object]:
    """What a refusal says of the phone this person is to get: their lot and what is left."""
    resident = await uow.residents.get(support.resident_id)
    if lot.serials_left:
        left: str = ", ".join(lot.serials_left)
    elif lot.unrecorded_left:
        left = "key:handover-lot-left-unrecorded"
    else:
        left = "key:handover-lot-left-none"
    return {"support": person(support.id),
            **(addressed(resident.full_name, resident.gender) if resident else {"name": ""}),
            "lot": lot.receipt.number, "lot_model": _model_of(lot.receipt),
            "lot_donor": _donor_of(lot.receipt), "left": left}


def _model_of(receipt: Receipt) -> str:
    return receipt.model or "key:handover-model-unknown"


def _donor_of(receipt: Receipt) -> str:
    return receipt.donor_name or "key:handover-donor-anonymous"


async def _unit_name(uow: UnitOfWork, unit_id: int) -> str:
    unit = await uow.units.get(unit_id)
    return in_running_text(unit.name) if unit else ""


async def _phone(uow: UnitOfWork, support: Support, handover: Handover) -> dict[str, object]:
    """For the ledger: the phone's receipt and pledge, and its serial masked, so that the
    donor's page can follow that very phone without anyone copying its number."""
    receipt = await _receipt_of(uow, support, handover)
    pledge = await uow.pledges.get(receipt.pledge_id) if receipt and receipt.pledge_id else None
    return {"receipt": receipt.number if receipt else None,
            "pledge": pledge.code if pledge else None,
            "phone": mask_serial(handover.serial) if handover.serial else None}


async def _receipt_of(uow: UnitOfWork, support: Support, handover: Handover) -> Receipt | None:
    """The receipt the phone came from: the support's lot, else the receipt listing its
    serial (a support the plan tied to no lot); none for money."""
    if support.receipt_id is not None:
        return await uow.receipts.get(support.receipt_id)
    if support.kind is SupportKind.WHOLE and handover.serial:
        return (await uow.receipts.with_serials([handover.serial])).get(handover.serial)
    return None


async def _support(uow: UnitOfWork, support_id: int) -> Support:
    support = await uow.supports.get(support_id)
    if support is None:
        raise RuleError("handover-support-unknown", support=person(support_id))
    return support


async def _refuse_not_assigned(uow: UnitOfWork, support: Support) -> None:
    if support.kind not in HANDED_KINDS:
        raise RuleError("handover-kind-not-handed", support=person(support.id))
    if support.status is SupportStatus.CANCELLED:
        raise RuleError("handover-support-cancelled", support=person(support.id))
    if support.status is not SupportStatus.ASSIGNED:
        earlier = await uow.handovers.for_support(support.id)
        when = format_date(local_date(earlier.handed_at)) if earlier else ""
        raise RuleError("handover-already-handed", support=person(support.id), date=when)


async def _fresh_code(uow: UnitOfWork) -> str:
    """A code no handover has; stored without its dash, as clean_code() leaves what is typed."""
    while True:
        code = clean_code(new_code(HANDOVER_CODE_LENGTH, HANDOVER_CODE_GROUP))
        if all(c in ALPHABET for c in code) and await uow.handovers.by_code(code) is None:
            return code


async def _places(uow: UnitOfWork, support: Support) -> dict[str, object]:
    """The commune's and village's codes, for the ledger (places, never people)."""
    commune = await uow.units.get(support.commune_id)
    resident = await uow.residents.get(support.resident_id)
    village = await uow.units.get(resident.village_id) if resident else None
    return {"commune": commune.code if commune else None,
            "village": village.code if village else None}


# ---- the resident's answer -------------------------------------------------------------------


async def find_handover(uow: UnitOfWork, typed: str) -> Handover | None:
    """The handover a typed or scanned code names: with or without its dash, any case."""
    if not is_confirmation_code(typed):
        return None
    return await uow.handovers.by_code(clean_code(typed))


async def confirm(
    uow: UnitOfWork,
    code: str,
    chat: ChatState,
    answer: Confirmation,
    note: str | None,
    now: datetime,
) -> Handover:
    """The resident's answer on the new phone, once: CONFIRMED serves the support; NOT_RECEIVED
    and PROBLEM open a case for the commune. A second answer raises
    'handover-already-answered' and changes nothing."""
    if answer not in CHAT_ANSWERS:
        raise RuleError("handover-answer-invalid")
    await uow.locks.take(LOCK)
    handover = await find_handover(uow, code)
    if handover is None:
        raise RuleError("handover-code-unknown", code=code.strip())
    _refuse_answered(handover)
    text = clean_text(note, MAX_NOTE, "handover-note-too-long")
    actor = Actor(label=f"chat:{chat.channel}:{chat.id}")
    answered = replace(handover, confirmation=answer, confirmed_at=now,
                       confirmed_via=chat.channel, confirmed_chat=chat.id)
    await uow.handovers.update(answered)
    await record(uow, actor, now, "confirm", "handover", handover.id, None,
                 before=handover, after=answered)
    support = await _support(uow, handover.support_id)
    if answer is Confirmation.CONFIRMED:
        await _served(uow, actor, support, "chat", now)
    else:
        await open_case(uow, actor, answered, support, CaseKind(answer.value), text, now)
    return answered


def _refuse_answered(handover: Handover) -> None:
    if handover.confirmation is not None:
        when = format_date(local_date(handover.confirmed_at)) if handover.confirmed_at else ""
        raise RuleError("handover-already-answered", date=when,
                        answer_label=f"key:handover-answer-{handover.confirmation.value}")


async def confirm_on_paper(
    uow: UnitOfWork, actor: Actor, handover_id: int, now: datetime
) -> Handover:
    """Confirmed in person, signed on paper: for residents who cannot answer on the phone, or
    once the case their answer opened has been closed."""
    await uow.locks.take(LOCK)
    handover = await uow.handovers.get(handover_id)
    if handover is None:
        raise RuleError("handover-unknown")
    support = await _support(uow, handover.support_id)
    await _official_in(uow, actor, support)
    if handover.confirmation in (Confirmation.CONFIRMED, Confirmation.PAPER):
        _refuse_answered(handover)
    if any(c.closed_at is None for c in await uow.handovers.cases_for(handover.id)):
        raise RuleError("handover-case-open")
    answered = replace(handover, confirmation=Confirmation.PAPER, confirmed_at=now,
                       confirmed_via="paper")
    await uow.handovers.update(answered)
    await record(uow, actor, now, "confirm", "handover", handover.id, support.commune_id,
                 before=handover, after=answered)
    await _served(uow, actor, support, "paper", now)
    return answered


async def _official_in(uow: UnitOfWork, actor: Actor, support: Support) -> None:
    if not actor.system and actor.role not in HANDING_ROLES:
        raise RuleError("handover-not-allowed")
    await require_within(uow, actor, support.commune_id)


async def _served(
    uow: UnitOfWork, actor: Actor, support: Support, via: str, now: datetime
) -> None:
    """The support is confirmed: ledger it and tell the donor whose phone it was."""
    done = replace(support, status=SupportStatus.CONFIRMED)
    await uow.supports.update(done)
    await record(uow, actor, now, "update", "support", support.id, support.commune_id,
                 before=support, after=done)
    handover = await uow.handovers.for_support(support.id)
    await append(uow, "confirmation", {
        **await _places(uow, support), "support": person(support.id), "via": via,
        "month": month_text(now, VIETNAM),
        **(await _phone(uow, support, handover) if handover else {}),
    }, month_start(now, VIETNAM))
    await _tell_donor(uow, support, now)


async def _tell_donor(uow: UnitOfWork, support: Support, now: datetime) -> None:
    """Where the phone went (village and commune, never the person), once per support."""
    receipt = await uow.receipts.get(support.receipt_id) if support.receipt_id else None
    if receipt is None or receipt.pledge_id is None:
        return
    pledge = await uow.pledges.get(receipt.pledge_id)
    if pledge is None or pledge.chat_ref is None:
        return
    chat = await uow.chats.get(pledge.chat_ref)
    handover = await uow.handovers.for_support(support.id)
    if chat is None or handover is None:
        return
    places = await _place_names(uow, support)
    await enqueue(uow, chat, Reply("handover-donor-reached", {
        "code": pledge.code, **places, "date": format_date(local_date(handover.handed_at)),
    }), f"support:{support.id}:donor", now)


async def _place_names(uow: UnitOfWork, support: Support) -> dict[str, object]:
    commune = await uow.units.get(support.commune_id)
    resident = await uow.residents.get(support.resident_id)
    village = await uow.units.get(resident.village_id) if resident else None
    return {"village": village.name if village else "", "commune": commune.name if commune else ""}


# ---- cases -----------------------------------------------------------------------------------


async def open_case(
    uow: UnitOfWork, actor: Actor, handover: Handover, support: Support, kind: CaseKind,
    note: str | None, now: datetime,
) -> Case:
    """A case for the commune officer, in the ledger, told to the commune's officers."""
    case = await uow.handovers.add_case(
        Case(id=0, handover_id=handover.id, kind=kind, opened_at=now, note=note))
    await record(uow, actor, now, "open", "case", case.id, support.commune_id, after=case)
    await append(uow, "case", {
        "support": person(support.id), "kind": kind.value,
        "commune": (await _places(uow, support))["commune"], "month": month_text(now, VIETNAM),
    }, month_start(now, VIETNAM))
    await _tell_commune(uow, case, support, now)
    return case


async def _tell_commune(uow: UnitOfWork, case: Case, support: Support, now: datetime) -> None:
    """Every commune officer with a linked chat, once each for this case."""
    resident = await uow.residents.get(support.resident_id)
    places = await _place_names(uow, support)
    reply = Reply(f"handover-case-opened-{case.kind.value}", {
        "case": case.id, "support": person(support.id),
        **(addressed(resident.full_name, resident.gender) if resident else {"name": ""}),
        "village": places["village"],
        "note": case.note or "",
    })
    for official in await uow.officials.in_unit(support.commune_id):
        if official.role is Role.COMMUNE:
            await notify_official(uow, official.id, reply, f"case:{case.id}:{official.id}", now)


async def close_case(
    uow: UnitOfWork, actor: Actor, case_id: int, resolution: str, now: datetime
) -> Case:
    """The commune officer looked into it and says what was done."""
    case = await uow.handovers.get_case(case_id)
    handover = await uow.handovers.get(case.handover_id) if case else None
    if case is None or handover is None:
        raise RuleError("handover-case-unknown")
    support = await _support(uow, handover.support_id)
    await _official_in(uow, actor, support)
    if case.closed_at is not None:
        raise RuleError("handover-case-already-closed",
                        date=format_date(local_date(case.closed_at)))
    text = clean_text(resolution, MAX_RESOLUTION, "handover-resolution-too-long")
    if text is None:
        raise RuleError("handover-resolution-required")
    closed = replace(case, closed_at=now, closed_by=actor.official_id, resolution=text)
    await uow.handovers.update_case(closed)
    await record(uow, actor, now, "close", "case", case.id, support.commune_id,
                 before=case, after=closed)
    await append(uow, "case_closed", {"support": person(support.id), "case": case.id,
                                      "month": month_text(now, VIETNAM)},
                 month_start(now, VIETNAM))
    return closed


async def open_cases(uow: UnitOfWork, actor: Actor, unit: Unit) -> list[Case]:
    """The cases the officer of this unit must look into (all communes below it)."""
    await require_within(uow, actor, unit.id)
    return await uow.handovers.open_cases(await commune_ids(uow, unit))


# ---- what the dialog and the record read -----------------------------------------------------


async def commune_ids(uow: UnitOfWork, unit: Unit) -> list[int]:
    """The unit itself when it is a commune, else every commune below it."""
    return [u.id for u in await descendants(uow, unit) if u.level is Level.COMMUNE]


async def waiting(uow: UnitOfWork, actor: Actor) -> list[tuple[Support, Resident]]:
    """The supports waiting for their handover in the official's unit, with their residents,
    in the order they were assigned (which follows the queue's priority)."""
    unit = await uow.units.get(actor.unit_id) if actor.unit_id is not None else None
    if unit is None:
        return []
    communes = await commune_ids(uow, unit)
    supports = await uow.supports.assigned(communes)
    people = {r.id: r for r in await uow.residents.in_units(communes)}
    return [(s, people[s.resident_id]) for s in supports if s.resident_id in people]


async def handover_record(
    uow: UnitOfWork, actor: Actor, handover_id: int
) -> HandoverRecord:
    """The facts of one handover, for the printed record; only within the actor's unit."""
    handover = await uow.handovers.get(handover_id)
    if handover is None:
        raise RuleError("handover-unknown")
    support = await _support(uow, handover.support_id)
    await require_within(uow, actor, support.commune_id)
    return await _record_of(uow, handover, support)


async def _record_of(uow: UnitOfWork, handover: Handover, support: Support) -> HandoverRecord:
    resident = await uow.residents.get(support.resident_id)
    commune = await uow.units.get(support.commune_id)
    if resident is None or commune is None:
        raise RuleError("handover-unknown")
    receipt = await _receipt_of(uow, support, handover)
    official = await uow.officials.get(handover.handed_by) if handover.handed_by else None
    unit = await uow.units.get(official.unit_id) if official else None
    return HandoverRecord(
        handover=handover,
        support=support,
        resident=resident,
        household=await uow.households.get(resident.household_id),
        village=await uow.units.get(resident.village_id),
        commune=commune,
        official=official,
        unit=unit or commune,
        model=receipt.model if receipt else None,
        cases=tuple(await uow.handovers.cases_for(handover.id)),
        receipt=receipt,
        village_head=await _village_head(uow, resident.village_id),
        **await _group_of(uow, resident, support),
    )


async def _village_head(uow: UnitOfWork, village_id: int) -> Official | None:
    heads = [o for o in await uow.officials.in_unit(village_id)
             if o.role is Role.VILLAGE_HEAD and o.active]
    return heads[0] if heads else None


async def _group_of(uow: UnitOfWork, resident: Resident, support: Support) -> dict[str, Any]:
    """The priority group and class the support was given in: the plan's rule applied to the
    household as it stands, as if the resident were still waiting."""
    household = await uow.households.get(resident.household_id)
    if household is None or support.kind not in (SupportKind.WHOLE, SupportKind.PARTIAL):
        return {}
    others = [r for r in await uow.residents.in_household(household.id) if r.id != resident.id]
    got_whole = False
    for other in others:
        given = await uow.supports.active_for(other.id)
        got_whole = got_whole or (given is not None and given.kind in WHOLE_PHONE_ROUTES)
    candidate = Candidate(
        resident_id=resident.id, commune_id=resident.commune_id,
        date_of_birth=resident.date_of_birth, status=Status.APPROVED,
        poverty=household.poverty, policy=household.policy, has_smartphone=False,
        household_has_smartphone=False, household_got_whole_phone=got_whole)
    on = local_date(support.created_at)
    queue = Queue.WHOLE if support.kind is SupportKind.WHOLE else Queue.PARTIAL
    tier = (whole_phone_tier if queue is Queue.WHOLE else partial_tier)(candidate, on)
    return {"tier": tier, "class_key": class_key(candidate, queue)}


async def record_for_code(uow: UnitOfWork, typed: str) -> HandoverRecord | None:
    """What the recipient's phone shows after the code: no scope, the code is the key."""
    handover = await find_handover(uow, typed)
    if handover is None:
        return None
    return await _record_of(uow, handover, await _support(uow, handover.support_id))
