"""The /pledge dialog: a donor promises phones, money or a shop's offer, and learns where to
hand it over.

Order: kind -> (phones: how many, new or used, model | money: amount | offer: the offer)
-> where it should go -> the donor's name or anonymous -> contact number -> summary.
Each answer is checked here with the service's own checks; make_pledge checks them again.
"""

from __future__ import annotations

from core.errors import RuleError
from core.messages import Option, Reply
from core.model import PledgeKind, Unit
from core.money import format_amount, parse_amount
from core.names import fold
from core.phones import display_phone, normalise_phone
from core.services.pledges import (
    PledgeForm,
    check_condition,
    check_model,
    check_offer,
    make_pledge,
    normalise_donor,
    parse_quantity,
    pilot_communes,
    where_to_give,
)
from handlers import menu
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Turn, Value

KINDS = tuple(k.value for k in PledgeKind)
SKIP, ANYWHERE, ANONYMOUS = "skip", "anywhere", "anonymous"
COMMUNE = "commune:"  # option value prefix, followed by the unit's code


def _is_phones(turn: Turn) -> bool:
    return turn.data.get("kind") == PledgeKind.PHONES.value


def _is_money(turn: Turn) -> bool:
    return turn.data.get("kind") == PledgeKind.MONEY.value


def _is_offer(turn: Turn) -> bool:
    return turn.data.get("kind") == PledgeKind.OFFER.value


def _choice(answer: Answer, allowed: tuple[str, ...]) -> str:
    if answer.choice not in allowed:
        raise RuleError("dialog-choose-option")
    return answer.choice


# ---- the questions -----------------------------------------------------------------------


async def ask_kind(turn: Turn) -> Reply:
    return Reply(
        "pledge-ask-kind", options=tuple(Option(value=k, key=f"pledge-kind-{k}") for k in KINDS)
    )


async def parse_kind(turn: Turn, answer: Answer) -> Value:
    return _choice(answer, KINDS)


async def ask_quantity(turn: Turn) -> Reply:
    return Reply("pledge-ask-quantity")


async def parse_quantity_answer(turn: Turn, answer: Answer) -> Value:
    return parse_quantity(answer.text)


async def ask_condition(turn: Turn) -> Reply:
    return Reply(
        "pledge-ask-condition",
        options=(
            Option(value="new", key="pledge-condition-new"),
            Option(value="used", key="pledge-condition-used"),
        ),
    )


async def parse_condition(turn: Turn, answer: Answer) -> Value:
    return check_condition(_choice(answer, ("new", "used")))


async def ask_model(turn: Turn) -> Reply:
    return Reply("pledge-ask-model", options=(Option(value=SKIP, key="pledge-skip"),))


async def parse_model(turn: Turn, answer: Answer) -> Value:
    return None if answer.choice == SKIP else check_model(answer.text)


async def ask_amount(turn: Turn) -> Reply:
    return Reply("pledge-ask-amount")


async def parse_amount_answer(turn: Turn, answer: Answer) -> Value:
    if not answer.text:
        raise RuleError("rules-money-format")
    return parse_amount(answer.text)


async def ask_offer(turn: Turn) -> Reply:
    return Reply("pledge-ask-offer")


async def parse_offer(turn: Turn, answer: Answer) -> Value:
    return check_offer(answer.text)


async def ask_where(turn: Turn) -> Reply:
    communes = await pilot_communes(turn.uow, turn.dataset)
    options = (
        Option(value=ANYWHERE, key="pledge-where-anywhere"),
        *(Option(value=f"{COMMUNE}{u.code}", label=u.name) for u in communes),
    )
    return Reply("pledge-ask-where", options=options)


async def parse_where(turn: Turn, answer: Answer) -> Value:
    """None for anywhere in the programme, else the commune's id (pressed or typed)."""
    if answer.choice == ANYWHERE:
        return None
    communes = await pilot_communes(turn.uow, turn.dataset)
    if answer.choice and answer.choice.startswith(COMMUNE):
        code = answer.choice.removeprefix(COMMUNE)
        found = [u for u in communes if u.code == code]
    else:
        found = communes_named(communes, answer.text)
    if len(found) == 1:
        return found[0].id
    if found:
        raise RuleError(
            "pledge-where-ambiguous", text=answer.text, candidates=", ".join(u.name for u in found)
        )
    raise RuleError("pledge-where-unknown", text=answer.text)


def communes_named(communes: list[Unit], typed: str) -> list[Unit]:
    """Communes whose name is typed with or without diacritics and level word, or its code."""
    wanted = fold(typed)
    if not wanted:
        return []
    return [
        u
        for u in communes
        if wanted in (fold(u.name), u.code) or fold(u.name).endswith(" " + wanted)
    ]


