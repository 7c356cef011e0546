"""Pledges: what donors promise (phones, money, a shop's offer), their codes, where to give.

The checks are plain functions so that the chat can refuse a bad answer at its own question;
make_pledge runs them all again, because the admin and the CLI call it too.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from core.codes import ALPHABET, clean_code
from core.errors import RuleError
from core.model import Actor, Level, Pledge, PledgeKind, PledgeStatus, Role, Unit
from core.names import fold
from core.phones import normalise_phone
from core.ports import UnitOfWork
from core.services.audit import record
from core.services.scope import within
from core.services.units import province

CODE_PREFIX = "UH"  # "ung ho": a donation
# Seven characters, not six: "UH" + 6 would clean to 8 letters of ALPHABET, which the chat
# takes for an invite code (and counts as a failed link when a donor pastes it).
CODE_LENGTH = 7
CODE_TRIES = 5  # 26**7 codes: a second collision in a row means something else is wrong
MAX_QUANTITY = 10_000
MAX_MODEL = 200
MIN_OFFER, MAX_OFFER = 5, 1000
MIN_DONOR, MAX_DONOR = 2, 200
CONDITIONS = ("new", "used")

# "5", "1.000", "5 chiec", "10 cai", "3 may", "2 phones": the number and an optional word.
_QUANTITY = re.compile(
    r"(\d{1,3}(?:([.,])\d{3})(?:\2\d{3})*|\d+)\s*(chiec|cai|may|dien thoai|phones?)?",
    re.ASCII,
)
_CODE = re.compile(rf"{CODE_PREFIX}[{ALPHABET}]{{{CODE_LENGTH}}}")


@dataclass(frozen=True, slots=True)
class PledgeForm:
    """What a donor filled in; only the fields of its kind are kept."""

    kind: PledgeKind
    quantity: int | None = None
    condition: str | None = None
    model: str | None = None
    amount: int | None = None
    offer: str | None = None
    commune_id: int | None = None  # None: anywhere in the programme
    donor_name: str | None = None  # None: anonymous
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class PledgeExport:
    """A pledge with its commune's name and code, for exports (both None: anywhere)."""

    pledge: Pledge
    commune: str | None
    commune_code: str | None


# ---- checks, one per answer ----------------------------------------------------------------


def parse_quantity(raw: str) -> int:
    """A number of phones as typed ("5", "5 chiec"), 1 to MAX_QUANTITY."""
    match = _QUANTITY.fullmatch(fold(raw))
    if not match:
        raise RuleError("pledge-quantity-format")
    return check_quantity(int(match[1].replace(".", "").replace(",", "")))


def check_quantity(quantity: int | None) -> int:
    if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
        raise RuleError("pledge-quantity-range", limit=MAX_QUANTITY)
    return quantity


def check_condition(condition: str | None) -> str:
    if condition not in CONDITIONS:
        raise RuleError("pledge-condition-invalid")
    return condition


def check_model(raw: str | None) -> str | None:
    """The phones' model, free text; None when not given."""
    text = _clean_text(raw or "")
    if len(text) > MAX_MODEL:
        raise RuleError("pledge-model-too-long", length=len(text), limit=MAX_MODEL)
    return text or None


def check_amount(amount: int | None) -> int:
    # bool is an int: True must not pass as one dong
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise RuleError("rules-money-positive")
    return amount


def check_offer(raw: str | None) -> str:
    """A shop's offer in the donor's words (discount, instalments, ...)."""
    text = _clean_text(raw or "")
    if not MIN_OFFER <= len(text) <= MAX_OFFER:
        raise RuleError("pledge-offer-length", length=len(text), low=MIN_OFFER, high=MAX_OFFER)
    return text


def normalise_donor(raw: str) -> str:
    """A donor's name as given (a person, a shop, a company): NFC, single spaces.

    Not core.names.normalise_name: "FPT Shop" or "Viettel" is one word, may hold digits
    and must keep its own capitals.
    """
    text = " ".join(_clean_text(raw).split())
    if len(text) < MIN_DONOR or not any(ch.isalpha() for ch in text):
        raise RuleError("pledge-donor-short")
    if len(text) > MAX_DONOR:
        raise RuleError("pledge-donor-too-long", length=len(text), limit=MAX_DONOR)
    return text


