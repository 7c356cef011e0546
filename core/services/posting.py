"""Public posting of a commune's list and the objections to it (niem yet cong khai, issue 18).

Before a commune commits its list it posts it for a period (the setting POSTING_DAYS): the
list as it stands at that moment is stored, so that every objection refers to what the public
read. Anyone objects (by chat, or in person to the officer, who records it); the commune's
officer answers each one, keeping the person or taking them off the list to be committed.
core.services.allocation.commit then commits the posted list without the people taken off,
and only once the period has ended and every objection is answered.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from core.errors import RuleError
from core.messages import Reply
from core.model import Actor, AuditEntry, Level, Role, Unit
from core.names import in_running_text
from core.ports import UnitOfWork
from core.posting import Objection, Person, Posting, Verdict, check_reason, posted_lines
from core.services import allocation
from core.services.audit import entry
from core.services.ledger import append
from core.services.outbox import enqueue

DEFAULT_DAYS = 7


async def open_posting(uow: UnitOfWork, actor: Actor, commune: Unit, on: date, now: datetime,
                       days: int = DEFAULT_DAYS,
                       per_person: int = allocation.DEFAULT_PER_PERSON) -> Posting:
    """Post the commune's ranked list as it stands now, for `days` days of objections."""
    check_officer(actor, commune)
    if days < 1:
        raise RuleError("posting-days-invalid")
    if await uow.postings.current(commune.id) is not None:
        raise RuleError("posting-already-open")
    view = await allocation.preview(uow, commune.dataset, on, per_person, unit=commune)
    [plan] = view.communes
    if not plan.assignment.entries:
        raise RuleError("posting-nothing")
    lines = posted_lines(plan.assignment, await _people(uow, commune))
    posting = await uow.postings.add(Posting(
        id=0, commune_id=commune.id, opened_at=now, closes_at=now + timedelta(days=days),
        opened_by=actor.official_id, lines=lines))
    supports = [line.support for line in lines]
    await uow.audit.append(AuditEntry(
        at=now, actor=actor, action="open", entity="posting", entity_id=posting.id,
        unit_id=commune.id, before=None,
        after={"closes_at": posting.closes_at.isoformat(), "lines": len(lines)}))
    # counts only: the names are on the posted list, never in the ledger
    await append(uow, "posting", {
        "commune": commune.code, "posting": posting.id, "people": len(lines),
        "whole": supports.count("whole"), "partial": supports.count("partial"),
        "closes": posting.closes_at.isoformat()}, now)
    return posting


async def object_by_chat(uow: UnitOfWork, chat_ref: int, posting_id: int, number: int,
                         reason: str, now: datetime) -> Objection:
    """Record an objection sent by chat; its answer goes back to that chat."""
    posting = await _open(uow, posting_id, number, now)
    return await uow.postings.add_objection(Objection(
        id=0, posting_id=posting.id, line_number=number,
        reason=check_reason(reason, "posting-reason-empty"), at=now, chat_ref=chat_ref))


async def object_in_person(uow: UnitOfWork, actor: Actor, posting_id: int, number: int,
                           reason: str, now: datetime) -> Objection:
    """Record an objection made in person at the commune office, by the commune's officer."""
    posting = await _open(uow, posting_id, number, now)
    check_officer(actor, await _commune(uow, posting))
    objection = await uow.postings.add_objection(Objection(
        id=0, posting_id=posting.id, line_number=number,
        reason=check_reason(reason, "posting-reason-empty"), at=now,
        recorded_by=actor.official_id))
    await uow.audit.append(entry(actor, now, "object", "objection", objection.id,
                                 posting.commune_id, after=objection))
    return objection


async def answer_objection(uow: UnitOfWork, actor: Actor, objection_id: int, verdict: Verdict,
                           reason: str, now: datetime) -> Objection:
    """The commune's answer: the person kept, or taken off the list to be committed; the
    objector who wrote by chat is told. An objection is answered once."""
    objection = await uow.postings.objection(objection_id)
    posting = await uow.postings.get(objection.posting_id) if objection else None
    if objection is None or posting is None:
        raise RuleError("posting-no-such-objection")
    commune = await _commune(uow, posting)
    check_officer(actor, commune)
    if posting.closed_at is not None:
        raise RuleError("posting-committed")
    answer = check_reason(reason, "posting-answer-empty")
    if not await uow.postings.answer(objection.id, verdict, answer, now, actor.official_id):
        raise RuleError("posting-already-answered")
    answered = await uow.postings.objection(objection.id)
    await uow.audit.append(entry(actor, now, "answer", "objection", objection.id, commune.id,
                                 before=objection, after=answered))
    await _tell(uow, objection, posting, commune, verdict, answer, now)
    return answered or objection


def check_officer(actor: Actor, commune: Unit) -> None:
    """Only the commune's own officer (or the system) posts, records and answers (plan III.4:
    the commune makes its own list)."""
    if commune.level is not Level.COMMUNE:
        raise RuleError("posting-not-a-commune")
    if actor.system:
        return
    if actor.role is not Role.COMMUNE or actor.unit_id != commune.id:
        raise RuleError("posting-not-allowed")


async def open_postings(uow: UnitOfWork, communes: list[Unit], now: datetime
                        ) -> list[tuple[Unit, Posting]]:
    """The communes among these whose posting takes objections now, with it."""
    found = []
    for commune in communes:
        posting = await uow.postings.current(commune.id)
        if posting is not None and posting.is_open(now):
            found.append((commune, posting))
    return found


async def _tell(uow: UnitOfWork, objection: Objection, posting: Posting, commune: Unit,
                verdict: Verdict, answer: str, now: datetime) -> None:
    """The answer, to the chat the objection came from (in person: told there)."""
    chat = await uow.chats.get(objection.chat_ref) if objection.chat_ref else None
    line = posting.line(objection.line_number)
    if chat is None or line is None:
        return
    await enqueue(uow, chat, Reply(f"posting-answer-{verdict.value}", {
        "commune": in_running_text(commune.name), "number": line.number, "name": line.short_name,
        "answer": answer}), f"objection:{objection.id}:answer", now)


async def _open(uow: UnitOfWork, posting_id: int, number: int, now: datetime) -> Posting:
    """The posting, if it takes objections now and has this line."""
    posting = await uow.postings.get(posting_id)
    if posting is None or not posting.is_open(now):
        raise RuleError("posting-closed")
    if posting.line(number) is None:
        raise RuleError("posting-no-such-line", number=number, count=len(posting.lines))
    return posting


async def _commune(uow: UnitOfWork, posting: Posting) -> Unit:
    commune = await uow.units.get(posting.commune_id)
    if commune is None:
        raise RuleError("posting-not-a-commune")
    return commune


async def _people(uow: UnitOfWork, commune: Unit) -> dict[int, Person]:
    villages = {u.id: u.name for u in await uow.units.children(commune.id)}
    return {r.id: Person(r.full_name, r.date_of_birth.year, villages.get(r.village_id, ""))
            for r in await uow.residents.in_units([commune.id])}
