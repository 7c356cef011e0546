"""The public ledger as JSON, a donor's page, and 'phocap ledger verify' catching a change."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from admin.public import setup_public
from bot.runtime import Runtime
from bot.server import fill_admin_keys
from bot.settings import Settings
from core.i18n import load_catalogue
from core.ledger import GENESIS, chain_hash
from core.model import Confirmation, PledgeKind
from core.services import handover as service
from core.services.pledges import PledgeForm, make_pledge
from core.services.receiving import ReceiptForm, record_receipt
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM
from tests.handover_setup import ALL_DONE, IMEI, MAI, NGHIA_TA, THAO, scene, waiting_resident

ROOT = Path(__file__).resolve().parents[3]
CATALOGUE = load_catalogue()
DONOR = "C\u1eeda h\u00e0ng Minh Anh"  # the scene's donor name, never shown


@dataclass
class Programme:
    pledge_code: str
    other_code: str
    handed: int  # support ids
    waiting: int
    commune: str
    village: str


async def programme(uow: SqlUnitOfWorkFactory, now: datetime) -> Programme:
    """A pledge of two phones received in xa Con Minh: one handed over and confirmed, one
    still waiting; and another donor's money received in xa Nghia Ta."""
    s = await scene(uow, now)
    _thao, handed = await waiting_resident(uow, s, now, THAO)
    _mai, waiting = await waiting_resident(uow, s, now, MAI)
    later = now + timedelta(days=3)
    async with uow() as u:
        done = await service.record_handover(u, s.actor, handed.id, IMEI, ALL_DONE, later)
        chat = await u.chats.get_or_create("web", "new-phone", later)
        await service.confirm(u, done.code, chat, Confirmation.CONFIRMED, None, later)
        other = await make_pledge(u, SYSTEM, PledgeForm(PledgeKind.MONEY, amount=3_000_000),
                                  "web", None, now)
        nghia_ta = await u.units.by_code(s.commune.dataset, NGHIA_TA)
        assert nghia_ta is not None
        await record_receipt(u, SYSTEM, ReceiptForm(nghia_ta.id, money=3_000_000,
                                                    pledge_code=other.code), now)
        await u.commit()
    return Programme(s.pledge_code, other.code, handed.id, waiting.id, s.commune.name,
                     s.village.name)


@asynccontextmanager
async def public_client(database_url: str) -> AsyncIterator[TestClient]:
    engine = make_engine(database_url)
    runtime = Runtime(Settings(), engine, SqlUnitOfWorkFactory(make_sessionmaker(engine)),
                      CATALOGUE)
    app = web.Application()
    fill_admin_keys(app, runtime)
    setup_public(app)
    try:
        async with TestClient(TestServer(app)) as client:
            yield client
    finally:
        await engine.dispose()


# ---- /public/ledger.json -----------------------------------------------------------------


async def test_ledger_json_publishes_every_entry_chained_and_without_names(
    database_url, uow, now
):
    await programme(uow, now)
    async with public_client(database_url) as client:
        resp = await client.get("/public/ledger.json")
        assert resp.status == 200
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        body = await resp.json()
        raw = await resp.text()

    entries = body["entries"]
    assert [e["kind"] for e in entries] == ["receipt", "handover", "confirmation", "receipt"]
    assert body["next_after"] is None
    prev = GENESIS  # anyone can recompute the chain from the JSON alone
    for e in entries:
        assert set(e) == {"id", "at", "kind", "payload", "prev_hash", "hash"}
        assert e["prev_hash"] == prev
        assert e["hash"] == chain_hash(prev, e["kind"], e["at"], e["payload"])
        prev = e["hash"]
    for name in (THAO, MAI, DONOR, "Ho\\u00e0ng", IMEI):
        assert name not in raw


async def test_ledger_json_pages_with_after_and_limit(database_url, uow, now):
    await programme(uow, now)
    async with public_client(database_url) as client:
        first = await (await client.get("/public/ledger.json?limit=3")).json()
        rest = await (await client.get(
            f"/public/ledger.json?after={first['next_after']}&limit=3")).json()
        too_many = await client.get("/public/ledger.json?limit=1001")
        refusal = await too_many.json()
        nonsense = await client.get("/public/ledger.json?after=-1")

    assert [e["id"] for e in first["entries"]] == [1, 2, 3]
    assert first["next_after"] == 3
    assert [e["id"] for e in rest["entries"]] == [4]
    assert rest["next_after"] is None
    assert too_many.status == 400 and nonsense.status == 400
    assert refusal["error"] == "public-ledger-bad-query"


# ---- /public/pledge/{code} ---------------------------------------------------------------


