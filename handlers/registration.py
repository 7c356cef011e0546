"""The village head registers adults without a smartphone, household by household.

Order (DESIGN.md, "Registration dialog order"): household (one of the village's, or a new
one: code, head, poverty, policy, anyone with a smartphone?) -> full name -> date of birth
-> citizen ID -> has a smartphone? -> contact number -> consent -> summary -> confirm ->
"another member of this household?" (the dialog "register-more").

Every answer is checked when it is given, duplicates included, so that a mistake is met at
its own question; finish() checks everything again through core.services.registry, the only
code that writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from core.citizen_ids import check_citizen_id
from core.codes import household_code
from core.dates import format_date, parse_date
from core.errors import RuleError
from core.messages import Option, Reply
from core.model import Household, Policy, Poverty, Role
from core.names import fold, normalise_name
from core.phones import display_phone, normalise_phone
from core.services import registry
from core.services.registry import HouseholdForm, ResidentForm
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Stop, Turn

REGISTER, REGISTER_MORE = "register", "register-more"
NEW = "new"
MAX_HOUSEHOLD_OPTIONS = 8  # more buttons than this do not fit on a phone screen
# Typed words that mean "none" or "skip" (folded: no diacritics, lower case).
NONE_WORDS = frozenset({"-", "khong", "khong co", "khong biet", "chua co", "bo qua", "none",
                        "no", "skip"})
YES_NO = (Option("yes", key="registration-yes"), Option("no", key="registration-no"))
VILLAGE_HEADS = frozenset({Role.VILLAGE_HEAD})


# ---- helpers -------------------------------------------------------------------------------


def _village_id(turn: Turn) -> int:
    assert turn.official is not None  # the dialog is for linked village heads only
    return turn.official.unit_id


async def _commune_id(turn: Turn) -> int:
    village = await registry.village(turn.uow, _village_id(turn))
    assert village.parent_id is not None  # registry.village() refuses a village without one
    return village.parent_id


def _is_new(turn: Turn) -> bool:
    return turn.data.get("household") == NEW


def _household_open(turn: Turn) -> bool:
    """False when "another member" started the dialog with the household already chosen."""
    return not turn.data.get("household_fixed")


def _household_id(turn: Turn) -> int:
    return int(str(turn.data["household"]).removeprefix("hh:"))


def _born(turn: Turn) -> date:
    return date.fromisoformat(str(turn.data["date_of_birth"]))


def _skipped(answer: Answer, value: str) -> bool:
    return answer.choice == value or fold(answer.text) in NONE_WORDS


def _yes(answer: Answer) -> bool:
    if answer.choice not in ("yes", "no"):
        raise RuleError("dialog-choose-option")
    return answer.choice == "yes"


def _yes_no_key(value: object) -> str:
    return "key:registration-yes" if value else "key:registration-no"


async def _parse_yes_no(_turn: Turn, answer: Answer) -> bool:
    return _yes(answer)


async def parse_consent(_turn: Turn, answer: Answer) -> bool:
    """Without the resident's consent nothing may be kept (Decree 13/2023): the draft ends."""
    if not _yes(answer):
        raise Stop(Reply("registration-consent-refused"))
    return True


def _yes_no_question(key: str) -> Callable[[Turn], Awaitable[Reply]]:
    async def ask(_turn: Turn) -> Reply:
        return Reply(key, options=YES_NO)

    return ask


# ---- household -----------------------------------------------------------------------------


async def ask_household(turn: Turn) -> Reply:
    """Up to eight of the village's households as buttons, and "new household"."""
    households = await turn.uow.households.in_village(_village_id(turn))
    options = tuple(Option(f"hh:{h.id}", label=_household_label(h))
                    for h in households[:MAX_HOUSEHOLD_OPTIONS])
    options += (Option(NEW, key="registration-household-new"),)
    many = len(households) > MAX_HOUSEHOLD_OPTIONS
    key = "registration-ask-household-many" if many else "registration-ask-household"
    return Reply(key, {"count": len(households), "shown": MAX_HOUSEHOLD_OPTIONS}, options)


def _household_label(h: Household) -> str:
    return f"{h.code} \u00b7 {h.head_name}"


async def parse_household(turn: Turn, answer: Answer) -> str:
    """A button, or a household code or head's name typed (with or without diacritics)."""
    if answer.choice == NEW:
        return NEW
    households = await turn.uow.households.in_village(_village_id(turn))
    if answer.choice:
        found = [h for h in households if f"hh:{h.id}" == answer.choice]
    else:
        found = _matching(households, answer.text)
    if len(found) == 1:
        return f"hh:{found[0].id}"
    if not found:
        raise RuleError("registration-household-not-found", text=answer.text)
    raise RuleError("registration-household-ambiguous", text=answer.text,
                    households="; ".join(_household_label(h) for h in found))


def _matching(households: list[Household], text: str) -> list[Household]:
    """By code, else by the head's whole name, else by a part of it (three letters or more)."""
    wanted = fold(text)
    if not wanted:
        return []
    by_code = [h for h in households if fold(h.code) == wanted]
    if by_code:
        return by_code
    by_name = [h for h in households
               if wanted in (fold(h.head_name), fold(_household_label(h)))]
    if by_name or len(wanted) < 3:
        return by_name
    return [h for h in households if wanted in fold(h.head_name)]


