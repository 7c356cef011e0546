"""From gift to hand through the whole stack on Telegram (webhook mode, the fake Bot API):

a donor pledges a phone for xa Con Minh in chat; the commune receives it and the donor is told;
the province commits the allocation plan, which gives it to the first person in the commune's
queue; the commune officer hands it over in chat (serial, checklist; the QR comes as a photo
holding the bot's deep link); the recipient opens that link on the new phone and confirms;
the donor is told where the phone went, never to whom; the public page and the ledger show
the trace, with no name in them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import aiohttp
import pytest

from core.model import Policy, Poverty, Role
from core.services import allocation, registry
from core.services.linking import create_invite
from core.services.receiving import ReceiptForm, record_receipt
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.bot.test_cli import phocap as run_cli
from tests.conftest import SYSTEM
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.journeys.common import CON_MINH_IN_TEXT, match, seed
from tests.journeys.test_telegram import PUBLIC_URL, SECRET, Phocap, TelegramUser

DONOR_CHAT, OFFICER_CHAT, PHONE_CHAT = 3003, 4004, 5005
BOT = "phocap_test_bot"
RECIPIENT = "Tri\u1ec7u V\u0103n Ph\u00fac"  # "Trieu Van Phuc", merit family, poor
IMEI = "490154203237518"
ITEMS = 5


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as fake:
        yield fake
    assert fake.unknown == [], f"Bot API methods the fake does not know: {fake.unknown}"


@pytest.fixture
async def app(api: FakeTelegramAPI, database_url: str, tmp_path: Path) -> AsyncIterator[Phocap]:
    env = {
        "PHOCAP_DATABASE_URL": database_url, "PHOCAP_TELEGRAM_TOKEN": api.token,
        "PHOCAP_TELEGRAM_API_URL": api.base_url, "PHOCAP_PUBLIC_URL": PUBLIC_URL,
        "PHOCAP_TELEGRAM_WEBHOOK_SECRET": SECRET, "PHOCAP_TELEGRAM_BOT_USERNAME": BOT,
    }
    phocap = Phocap(env, tmp_path)
    try:
        yield phocap
    finally:
        await phocap.stop()


async def prepare(database_url: str) -> tuple[str, int]:
    """The units, a commune officer's invite, and one approved adult waiting in Na Dam."""
    seeded = await seed(database_url)
    engine = make_engine(database_url)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    now = datetime.now(UTC)
    try:
        async with uow() as u:
            commune = await u.units.by_code("2023", "02173")
            assert commune is not None
            _, code = await create_invite(u, SYSTEM, Role.COMMUNE, commune.id, "Hoang Thi Lan", now)
            h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
                seeded.village_id, RECIPIENT, Poverty.POOR, Policy.MERIT, False), now)
            r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
                RECIPIENT, date(1970, 5, 1), False), now, now.date())
            await registry.approve(u, SYSTEM, r.id, now)
            await u.commit()
    finally:
        await engine.dispose()
    return code, commune.id


async def pledge_one_phone(donor: TelegramUser) -> str:
    await donor.say("/start", "chat-start-public", "menu-public")
    await donor.press("cmd:pledge", "pledge-ask-kind")
    await donor.press("phones", "pledge-ask-quantity")
    await donor.say("1", "pledge-ask-condition")
    await donor.press("new", "pledge-ask-model")
    await donor.say("Nokia C32", "pledge-ask-where")
    await donor.say("con minh", "pledge-ask-donor")
    await donor.press("anonymous", "pledge-ask-contact")
    await donor.press("skip", ("pledge-summary-phones", {"quantity": 1}))
    [done, _] = await donor.press("confirm", ("pledge-done-phones", {"quantity": 1}),
                                  "menu-public")
    return done["fields"]["code"]


