"""Issue 14, item 6: the handover is tied to a phone that was received, on each database.

Worked out by hand from DESIGN.md ("Phones handed over ... for the very phone received (its
IMEI or serial, its donor), so that the donor can follow it") and plan III.4-III.5, before the
code. The scene: xa Con Minh, where the committed list gave Hoang Van Thao a phone of one
receipt. The officer hands over the phone whose IMEI he types; it must be a phone of that
receipt, which reached Con Minh:

1. Xiaomi and Samsung. Con Minh received a Xiaomi Redmi A3 (new, Cong ty Hong Ha, IMEI X) and a
   Samsung Galaxy A05 (used, Cua hang Minh Anh, IMEI S). Thao's phone is the Xiaomi, Mai's the
   Samsung. S typed for Thao: refused, "handover-serial-other-lot" naming S's receipt, the
   Samsung and its donor, and Thao's receipt, the Xiaomi, its donor and what is left of it (X);
   nothing written. X for Thao: accepted; the record says Xiaomi Redmi A3, new, Cong ty Hong Ha,
   from X's receipt. S for Mai: accepted; Samsung Galaxy A05, used, Cua hang Minh Anh.
2. A lot without serials: Nokia C32 x2 of Cua hang Minh Anh, no IMEI written at the receipt.
   The IMEI on the phone is unknown to every receipt: accepted as a phone of the lot; the
   record says Nokia C32 and its donor. A lot of 2 phones with one IMEI recorded (P): the first
   unknown IMEI takes the phone without one; a second unknown is refused
   ("handover-serial-unknown", left: P); P is then accepted.
3. The same IMEI twice: the second time refused, "handover-serial-taken", naming the first
   support and the day.
4. Commune B's phone: Nghia Ta received a phone (IMEI B); B typed for Thao of Con Minh:
   refused, "handover-serial-elsewhere", naming xa Nghia Ta; a phone still at the province:
   naming the province; a phone the plan sent from the province to Nghia Ta: naming xa Nghia Ta.
5. A fully recorded lot and an IMEI nobody recorded: refused, "handover-serial-unknown".
   Part of the price (the resident buys their own phone): a donated phone's IMEI is refused,
   "handover-serial-donated"; an IMEI nobody recorded is the phone they bought.
6. After the handover and the confirmation: the ledger's handover and confirmation entries
   name the receipt, the pledge and the phone (last four characters, the rest starred, never
   the whole number); the donor's page lists that very phone, handed over and confirmed; the
   chain verifies.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from admin.public import pledge_view
from core.errors import RuleError
from core.ledger import first_bad
from core.model import (
    Actor,
    Confirmation,
    PledgeKind,
    Receipt,
    Role,
    SupportKind,
    SupportStatus,
    Transfer,
    Unit,
)
from core.names import addressed, in_running_text
from core.serials import mask_serial
from core.services import handover as service
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handover_setup import ALL_DONE, IMEI, MAI, NGHIA_TA, THAO, Scene, scene, waiting_resident

XIAOMI_IMEI = "867712051234567"
SAMSUNG_IMEI = "353325111234567"
NGHIA_TA_IMEI = "358910091234565"
PROVINCE_IMEI = "860123041234567"
RECORDED_IMEI = "357654121234564"
UNKNOWN_IMEI = "869539061234560"
HONG_HA = "C\u00f4ng ty Th\u01b0\u01a1ng m\u1ea1i H\u1ed3ng H\u00e0"
MINH_ANH = "C\u1eeda h\u00e0ng Minh Anh"  # the scene's donor, too
AN = "N\u00f4ng V\u0103n An"


async def receive(
    uow: SqlUnitOfWorkFactory, now: datetime, unit: Unit, phones: int, serials: tuple[str, ...],
    model: str, condition: str = "new", donor: str | None = HONG_HA,
) -> tuple[Receipt, str]:
    """A donor's pledge of phones and its receipt at the unit; the receipt and pledge code."""
    async with uow() as u:
        pledge = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.PHONES, quantity=phones, condition=condition, model=model,
            donor_name=donor), "web", None, now)
        receipt = await record_receipt(u, SYSTEM, ReceiptForm(
            unit.id, phones=phones, serials=serials, pledge_code=pledge.code), now)
        await u.commit()
    return receipt, pledge.code


async def unit(uow: SqlUnitOfWorkFactory, code: str) -> Unit:
    async with uow() as u:
        found = await u.units.by_code("2023", code)
    assert found is not None
    return found


