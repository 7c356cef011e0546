"""The /pledge dialog through the fake channel, on a real database with the 2023 units."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.seed import read_unit_file
from core.i18n import load_catalogue
from core.messages import Inbound, Kind
from core.model import Pledge, PledgeKind, PledgeStatus
from core.services.units import import_units
from handlers.engine import Dispatcher
from handlers.setup import build_dispatcher
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handlers.harness import ChatUser, Clock

ASK_KIND, ASK_QTY, ASK_COND = "pledge-ask-kind", "pledge-ask-quantity", "pledge-ask-condition"
ASK_MODEL, ASK_AMOUNT, ASK_OFFER = "pledge-ask-model", "pledge-ask-amount", "pledge-ask-offer"
ASK_WHERE, ASK_DONOR, ASK_CONTACT = "pledge-ask-where", "pledge-ask-donor", "pledge-ask-contact"
CON_MINH = "02173"
TRIEU = "2 tri\u1ec7u"  # "2 trieu" with its diacritics, as donors type it
AN_DANH = "\u1ea9n danh"  # the anonymous button's label, typed


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def dispatcher(uow: SqlUnitOfWorkFactory, clock: Clock) -> Dispatcher:
    dataset, records = read_unit_file()
    async with uow() as u:
        await import_units(u, SYSTEM, dataset, records, clock.now)
        await u.commit()
    return build_dispatcher(uow, load_catalogue(), "2023", ZoneInfo("Asia/Ho_Chi_Minh"), clock)


@pytest.fixture
def donor(dispatcher: Dispatcher) -> ChatUser:
    return ChatUser(dispatcher)


async def pledges(uow: SqlUnitOfWorkFactory) -> list[Pledge]:
    async with uow() as u:
        return await u.pledges.all()


async def commune_id(uow: SqlUnitOfWorkFactory, code: str) -> int:
    async with uow() as u:
        unit = await u.units.by_code("2023", code)
    assert unit is not None
    return unit.id


async def to_where(donor: ChatUser, amount: str = "2000000") -> None:
    """A money pledge up to the question of where it goes."""
    await donor.say("/pledge")
    await donor.press("money")
    assert await donor.say(amount) == [ASK_WHERE]


async def test_phones_pledge_end_to_end_typed_numbers_and_labels(
    donor: ChatUser, uow: SqlUnitOfWorkFactory
) -> None:
    assert await donor.say("/pledge") == [ASK_KIND]
    assert donor.options() == ["phones", "money", "offer"]
    assert await donor.say("1") == [ASK_QTY]  # typed number: phones
    assert await donor.say("5 chi\u1ebfc") == [ASK_COND]
    assert await donor.say("m\u00e1y m\u1edbi") == [ASK_MODEL]  # typed label: new
    assert await donor.say("Samsung Galaxy A05") == [ASK_WHERE]
    assert donor.options()[0] == "anywhere"
    assert len(donor.options()) == 9  # anywhere and the eight pilot communes
    assert await donor.press(f"commune:{CON_MINH}") == [ASK_DONOR]
    assert await donor.say("C\u00f4ng ty FPT") == [ASK_CONTACT]
    assert await donor.say("0912 345 678") == ["pledge-summary-phones"]
    assert await donor.say("x\u00e1c nh\u1eadn") == ["pledge-done-phones", "menu-public"]
    [saved] = await pledges(uow)
    assert (saved.kind, saved.quantity, saved.condition, saved.model) == (
        PledgeKind.PHONES,
        5,
        "new",
        "Samsung Galaxy A05",
    )
    assert saved.commune_id == await commune_id(uow, CON_MINH)
    assert (saved.donor_name, saved.contact) == ("C\u00f4ng ty FPT", "+84912345678")
    assert saved.status is PledgeStatus.PLEDGED and saved.channel == "web"
    assert donor.param("pledge-done-phones", "code") == saved.code
    assert donor.param("pledge-done-phones", "page") == f"/public/pledge/{saved.code}"
    assert "UBND x\u00e3 C\u00f4n Minh" in str(donor.param("pledge-done-phones", "address"))


@pytest.mark.parametrize("typed", ["2.000.000", "2000000", "2tr", TRIEU])
async def test_money_in_each_written_form(
    donor: ChatUser, uow: SqlUnitOfWorkFactory, typed: str
) -> None:
    await to_where(donor, typed)
    await donor.press("anywhere")
    await donor.press("anonymous")
    await donor.press("skip")
    assert donor.param("pledge-summary-money", "amount") == "2.000.000"
    await donor.press("confirm")
    [saved] = await pledges(uow)
    assert (saved.kind, saved.amount) == (PledgeKind.MONEY, 2_000_000)


async def test_bad_amount_gives_the_reason_and_the_same_question(donor: ChatUser) -> None:
    await donor.say("/pledge")
    await donor.press("money")
    assert await donor.say("hai tri\u1ec7u") == ["rules-money-format", ASK_AMOUNT]
    assert await donor.say("0") == ["rules-money-positive", ASK_AMOUNT]
    assert await donor.say("500k") == [ASK_WHERE]


async def test_anywhere_money_is_given_at_the_province(
    donor: ChatUser, uow: SqlUnitOfWorkFactory
) -> None:
    await to_where(donor)
    await donor.say("1")  # anywhere
    await donor.say(AN_DANH)
    await donor.say("b\u1ecf qua")
    assert donor.param("pledge-summary-money", "where") == "key:pledge-where-anywhere-short"
    await donor.press("confirm")
    [saved] = await pledges(uow)
    assert saved.commune_id is None and saved.donor_name is None and saved.contact is None
    assert "S\u1edf Th\u00f4ng tin v\u00e0 Truy\u1ec1n th\u00f4ng" in str(
        donor.param("pledge-done-money", "address")
    )
    assert "chuy\u1ec3n kho\u1ea3n" in donor.texts()[0]  # the transfer advice is there


async def test_offer_is_described_in_free_text(donor: ChatUser, uow: SqlUnitOfWorkFactory) -> None:
    await donor.say("/pledge")
    assert await donor.say("\u01b0u \u0111\u00e3i c\u1ee7a c\u1eeda h\u00e0ng") == [ASK_OFFER]
    assert await donor.say("gi\u1ea3m") == ["pledge-offer-length", ASK_OFFER]
    offer = "Gi\u1ea3m 20% v\u00e0 tr\u1ea3 g\u00f3p 0% trong 6 th\u00e1ng"
    assert await donor.say(offer) == [ASK_WHERE]
    await donor.press("anywhere")
    await donor.say("C\u1eeda h\u00e0ng Minh Anh")
    await donor.press("skip")
    await donor.press("confirm")
    [saved] = await pledges(uow)
    assert (saved.kind, saved.offer, saved.quantity, saved.amount) == (
        PledgeKind.OFFER,
        offer,
        None,
        None,
    )


@pytest.mark.parametrize("typed", ["con minh", "X\u00e3 C\u00f4n Minh", "xa con minh", CON_MINH])
async def test_commune_typed_with_or_without_diacritics(
    donor: ChatUser, uow: SqlUnitOfWorkFactory, typed: str
) -> None:
    await to_where(donor)
    assert await donor.say(typed) == [ASK_DONOR]
    await donor.press("anonymous")
    await donor.press("skip")
    assert donor.param("pledge-summary-money", "where") == "X\u00e3 C\u00f4n Minh"
    await donor.press("confirm")
    [saved] = await pledges(uow)
    assert saved.commune_id == await commune_id(uow, CON_MINH)


async def test_unknown_commune_stays_on_the_question(donor: ChatUser) -> None:
    await to_where(donor)
    assert await donor.say("ha noi") == ["pledge-where-unknown", ASK_WHERE]


async def test_bad_quantity_and_contact_keep_their_questions(donor: ChatUser) -> None:
    await donor.say("/pledge")
    await donor.press("phones")
    assert await donor.say("nhi\u1ec1u") == ["pledge-quantity-format", ASK_QTY]
    assert await donor.say("20000") == ["pledge-quantity-range", ASK_QTY]
    assert await donor.say("0") == ["pledge-quantity-range", ASK_QTY]
    assert await donor.say("3") == [ASK_COND]
    await donor.press("used")
    await donor.press("skip")
    await donor.press("anywhere")
    await donor.press("anonymous")
    assert await donor.say("024 3823 4567") == ["rules-phone-not-mobile", ASK_CONTACT]


async def test_back_returns_to_the_previous_question(donor: ChatUser) -> None:
    await donor.say("/pledge")
    await donor.press("phones")
    await donor.say("3")
    assert await donor.say("/back") == [ASK_QTY]
    assert await donor.say("quay l\u1ea1i") == [ASK_KIND]
    assert await donor.press("money") == [ASK_AMOUNT]


async def test_edit_from_summary_changes_one_answer(
    donor: ChatUser, uow: SqlUnitOfWorkFactory
) -> None:
    await to_where(donor)
    await donor.press("anywhere")
    await donor.press("anonymous")
    await donor.press("skip")
    assert await donor.press("edit") == ["dialog-edit-which"]
    assert "edit:amount" in donor.options() and "edit:quantity" not in donor.options()
    assert await donor.press("edit:amount") == [ASK_AMOUNT]
    assert await donor.say("3tr") == ["pledge-summary-money"]
    await donor.press("confirm")
    [saved] = await pledges(uow)
    assert saved.amount == 3_000_000


async def test_changing_the_kind_asks_its_own_questions_and_drops_the_others(
    donor: ChatUser, uow: SqlUnitOfWorkFactory
) -> None:
    await to_where(donor)
    await donor.press("anywhere")
    await donor.press("anonymous")
    await donor.press("skip")
    await donor.press("edit")
    await donor.press("edit:kind")
    assert await donor.press("phones") == [ASK_QTY]
    await donor.say("2")
    await donor.press("new")
    assert await donor.press("skip") == ["pledge-summary-phones"]
    await donor.press("confirm")
    [saved] = await pledges(uow)
    assert (saved.kind, saved.quantity, saved.amount) == (PledgeKind.PHONES, 2, None)


async def test_cancel_saves_nothing(donor: ChatUser, uow: SqlUnitOfWorkFactory) -> None:
    await to_where(donor)
    await donor.press("anywhere")
    await donor.press("anonymous")
    await donor.press("skip")
    assert await donor.press("cancel") == ["dialog-cancelled", "menu-public"]
    assert await pledges(uow) == []


async def test_replayed_confirm_creates_one_pledge(
    donor: ChatUser, uow: SqlUnitOfWorkFactory
) -> None:
    await to_where(donor)
    await donor.press("anywhere")
    await donor.press("anonymous")
    await donor.press("skip")
    confirm = Inbound(
        channel=donor.channel,
        chat_id=donor.chat_id,
        choice="confirm",
        kind=Kind.CHOICE,
        update_id="confirm-1",
    )
    first = await donor.send(confirm)
    assert [r.key for r in first.replies] == ["pledge-done-money", "menu-public"]
    assert (await donor.send(confirm)).replies == []
    assert len(await pledges(uow)) == 1


async def test_pledge_speaks_english_after_lang(donor: ChatUser) -> None:
    await donor.say("/lang en")
    await donor.say("/pledge")
    await donor.say("anonymous")  # not an option here: the kind must be chosen
    assert donor.keys() == ["dialog-choose-option", ASK_KIND]
    await donor.say("Money")
    assert "How much money" in donor.texts()[0]