async def test_the_donors_page_shows_receipts_and_destinations_without_names(
    database_url, uow, now
):
    p = await programme(uow, now)
    typed = p.pledge_code.lower().replace("-", " ")  # as a donor might type it
    async with public_client(database_url) as client:
        resp = await client.get(f"/public/pledge/{typed}?lang=en")
        page = await resp.text()

    assert resp.status == 200
    t = CATALOGUE.text
    assert t("public-pledge-title", "en", code=p.pledge_code) in page
    assert t("public-what-phones", "en", quantity=2, condition="new") + " (Nokia C32)" in page
    assert p.commune in page and p.village in page
    handed_row = page.split(f"<td>S-{p.handed}</td>")[1].split("</tr>")[0]
    # Issue 15, item 9: handed over on 15/09/2023 (Vietnam time); with the village shown, the
    # public sees the month only, in the destinations and in the ledger's lines alike.
    assert "09/2023" in handed_row and "15/09/2023" not in page
    assert t("public-confirmed-yes", "en") in handed_row
    # that very phone: its model and its IMEI masked, never whole
    assert "Nokia C32, " + t("public-phone-serial", "en", serial="***********7518") in handed_row
    waiting_row = page.split(f"<td>S-{p.waiting}</td>")[1].split("</tr>")[0]
    assert t("public-not-handed", "en") in waiting_row
    # Its ledger entries: the receipt, the handover and the confirmation; not the other pledge's.
    for kind in ("receipt", "handover", "confirmation"):
        assert t(f"public-entry-{kind}", "en") in page
    assert '<td class="num">4</td>' not in page
    for secret in (THAO, MAI, DONOR, IMEI, p.other_code):
        assert secret not in page


async def test_the_other_pledge_shows_money_and_no_destination(database_url, uow, now):
    p = await programme(uow, now)
    async with public_client(database_url) as client:
        page = await (await client.get(f"/public/pledge/{p.other_code}")).text()

    assert CATALOGUE.text("public-money", "vi", amount="3.000.000") in page
    assert CATALOGUE.text("public-went-none", "vi") in page
    assert p.commune not in page  # xa Con Minh is where the first pledge's phones went


async def test_an_unknown_code_is_a_404_page(database_url):
    async with public_client(database_url) as client:
        unknown = await client.get("/public/pledge/UH-AAAAAAA")
        unknown_page = await unknown.text()
        nonsense = await client.get("/public/pledge/%3Cscript%3E")
        nonsense_page = await nonsense.text()

    assert unknown.status == 404 and nonsense.status == 404
    assert CATALOGUE.text("public-not-found-title", "vi") in unknown_page
    assert "<script>" not in nonsense_page


# ---- phocap ledger verify ------------------------------------------------------------------


def verify(db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    env |= {"PHOCAP_DATABASE_URL": f"sqlite+aiosqlite:///{db}", "PHOCAP_LOCALE": "en",
            "PHOCAP_CONFIG": str(db.parent / "none.toml")}
    return subprocess.run([sys.executable, "-m", "bot", "ledger", "verify"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "ledger.db"
    shutil.copy(sqlite_template, target)
    return target


async def test_verify_passes_then_names_the_entry_changed_behind_its_back(sqlite_file, now):
    engine = make_engine(f"sqlite+aiosqlite:///{sqlite_file}")
    try:
        await programme(SqlUnitOfWorkFactory(make_sessionmaker(engine)), now)
    finally:
        await engine.dispose()
    with sqlite3.connect(sqlite_file) as db:
        head = db.execute("SELECT hash FROM ledger ORDER BY id DESC LIMIT 1").fetchone()[0]

    ok = verify(sqlite_file)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == CATALOGUE.text("public-verify-ok", "en", count=4, head=head)

    with sqlite3.connect(sqlite_file) as db:  # one byte: the handover's village code
        payload = db.execute("SELECT payload FROM ledger WHERE id = 2").fetchone()[0]
        changed = payload.replace('"02173-01"', '"02173-02"')
        assert len(changed) == len(payload) and changed != payload
        db.execute("UPDATE ledger SET payload = ? WHERE id = 2", (changed,))

    bad = verify(sqlite_file)
    assert bad.returncode == 1
    # handed over on 15/09/2023 09:30 in Vietnam: a handover is kept by month (issue 15)
    assert bad.stderr.strip() == CATALOGUE.text(
        "public-verify-bad", "en", id=2, kind="handover", date="09/2023")


# ---- /public -------------------------------------------------------------------------------


async def test_the_public_page_sums_each_commune_and_names_nobody(database_url, uow, now):
    p = await programme(uow, now)
    async with public_client(database_url) as client:
        page = await client.get("/public")
        html = await page.text()
        english = await (await client.get("/public?lang=en")).text()
        found = await client.get(f"/public/pledge?code={p.pledge_code.lower()}",
                                 allow_redirects=False)
        empty = await client.get("/public/pledge?code=", allow_redirects=False)
    assert page.status == 200
    row = html.split(f">{p.commune}</a></td>")[1].split("</tr>")[0]  # linked to its list
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    # pledged phones, pledged money, received phones, received money, handed, confirmed, coverage
    assert cells[2] == "2" and cells[4:6] == ["1", "1"]  # not earmarked: pledged at the province
    total = html.split(CATALOGUE.text("public-overview-total", "vi"))[1].split("</tr>")[0]
    assert total.split("</th>")[1].endswith(">2")  # the two phones pledged, in the total
    # no village surveyed yet: said so, never 100 %, its villages counted apart
    assert cells[6] == CATALOGUE.text("coverage-unsurveyed", "vi") and cells[7]
    assert THAO not in html and MAI not in html and p.village not in html
    assert CATALOGUE.text("public-overview-title", "en") in english
    assert html.count("<svg") == 2 and "/public/ledger.json" in html  # bars, months
    donors = html.split('id="donors"')[1].split("</table>")[0]
    assert CATALOGUE.text("public-overview-anonymous", "vi") in donors  # the money's donor
    assert 'id="ledger-head">' in html
    assert found.status == 302 and found.headers["Location"].endswith(p.pledge_code.lower())
    assert empty.status == 302 and empty.headers["Location"] == "/public"