async def refused(uow: SqlUnitOfWorkFactory, actor: Actor, support_id: int, serial: str,
                  now: datetime) -> RuleError:
    """The refusal, and nothing written: the support still waits, no handover, no entry."""
    async with uow() as u:
        before = len(await u.ledger.all())
    async with uow() as u:
        with pytest.raises(RuleError) as err:
            await service.record_handover(u, actor, support_id, serial, ALL_DONE, now)
    async with uow() as u:
        support = await u.supports.get(support_id)
        assert await u.handovers.for_support(support_id) is None
        assert len(await u.ledger.all()) == before
    assert support is not None and support.status is SupportStatus.ASSIGNED
    return err.value


async def hand(uow: SqlUnitOfWorkFactory, actor: Actor, support_id: int, serial: str,
               now: datetime) -> service.HandoverRecord:
    async with uow() as u:
        done = await service.record_handover(u, actor, support_id, serial, ALL_DONE, now)
        record = await service.handover_record(u, actor, done.id)
        await u.commit()
    return record


def origin(record: service.HandoverRecord) -> tuple[str | None, ...]:
    r = record.receipt
    assert r is not None
    return (record.handover.serial, r.number, record.model, r.condition, r.donor_name)


@pytest.fixture
async def place(uow: SqlUnitOfWorkFactory, now: datetime) -> Scene:
    return await scene(uow, now)


# ---- 1. the Samsung for the person allocated a Xiaomi ------------------------------------------