async def ask_household_code(_turn: Turn) -> Reply:
    return Reply("registration-ask-household-code",
                 options=(Option("skip", key="registration-no-household-code"),))


async def parse_household_code(turn: Turn, answer: Answer) -> str | None:
    """None when the code is not known (the registry gives one); a code used in the commune
    is named here, with its head, so the official can pick that household instead."""
    if _skipped(answer, "skip"):
        return None
    code = household_code(answer.text)
    existing = await turn.uow.households.by_code(await _commune_id(turn), code)
    if existing is not None:
        raise RuleError("registry-household-code-taken", code=code, head=existing.head_name)
    return code


async def ask_head_name(_turn: Turn) -> Reply:
    return Reply("registration-ask-head-name")


async def parse_name(_turn: Turn, answer: Answer) -> str:
    return normalise_name(answer.text)


async def ask_poverty(_turn: Turn) -> Reply:
    return Reply("registration-ask-poverty", options=tuple(
        Option(p.value, key=f"registration-poverty-{p.value}") for p in Poverty))


async def parse_poverty(_turn: Turn, answer: Answer) -> str:
    if answer.choice not in {p.value for p in Poverty}:
        raise RuleError("dialog-choose-option")
    return str(answer.choice)


async def ask_policy(_turn: Turn) -> Reply:
    return Reply("registration-ask-policy", options=tuple(
        Option(p.value, key=f"registration-policy-{p.value}") for p in Policy))


async def parse_policy(_turn: Turn, answer: Answer) -> str:
    if answer.choice not in {p.value for p in Policy}:
        raise RuleError("dialog-choose-option")
    return str(answer.choice)


# ---- the resident --------------------------------------------------------------------------


async def ask_full_name(_turn: Turn) -> Reply:
    return Reply("registration-ask-full-name")


async def ask_date_of_birth(_turn: Turn) -> Reply:
    return Reply("registration-ask-date-of-birth")


async def parse_date_of_birth(turn: Turn, answer: Answer) -> str:
    """An adult's birth date (ISO, to stay JSON); the same name and date already in the
    commune is named now, ID or not."""
    born = parse_date(answer.text, turn.today)
    form = ResidentForm(full_name=str(turn.data["full_name"]), date_of_birth=born,
                        has_smartphone=False)
    await registry.check_resident(turn.uow, turn.actor, await _commune_id(turn), form,
                                  turn.today, turn.now)
    _forget_mismatched_id(turn, born)
    return born.isoformat()


def _forget_mismatched_id(turn: Turn, born: date) -> None:
    """A changed birth date can contradict the ID given before: ask for the ID again."""
    number = turn.data.get("citizen_id")
    if not number:
        return
    try:
        check_citizen_id(str(number), born)
    except RuleError:
        turn.data.pop("citizen_id")


async def ask_citizen_id(_turn: Turn) -> Reply:
    return Reply("registration-ask-citizen-id",
                 options=(Option("none", key="registration-no-citizen-id"),))


async def parse_citizen_id(turn: Turn, answer: Answer) -> str | None:
    """12 digits that agree with the birth date and are not registered yet, or none."""
    if _skipped(answer, "none"):
        return None
    form = ResidentForm(full_name=str(turn.data["full_name"]), date_of_birth=_born(turn),
                        has_smartphone=False, citizen_id=answer.text)
    checked = await registry.check_resident(turn.uow, turn.actor, await _commune_id(turn), form,
                                            turn.today, turn.now)
    return checked.citizen_id


async def ask_phone(_turn: Turn) -> Reply:
    return Reply("registration-ask-phone", options=(Option("skip", key="registration-no-phone"),))


async def parse_phone(_turn: Turn, answer: Answer) -> str | None:
    if _skipped(answer, "skip"):
        return None
    return normalise_phone(answer.text)


# ---- summary and saving --------------------------------------------------------------------


async def summarise(turn: Turn) -> Reply:
    """All the answers, for the village head to check with the resident."""
    phone = turn.data.get("phone")
    return Reply("registration-summary", {
        **await _household_params(turn),
        "name": turn.data["full_name"],
        "born": format_date(_born(turn)),
        "citizen_id": turn.data.get("citizen_id") or "key:registration-none-given",
        "has_smartphone": _yes_no_key(turn.data.get("has_smartphone")),
        "phone": display_phone(str(phone)) if phone else "key:registration-none-given",
    })


