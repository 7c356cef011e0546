"""A commune with a resident waiting for a handover, for the handover and confirmation tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.seed import read_unit_file
from core.model import (
    Actor,
    Official,
    PledgeKind,
    Policy,
    Poverty,
    Resident,
    Role,
    Support,
    SupportKind,
    SupportStatus,
    Unit,
)
from core.services import registry
from core.services.linking import create_invite, redeem
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from core.services.units import import_units
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM

CON_MINH, NA_DAM, NGHIA_TA = "02173", "02173-01", "02071"
IMEI = "490154203237518"  # a valid Luhn check digit
OTHER_IMEI = "356938035643809"
TODAY = date(2023, 9, 12)
# "Ho\u00e0ng V\u0103n Th\u00e0o" and "L\u00f2 Th\u1ecb Mai": residents of Na Dam
THAO = "Ho\u00e0ng V\u0103n Th\u00e0o"
MAI = "L\u00f2 Th\u1ecb Mai"
OFFICER = "L\u01b0\u01a1ng Th\u1ecb Hoa"
ALL_DONE = {"vneid": True, "zalo": True, "banking": True, "public_services": True,
            "data_3g4g": True}


@dataclass
class Scene:
    commune: Unit
    village: Unit
    officer: Official
    officer_code: str  # its invite code, for a chat to link with
    pledge_code: str

    @property
    def actor(self) -> Actor:
        o = self.officer
        return Actor(label="test-officer", official_id=o.id, role=o.role, unit_id=o.unit_id)


async def units(uow: SqlUnitOfWorkFactory, now: datetime) -> dict[str, Unit]:
    dataset, records = read_unit_file()
    async with uow() as u:
        await import_units(u, SYSTEM, dataset, records, now)
        await u.commit()
        return {x.code: x for x in await u.units.all(dataset)}


async def scene(uow: SqlUnitOfWorkFactory, now: datetime, link_officer: bool = True) -> Scene:
    """xa Con Minh with a commune officer (linked to the web chat 'officer-1' unless told
    otherwise) and a donor's phone received there, pledged on the web chat 'donor-1'."""
    found = await units(uow, now)
    commune, village = found[CON_MINH], found[NA_DAM]
    async with uow() as u:
        officer, code = await create_invite(u, SYSTEM, Role.COMMUNE, commune.id, OFFICER, now)
        if link_officer:
            chat = await u.chats.get_or_create("web", "officer-1", now)
            await redeem(u, chat, code, now, f"test:{chat.id}")
            await u.chats.save(chat)
        donor_chat = await u.chats.get_or_create("web", "donor-1", now)
        pledge = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.PHONES, quantity=2, condition="new", model="Nokia C32",
            donor_name="C\u1eeda h\u00e0ng Minh Anh"), "web", donor_chat.id, now)
        await record_receipt(u, SYSTEM, ReceiptForm(commune.id, phones=2,
                                                    pledge_code=pledge.code), now)
        await u.commit()
    return Scene(commune, village, officer, code, pledge.code)


async def waiting_resident(
    uow: SqlUnitOfWorkFactory, s: Scene, now: datetime, name: str = THAO,
    born: date = date(1975, 3, 14), kind: SupportKind = SupportKind.WHOLE,
    amount: int = 0, receipt_id: int | None = None, village: Unit | None = None,
) -> tuple[Resident, Support]:
    """A registered, approved resident of Na Dam (or of the village given) with an assigned
    support; a whole phone is drawn from the receipt given, else from the scene's pledge's."""
    home = village or s.village
    async with uow() as u:
        h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
            home.id, name, Poverty.POOR, Policy.NONE, False), now)
        r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
            name, born, False), now, TODAY)
        r = await registry.approve(u, SYSTEM, r.id, now)
        pledge = await u.pledges.by_code(s.pledge_code)
        assert pledge is not None
        if kind is SupportKind.WHOLE and receipt_id is None:
            receipt_id = (await u.receipts.for_pledge(pledge.id))[0].id
        [support] = await u.supports.add(Support(
            id=0, resident_id=r.id, kind=kind, commune_id=r.commune_id,
            status=SupportStatus.ASSIGNED, created_at=now, amount=amount,
            holder_unit_id=r.commune_id, receipt_id=receipt_id))
        await u.commit()
    return r, support