async def ask_donor(turn: Turn) -> Reply:
    return Reply("pledge-ask-donor", options=(Option(value=ANONYMOUS, key="pledge-anonymous"),))


async def parse_donor(turn: Turn, answer: Answer) -> Value:
    return None if answer.choice == ANONYMOUS else normalise_donor(answer.text)


async def ask_contact(turn: Turn) -> Reply:
    return Reply("pledge-ask-contact", options=(Option(value=SKIP, key="pledge-skip"),))


async def parse_contact(turn: Turn, answer: Answer) -> Value:
    return None if answer.choice == SKIP else normalise_phone(answer.text)


# ---- summary and saving ------------------------------------------------------------------


async def summary(turn: Turn) -> Reply:
    form = _form(turn)
    where = "key:pledge-where-anywhere-short"
    if form.commune_id is not None:
        unit = await turn.uow.units.get(form.commune_id)
        where = unit.name if unit else where
    params: dict[str, object] = {
        "where": where,
        "donor": form.donor_name or "key:pledge-anonymous-short",
        "contact": display_phone(form.contact) if form.contact else "key:pledge-contact-none",
        **_what(form),
    }
    return Reply(f"pledge-summary-{form.kind.value}", params)


def _what(form: PledgeForm) -> dict[str, object]:
    """The params that say what is pledged, by kind."""
    if form.kind is PledgeKind.PHONES:
        return {
            "quantity": form.quantity,
            "condition": f"key:pledge-state-{form.condition}",
            "model": form.model or "key:pledge-model-none",
        }
    if form.kind is PledgeKind.MONEY:
        return {"amount": format_amount(form.amount or 0)}
    return {"offer": form.offer}


def _form(turn: Turn) -> PledgeForm:
    """The answers of the chosen kind only: after an edit of the kind, others may linger."""
    data = turn.data
    kind = PledgeKind(str(data["kind"]))
    phones, money = kind is PledgeKind.PHONES, kind is PledgeKind.MONEY
    return PledgeForm(
        kind,
        quantity=_int(data.get("quantity")) if phones else None,
        condition=_str(data.get("condition")) if phones else None,
        model=_str(data.get("model")) if phones else None,
        amount=_int(data.get("amount")) if money else None,
        offer=_str(data.get("offer")) if kind is PledgeKind.OFFER else None,
        commune_id=_int(data.get("where")),
        donor_name=_str(data.get("donor")),
        contact=_str(data.get("contact")),
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def finish(turn: Turn) -> Finish:
    """Save the pledge, then say its code, where and how to give, and what happens next."""
    pledge = await make_pledge(
        turn.uow, turn.actor, _form(turn), turn.chat.channel, turn.chat.id, turn.now
    )
    place = await where_to_give(turn.uow, pledge, turn.dataset)
    params: dict[str, object] = {
        "code": pledge.code,
        "place": place.name,
        "address": place.address or place.name,
        "page": f"/public/pledge/{pledge.code}",
        **_what(
            PledgeForm(
                pledge.kind,
                quantity=pledge.quantity,
                condition=pledge.condition,
                model=pledge.model,
                amount=pledge.amount,
                offer=pledge.offer,
            )
        ),
    }
    return Finish([Reply(f"pledge-done-{pledge.kind.value}", params), menu.for_turn(turn)])


PLEDGE = SimpleDialog(
    name="pledge",
    steps=(
        Step("kind", ask_kind, parse_kind, label_key="pledge-label-kind"),
        Step(
            "quantity",
            ask_quantity,
            parse_quantity_answer,
            label_key="pledge-label-quantity",
            when=_is_phones,
        ),
        Step(
            "condition",
            ask_condition,
            parse_condition,
            label_key="pledge-label-condition",
            when=_is_phones,
        ),
        Step("model", ask_model, parse_model, label_key="pledge-label-model", when=_is_phones),
        Step(
            "amount",
            ask_amount,
            parse_amount_answer,
            label_key="pledge-label-amount",
            when=_is_money,
        ),
        Step("offer", ask_offer, parse_offer, label_key="pledge-label-offer", when=_is_offer),
        Step("where", ask_where, parse_where, label_key="pledge-label-where"),
        Step("donor", ask_donor, parse_donor, label_key="pledge-label-donor"),
        Step("contact", ask_contact, parse_contact, label_key="pledge-label-contact"),
    ),
    summarise=summary,
    complete=finish,
)