async def test_a_phone_of_another_lot_is_refused_and_the_right_one_brings_its_receipt(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    xiaomi, _ = await receive(uow, now, place.commune, 1, (XIAOMI_IMEI,), "Xiaomi Redmi A3")
    samsung, _ = await receive(uow, now, place.commune, 1, (SAMSUNG_IMEI,), "Samsung Galaxy A05",
                               condition="used", donor=MINH_ANH)
    _, thao = await waiting_resident(uow, place, now, receipt_id=xiaomi.id)
    _, mai = await waiting_resident(uow, place, now, name=MAI, receipt_id=samsung.id)

    err = await refused(uow, place.actor, thao.id, SAMSUNG_IMEI, now)
    assert (err.key, err.params) == ("handover-serial-other-lot", {
        "serial": SAMSUNG_IMEI, "number": samsung.number, "model": "Samsung Galaxy A05",
        "donor": MINH_ANH, "support": f"S-{thao.id}", **addressed(THAO, None), "lot": xiaomi.number,
        "lot_model": "Xiaomi Redmi A3", "lot_donor": HONG_HA, "left": XIAOMI_IMEI})

    record = await hand(uow, place.actor, thao.id, XIAOMI_IMEI, now)
    assert origin(record) == (XIAOMI_IMEI, xiaomi.number, "Xiaomi Redmi A3", "new", HONG_HA)
    record = await hand(uow, place.actor, mai.id, SAMSUNG_IMEI, now)
    assert origin(record) == (SAMSUNG_IMEI, samsung.number, "Samsung Galaxy A05", "used",
                              MINH_ANH)


# ---- 2. a lot without serials ------------------------------------------------------------------


async def test_a_lot_without_serials_gives_the_phone_its_receipt(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    _, thao = await waiting_resident(uow, place, now)  # the scene's 2 Nokia C32, no IMEI
    record = await hand(uow, place.actor, thao.id, IMEI, now)
    assert record.receipt is not None and record.receipt.serials == ()
    assert record.receipt.pledge_id is not None
    assert origin(record) == (IMEI, record.receipt.number, "Nokia C32", "new", MINH_ANH)


async def test_a_lot_with_fewer_serials_than_phones_gives_one_unrecorded_phone(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    lot, _ = await receive(uow, now, place.commune, 2, (RECORDED_IMEI,), "Vsmart Joy 4")
    _, thao = await waiting_resident(uow, place, now, receipt_id=lot.id)
    _, mai = await waiting_resident(uow, place, now, name=MAI, receipt_id=lot.id)
    async with uow() as u:
        found = await service.lot_of(u, thao)
    assert found is not None and (found.serials_left, found.unrecorded_left) == (
        (RECORDED_IMEI,), 1)
    assert origin(await hand(uow, place.actor, thao.id, IMEI, now))[:3] == (
        IMEI, lot.number, "Vsmart Joy 4")
    err = await refused(uow, place.actor, mai.id, UNKNOWN_IMEI, now)
    assert err.key == "handover-serial-unknown"
    assert (err.params["lot"], err.params["left"]) == (lot.number, RECORDED_IMEI)
    assert origin(await hand(uow, place.actor, mai.id, RECORDED_IMEI, now))[:2] == (
        RECORDED_IMEI, lot.number)


# ---- 3. the same IMEI twice ----------------------------------------------------------------------


async def test_the_same_imei_twice_is_refused_the_second_time(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    _, thao = await waiting_resident(uow, place, now)
    _, mai = await waiting_resident(uow, place, now, name=MAI)
    await hand(uow, place.actor, thao.id, IMEI, now)
    err = await refused(uow, place.actor, mai.id, IMEI, now)
    assert (err.key, err.params) == ("handover-serial-taken", {
        "serial": IMEI, "support": f"S-{thao.id}", "date": "12/09/2023"})


# ---- 4. another unit's phone -------------------------------------------------------------------


async def test_a_phone_of_another_communes_or_the_provinces_stock_is_refused(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    nghia_ta = await unit(uow, NGHIA_TA)
    province = await unit(uow, "06")
    ours, _ = await receive(uow, now, place.commune, 1, (XIAOMI_IMEI,), "Xiaomi Redmi A3")
    theirs, _ = await receive(uow, now, nghia_ta, 1, (NGHIA_TA_IMEI,), "Nokia C32")
    held, _ = await receive(uow, now, province, 2, (PROVINCE_IMEI, SAMSUNG_IMEI), "Samsung A05")
    _, thao = await waiting_resident(uow, place, now, receipt_id=ours.id)

    err = await refused(uow, place.actor, thao.id, NGHIA_TA_IMEI, now)
    assert (err.key, err.params) == ("handover-serial-elsewhere", {
        "serial": NGHIA_TA_IMEI, "number": theirs.number,
        "units": "x\u00e3 Ngh\u0129a T\u00e1", "commune": "x\u00e3 C\u00f4n Minh"})
    err = await refused(uow, place.actor, thao.id, PROVINCE_IMEI, now)
    assert (err.key, err.params["units"]) == ("handover-serial-elsewhere",
                                              in_running_text(province.name))
    async with uow() as u:  # the plan sends the province's two phones on to Nghia Ta
        await u.receipts.add_transfers(Transfer(id=0, from_unit_id=province.id,
                                                to_unit_id=nghia_ta.id, at=now, phones=2,
                                                receipt_id=held.id))
        await u.commit()
    err = await refused(uow, place.actor, thao.id, PROVINCE_IMEI, now)
    assert (err.key, err.params["units"]) == ("handover-serial-elsewhere",
                                              "x\u00e3 Ngh\u0129a T\u00e1")


async def test_a_phone_sent_to_the_commune_is_its_stock(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    province = await unit(uow, "06")
    held, _ = await receive(uow, now, province, 1, (PROVINCE_IMEI,), "Samsung Galaxy A05")
    async with uow() as u:
        await u.receipts.add_transfers(Transfer(id=0, from_unit_id=province.id,
                                                to_unit_id=place.commune.id, at=now, phones=1,
                                                receipt_id=held.id))
        await u.commit()
    _, thao = await waiting_resident(uow, place, now, receipt_id=held.id)
    _, mai = await waiting_resident(uow, place, now, name=MAI)  # the scene's Nokia lot
    err = await refused(uow, place.actor, mai.id, PROVINCE_IMEI, now)
    assert err.key == "handover-serial-other-lot"  # in Con Minh's stock, another lot
    assert err.params["left"] == "key:handover-lot-left-unrecorded"
    assert origin(await hand(uow, place.actor, thao.id, PROVINCE_IMEI, now))[:3] == (
        PROVINCE_IMEI, held.number, "Samsung Galaxy A05")


# ---- 5. an IMEI nobody recorded ------------------------------------------------------------------


async def test_an_unknown_imei_for_a_fully_recorded_lot_is_refused(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    lot, _ = await receive(uow, now, place.commune, 1, (XIAOMI_IMEI,), "Xiaomi Redmi A3")
    _, thao = await waiting_resident(uow, place, now, receipt_id=lot.id)
    err = await refused(uow, place.actor, thao.id, UNKNOWN_IMEI, now)
    assert (err.key, err.params) == ("handover-serial-unknown", {
        "serial": UNKNOWN_IMEI, "commune": "x\u00e3 C\u00f4n Minh", "support": f"S-{thao.id}",
        **addressed(THAO, None), "lot": lot.number, "lot_model": "Xiaomi Redmi A3",
        "lot_donor": HONG_HA,
        "left": XIAOMI_IMEI})


# ---- 6. the donor's page and the ledger follow that very phone -----------------------------------


async def test_the_donors_page_and_the_ledger_show_that_very_phone_handed_and_confirmed(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    samsung, code = await receive(uow, now, place.commune, 1, (SAMSUNG_IMEI,),
                                  "Samsung Galaxy A05", donor=MINH_ANH)
    xiaomi, other = await receive(uow, now, place.commune, 1, (XIAOMI_IMEI,), "Xiaomi Redmi A3")
    _, mai = await waiting_resident(uow, place, now, name=MAI, receipt_id=samsung.id)
    _, an = await waiting_resident(uow, place, now, name=AN, receipt_id=xiaomi.id)
    async with uow() as u:
        page = await pledge_view(u, code)
    assert page is not None and [d.support.id for d in page.destinations] == [mai.id]
    assert page.destinations[0].handover is None  # not handed over yet

    record = await hand(uow, place.actor, mai.id, SAMSUNG_IMEI, now)
    async with uow() as u:
        chat = await u.chats.get_or_create("web", "new-phone", now)
        await service.confirm(u, record.handover.code, chat, Confirmation.CONFIRMED, None, now)
        await u.commit()
    async with uow() as u:
        page = await pledge_view(u, code)
        elsewhere = await pledge_view(u, other)
        entries = await u.ledger.all()
    assert page is not None and elsewhere is not None
    [went] = page.destinations
    assert went.support.status is SupportStatus.CONFIRMED and went.handover is not None
    assert (went.phone, went.model) == ("***********4567", "Samsung Galaxy A05")
    assert went.phone == mask_serial(SAMSUNG_IMEI)
    assert [d.support.id for d in elsewhere.destinations] == [an.id]
    assert elsewhere.destinations[0].handover is None  # the Xiaomi still waits
    handed = [e for e in page.entries if e.kind in ("handover", "confirmation")]
    assert [e.kind for e in handed] == ["handover", "confirmation"]
    for e in handed:
        assert (e.payload["receipt"], e.payload["pledge"], e.payload["phone"]) == (
            samsung.number, code, "***********4567")
    assert first_bad(entries) is None
    assert SAMSUNG_IMEI not in json.dumps([e.payload for e in entries])


async def test_a_commune_officer_of_another_commune_cannot_hand_over_here(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    nghia_ta = await unit(uow, NGHIA_TA)
    _, thao = await waiting_resident(uow, place, now)
    outsider = Actor(label="x", role=Role.COMMUNE, unit_id=nghia_ta.id)
    assert (await refused(uow, outsider, thao.id, IMEI, now)).key == "scope-outside-unit"


async def test_a_donated_phone_is_not_recorded_as_one_bought_with_part_of_the_price(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    """Part of the price buys the resident's own phone: a donated phone's IMEI typed for it
    is refused (it would be spent twice); the phone they bought is recorded."""
    lot, _ = await receive(uow, now, place.commune, 1, (XIAOMI_IMEI,), "Xiaomi Redmi A3")
    _, thao = await waiting_resident(uow, place, now, kind=SupportKind.PARTIAL, amount=500_000)
    err = await refused(uow, place.actor, thao.id, XIAOMI_IMEI, now)
    assert (err.key, err.params) == ("handover-serial-donated", {
        "serial": XIAOMI_IMEI, "number": lot.number})
    record = await hand(uow, place.actor, thao.id, UNKNOWN_IMEI, now)
    assert (record.handover.serial, record.receipt) == (UNKNOWN_IMEI, None)


def test_a_serial_is_masked_to_its_last_four_characters() -> None:
    assert mask_serial("490154203237518") == "***********7518"
    assert mask_serial("AB12CD") == "***2CD"
    assert mask_serial("R58N") == "**8N"


async def test_the_recipients_phone_shows_the_same_phone_not_another(
    uow: SqlUnitOfWorkFactory, place: Scene, now: datetime
) -> None:
    lot, _ = await receive(uow, now, place.commune, 1, (XIAOMI_IMEI,), "Xiaomi Redmi A3")
    _, thao = await waiting_resident(uow, place, now, receipt_id=lot.id)
    record = await hand(uow, place.actor, thao.id, XIAOMI_IMEI, now)
    async with uow() as u:
        seen = await service.record_for_code(u, record.handover.code)
    assert seen is not None and (seen.model, seen.handover.serial) == ("Xiaomi Redmi A3",
                                                                       XIAOMI_IMEI)
