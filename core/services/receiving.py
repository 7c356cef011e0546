"""Receiving donations: what arrived at a unit (phones, money), against a pledge or without one.

A receipt is never changed afterwards: stock and funds are sums over receipts, transfers and
supports (storage computes them), and a pledge's status follows from the sum of its receipts.
Every function works inside the caller's unit of work and never commits.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from core.dates import format_date
from core.errors import RuleError
from core.messages import Reply
from core.model import (
    Actor,
    Holdings,
    Level,
    Pledge,
    PledgeKind,
    PledgeStatus,
    Receipt,
    ReceiptSource,
    Transfer,
    Unit,
)
from core.money import MAX_AMOUNT, format_amount
from core.names import in_running_text
from core.ports import UnitOfWork
from core.priority import VIETNAM
from core.serials import MAX_SERIAL, is_bad_imei, normalise_serial
from core.services.audit import record
from core.services.ledger import append
from core.services.outbox import enqueue
from core.services.pledges import (
    MAX_QUANTITY,
    check_condition,
    check_model,
    find_pledge,
    may_see,
    normalise_donor,
)
from core.services.scope import require_within

NUMBER_PREFIX = "BN"  # "bien nhan": a receipt
MAX_NUMBER = 40  # the column's width
MAX_NOTE = 1000
RECEIVING_LEVELS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)
# One lock for every receipt: numbers and serials are checked, then written, in turn.
LOCK = "receipts"


@dataclass(frozen=True, slots=True)
class ReceiptForm:
    """What an official fills in when a donation arrives."""

    unit_id: int
    phones: int = 0
    money: int = 0  # dong
    model: str | None = None  # from the pledge when not given
    condition: str | None = None  # new | used; from the pledge when not given
    serials: tuple[str, ...] = ()  # serial numbers or IMEIs, as many as are known
    pledge_code: str | None = None  # as typed
    donor_name: str | None = None  # without a pledge; None: anonymous
    number: str | None = None  # the paper receipt's number; None: generated
    note: str | None = None
    received_at: datetime | None = None  # None: now
    source: ReceiptSource | None = None  # plan IV: state budget, business, organisation...


@dataclass(frozen=True, slots=True)
class StockLine:
    """A unit's own stock and funds, and the same with every unit below it."""

    unit: Unit
    holdings: Holdings
    subtree_phones: int
    subtree_money: int


# ---- checks, pure ----------------------------------------------------------------------------


def check_serials(raw: tuple[str, ...], phones: int) -> tuple[str, ...]:
    """The serials normalised; an IMEI (15 digits) must pass Luhn; none twice; not more
    serials than phones."""
    serials = tuple(s for s in (normalise_serial(r) for r in raw) if s)
    for serial in serials:
        if len(serial) > MAX_SERIAL:
            raise RuleError("receiving-serial-too-long", serial=serial, limit=MAX_SERIAL)
        if is_bad_imei(serial):
            raise RuleError("receiving-imei-invalid", serial=serial)
    seen: set[str] = set()
    for serial in serials:
        if serial in seen:
            raise RuleError("receiving-serial-repeated", serial=serial)
        seen.add(serial)
    if len(serials) > phones:
        raise RuleError("receiving-serials-exceed", serials=len(serials), phones=phones)
    return serials


def check_counts(phones: int, money: int) -> None:
    # bool is an int: True must not pass as one phone
    for value in (phones, money):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RuleError("receiving-count-invalid")
    if phones > MAX_QUANTITY:
        raise RuleError("pledge-quantity-range", limit=MAX_QUANTITY)
    if money > MAX_AMOUNT:
        raise RuleError("rules-money-too-large", limit=format_amount(MAX_AMOUNT))


def normalise_number(raw: str) -> str:
    number = " ".join(unicodedata.normalize("NFC", raw).split()).upper()
    if not number:
        raise RuleError("receiving-number-empty")
    if len(number) > MAX_NUMBER:
        raise RuleError("receiving-number-too-long", limit=MAX_NUMBER)
    return number