async def _household_params(turn: Turn) -> dict[str, object]:
    """The household as the summary shows it: code, head and class."""
    if _is_new(turn):
        code, head = turn.data.get("household_code"), turn.data.get("head_name")
        poverty, policy = turn.data.get("poverty"), turn.data.get("policy")
        phones = turn.data.get("household_smartphone")
    else:
        found = await turn.uow.households.get(_household_id(turn))
        if found is None:  # removed meanwhile: finish() refuses it with a clear message
            return {"household_code": "?", "head": "?", "poverty_label": "",
                    "policy_label": "", "has_smartphone_household": ""}
        code, head, phones = found.code, found.head_name, found.has_smartphone
        poverty, policy = found.poverty.value, found.policy.value
    return {
        "household_code": code or "key:registration-code-to-be-given",
        "head": head,
        "poverty_label": f"key:registration-poverty-{poverty}",
        "policy_label": f"key:registration-policy-{policy}",
        "has_smartphone_household": _yes_no_key(phones),
    }


async def finish(turn: Turn) -> Finish:
    """Save the household (if new) and the resident; then ask about another member."""
    household = await _saved_household(turn)
    resident = await registry.register_resident(
        turn.uow, turn.actor, household.id, _resident_form(turn), turn.now, turn.today)
    replies = [Reply("registration-saved", {"name": resident.full_name,
                                            "household_code": household.code,
                                            "head": household.head_name})]
    if resident.has_smartphone:
        replies.append(Reply("registration-saved-has-smartphone"))
    return Finish(replies, then=(REGISTER_MORE, {"household_id": household.id}))


async def _saved_household(turn: Turn) -> Household:
    if _is_new(turn):
        form = HouseholdForm(
            village_id=_village_id(turn),
            head_name=str(turn.data["head_name"]),
            poverty=Poverty(str(turn.data["poverty"])),
            policy=Policy(str(turn.data["policy"])),
            has_smartphone=bool(turn.data["household_smartphone"]),
            code=_optional(turn.data.get("household_code")),
        )
        return await registry.register_household(turn.uow, turn.actor, form, turn.now)
    household = await turn.uow.households.get(_household_id(turn))
    if household is None or household.village_id != _village_id(turn):
        raise RuleError("registry-unknown-household")
    return household


def _resident_form(turn: Turn) -> ResidentForm:
    return ResidentForm(
        full_name=str(turn.data["full_name"]),
        date_of_birth=_born(turn),
        has_smartphone=bool(turn.data["has_smartphone"]),
        citizen_id=_optional(turn.data.get("citizen_id")),
        phone=_optional(turn.data.get("phone")),
        consent=bool(turn.data["consent"]),
    )


def _optional(value: object) -> str | None:
    return str(value) if value else None


# ---- another member? -----------------------------------------------------------------------


async def ask_more(turn: Turn) -> Reply:
    """Another member of the household just registered?"""
    household = await turn.uow.households.get(int(str(turn.data["household_id"])))
    params = {"household_code": household.code if household else "",
              "head": household.head_name if household else ""}
    return Reply("registration-more-ask", params, (
        Option("yes", key="registration-more-yes"),
        Option("no", key="registration-more-no"),
    ))


async def parse_more(_turn: Turn, answer: Answer) -> bool:
    if answer.choice == "yes":
        return True
    if answer.choice == "no":
        raise Stop(Reply("registration-more-done"))
    raise RuleError("dialog-choose-option")


async def start_next_member(turn: Turn) -> Finish:
    """Register again with the household chosen: its question is skipped."""
    household = f"hh:{turn.data['household_id']}"
    return Finish([], then=(REGISTER, {"household": household, "household_fixed": True}))


def _new_household(turn: Turn) -> bool:
    return _household_open(turn) and _is_new(turn)


REGISTRATION = SimpleDialog(
    name=REGISTER,
    roles=VILLAGE_HEADS,
    steps=(
        Step("household", ask_household, parse_household,
             "registration-field-household", when=_household_open),
        Step("household_code", ask_household_code, parse_household_code,
             "registration-field-household-code", when=_new_household),
        Step("head_name", ask_head_name, parse_name,
             "registration-field-head-name", when=_new_household),
        Step("poverty", ask_poverty, parse_poverty,
             "registration-field-poverty", when=_new_household),
        Step("policy", ask_policy, parse_policy,
             "registration-field-policy", when=_new_household),
        Step("household_smartphone", _yes_no_question("registration-ask-household-smartphone"),
             _parse_yes_no, "registration-field-household-smartphone", when=_new_household),
        Step("full_name", ask_full_name, parse_name, "registration-field-full-name"),
        Step("date_of_birth", ask_date_of_birth, parse_date_of_birth,
             "registration-field-date-of-birth"),
        Step("citizen_id", ask_citizen_id, parse_citizen_id, "registration-field-citizen-id"),
        Step("has_smartphone", _yes_no_question("registration-ask-has-smartphone"),
             _parse_yes_no, "registration-field-has-smartphone"),
        Step("phone", ask_phone, parse_phone, "registration-field-phone"),
        Step("consent", _yes_no_question("registration-ask-consent"), parse_consent,
             "registration-field-consent"),
    ),
    summarise=summarise,
    complete=finish,
)

# One question; "yes" starts the next registration (Finish.then), "no" ends here.
REGISTRATION_MORE = SimpleDialog(
    name=REGISTER_MORE,
    roles=VILLAGE_HEADS,
    steps=(Step("another", ask_more, parse_more, finishes=True),),
    summarise=ask_more,
    complete=start_next_member,
)
