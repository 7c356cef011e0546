"""/objection: anyone objects to a person on a commune's posted list (niem yet cong khai).

Order: which commune's list (those posted for objections now) -> which person (their number
on the posted list, or their name as the list shows it) -> why -> summary. The commune's
officer answers in the admin; the answer comes back to this chat through the outbox.
"""

from __future__ import annotations

from core.errors import RuleError
from core.i18n import Catalogue
from core.messages import Option, Reply
from core.model import Level
from core.names import fold, in_running_text
from core.posting import PostedLine, Posting, check_reason
from core.services.pledges import pilot_communes
from core.services.posting import object_by_chat, open_postings
from handlers import menu
from handlers.dialog import Answer, Finish, SimpleDialog, Step, Stop, Turn, Value
from handlers.engine import clear
from handlers.pledge import communes_named

POSTING = "posting:"  # option value prefix, followed by the posting's id


async def _open(turn: Turn) -> list[tuple[str, Posting]]:
    """(commune name, posting) of the pilot communes whose list takes objections now."""
    communes = [u for u in await pilot_communes(turn.uow, turn.dataset)
                if u.level is Level.COMMUNE]
    return [(u.name, p) for u, p in await open_postings(turn.uow, communes, turn.now)]


async def _chosen(turn: Turn) -> tuple[str, Posting] | None:
    """The chosen commune's name and posting, if it still takes objections."""
    wanted = turn.data.get("commune")
    return next(((name, p) for name, p in await _open(turn) if p.id == wanted), None)


async def _posting(turn: Turn) -> tuple[str, Posting]:
    """For a parser: the chosen posting, or the dialog ends (its period is over)."""
    found = await _chosen(turn)
    if found is None:
        raise Stop(Reply("posting-closed"))
    return found


def _ended(turn: Turn) -> Reply:
    """For a question or the summary: the period ended meanwhile, so the dialog ends here."""
    clear(turn.chat)
    return Reply("posting-closed", options=menu.for_turn(turn).options)


async def ask_commune(turn: Turn) -> Reply:
    found = await _open(turn)
    if not found:  # nothing to object to: the dialog ends with this answer
        clear(turn.chat)
        return Reply("objection-none-open", options=menu.for_turn(turn).options)
    return Reply("objection-ask-commune", options=tuple(
        Option(value=f"{POSTING}{p.id}", label=name) for name, p in found))


async def parse_commune(turn: Turn, answer: Answer) -> Value:
    """The posting's id: pressed, or the commune's name typed with or without diacritics."""
    found = await _open(turn)
    if not found:
        raise Stop(Reply("objection-none-open"))
    if answer.choice and answer.choice.startswith(POSTING):
        return int(answer.choice.removeprefix(POSTING))
    postings = {name: p for name, p in found}
    named = communes_named([u for u in await pilot_communes(turn.uow, turn.dataset)
                            if u.name in postings], answer.text)
    if len(named) == 1:
        return postings[named[0].name].id
    raise RuleError("objection-commune-unknown", text=answer.text)


def objection_dialog(catalogue: Catalogue) -> SimpleDialog:
    """The dialog; the catalogue writes the posted list's lines in the chat's language."""

    async def ask_person(turn: Turn) -> Reply:
        found = await _chosen(turn)
        if found is None:
            return _ended(turn)
        name, posting = found
        lines = "\n".join(catalogue.text(
            "objection-line", turn.locale, number=x.number, name=x.short_name, year=x.born_year,
            village=x.village) for x in posting.lines)
        return Reply("objection-ask-person", {"commune": in_running_text(name),
                                              "count": len(posting.lines), "lines": lines})

    return SimpleDialog(
        name="objection",
        steps=(
            Step("commune", ask_commune, parse_commune),
            Step("person", ask_person, parse_person, label_key="objection-label-person"),
            Step("reason", ask_reason, parse_reason, label_key="objection-label-reason"),
        ),
        summarise=summary,
        complete=finish,
    )


async def parse_person(turn: Turn, answer: Answer) -> Value:
    """The person's number on the posted list, typed as the number or as the shown name."""
    _, posting = await _posting(turn)
    return person_on(posting, answer.text).number


def person_on(posting: Posting, typed: str) -> PostedLine:
    text = typed.strip().removeprefix("#").rstrip(".")
    if text.isdecimal() and posting.line(int(text)) is not None:
        line = posting.line(int(text))
        assert line is not None
        return line
    wanted = fold(typed)
    found = [x for x in posting.lines if wanted and fold(x.short_name) == wanted]
    if len(found) == 1:
        return found[0]
    if found:
        raise RuleError("objection-person-ambiguous", text=typed,
                        numbers=", ".join(str(x.number) for x in found))
    raise RuleError("objection-person-unknown", text=typed, count=len(posting.lines))


async def ask_reason(turn: Turn) -> Reply:
    return Reply("objection-ask-reason")


async def parse_reason(turn: Turn, answer: Answer) -> Value:
    reason = check_reason(answer.text, "posting-reason-empty")
    await _posting(turn)  # still open: else the dialog ends here, not at the summary
    return reason


async def summary(turn: Turn) -> Reply:
    found = await _chosen(turn)
    if found is None:
        return _ended(turn)
    name, posting = found
    line = posting.line(int(str(turn.data.get("person"))))
    return Reply("objection-summary", {
        "commune": in_running_text(name), "number": line.number if line else "",
        "name": line.short_name if line else "", "reason": str(turn.data.get("reason", ""))})


async def finish(turn: Turn) -> Finish:
    """Record the objection; say it will be answered here."""
    found = await _chosen(turn)
    if found is None:
        raise RuleError("posting-closed")
    name, posting = found
    await object_by_chat(turn.uow, turn.chat.id, posting.id, int(str(turn.data["person"])),
                         str(turn.data["reason"]), turn.now)
    return Finish([Reply("objection-recorded", {"commune": in_running_text(name)}),
                   menu.for_turn(turn)])