def receipt_source(typed: str | None) -> ReceiptSource | None:
    """A receipt's source as a form or the command line gives it; blank: not recorded."""
    if not typed:
        return None
    try:
        return ReceiptSource(typed.strip())
    except ValueError:
        raise RuleError("gifts-source-invalid") from None


def clean_note(raw: str | None) -> str | None:
    text = " ".join(unicodedata.normalize("NFC", raw or "").split())
    if len(text) > MAX_NOTE:
        raise RuleError("receiving-note-too-long", limit=MAX_NOTE)
    return text or None


def pledge_status(pledge: Pledge, receipts: list[Receipt]) -> PledgeStatus:
    """What the receipts make of a pledge: an offer is received on its first receipt; phones
    and money are received once the sum reaches what was pledged."""
    if not receipts or pledge.status is PledgeStatus.CANCELLED:
        return pledge.status
    if pledge.kind is PledgeKind.OFFER:
        return PledgeStatus.RECEIVED
    if pledge.kind is PledgeKind.PHONES:
        got, wanted = sum(r.phones for r in receipts), pledge.quantity or 0
    else:
        got, wanted = sum(r.money for r in receipts), pledge.amount or 0
    # Something arrived, even if not what was counted (money for phones): partly received.
    return PledgeStatus.RECEIVED if got >= wanted > 0 else PledgeStatus.PARTLY_RECEIVED


# ---- the use case ----------------------------------------------------------------------------


async def record_receipt(
    uow: UnitOfWork, actor: Actor, form: ReceiptForm, now: datetime
) -> Receipt:
    """Record what arrived at a unit, update its pledge, tell the donor, audit and ledger it."""
    unit = await _receiving_unit(uow, actor, form.unit_id)
    pledge = await _pledge(uow, actor, form.pledge_code)
    check_counts(form.phones, form.money)
    # A shop's offer may arrive as a paper or a voucher: nothing counted, still received.
    is_offer = pledge is not None and pledge.kind is PledgeKind.OFFER
    if form.phones == 0 and form.money == 0 and not is_offer:
        raise RuleError("receiving-nothing")
    await uow.locks.take(LOCK)
    serials = check_serials(form.serials, form.phones)
    await _refuse_known_serials(uow, serials)
    received_at = (form.received_at or now).astimezone(UTC)
    number = await _number(uow, unit, form.number, received_at)
    receipt = await uow.receipts.add(
        Receipt(
            id=0,
            number=number,
            unit_id=unit.id,
            received_at=received_at,
            phones=form.phones,
            money=form.money,
            model=_model(form, pledge),
            condition=_condition(form, pledge),
            serials=serials,
            pledge_id=pledge.id if pledge else None,
            donor_name=_donor(form, pledge),
            recorded_by=actor.official_id,
            note=clean_note(form.note),
            source=form.source,
        )
    )
    await record(uow, actor, now, "receive", "receipt", receipt.id, unit.id, after=receipt)
    await append(uow, "receipt", {
        "number": receipt.number, "unit": unit.code, "pledge": pledge.code if pledge else None,
        "phones": receipt.phones, "money": receipt.money,
    }, now)
    destination = await _earmarked_elsewhere(uow, pledge, unit)
    if destination is not None and (receipt.phones or receipt.money):
        await _send_to_earmark(uow, actor, receipt, unit, destination, pledge, now)
    if pledge is not None:
        status = await _update_pledge(uow, actor, pledge, now)
        await _tell_donor(uow, pledge, receipt, unit, destination, status, now)
    return receipt


async def _earmarked_elsewhere(
    uow: UnitOfWork, pledge: Pledge | None, unit: Unit
) -> Unit | None:
    """The commune a pledge was earmarked for, when the receipt was recorded at another unit."""
    if pledge is None or pledge.commune_id is None or pledge.commune_id == unit.id:
        return None
    return await uow.units.get(pledge.commune_id)