async def hand_over(officer: TelegramUser, code: str) -> str:
    """The officer links, opens /handover from the menu and records it; the printed code."""
    await officer.say(f"/start {code}", "link-done", "menu-official")
    [ask] = await officer.press("cmd:handover", "handover-ask-support")
    [support] = officer.buttons(ask)
    await officer.press(support, "handover-ask-serial")
    await officer.say(IMEI, "handover-ask-item")
    for _ in range(1, ITEMS):
        await officer.press("yes", "handover-ask-item")
    await officer.press("yes", "handover-summary")
    [done, _] = await officer.press("confirm", "handover-done", "handover-print-hint")
    return done["fields"]["code"]


async def test_a_pledged_phone_reaches_a_person_and_the_donor_sees_where(
    api: FakeTelegramAPI, app: Phocap, database_url: str, tmp_path: Path
) -> None:
    officer_code, commune_id = await prepare(database_url)
    await app.start()
    donor = TelegramUser(api, app, DONOR_CHAT)
    pledge = await pledge_one_phone(donor)

    # the commune receives the phone; the donor is told by the outbox
    engine = make_engine(database_url)
    uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
    try:
        async with uow() as u:
            await record_receipt(u, SYSTEM, ReceiptForm(commune_id, phones=1,
                                                        serials=(IMEI,), pledge_code=pledge),
                                 datetime.now(UTC))
            await u.commit()
        donor.expected += 2  # what was received, then the thank-you letter's link
        told, letter = (await api.wait_for_messages(DONOR_CHAT, donor.expected, 10))[-2:]
        match("receiving-donor-phones", str(told["text"]), code=pledge)
        assert f"/public/pledge/{pledge}/thanks/" in str(letter["text"])

        # the province's plan gives it to the first in Con Minh's queue
        async with uow() as u:
            view = await allocation.preview(u, "2023", datetime.now(UTC).date())
            done = await allocation.commit(u, SYSTEM, "2023", view.on, datetime.now(UTC),
                                           expected=view.fingerprint)
            await u.commit()
        assert (done.whole, done.partial) == (1, 0)
    finally:
        await engine.dispose()

    officer = TelegramUser(api, app, OFFICER_CHAT)
    printed = await hand_over(officer, officer_code)
    [photo] = api.calls_to("sendPhoto")  # the QR, for the new phone to scan
    assert str(photo["chat_id"]) == str(OFFICER_CHAT)

    # the QR opens t.me/<bot>?start=<code>: Telegram sends "/start <code>" from the new phone
    phone = TelegramUser(api, app, PHONE_CHAT)
    [greeting] = await phone.say(f"/start {printed.replace('-', '')}",
                                 "handover-confirm-ask-whole")
    # "ong", "ba" or "ong/ba" and the full name, never the given name alone
    assert greeting["fields"]["name"].endswith(" " + RECIPIENT)
    assert greeting["fields"]["model"] == "Nokia C32"
    await phone.press("confirmed", "handover-confirm-done-confirmed")

    donor.expected += 1
    reached = (await api.wait_for_messages(DONOR_CHAT, donor.expected, 10))[-1]
    fields = match("handover-donor-reached", str(reached["text"]), code=pledge)
    assert fields["commune"] == CON_MINH_IN_TEXT and RECIPIENT not in str(reached["text"])
    for user in (donor, officer, phone):
        await user.settled()  # nothing more, nothing twice

    # the public trace: the pledge's page and the ledger, without the person's name
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{app.url}/public/pledge/{quote(pledge)}") as page:
            assert page.status == 200
            html = await page.text()
        async with http.get(f"{app.url}/public/ledger.json") as ledger:
            entries = (await ledger.json())["entries"]
    kinds = [e["kind"] for e in entries]
    for kind in ("receipt", "assignment", "handover", "confirmation"):
        assert kind in kinds
    assert pledge in html and RECIPIENT not in html and RECIPIENT not in str(entries)
    await app.stop()
    verified = await asyncio.to_thread(run_cli, tmp_path, "ledger", "verify",
                                       PHOCAP_DATABASE_URL=database_url)
    assert verified.returncode == 0, verified.stderr