def _clean_text(raw: str) -> str:
    """NFC, without control characters, trimmed; line breaks inside are kept."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) != "Cc")
    return text.strip()


# ---- codes -------------------------------------------------------------------------------


def new_pledge_code() -> str:
    """A short code, e.g. 'UH-K7QF2MX': no 0/O, 1/I/L, 5/S or 8/B to confuse."""
    return f"{CODE_PREFIX}-" + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def pledge_code(typed: str) -> str | None:
    """The stored form of a code as typed ('uh k7qf 2mx'), or None if it cannot be one."""
    cleaned = clean_code(typed)
    if not _CODE.fullmatch(cleaned):
        return None
    return f"{CODE_PREFIX}-{cleaned[len(CODE_PREFIX) :]}"


async def find_pledge(uow: UnitOfWork, typed: str) -> Pledge | None:
    code = pledge_code(typed)
    return await uow.pledges.by_code(code) if code else None


async def _free_code(uow: UnitOfWork) -> str:
    for _ in range(CODE_TRIES):
        code = new_pledge_code()
        if await uow.pledges.by_code(code) is None:
            return code
    raise RuntimeError("no free pledge code after several tries")


# ---- the use cases -------------------------------------------------------------------------


async def make_pledge(
    uow: UnitOfWork,
    actor: Actor,
    form: PledgeForm,
    channel: str | None,
    chat_ref: int | None,
    now: datetime,
) -> Pledge:
    """Check the form, give it a code, save it as pledged and audit it."""
    checked = await _checked(uow, form)
    pledge = Pledge(
        id=0,
        code=await _free_code(uow),
        kind=checked.kind,
        status=PledgeStatus.PLEDGED,
        created_at=now,
        quantity=checked.quantity,
        condition=checked.condition,
        model=checked.model,
        amount=checked.amount,
        offer=checked.offer,
        commune_id=checked.commune_id,
        donor_name=checked.donor_name,
        contact=checked.contact,
        channel=channel,
        chat_ref=chat_ref,
    )
    saved = await uow.pledges.add(pledge)
    await record(uow, actor, now, "create", "pledge", saved.id, saved.commune_id, after=saved)
    return saved


async def _checked(uow: UnitOfWork, form: PledgeForm) -> PledgeForm:
    """The form with every field checked and normalised, and other kinds' fields dropped."""
    kind = PledgeKind(form.kind)
    donor = normalise_donor(form.donor_name) if form.donor_name else None
    contact = normalise_phone(form.contact) if form.contact else None
    await _check_commune(uow, form.commune_id)
    common = PledgeForm(kind=kind, commune_id=form.commune_id, donor_name=donor, contact=contact)
    if kind is PledgeKind.PHONES:
        return replace(
            common,
            quantity=check_quantity(form.quantity),
            condition=check_condition(form.condition),
            model=check_model(form.model),
        )
    if kind is PledgeKind.MONEY:
        return replace(common, amount=check_amount(form.amount))
    return replace(common, offer=check_offer(form.offer))


async def _check_commune(uow: UnitOfWork, commune_id: int | None) -> None:
    if commune_id is None:
        return
    unit = await uow.units.get(commune_id)
    if unit is None or unit.level is not Level.COMMUNE:
        raise RuleError("pledge-commune-invalid")


async def where_to_give(uow: UnitOfWork, pledge: Pledge, dataset: str) -> Unit:
    """Where the gift is handed over: the earmarked commune, else the province (So TT&TT)."""
    if pledge.commune_id is not None:
        commune = await uow.units.get(pledge.commune_id)
        if commune is not None:
            return commune
    return await province(uow, dataset)


def visible(pledge: Pledge, role: Role | None, covers: Callable[[int], bool]) -> bool:
    """Who may see a pledge, and so record what arrives against it (the pledge pages and
    receiving alike): earmarked, the officers of that commune and of the units above it
    (`covers`: the commune lies within the official's unit); not earmarked, the province's
    officers, whose pledge it is to receive."""
    if pledge.commune_id is None:
        return role is Role.PROVINCE
    return covers(pledge.commune_id)


async def may_see(uow: UnitOfWork, actor: Actor, pledge: Pledge) -> bool:
    """visible() for an actor; the system (the CLI, an import) sees every pledge."""
    if actor.system:
        return True
    covered = pledge.commune_id is not None and await within(uow, actor, pledge.commune_id)
    return visible(pledge, actor.role, lambda _commune: covered)


async def pilot_communes(uow: UnitOfWork, dataset: str) -> list[Unit]:
    """The communes of a dataset, the places a donor may earmark a gift for."""
    return [u for u in await uow.units.all(dataset) if u.level is Level.COMMUNE]


async def export_pledges(
    uow: UnitOfWork, commune_ids: Sequence[int] | None = None
) -> list[PledgeExport]:
    """Every pledge (or those of some communes) with its commune's name, in id order."""
    pledges = await uow.pledges.all(commune_ids)
    communes: dict[int, Unit | None] = {}
    rows = []
    for pledge in pledges:
        unit = None
        if pledge.commune_id is not None:
            if pledge.commune_id not in communes:
                communes[pledge.commune_id] = await uow.units.get(pledge.commune_id)
            unit = communes[pledge.commune_id]
        rows.append(PledgeExport(pledge, unit.name if unit else None, unit.code if unit else None))
    return rows