async def _send_to_earmark(
    uow: UnitOfWork, actor: Actor, receipt: Receipt, unit: Unit, commune: Unit,
    pledge: Pledge | None, now: datetime,
) -> None:
    """What was pledged for a commune is that commune's stock from the moment it arrives,
    wherever it arrived (plan III.4): moved there in the receipt's own transaction, so that
    no plan can give it to the receiving unit's residents."""
    [transfer] = await uow.receipts.add_transfers(Transfer(
        id=0, from_unit_id=unit.id, to_unit_id=commune.id, at=receipt.received_at,
        phones=receipt.phones, money=receipt.money, receipt_id=receipt.id, plan_id=None,
        recorded_by=actor.official_id,
    ))
    await record(uow, actor, now, "transfer", "transfer", transfer.id, commune.id, after=transfer)
    await append(uow, "transfer", {
        "from": unit.code, "to": commune.code, "phones": receipt.phones, "money": receipt.money,
        "receipt": receipt.number, "pledge": pledge.code if pledge else None, "plan": None,
        "earmark": True,
    }, now)


async def earmarked_for(uow: UnitOfWork, receipt: Receipt) -> int | None:
    """The commune a receipt's pledge was earmarked for: its stock stays for that commune,
    wherever it was received."""
    return (await uow.receipts.earmarks([receipt.id])).get(receipt.id)


async def stock(uow: UnitOfWork, actor: Actor, unit: Unit, every: bool = False,
                subtree: Iterable[Unit] | None = None) -> list[StockLine]:
    """The unit and its children (villages hold nothing), each with its own holdings and
    with everything held below it; two queries, however large the tree. With every: each
    unit below too, down to the communes, each after its parent (the export's rows).
    subtree: the unit and every unit under it when the caller holds them already (the admin's
    scope), instead of reading the dataset's every unit on each request."""
    await require_within(uow, actor, unit.id)
    units = [u for u in (await uow.units.all(unit.dataset) if subtree is None else subtree)
             if u.level is not Level.VILLAGE]
    parent = {u.id: u.parent_id for u in units}
    tree = _depth_first(unit, units)
    below = {u.id for u in tree}
    held = await uow.receipts.holdings_by_unit(sorted(below))
    phones = dict.fromkeys(below, 0)
    money = dict.fromkeys(below, 0)
    for unit_id in below:
        node: int | None = unit_id
        while node is not None and node in below:  # up to the unit asked for, not beyond
            phones[node] += held[unit_id].phones
            money[node] += held[unit_id].money
            node = parent.get(node) if node != unit.id else None
    shown = (tree if every
             else [unit] + [u for u in units if u.parent_id == unit.id])
    return [StockLine(u, held[u.id], phones[u.id], money[u.id]) for u in shown]


def _depth_first(root: Unit, units: list[Unit]) -> list[Unit]:
    """The root, then each child (by code) followed by everything under it."""
    children: dict[int | None, list[Unit]] = {}
    for u in sorted(units, key=lambda u: u.code):
        children.setdefault(u.parent_id, []).append(u)
    ordered: list[Unit] = []
    stack = [root]
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.id, [])))
    return ordered


async def _receiving_unit(uow: UnitOfWork, actor: Actor, unit_id: int) -> Unit:
    unit = await uow.units.get(unit_id)
    if unit is None or unit.level not in RECEIVING_LEVELS:
        raise RuleError("receiving-unit-invalid")
    await require_within(uow, actor, unit.id)
    return unit


async def _pledge(uow: UnitOfWork, actor: Actor, typed: str | None) -> Pledge | None:
    if typed is None or not typed.strip():
        return None
    pledge = await find_pledge(uow, typed)
    # A pledge the officer may not see (its page is a 404 for them) is not there for them.
    if pledge is None or not await may_see(uow, actor, pledge):
        raise RuleError("receiving-pledge-unknown", code=typed.strip())
    if pledge.status is PledgeStatus.CANCELLED:
        raise RuleError("receiving-pledge-cancelled", code=pledge.code)
    return pledge


async def _refuse_known_serials(uow: UnitOfWork, serials: tuple[str, ...]) -> None:
    known = await uow.receipts.with_serials(serials)
    for serial in serials:
        if serial in known:
            earlier = known[serial]
            raise RuleError("receiving-serial-taken", serial=serial, number=earlier.number,
                            date=_local_date(earlier.received_at))


