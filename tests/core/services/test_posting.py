"""Posting a commune's list and answering objections before it is committed (issue 18, item 3).

Worked by hand (every adult poor, of a merit family, each in a household of their own:
whole-phone tier 1; approved an hour apart in the order listed). xa Con Minh holds 2 phones
and no money; An, Binh, Cuong wait. The posted list: 1 An (whole phone), 2 Binh (whole
phone), 3 Cuong (waiting). An objection by chat about number 1 is answered "removed", one
made in person about number 2 "kept". The list committed after the 7 days: Binh and Cuong
get the 2 phones; An, taken off, gets nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import RuleError
from core.model import Actor, Role, Unit
from core.posting import Verdict
from core.services import allocation, posting, privacy
from core.services.receiving import ReceiptForm, record_receipt
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_commune_lists import (
    CON_MINH,
    DATASET,
    NGHIA_TA,
    ON,
    officer,
    waiting,
)
from tests.handover_setup import units

DAY = timedelta(days=1)


async def con_minh(uow: SqlUnitOfWorkFactory, now: datetime) -> tuple[dict[str, Unit], list[int]]:
    found = await units(uow, now)
    people = await waiting(uow, found["02173-01"], "C", 3, now)
    async with uow() as u:
        await record_receipt(u, SYSTEM, ReceiptForm(found[CON_MINH].id, phones=2), now)
        await u.commit()
    return found, people


async def refused(uow: SqlUnitOfWorkFactory, actor: Actor, unit: Unit, at: datetime) -> RuleError:
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await allocation.commit(u, actor, DATASET, ON, at, unit=unit, tz=UTC)
    return err.value


async def test_a_posted_list_is_committed_after_its_period_without_the_people_taken_off(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found, (an, binh, cuong) = await con_minh(uow, now)
    cm = found[CON_MINH]
    me = officer(Role.COMMUNE, cm)
    async with uow() as u:
        posted = await posting.open_posting(u, me, cm, ON, now, days=7)
        citizen = await u.chats.get_or_create("web", "citizen-1", now)
        await u.commit()
    assert posted.closes_at == now + 7 * DAY
    assert [(x.number, x.resident_id, x.support) for x in posted.lines] == [
        (1, an, "whole"), (2, binh, "whole"), (3, cuong, None)]
    assert [x.short_name for x in posted.lines] == [
        "Ma V. C. An", "Ma V. C. Binh", "Ma V. C. Cuong"]
    # the period runs: no commit, whatever is answered
    assert (await refused(uow, me, cm, now + DAY)).key == "posting-still-open"
    async with uow() as u:
        by_chat = await posting.object_by_chat(u, citizen.id, posted.id, 1, " not poor ", now + DAY)
        in_person = await posting.object_in_person(u, me, posted.id, 2, "moved away", now + DAY)
        await u.commit()
    assert by_chat.reason == "not poor" and in_person.recorded_by == me.official_id
    late = now + 8 * DAY
    err = await refused(uow, me, cm, late)
    assert err.key == "posting-unanswered" and err.params == {"count": 2}
    async with uow() as u:
        await posting.answer_objection(u, me, by_chat.id, Verdict.REMOVED, "has a phone", late)
        await u.commit()
    assert (await refused(uow, me, cm, late)).params == {"count": 1}
    async with uow() as u:
        await posting.answer_objection(u, me, in_person.id, Verdict.KEPT, "lives here", late)
        done = await allocation.commit(u, me, DATASET, ON, late, unit=cm, tz=UTC)
        await u.commit()
    assert (done.whole, done.partial) == (2, 0)
    async with uow() as u:
        given = {s.resident_id for s in await u.supports.assigned([cm.id])}
        closed = await u.postings.get(posted.id)
        ledger = await u.ledger.all()
    assert given == {binh, cuong}
    assert closed is not None and closed.closed_at == late and closed.plan_id == done.plan_id
    kinds = [e.kind for e in ledger]
    assert kinds.count("posting") == 1 and kinds.count("posting_close") == 1
    [opened] = [e.payload for e in ledger if e.kind == "posting"]
    [shut] = [e.payload for e in ledger if e.kind == "posting_close"]
    assert opened == {"commune": CON_MINH, "posting": posted.id, "people": 3, "whole": 2,
                      "partial": 0, "closes": (now + 7 * DAY).isoformat()}
    assert shut == {"commune": CON_MINH, "posting": posted.id, "plan": done.plan_id,
                    "objections": 2, "removed": 1}
    # no personal data in the ledger (the payloads above hold counts and codes only)
    text = str([e.payload for e in ledger if e.kind.startswith("posting")])
    assert "Ma V" not in text and "Ma Van" not in text


async def test_the_objector_by_chat_is_told_the_answer_once(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found, _ = await con_minh(uow, now)
    cm = found[CON_MINH]
    me = officer(Role.COMMUNE, cm)
    async with uow() as u:
        posted = await posting.open_posting(u, me, cm, ON, now)
        citizen = await u.chats.get_or_create("web", "citizen-1", now)
        objection = await posting.object_by_chat(u, citizen.id, posted.id, 3, "why", now)
        await posting.answer_objection(u, me, objection.id, Verdict.KEPT, "tier 1", now)
        await u.commit()
    async with uow() as u:
        with pytest.raises(RuleError) as err:  # a second submit of the answer form
            await posting.answer_objection(u, me, objection.id, Verdict.REMOVED, "x", now)
        sent = await u.outbox.pull("web", "citizen-1", 0, now, 10)
    assert err.value.key == "posting-already-answered"
    [message] = sent
    assert message.reply["key"] == "posting-answer-kept"
    assert message.reply["params"] == {"commune": "x\u00e3 C\u00f4n Minh", "number": 3,
                                       "name": "Ma V. C. Cuong", "answer": "tier 1"}


async def test_only_the_communes_own_officer_posts_and_answers(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found, _ = await con_minh(uow, now)
    cm, nt = found[CON_MINH], found[NGHIA_TA]
    mine, other = officer(Role.COMMUNE, cm), officer(Role.COMMUNE, nt)
    district = officer(Role.DISTRICT, found["066"])
    async with uow() as u:
        for actor in (other, district):
            with pytest.raises(RuleError) as err:
                await posting.open_posting(u, actor, cm, ON, now)
            assert err.value.key == "posting-not-allowed"
        posted = await posting.open_posting(u, mine, cm, ON, now)
        await u.commit()
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await posting.object_in_person(u, other, posted.id, 1, "x", now)
        assert err.value.key == "posting-not-allowed"
        objection = await posting.object_in_person(u, mine, posted.id, 1, "x", now)
        await u.commit()
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await posting.answer_objection(u, other, objection.id, Verdict.REMOVED, "y", now)
        assert err.value.key == "posting-not-allowed"
        still = await u.postings.objection(objection.id)
    assert still is not None and still.verdict is None


async def test_bad_objections_are_refused_and_change_nothing(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found, _ = await con_minh(uow, now)
    cm = found[CON_MINH]
    me = officer(Role.COMMUNE, cm)
    async with uow() as u:
        posted = await posting.open_posting(u, me, cm, ON, now, days=7)
        chat = await u.chats.get_or_create("web", "citizen-2", now)
        await u.commit()
    cases = [(4, "reason", now, "posting-no-such-line"),
             (0, "reason", now, "posting-no-such-line"),
             (1, "   ", now, "posting-reason-empty"),
             (1, "x" * 1001, now, "posting-reason-too-long"),
             (1, "reason", now + 7 * DAY, "posting-closed")]
    for number, reason, at, key in cases:
        async with uow() as u:
            with pytest.raises(RuleError) as err:
                await posting.object_by_chat(u, chat.id, posted.id, number, reason, at)
            assert err.value.key == key
    async with uow() as u:
        assert await u.postings.objections(posted.id) == []
        with pytest.raises(RuleError) as err:
            await posting.open_posting(u, me, cm, ON, now)
        assert err.value.key == "posting-already-open"
        objection = await posting.object_by_chat(u, chat.id, posted.id, 1, "r", now)
        with pytest.raises(RuleError) as err:
            await posting.answer_objection(u, me, objection.id, Verdict.KEPT, " ", now)
        assert err.value.key == "posting-answer-empty"


async def test_a_communes_list_is_not_committed_without_a_posting(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found, _ = await con_minh(uow, now)
    cm = found[CON_MINH]
    err = await refused(uow, officer(Role.COMMUNE, cm), cm, now)
    assert err.key == "posting-required"
    err = await refused(uow, SYSTEM, cm, now)  # `phocap allocate --commit --unit` alike
    assert err.key == "posting-required"


async def test_an_erased_person_is_shown_on_a_posted_list_by_pseudonym_only(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found, (an, _, _) = await con_minh(uow, now)
    cm = found[CON_MINH]
    async with uow() as u:
        posted = await posting.open_posting(u, SYSTEM, cm, ON, now)
        await privacy.erase(u, SYSTEM, an, now)
        await u.commit()
    async with uow() as u:
        again = await u.postings.get(posted.id)
    assert again is not None
    assert [x.short_name for x in again.lines] == [f"#{an}", "Ma V. C. Binh", "Ma V. C. Cuong"]


async def test_the_systems_whole_run_waits_for_a_posting_and_keeps_its_removals(
        uow: SqlUnitOfWorkFactory, now: datetime) -> None:
    found, (an, binh, cuong) = await con_minh(uow, now)
    cm = found[CON_MINH]
    me = officer(Role.COMMUNE, cm)
    async with uow() as u:
        posted = await posting.open_posting(u, me, cm, ON, now, days=7)
        objection = await posting.object_in_person(u, me, posted.id, 1, "has one", now)
        await u.commit()
    late = now + 8 * DAY
    for at in (now + DAY, late):  # while posted; then after, with the objection unanswered
        async with uow() as u:
            with pytest.raises(RuleError) as err:
                await allocation.commit(u, SYSTEM, DATASET, ON, at)
        assert err.value.key == "posting-whole-run-waiting"
        assert err.value.params == {"commune": cm.name}
    async with uow() as u:
        await posting.answer_objection(u, me, objection.id, Verdict.REMOVED, "seen", late)
        done = await allocation.commit(u, SYSTEM, DATASET, ON, late)
        await u.commit()
    async with uow() as u:
        given = {s.resident_id for s in await u.supports.assigned([cm.id])}
        closed = await u.postings.get(posted.id)
    assert given == {binh, cuong} and an not in given
    assert closed is not None and closed.plan_id == done.plan_id
