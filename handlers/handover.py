"""An official hands a phone (or the money towards one) to the resident: /handover.

Order: which resident (the first eight waiting, as buttons; or a name typed without
diacritics, or the support number "S-12") -> the phone's serial or IMEI (whole phones; optional
for part of the price) -> each checklist item of plan III.5, yes or no -> summary -> confirm.
The reply carries the confirmation code and its QR payload; the record prints from the admin.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from core.errors import RuleError
from core.i18n import Catalogue
from core.messages import Option, Reply
from core.model import Resident, Role, Support, SupportKind
from core.names import addressed, fold
from core.services import handover as service
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Stop, Turn

HANDOVER = "handover"
OFFICIALS = frozenset({Role.COMMUNE, Role.DISTRICT, Role.PROVINCE})
MAX_OPTIONS = 8  # more buttons than this do not fit on a phone screen
STOP, SKIP = "stop", "skip"
PHONE = "imei:"  # a phone's button: its serial follows
YES_NO = (Option("yes", key="handover-yes"), Option("no", key="handover-no"))
NONE_WORDS = frozenset({"-", "khong", "khong co", "bo qua", "none", "no", "skip"})
TICK, CROSS = "\u2611", "\u2610"  # ballot box with check / empty ballot box
_NUMBER = re.compile(r"s?-?\s*(\d{1,9})", re.ASCII)


# ---- which resident ------------------------------------------------------------------------


def _label(support: Support, resident: Resident) -> str:
    return f"{service.person(support.id)} \u00b7 {resident.full_name}"


async def ask_support(turn: Turn) -> Reply:
    waiting = await service.waiting(turn.uow, turn.actor)
    if not waiting:
        return Reply("handover-ask-support-none", options=(Option(STOP, key="handover-stop"),))
    options = tuple(Option(f"s:{s.id}", label=_label(s, r)) for s, r in waiting[:MAX_OPTIONS])
    key = "handover-ask-support-many" if len(waiting) > MAX_OPTIONS else "handover-ask-support"
    return Reply(key, {"count": len(waiting), "shown": MAX_OPTIONS}, options)


async def parse_support(turn: Turn, answer: Answer) -> int:
    """A button, the support number ('S-12', '12'), or the resident's name typed."""
    if answer.choice == STOP:
        raise Stop(Reply("handover-nothing-waiting"))
    waiting = await service.waiting(turn.uow, turn.actor)
    found = _matching(waiting, answer)
    if len(found) == 1:
        return found[0][0].id
    if not found:
        raise RuleError("handover-support-not-found", text=answer.text)
    raise RuleError("handover-support-ambiguous", text=answer.text,
                    people="; ".join(_label(s, r) for s, r in found[:MAX_OPTIONS]))


def _matching(
    waiting: Sequence[tuple[Support, Resident]], answer: Answer
) -> list[tuple[Support, Resident]]:
    if answer.choice:
        return [(s, r) for s, r in waiting if f"s:{s.id}" == answer.choice]
    wanted = fold(answer.text)
    number = _NUMBER.fullmatch(wanted)
    if number:
        return [(s, r) for s, r in waiting if s.id == int(number.group(1))]
    if len(wanted) < 2:
        return []
    whole = [(s, r) for s, r in waiting if fold(r.full_name) == wanted]
    if whole or len(wanted) < 3:
        return whole
    return [(s, r) for s, r in waiting if wanted in fold(r.full_name)]


async def _chosen(turn: Turn) -> tuple[Support, Resident]:
    support = await turn.uow.supports.get(int(str(turn.data["support"])))
    resident = await turn.uow.residents.get(support.resident_id) if support else None
    if support is None or resident is None:
        raise RuleError("handover-support-unknown", support=f"S-{turn.data['support']}")
    return support, resident


# ---- the serial ----------------------------------------------------------------------------


async def ask_serial(turn: Turn) -> Reply:
    """For a whole phone, the lot the plan drew it from (model, condition, donor) and its
    phones still to hand over, as buttons; the officer picks one or types what the phone says."""
    support, resident = await _chosen(turn)
    if support.kind is not SupportKind.WHOLE:
        return Reply("handover-ask-serial-partial", addressed(resident.full_name, resident.gender),
                     (Option(SKIP, key="handover-no-serial"),))
    lot = await service.lot_of(turn.uow, support)
    if lot is None:
        return Reply("handover-ask-serial-any", addressed(resident.full_name, resident.gender))
    return Reply("handover-ask-serial", {
        **addressed(resident.full_name, resident.gender), **_lot_params(lot),
        "how_label": "key:handover-ask-serial-pick" if lot.serials_left
        else "key:handover-ask-serial-type",
    }, tuple(Option(f"{PHONE}{x}", label=x) for x in lot.serials_left[:MAX_OPTIONS]))


