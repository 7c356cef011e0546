"""The recipient confirms on the new phone: the code typed or scanned, through the fake
channel on a real database."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.i18n import load_catalogue
from core.model import Confirmation, Handover, SupportStatus
from core.services import handover as service
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher
from storage.models import OutboxRow
from storage.uow import SqlUnitOfWorkFactory
from tests.handlers.harness import ChatUser, Clock
from tests.handover_setup import ALL_DONE, IMEI, THAO, Scene, scene, waiting_resident

ASK = "handover-confirm-ask-whole"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> Dispatcher:
    return build_dispatcher(uow, load_catalogue(), "2023", ZoneInfo("Asia/Ho_Chi_Minh"), clock)


@pytest.fixture
async def handed(uow: SqlUnitOfWorkFactory, clock: Clock) -> tuple[Scene, Handover]:
    place = await scene(uow, clock.now)
    _, support = await waiting_resident(uow, place, clock.now)
    async with uow() as u:
        done = await service.record_handover(u, place.actor, support.id, IMEI, ALL_DONE,
                                             clock.now)
        await u.commit()
    return place, done


@pytest.fixture
def phone(dispatcher: Dispatcher) -> ChatUser:
    return ChatUser(dispatcher, chat_id="new-phone")


def rendered(user: ChatUser) -> str:
    text = "\n".join(user.texts())
    assert "{" not in text
    return text


async def stored(uow: SqlUnitOfWorkFactory, handover_id: int) -> Handover:
    async with uow() as u:
        found = await u.handovers.get(handover_id)
    assert found is not None
    return found


async def test_the_code_typed_in_lower_case_with_a_space_greets_and_confirms(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, handed: tuple[Scene, Handover], clock: Clock
) -> None:
    place, done = handed
    typed = f"{done.code[:5].lower()} {done.code[5:].lower()}"
    assert await phone.say(typed) == [ASK]
    # no sex recorded: the neutral written form, with the full name (never "ban" and a
    # given name to an elderly villager)
    assert phone.param(ASK, "full_name") == THAO
    assert phone.param(ASK, "name") == "key:resident-name-unknown"
    assert phone.param(ASK, "serial_tail") == IMEI[-4:]
    assert (phone.param(ASK, "model"), phone.param(ASK, "date")) == ("Nokia C32", "12/09/2023")
    assert phone.param(ASK, "unit") == place.commune.name
    assert "Xin ch\u00e0o \u00f4ng/b\u00e0 " + THAO + "!" in rendered(phone)
    assert "b\u1ea1n" not in rendered(phone).lower()
    assert phone.options() == ["confirmed", "not_received", "problem"]
    clock.advance(minutes=5)
    assert await phone.press("confirmed") == ["handover-confirm-done-confirmed"]
    after = await stored(uow, done.id)
    assert (after.confirmation, after.confirmed_via) == (Confirmation.CONFIRMED, "web")
    async with uow() as u:
        support = await u.supports.get(done.support_id)
    assert support is not None and support.status is SupportStatus.CONFIRMED
    # the same code again: already answered, no dialog, nothing changed
    clock.advance(days=1)
    assert await phone.say(done.code) == ["handover-already-answered"]
    assert await phone.say("hello") == ["chat-not-understood", "menu-public"]
    assert await stored(uow, done.id) == after


async def test_start_with_the_code_opens_it_and_a_problem_asks_for_a_description(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, handed: tuple[Scene, Handover]
) -> None:
    place, done = handed
    assert await phone.say(f"/start {done.code}") == [ASK]
    assert await phone.say("3") == ["handover-confirm-ask-problem"]
    assert await phone.say("   ") == ["handover-note-required", "handover-confirm-ask-problem"]
    assert await phone.say("M\u00e1y kh\u00f4ng l\u00ean ngu\u1ed3n") == [
        "handover-confirm-done-problem"]
    rendered(phone)
    after = await stored(uow, done.id)
    assert after.confirmation is Confirmation.PROBLEM
    async with uow() as u:
        [case] = await u.handovers.cases_for(done.id)
        keys = list(await u.session.scalars(select(OutboxRow.dedupe_key)))
    assert case.note == "M\u00e1y kh\u00f4ng l\u00ean ngu\u1ed3n"
    assert f"case:{case.id}:{place.officer.id}" in keys


async def test_not_received_opens_a_case_at_once(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, handed: tuple[Scene, Handover]
) -> None:
    _, done = handed
    await phone.say(f"/start {service.display_code(done.code)}")
    assert await phone.press("not_received") == ["handover-confirm-done-not_received"]
    async with uow() as u:
        cases = await u.handovers.cases_for(done.id)
    assert [c.kind for c in cases] == [Confirmation.NOT_RECEIVED]


async def test_an_unknown_code_gets_a_clear_word_and_no_dialog(
    phone: ChatUser, handed: tuple[Scene, Handover]
) -> None:
    assert await phone.say("ACDEF-GHJKM") == ["handover-code-unknown"]
    assert "ACDEF-GHJKM" in rendered(phone)
    assert await phone.say("/start ACDEFGHJKM") == ["handover-code-unknown"]
    assert await phone.say("yes") == ["chat-not-understood", "menu-public"]


async def test_confirm_typed_as_a_command_asks_for_the_code_first(
    phone: ChatUser, handed: tuple[Scene, Handover], clock: Clock
) -> None:
    _, done = handed
    assert await phone.say("/confirm") == ["handover-confirm-ask-code"]
    assert await phone.say("ACDEF-GHJKM") == ["handover-code-unknown",
                                             "handover-confirm-ask-code"]
    assert await phone.say(done.code.lower()) == [ASK]
    assert await phone.press("confirmed") == ["handover-confirm-done-confirmed"]


async def test_a_replayed_answer_changes_nothing(
    uow: SqlUnitOfWorkFactory, phone: ChatUser, handed: tuple[Scene, Handover], clock: Clock
) -> None:
    _, done = handed
    await phone.say(done.code)
    await phone.say("1", update_id="same")
    first = await stored(uow, done.id)
    clock.advance(hours=1)
    await phone.say("1", update_id="same")
    assert phone.last is not None and phone.last.replies == []
    assert await stored(uow, done.id) == first
    assert first.confirmed_at == clock.now - timedelta(hours=1)
