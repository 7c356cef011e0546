"""'phocap handover give' and the trace of one phone from its pledge to the donor's page.

Issue 14, item 6, end to end on each database: a pledge of a Xiaomi earmarked for xa Con Minh
is received at the province with its IMEI; the plan sends it to Con Minh and gives it to Thao;
the officer hands it over from the command line (a phone of xa Nghia Ta's stock is refused,
saying so); Thao confirms on the new phone; the donor's page shows that very phone, masked,
handed over and confirmed; the ledger names it (masked) and verifies.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime

import pytest

from bot.cli import main
from core.i18n import load_catalogue
from core.model import Confirmation, PledgeKind, Policy, Poverty
from core.services import allocation, registry
from core.services import handover as service
from core.services.pledges import PledgeForm, make_pledge
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.core.services.test_ledger import public_client
from tests.handover_setup import CON_MINH, NA_DAM, THAO, units
from tests.journeys.common import match

XIAOMI = "867712051234567"
FOREIGN = "358910091234565"
HONG_HA = "C\u00f4ng ty Th\u01b0\u01a1ng m\u1ea1i H\u1ed3ng H\u00e0"
TEXTS = load_catalogue()


async def cli(database_url: str, *argv: str) -> int:
    # main() runs its own event loop: in a thread, so that this test's loop is not nested
    environ = {"PHOCAP_DATABASE_URL": database_url, "PHOCAP_LOG_LEVEL": "WARNING",
               "PHOCAP_LOCALE": "vi"}
    return await asyncio.to_thread(main, list(argv), environ)


async def test_a_pledged_phone_is_handed_over_from_the_command_line_and_the_donor_sees_it(
    database_url: str, uow: SqlUnitOfWorkFactory, now: datetime,
    capsys: pytest.CaptureFixture[str],
) -> None:
    found = await units(uow, now)
    async with uow() as u:
        pledge = await make_pledge(u, SYSTEM, PledgeForm(
            PledgeKind.PHONES, quantity=1, condition="new", model="Xiaomi Redmi A3",
            commune_id=found[CON_MINH].id, donor_name=HONG_HA), "web", None, now)
        h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
            found[NA_DAM].id, THAO, Poverty.POOR, Policy.NONE, False), now)
        r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
            THAO, date(1975, 3, 14), False), now, now.date())
        await registry.approve(u, SYSTEM, r.id, now)
        await u.commit()
    assert await cli(database_url, "receive", "--unit", "06", "--pledge", pledge.code,
                     "--phones", "1", "--serial", XIAOMI) == 0
    assert await cli(database_url, "receive", "--unit", "Nghia Ta", "--phones", "1",
                     "--serial", FOREIGN) == 0
    async with uow() as u:
        view = await allocation.preview(u, "2023", now.date())
        await allocation.commit(u, SYSTEM, "2023", view.on, now, expected=view.fingerprint)
        await u.commit()
    async with uow() as u:
        support = await u.supports.active_for(r.id)
        [receipt] = await u.receipts.for_pledge(pledge.id)
    assert support is not None and support.receipt_id == receipt.id
    capsys.readouterr()

    # Nghia Ta's phone for a resident of Con Minh: refused, saying whose it is
    assert await cli(database_url, "handover", "give", f"S-{support.id}",
                     "--serial", FOREIGN) == 1
    said = match("handover-serial-elsewhere", capsys.readouterr().err.strip(), serial=FOREIGN,
                 commune="x\u00e3 C\u00f4n Minh")
    assert said["units"] == "x\u00e3 Ngh\u0129a T\u00e1"

    # the Xiaomi of the pledge: recorded, as its receipt describes it
    assert await cli(database_url, "handover", "give", f"S-{support.id}", "--serial", XIAOMI,
                     "--not-done", "banking") == 0
    printed = capsys.readouterr().out
    assert "Xiaomi Redmi A3" in printed and HONG_HA in printed and receipt.number in printed
    async with uow() as u:
        handover = await u.handovers.for_support(support.id)
        assert handover is not None and handover.serial == XIAOMI
        assert service.missing_items(handover) == ["banking"]
        chat = await u.chats.get_or_create("web", "new-phone", now)
        await service.confirm(u, handover.code, chat, Confirmation.CONFIRMED, None, now)
        await u.commit()
    # the same phone again, for anyone: handed over once
    assert await cli(database_url, "handover", "give", f"S-{support.id}",
                     "--serial", XIAOMI) == 1
    capsys.readouterr()

    async with public_client(database_url) as client:
        page = await (await client.get(f"/public/pledge/{pledge.code}")).text()
        entries = (await (await client.get("/public/ledger.json")).json())["entries"]
    row = page.split(f"<td>S-{support.id}</td>")[1].split("</tr>")[0]
    assert "Xiaomi Redmi A3, " + TEXTS.text("public-phone-serial", "vi",
                                            serial="***********4567") in row
    assert TEXTS.text("public-confirmed-yes", "vi") in row
    assert TEXTS.text("public-not-handed", "vi") not in row
    traced = [e for e in entries if e["kind"] in ("handover", "confirmation")]
    assert [(e["kind"], e["payload"]["pledge"], e["payload"]["phone"]) for e in traced] == [
        ("handover", pledge.code, "***********4567"),
        ("confirmation", pledge.code, "***********4567")]
    assert XIAOMI not in json.dumps(entries) and THAO not in page
    assert await cli(database_url, "ledger", "verify") == 0