async def _number(uow: UnitOfWork, unit: Unit, typed: str | None, at: datetime) -> str:
    """The number given (refused if used before) or the unit's next 'BN-<code>-<year>-<n>'."""
    if typed is not None and typed.strip():
        number = normalise_number(typed)
        earlier = await uow.receipts.by_number(number)
        if earlier is not None:
            raise RuleError("receiving-number-taken", number=number,
                            date=_local_date(earlier.received_at))
        return number
    prefix = f"{NUMBER_PREFIX}-{unit.code}-{at.astimezone(VIETNAM).year}-"
    n = await uow.receipts.count_numbered(prefix) + 1
    while await uow.receipts.by_number(f"{prefix}{n}") is not None:
        n += 1  # a number typed by hand in our own pattern
    return f"{prefix}{n}"


def _model(form: ReceiptForm, pledge: Pledge | None) -> str | None:
    if form.phones == 0:
        return None
    return check_model(form.model) or (pledge.model if pledge else None)


def _condition(form: ReceiptForm, pledge: Pledge | None) -> str | None:
    if form.phones == 0:
        return None
    # Phones are new unless the form or the pledge says otherwise.
    return check_condition(form.condition or (pledge.condition if pledge else None) or "new")


def _donor(form: ReceiptForm, pledge: Pledge | None) -> str | None:
    """The pledge's donor (None: anonymous), else the name given, else anonymous."""
    if pledge is not None:
        return pledge.donor_name
    return normalise_donor(form.donor_name) if form.donor_name else None


async def _update_pledge(
    uow: UnitOfWork, actor: Actor, pledge: Pledge, now: datetime
) -> PledgeStatus:
    status = pledge_status(pledge, await uow.receipts.for_pledge(pledge.id))
    if status is not pledge.status:
        await uow.pledges.update_status(pledge.id, status)
        await record(uow, actor, now, "update", "pledge", pledge.id, pledge.commune_id,
                     before=pledge, after=replace(pledge, status=status))
    return status


async def _tell_donor(
    uow: UnitOfWork, pledge: Pledge, receipt: Receipt, unit: Unit, commune: Unit | None,
    status: PledgeStatus, now: datetime,
) -> None:
    """By the channel the donor pledged on; once per receipt, however often this runs."""
    if pledge.chat_ref is None:
        return
    chat = await uow.chats.get(pledge.chat_ref)
    if chat is None:
        return
    moved = commune is not None and bool(receipt.phones or receipt.money)
    key = donor_message_key(receipt) + ("-for" if moved else "")
    reply = Reply(key, {
        "code": pledge.code,
        "number": receipt.number,
        "unit": unit.name,
        "date": _local_date(receipt.received_at),
        "phones": receipt.phones,
        "money": format_amount(receipt.money),
        "status_label": f"key:receiving-status-{status.value}",
        **({"commune": in_running_text(commune.name)} if moved and commune else {}),
    })
    await enqueue(uow, chat, reply, f"receipt:{receipt.id}:donor", now)
    # The thank-you letter with the receipt (issue 17): its own message, once per receipt.
    letter = Reply("documents-thanks-chat", {"unit": in_running_text(unit.name),
                                             "url": thanks_path(pledge.code, receipt.id)})
    await enqueue(uow, chat, letter, f"receipt:{receipt.id}:thanks", now)


def thanks_path(pledge_code: str, receipt_id: int) -> str:
    """Where the donor's thank-you letter for a receipt is (admin/public.py serves it)."""
    return f"/public/pledge/{pledge_code}/thanks/{receipt_id}"


def donor_message_key(receipt: Receipt) -> str:
    if receipt.phones and receipt.money:
        return "receiving-donor-both"
    if receipt.phones:
        return "receiving-donor-phones"
    if receipt.money:
        return "receiving-donor-money"
    return "receiving-donor-offer"


def _local_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_date(moment.astimezone(VIETNAM).date())