def _lot_params(lot: service.Lot) -> dict[str, object]:
    """The phone as its receipt describes it: never typed by the officer."""
    r = lot.receipt
    return {"number": r.number, "model": r.model or "key:handover-model-unknown",
            "condition_label": f"key:pledge-state-{r.condition or 'new'}",
            "donor": r.donor_name or "key:handover-donor-anonymous"}


async def parse_serial(turn: Turn, answer: Answer) -> str | None:
    """A phone picked or typed, checked against the stock here and now (the service checks
    it again when the handover is recorded)."""
    support, _ = await _chosen(turn)
    if support.kind is not SupportKind.WHOLE and (
            answer.choice == SKIP or fold(answer.text) in NONE_WORDS):
        return None
    picked = answer.choice[len(PHONE):] if answer.choice and answer.choice.startswith(PHONE) \
        else answer.text
    return await service.check_phone(turn.uow, support, picked)


# ---- the checklist -------------------------------------------------------------------------


def _item_step(item: str, n: int, total: int) -> Step:
    async def ask(_turn: Turn) -> Reply:
        return Reply("handover-ask-item", {"item_label": f"key:handover-item-{item}",
                                           "n": n, "total": total}, YES_NO)

    async def parse(_turn: Turn, answer: Answer) -> bool:
        if answer.choice not in ("yes", "no"):
            raise RuleError("dialog-choose-option")
        return answer.choice == "yes"

    return Step(f"item_{item}", ask, parse, f"handover-item-{item}")


def _answers(turn: Turn, items: Sequence[str]) -> dict[str, bool]:
    return {item: bool(turn.data.get(f"item_{item}")) for item in items}


def checklist_lines(catalogue: Catalogue, locale: str, answers: dict[str, bool]) -> str:
    """One line per item, ticked or crossed, named in the chat's language (composed here:
    the catalogue does not expand the fields of a param's own text)."""
    return "\n".join(
        f"{TICK if done else CROSS} {catalogue.text(f'handover-item-{item}', locale)}"
        for item, done in answers.items())


# ---- summary and saving --------------------------------------------------------------------


def summarise(catalogue: Catalogue, items: Sequence[str]) -> Callable[[Turn], Awaitable[Reply]]:
    async def summary(turn: Turn) -> Reply:
        support, resident = await _chosen(turn)
        answers = _answers(turn, items)
        missing = not all(answers.values())
        params: dict[str, object] = {
            "support": service.person(support.id),
            **addressed(resident.full_name, resident.gender),
            "kind_label": f"key:handover-kind-{support.kind.value}",
            "serial": turn.data.get("serial") or "key:handover-none-given",
            "checklist": checklist_lines(catalogue, turn.locale, answers),
            "missing_label": "key:handover-summary-missing" if missing else "",
        }
        lot = await service.lot_of(turn.uow, support)
        if lot is None:
            return Reply("handover-summary-plain", params)
        return Reply("handover-summary", {**params, **_lot_params(lot)})

    return summary


def finish(
    catalogue: Catalogue, items: Sequence[str], bot_username: str | None
) -> Callable[[Turn], Awaitable[Finish]]:
    async def complete(turn: Turn) -> Finish:
        support, resident = await _chosen(turn)
        handover = await service.record_handover(
            turn.uow, turn.actor, support.id, _optional(turn.data.get("serial")),
            _answers(turn, items), turn.now, items)
        replies = [Reply("handover-done", {
            **addressed(resident.full_name, resident.gender),
            "code": service.display_code(handover.code),
            "support": service.person(support.id),
        }, qr=service.qr_payload(handover.code, bot_username))]
        missing = service.missing_items(handover)
        if missing:
            names = ", ".join(catalogue.text(f"handover-item-{m}", turn.locale) for m in missing)
            replies.append(Reply("handover-done-missing", {"missing": names}))
        replies.append(Reply("handover-print-hint", {"id": handover.id}))
        return Finish(replies)

    return complete


def _optional(value: object) -> str | None:
    return str(value) if value else None


async def parse_support_fresh(turn: Turn, answer: Answer) -> int:
    """The resident's support; a serial typed for another resident does not carry over."""
    support_id = await parse_support(turn, answer)
    if turn.data.get("support") != support_id:
        turn.data.pop("serial", None)
    return support_id


def handover_dialog(
    catalogue: Catalogue, items: Sequence[str] = service.CHECKLIST,
    bot_username: str | None = None,
) -> SimpleDialog:
    """The dialog for this checklist (a setting) and bot (for the QR's deep link); the
    catalogue names the checklist's items in the summary."""
    return SimpleDialog(
        name=HANDOVER,
        roles=OFFICIALS,
        steps=(
            Step("support", ask_support, parse_support_fresh, "handover-field-support"),
            Step("serial", ask_serial, parse_serial, "handover-field-serial"),
            *(_item_step(item, n, len(items)) for n, item in enumerate(items, start=1)),
        ),
        summarise=summarise(catalogue, items),
        complete=finish(catalogue, items, bot_username),
    )
