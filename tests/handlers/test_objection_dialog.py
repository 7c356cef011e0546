"""The /objection dialog through the fake channel (issue 18, item 3), on a real database:
xa Con Minh's list is posted with An, Binh, Cuong waiting (see tests/core/services/
test_posting.py for the list worked by hand)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from core.i18n import load_catalogue
from core.posting import Posting, Verdict
from core.services import posting
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_allocation_service import adult
from tests.core.services.test_commune_lists import CON_MINH, ON, waiting
from tests.handlers.harness import ChatUser, Clock
from tests.handover_setup import units

ASK_COMMUNE, ASK_PERSON, ASK_REASON = ("objection-ask-commune", "objection-ask-person",
                                       "objection-ask-reason")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> Dispatcher:
    await units(uow, clock.now)
    return build_dispatcher(uow, load_catalogue(), "2023", ZoneInfo("Asia/Ho_Chi_Minh"), clock)


async def post_con_minh(uow: SqlUnitOfWorkFactory, clock: Clock, twin: bool = False,
                        ago: timedelta = timedelta(0)) -> Posting:
    """An, Binh, Cuong waiting (and, with `twin`, a fourth whose short name is An's), posted."""
    async with uow() as u:
        cm = await u.units.by_code("2023", CON_MINH)
        village = await u.units.by_code("2023", "02173-01")
    assert cm is not None and village is not None
    await waiting(uow, village, "C", 3, clock.now - timedelta(days=1))
    if twin:
        async with uow() as u:
            await adult(u, village, None, "Ma Vinh C An", clock.now - timedelta(hours=1))
            await u.commit()
    async with uow() as u:
        done = await posting.open_posting(u, SYSTEM, cm, ON, clock.now - ago, days=1)
        await u.commit()
    return done


async def objections(uow: SqlUnitOfWorkFactory, posted: Posting) -> list[tuple[int, str]]:
    async with uow() as u:
        return [(o.line_number, o.reason) for o in await u.postings.objections(posted.id)]


async def test_an_objection_by_number_is_recorded_and_its_answer_comes_back(
        uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock) -> None:
    posted = await post_con_minh(uow, clock)
    user = ChatUser(dispatcher, chat_id="citizen-1")
    assert await user.say("/objection") == [ASK_COMMUNE]
    assert user.options() == [f"posting:{posted.id}"]
    assert await user.press(f"posting:{posted.id}") == [ASK_PERSON]
    assert user.param(ASK_PERSON, "count") == 3
    lines = str(user.param(ASK_PERSON, "lines")).split("\n")
    assert lines[1] == "2. Ma V. C. Binh, sinh n\u0103m 1980, N\u00e0 D\u0103m"
    assert await user.say("2") == [ASK_REASON]
    assert await user.say("  moved to Ha Noi  ") == ["objection-summary"]
    assert user.param("objection-summary", "name") == "Ma V. C. Binh"
    keys = await user.press("confirm")
    assert keys[0] == "objection-recorded"
    assert await objections(uow, posted) == [(2, "moved to Ha Noi")]
    # the commune answers in the admin; the answer goes back to this chat
    async with uow() as u:
        [o] = await u.postings.objections(posted.id)
        await posting.answer_objection(u, SYSTEM, o.id, Verdict.REMOVED, "confirmed", clock.now)
        await u.commit()
    async with uow() as u:
        [told] = await u.outbox.pull("web", "citizen-1", 0, clock.now, 10)
    assert told.reply["key"] == "posting-answer-removed"
    assert told.reply["params"] == {"commune": "x\u00e3 C\u00f4n Minh", "number": 2,
                                    "name": "Ma V. C. Binh", "answer": "confirmed"}


async def test_bad_answers_are_asked_again_and_record_nothing(
        uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock) -> None:
    posted = await post_con_minh(uow, clock, twin=True)
    user = ChatUser(dispatcher, chat_id="citizen-2")
    await user.say("/objection")
    assert await user.say("Ha Noi") == ["objection-commune-unknown", ASK_COMMUNE]
    assert await user.say("con minh") == [ASK_PERSON]  # typed, without diacritics
    assert await user.say("9") == ["objection-person-unknown", ASK_PERSON]
    assert user.param("objection-person-unknown", "count") == 4
    assert await user.say("Nobody") == ["objection-person-unknown", ASK_PERSON]
    # two people are "Ma V. C. An": the number is asked for
    assert await user.say("ma v. c. an") == ["objection-person-ambiguous", ASK_PERSON]
    assert user.param("objection-person-ambiguous", "numbers") == "1, 4"
    assert await user.say("ma v. c. binh") == [ASK_REASON]  # a name typed as the list shows it
    assert await user.say("   ") == ["posting-reason-empty", ASK_REASON]
    assert await user.say("/cancel") == ["dialog-cancelled", "menu-public"]
    assert await objections(uow, posted) == []


async def test_without_a_posted_list_the_dialog_ends_at_once(
        uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock) -> None:
    user = ChatUser(dispatcher, chat_id="citizen-3")
    assert await user.say("/objection") == ["objection-none-open"]
    async with uow() as u:
        chat = await u.chats.get_or_create("web", "citizen-3", clock.now)
    assert chat.dialog is None


async def test_a_list_whose_period_ended_takes_no_more_objections(
        uow: SqlUnitOfWorkFactory, dispatcher: Dispatcher, clock: Clock) -> None:
    posted = await post_con_minh(uow, clock, ago=timedelta(hours=23, minutes=50))
    user = ChatUser(dispatcher, chat_id="citizen-4")
    await user.say("/objection")
    await user.press(f"posting:{posted.id}")
    await user.say("1")
    clock.advance(minutes=15)  # the day's period ends while the person types their reason
    keys = await user.say("has a phone already")
    assert keys[0] == "posting-closed"
    assert await objections(uow, posted) == []
