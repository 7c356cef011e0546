"""The official's /handover dialog, through the fake channel on a real database."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from core.i18n import load_catalogue
from core.model import Role, SupportKind, SupportStatus
from core.services.handover import qr_payload
from core.services.linking import create_invite
from core.services.receiving import ReceiptForm, record_receipt
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handlers.harness import ChatUser, Clock
from tests.handover_setup import IMEI, MAI, NGHIA_TA, THAO, Scene, scene, waiting_resident

ITEMS = ("vneid", "zalo", "banking", "public_services", "data_3g4g")
XIAOMI, XIAOMI_2, SAMSUNG, FOREIGN = (
    "867712051234567", "353325111234567", "358910091234565", "860123041234567")
HONG_HA = "C\u00f4ng ty Th\u01b0\u01a1ng m\u1ea1i H\u1ed3ng H\u00e0"
ASK_SUPPORT, ASK_SERIAL, ASK_ITEM = "handover-ask-support", "handover-ask-serial", \
    "handover-ask-item"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> Dispatcher:
    return build_dispatcher(uow, load_catalogue(), "2023", ZoneInfo("Asia/Ho_Chi_Minh"), clock)


@pytest.fixture
async def place(uow: SqlUnitOfWorkFactory, clock: Clock) -> Scene:
    return await scene(uow, clock.now, link_officer=False)


@pytest.fixture
async def officer(dispatcher: Dispatcher, place: Scene) -> ChatUser:
    user = ChatUser(dispatcher, chat_id="officer")
    assert await user.say(f"/start {place.officer_code}") == ["link-done", "menu-official"]
    return user


def rendered(user: ChatUser) -> str:
    """Every text of the last answer, rendered: a missing field would show as '{' or fail."""
    text = "\n".join(user.texts())
    assert "{" not in text
    return text


async def test_the_officer_picks_a_resident_types_the_serial_and_ticks_the_checklist(
    uow: SqlUnitOfWorkFactory, officer: ChatUser, place: Scene, clock: Clock
) -> None:
    _, support = await waiting_resident(uow, place, clock.now)
    assert officer.options()[0] == "cmd:handover"  # first in the officer's menu
    assert await officer.say("1") == [ASK_SUPPORT]  # typed as on Zalo
    assert officer.options() == [f"s:{support.id}"]
    assert await officer.press(f"s:{support.id}") == [ASK_SERIAL]
    # a bad serial or IMEI keeps the question
    assert await officer.say("12") == ["handover-serial-format", ASK_SERIAL]
    assert await officer.say("490154203237519") == ["handover-imei-invalid", ASK_SERIAL]
    assert await officer.say("4901 5420 3237 518") == [ASK_ITEM]
    assert officer.param(ASK_ITEM, "n") == 1
    # anything but yes or no keeps the question too
    assert await officer.say("maybe") == ["dialog-choose-option", ASK_ITEM]
    for n, item in enumerate(ITEMS, start=1):
        assert officer.param(ASK_ITEM, "item_label") == f"key:handover-item-{item}"
        answer = "no" if item == "banking" else "yes"
        expected = [ASK_ITEM] if n < len(ITEMS) else ["handover-summary"]
        assert await officer.press(answer) == expected
    summary = rendered(officer)
    assert THAO in summary and IMEI in summary
    assert "\u2610 " + load_catalogue().text("handover-item-banking", "vi") in summary
    assert officer.options() == ["confirm", "edit", "cancel"]
    assert await officer.press("confirm") == ["handover-done", "handover-done-missing",
                                              "handover-print-hint"]
    rendered(officer)
    done = officer.replies[0]
    code = str(done.params["code"])
    assert len(code) == 11 and code[5] == "-"
    assert done.qr == code  # no bot username: the QR holds the plain code
    async with uow() as u:
        handover = await u.handovers.for_support(support.id)
        after = await u.supports.get(support.id)
    assert handover is not None and handover.serial == IMEI
    assert handover.checklist["banking"] is False and handover.checklist["zalo"] is True
    assert after is not None and after.status is SupportStatus.HANDED_OVER
    assert officer.param("handover-print-hint", "id") == handover.id


async def test_a_resident_is_found_by_name_without_diacritics_or_by_number(
    uow: SqlUnitOfWorkFactory, officer: ChatUser, place: Scene, clock: Clock
) -> None:
    _, thao = await waiting_resident(uow, place, clock.now)
    _, mai = await waiting_resident(uow, place, clock.now, name=MAI)
    assert await officer.say("/handover") == [ASK_SUPPORT]
    assert officer.options() == [f"s:{thao.id}", f"s:{mai.id}"]  # the order assigned
    assert await officer.say("Nguyen Van A") == ["handover-support-not-found", ASK_SUPPORT]
    assert await officer.say("th") == ["handover-support-not-found", ASK_SUPPORT]
    assert await officer.say("lo thi mai") == [ASK_SERIAL]
    assert officer.param(ASK_SERIAL, "full_name") == MAI
    assert await officer.say("/back") == [ASK_SUPPORT]
    assert await officer.say(f"s-{thao.id}") == [ASK_SERIAL]
    assert officer.param(ASK_SERIAL, "full_name") == THAO


async def test_nobody_waiting_ends_the_dialog_and_village_heads_may_not_hand_over(
    uow: SqlUnitOfWorkFactory, officer: ChatUser, dispatcher: Dispatcher, place: Scene,
    clock: Clock
) -> None:
    assert await officer.say("/handover") == ["handover-ask-support-none"]
    assert await officer.press("stop") == ["handover-nothing-waiting", "menu-official"]
    async with uow() as u:
        _, code = await create_invite(u, SYSTEM, Role.VILLAGE_HEAD, place.village.id,
                                      "Ma Van Long", clock.now)
        await u.commit()
    head = ChatUser(dispatcher, chat_id="head")
    await head.say(f"/start {code}")
    assert await head.say("/handover") == ["chat-not-allowed", "menu-village_head"]


async def test_part_of_the_price_may_skip_the_serial_and_a_bot_username_makes_a_deep_link(
    uow: SqlUnitOfWorkFactory, place: Scene, clock: Clock
) -> None:
    dispatcher = build_dispatcher(uow, load_catalogue(), "2023", ZoneInfo("Asia/Ho_Chi_Minh"),
                                  clock, bot_username="phocap_bot")
    user = ChatUser(dispatcher, chat_id="officer-2")
    await user.say(f"/start {place.officer_code}")
    _, support = await waiting_resident(uow, place, clock.now, kind=SupportKind.PARTIAL,
                                        amount=500_000)
    await user.say("/handover")
    assert await user.say("1") == ["handover-ask-serial-partial"]
    assert await user.press("skip") == [ASK_ITEM]
    for _ in ITEMS:
        await user.press("yes")
    assert await user.press("confirm") == ["handover-done", "handover-print-hint"]
    async with uow() as u:
        handover = await u.handovers.for_support(support.id)
    assert handover is not None and handover.serial is None
    assert user.replies[0].qr == f"https://t.me/phocap_bot?start={handover.code}"
    assert qr_payload(handover.code, None) == user.replies[0].params["code"]


# ---- issue 14, item 6: the phone comes from the stock, as its receipt describes it ----------


async def test_the_officer_picks_the_phone_of_the_persons_lot_and_a_foreign_one_is_refused(
    uow: SqlUnitOfWorkFactory, officer: ChatUser, place: Scene, clock: Clock
) -> None:
    """Con Minh holds a Xiaomi (Thao's lot, two IMEIs) and a Samsung (another lot); Nghia Ta
    holds a third phone. Thao's prompt names the Xiaomi, its condition and donor, and offers
    its two IMEIs; the Samsung's and Nghia Ta's are refused with their reasons, the question
    kept; a button picks the phone, and the summary shows it as the receipt says."""
    async with uow() as u:
        nghia_ta = await u.units.by_code("2023", NGHIA_TA)
        assert nghia_ta is not None
        xiaomi = await record_receipt(u, SYSTEM, ReceiptForm(
            place.commune.id, phones=2, model="Xiaomi Redmi A3", serials=(XIAOMI, XIAOMI_2),
            donor_name=HONG_HA), clock.now)
        await record_receipt(u, SYSTEM, ReceiptForm(
            place.commune.id, phones=1, model="Samsung Galaxy A05", serials=(SAMSUNG,),
            condition="used"), clock.now)
        await record_receipt(u, SYSTEM, ReceiptForm(nghia_ta.id, phones=1, serials=(FOREIGN,)),
                             clock.now)
        await u.commit()
    _, support = await waiting_resident(uow, place, clock.now, receipt_id=xiaomi.id)
    await officer.say("/handover")
    assert await officer.press(f"s:{support.id}") == [ASK_SERIAL]
    asked = rendered(officer)
    assert "Xiaomi Redmi A3" in asked and HONG_HA in asked and xiaomi.number in asked
    assert officer.param(ASK_SERIAL, "condition_label") == "key:pledge-state-new"
    assert officer.param(ASK_SERIAL, "how_label") == "key:handover-ask-serial-pick"
    assert officer.options() == [f"imei:{XIAOMI}", f"imei:{XIAOMI_2}"]
    assert await officer.say(SAMSUNG) == ["handover-serial-other-lot", ASK_SERIAL]
    refusal = officer.texts()[0]
    assert "Samsung Galaxy A05" in refusal and THAO in refusal and xiaomi.number in refusal
    assert await officer.say(FOREIGN) == ["handover-serial-elsewhere", ASK_SERIAL]
    assert "Ngh\u0129a T\u00e1" in officer.texts()[0]
    assert await officer.press(f"imei:{XIAOMI_2}") == [ASK_ITEM]
    for _ in ITEMS:
        await officer.press("yes")
    assert officer.keys() == ["handover-summary"]
    summary = rendered(officer)
    assert XIAOMI_2 in summary and "Xiaomi Redmi A3" in summary and HONG_HA in summary
    assert await officer.press("confirm") == ["handover-done", "handover-print-hint"]
    async with uow() as u:
        handover = await u.handovers.for_support(support.id)
    assert handover is not None and handover.serial == XIAOMI_2


async def test_a_lot_without_serials_asks_for_the_number_on_the_phone(
    uow: SqlUnitOfWorkFactory, officer: ChatUser, place: Scene, clock: Clock
) -> None:
    _, support = await waiting_resident(uow, place, clock.now)  # the scene's Nokia lot
    await officer.say("/handover")
    assert await officer.press(f"s:{support.id}") == [ASK_SERIAL]
    assert officer.param(ASK_SERIAL, "how_label") == "key:handover-ask-serial-type"
    assert officer.param(ASK_SERIAL, "model") == "Nokia C32"
    assert officer.options() == []
    rendered(officer)
