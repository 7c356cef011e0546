"""'phocap receive', 'phocap stock' and 'phocap import served' through the real command."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core.i18n import load_catalogue
from core.model import Level, PledgeKind, Policy, Poverty
from core.services import registry
from core.services.pledges import PledgeForm, make_pledge
from storage.db import make_engine, make_sessionmaker
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import SYSTEM

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120
IMEI = "490154203237518"
NOW = datetime(2023, 9, 12, 2, 30, tzinfo=UTC)
TEXTS = load_catalogue()


def phocap(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env, cwd=cwd, capture_output=True, text=True, encoding="utf-8",
        timeout=TIMEOUT, check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh SQLite database with the shipped units (init without --demo)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PHOCAP_")}
    environ.update(
        PHOCAP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        PHOCAP_CONFIG=str(tmp_path / "none.toml"),
        PHOCAP_ADMIN_PASSWORD="test-password-1",
        PHOCAP_LOCALE="vi",
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
    )
    done = phocap(environ, tmp_path, "init")
    assert done.returncode == 0, done.stderr
    return environ


async def seed(url: str) -> str:
    """A donor's pledge of three phones for xa Con Minh, and one approved resident there."""
    engine = make_engine(url)
    try:
        uow = SqlUnitOfWorkFactory(make_sessionmaker(engine))
        async with uow() as u:
            commune = await u.units.by_code("2023", "02173")
            assert commune is not None
            village = next(v for v in await u.units.children(commune.id)
                           if v.level is Level.VILLAGE)
            chat = await u.chats.get_or_create("web", "donor", NOW)
            pledge = await make_pledge(u, SYSTEM, PledgeForm(
                PledgeKind.PHONES, quantity=3, condition="new", model="Nokia C21",
                commune_id=commune.id, donor_name="Shop Minh Anh"), "web", chat.id, NOW)
            h = await registry.register_household(u, SYSTEM, registry.HouseholdForm(
                village.id, "Hoang Van An", Poverty.POOR, Policy.NONE, False), NOW)
            r = await registry.register_resident(u, SYSTEM, h.id, registry.ResidentForm(
                "Hoang Van An", date(1970, 1, 1), False, citizen_id="006070001234"), NOW,
                date(2023, 9, 12))
            await registry.approve(u, SYSTEM, r.id, NOW)
            await u.commit()
        return pledge.code
    finally:
        await engine.dispose()


def today() -> str:
    """The day the commands record receipts on ('now'), as officials read it."""
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y")


def stock(env: dict[str, str], cwd: Path, *args: str) -> dict[str, dict[str, object]]:
    done = phocap(env, cwd, "stock", "--json", *args)
    assert done.returncode == 0, done.stderr
    return {row["code"]: row for row in json.loads(done.stdout)}


def test_receive_against_a_pledge_then_stock_shows_it(env: dict[str, str], tmp_path: Path) -> None:
    code = asyncio.run(seed(env["PHOCAP_DATABASE_URL"]))

    done = phocap(env, tmp_path, "receive", "--unit", "con minh", "--pledge", code,
                  "--phones", "2", "--serial", IMEI, "--number", "BN-01")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == TEXTS.text("receiving-cli-done", "vi", number="BN-01",
                                  unit="X\u00e3 C\u00f4n Minh", date=today())
    assert TEXTS.text("receiving-cli-phones", "vi", phones=2, model="Nokia C21",
                      condition_label="key:pledge-state-new") in lines
    assert TEXTS.text("receiving-cli-pledge", "vi", code=code,
                      status_label="key:receiving-status-partly_received") in lines
    assert lines[-1] == TEXTS.text("receiving-cli-earmark", "vi",
                                   commune="x\u00e3 C\u00f4n Minh")  # the earmark is named

    # the rest of that pledge, received at another commune: Con Minh's stock all the same
    done = phocap(env, tmp_path, "receive", "--unit", "giao hieu", "--pledge", code,
                  "--phones", "1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == TEXTS.text("receiving-cli-earmark", "vi",
                                                      commune="x\u00e3 C\u00f4n Minh")
    assert stock(env, tmp_path, "--unit", "060")["01870"]["phones"] == 0
    assert stock(env, tmp_path, "--unit", "02173")["02173"]["phones"] == 3

    done = phocap(env, tmp_path, "receive", "--unit", "06", "--money", "2tr", "--donor",
                  "Cong ty ABC")
    assert done.returncode == 0, done.stderr
    assert "BN-06-2" in done.stdout and "2.000.000" in done.stdout

    rows = stock(env, tmp_path)
    assert (rows["06"]["phones"], rows["06"]["money"]) == (0, 2_000_000)
    assert (rows["06"]["subtree_phones"], rows["06"]["subtree_money"]) == (3, 2_000_000)
    assert (rows["066"]["phones"], rows["066"]["subtree_phones"]) == (0, 3)
    commune = stock(env, tmp_path, "--unit", "02173")["02173"]
    assert (commune["phones"], commune["money"], commune["level"]) == (3, 0, "commune")
    lots = commune["lots"]
    assert isinstance(lots, list) and [lot["phones"] for lot in lots] == [2, 1]

    text = phocap(env, tmp_path, "stock", "--unit", "066")
    assert text.returncode == 0, text.stderr
    assert "2.000.000" not in text.stdout and "C\u00f4n Minh (02173): 3" in text.stdout


def test_receive_refuses_a_number_or_serial_seen_before(
    env: dict[str, str], tmp_path: Path
) -> None:
    first = phocap(env, tmp_path, "receive", "--unit", "02173", "--phones", "1",
                   "--serial", IMEI, "--number", "BN-9")
    assert first.returncode == 0, first.stderr
    again = phocap(env, tmp_path, "receive", "--unit", "02173", "--money", "100000",
                   "--number", "bn-9")
    assert again.returncode == 1
    assert again.stderr.strip() == TEXTS.text("receiving-number-taken", "vi", number="BN-9",
                                              date=today())
    twice = phocap(env, tmp_path, "receive", "--unit", "066", "--phones", "1", "--serial", IMEI)
    assert twice.returncode == 1 and "BN-9" in twice.stderr and IMEI in twice.stderr
    assert stock(env, tmp_path, "--unit", "066")["02173"]["phones"] == 1




def test_import_served_records_matches_once_and_lists_the_rest(
    env: dict[str, str], tmp_path: Path
) -> None:
    asyncio.run(seed(env["PHOCAP_DATABASE_URL"]))
    listing = tmp_path / "song-va-may-tinh.csv"
    listing.write_text(
        "Ho va ten,Ngay sinh,So CCCD,Thon\n"
        "Hoang Van An,01/01/1970,006070001234,Na Dam\n"
        "Lo Thi Khong,05/05/1985,,Na Dam\n",
        encoding="utf-8",
    )
    args = ("import", "served", str(listing), "--commune", "con minh", "--programme",
            "Song va may tinh cho em")
    done = phocap(env, tmp_path, *args)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == TEXTS.text(
        "receiving-served-summary", "vi", commune="X\u00e3 C\u00f4n Minh",
        programme="Song va may tinh cho em", recorded=1, already=0, problems=1)
    assert lines[1].startswith(TEXTS.text("receiving-served-row", "vi", line=3, reason=""))
    assert "Lo Thi Khong" in lines[1]

    again = phocap(env, tmp_path, *args)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == TEXTS.text(
        "receiving-served-summary", "vi", commune="X\u00e3 C\u00f4n Minh",
        programme="Song va may tinh cho em", recorded=0, already=1, problems=1)
